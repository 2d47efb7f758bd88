// SPDX-License-Identifier: MIT
// The replay engine: feeds a trace's records to the guest DMA layer of each
// function and its device accesses to the simulated function, checks the
// RPCITs and IOVAs the trace recorded, and keeps the counts the summary
// and the stats file report.  Memory grows with live mappings and the
// IOTLB, never with trace length.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <stdexcept>
#include <string>
#include <vector>

#include <zpci/dma.h>
#include <zpci/func.h>
#include <zpci/machine.h>
#include <ztrace/trace.h>

#include "pool/pool.h"
#include "replay_options.h"
#include "timed_models.h"
#include "timeline.h"

namespace zpcisim {

// A check of replayed behaviour against what the trace recorded.
struct CheckResult {
	bool recorded = false;	// the trace had something to check
	uint64_t matched = 0;
	uint64_t mismatched = 0;
	std::string first;	// where and what of the first mismatch
	std::string not_comparable;	// why what the trace recorded cannot be checked here
};

// What the adversarial device (ReplayOptions::adversary) did, an access
// per buffer, or per element of a list.
struct AdversaryStats {
	uint64_t touches = 0;	// accesses just before the unmap (AdversaryParams::touch)
	uint64_t scheduled = 0;	// re-accesses the unmaps called for
	uint64_t accesses = 0;	// made: due before the trace's last record
	uint64_t stale = 0;	// reached memory through a translation the guest had unmapped
	uint64_t reused = 0;	// translated, the IOVA the guest's again (mapped anew)
	uint64_t faulted = 0;	// refused by the function: no valid translation
	uint64_t blocked = 0;	// refused: the function was in the error state already
	uint64_t beyond_end = 0;	// due after the trace's last record: not made
};

struct ReplayStats {
	uint64_t records = 0;
	uint64_t by_kind[ZTRACE_NR_KINDS] = {};
	uint64_t map_failures = 0;	// map/alloc/map-sg the guest layer refused
	uint64_t skipped = 0;		// records about a mapping that failed
	uint64_t dma_accesses = 0;
	uint64_t dma_bytes = 0;
	uint64_t dma_faults = 0;	// accesses the function refused
	uint64_t cpu_rpcit_ns = 0;	// CPU time in RPCITs, guest's or host's (the cost table)
	CheckResult rpcit;
	CheckResult iova;
	// Where the machine's isolation checker (zpci/monitor.h) first failed,
	// and how.
	std::string first_violation;
	uint64_t exposed_at_end = 0;	// unmapped pages no flush had dropped by the end
	// Pinned memory over trace time: (ns, bytes), evenly spaced, at most
	// kPinnedSamples points whatever the trace's length.
	std::vector<std::pair<uint64_t, uint64_t>> pinned_series;
	AdversaryStats adversary;
};

constexpr size_t kPinnedSamples = 1024;

// What the design's hypervisor did (zero for bare): its counters are
// zpci_shadow_counters' and zpci_pin_counters'.
struct DesignReport {
	zpci_shadow_stats intercepts{};	// summed over the functions it intercepts for
	zpci_pin_stats pins{};
	bool pins_balanced = true;	// after every function detached, as the design must hold
	uint64_t cpu_hypervisor_ns = 0;	// intercept handling (cost table)
	uint64_t cpu_pin_setup_ns = 0;	// pinning all guest memory up front
};

// Per function: the simulated function and the guest layer driving it.
struct FunctionStats {
	zpci_dma_stats dma{};
	zpci_func_stats func{};
	zpci_monitor_fn_stats watch{};	// what the machine's instruments saw of it
};

// The work done so far, summed over the run: what closed-loop timing costs.
struct Work {
	CpuWork cpu;		// but its calls: the caller knows the records it stepped
	uint64_t rpcit_ns = 0;	// RPCITs that reached a function (the cost table)
	uint64_t device_done_ns = 0;	// timed modes: when the last device access completed
};

class Replay : private AccessObserver {
public:
	// The header or configuration asks for a machine that cannot be
	// simulated: bad input, before any record.
	struct Refused : std::runtime_error {
		using std::runtime_error::runtime_error;
	};
	// An injected fault left the guest unable to go on (a function that
	// cannot attach): the run stops, a check failed.
	struct Stopped : std::runtime_error {
		using std::runtime_error::runtime_error;
	};

	// Throws Refused, or std::bad_alloc naming the blocks being built.
	Replay(const ztrace_header &h, const ReplayOptions &opts);
	~Replay();
	Replay(const Replay &) = delete;
	Replay &operator=(const Replay &) = delete;

	// Check and apply one record, read by @pos (which names its place in
	// messages; may be null).  false with @err set when the record makes
	// no sense (the trace is bad input); throws Stopped.
	bool step(const ztrace_rec &rec, const ztrace_reader *pos, std::string *err);
	// Detach what is still attached and close the checks.
	void finish();
	// Cycle mode: let every device access in flight finish (simulated time
	// runs on); work() then has their times.  Nothing in the others.
	void settle_device();
	// Record events into @t (owned by the caller) from now on.
	void set_timeline(Timeline *t) { timeline_ = t; }

	const ReplayStats &stats() const { return stats_; }
	FunctionStats function_stats(uint32_t fn) const;
	uint32_t functions() const;
	bool checks_passed() const
	{
		return !stats_.rpcit.mismatched && !stats_.iova.mismatched &&
		       !monitor().violations && design_report().pins_balanced;
	}
	// What the machine's checkers found: isolation violations, stale uses
	// and their windows, exposure windows, the guest-physical digest.
	const zpci_monitor &monitor() const;
	bool has_models() const { return models_ != nullptr; }
	ModelReport model_report() const;
	// The models' counters, null in the functional mode: where a counter
	// added beside the blocks' (a test's) reaches the views.
	StatsRegistry *model_stats() { return models_ ? &models_->stats() : nullptr; }
	// Every function's counters summed, those their tables list; the
	// device's translations from whichever simulated them: the models in
	// the timed modes, the functional function otherwise.
	FunctionStats totals() const;
	DesignReport design_report() const;
	// Outcomes the injection (ReplayOptions::inject) decided so far.
	uint64_t injected_faults() const;
	Work work() const;
	const zpci_design_ops &design() const;
	const CpuCost &cpu_cost() const { return cpu_; }

private:
	struct Function;
	struct Mapping;
	// One access the adversarial device will make, ordered by when.
	struct Reaccess {
		uint64_t due;		// ns
		uint64_t seq;		// ties: in the order the unmaps called for them
		uint32_t fn;
		uint64_t iova, len;
		zpci_dma_dir dir;
		bool operator>(const Reaccess &o) const
		{
			return due != o.due ? due > o.due : seq > o.seq;
		}
	};

	void build_design(Function &f);
	bool attach(Function &f, std::string *err);
	void detach(Function &f);
	Mapping &mapping();
	Mapping &new_mapping();
	void map(Function &f, const ztrace_rec &rec);
	void map_sg(Function &f, const ztrace_rec &rec);
	void unmap(Function &f, const ztrace_rec &rec);
	void note_pages(Function &f, uint64_t iova, uint64_t len, bool unmapped);
	void plan_reaccess(Function &f, const Mapping &m);
	void reaccess_due(uint64_t time);
	void reaccess(const Reaccess &r);
	void note_violation();
	void note_elements(Function &f, const Mapping &m, bool unmapped);
	void access(Function &f, const ztrace_rec &rec);
	// The device's access, into mapping @m if it is one's.
	bool device(Function &f, uint64_t iova, uint64_t len, zpci_dma_dir dir, uint64_t time,
		    Mapping *m = nullptr);
	bool device_on_timeline(Function &f, uint64_t iova, uint64_t len, zpci_dma_dir dir,
				uint64_t time);
	bool device_access(Function &f, uint64_t iova, uint64_t len, zpci_dma_dir dir,
			   uint64_t time, Mapping *m);
	void wait_for_device(const Mapping &m);
	void collect_rpcits(Function &f);
	void take_rpcit_log(Function &f);
	void check_rpcit(Function &f, const ztrace_rec &rec);
	void check_none_pending(Function &f);
	void tick(const ztrace_rec &rec);
	std::string where() const;
	void mismatch(CheckResult &c, const std::string &what);
	void sample_pinned(uint64_t now, bool last);
	void add_pinned_sample(uint64_t now);
	void timeline_record(Function &f, const ztrace_rec &rec);
	void access_done(size_t function, const AccessDone &a) override;
	// A device access in flight (cycle mode): the mapping it is into,
	// what the timeline shows of it when it finishes.
	struct InFlight {
		uint32_t slot;	// in maps_, or kNoSlot
		uint64_t iova, len;
		zpci_dma_dir dir;
	};
	static constexpr uint32_t kNoSlot = UINT32_MAX;

	ztrace_header header_;
	ReplayOptions opts_;
	std::unique_ptr<ztrace_checker, void (*)(ztrace_checker *)> checker_;
	struct Machine;
	std::unique_ptr<Machine> machine_;
	std::vector<std::unique_ptr<Function>> fns_;
	std::vector<Mapping> maps_;		// by the checker's live slot
	std::unique_ptr<TimedModels> models_;	// fast and cycle modes
	CpuCost cpu_;
	uint64_t device_done_ns_ = 0;		// Work::device_done_ns
	uint64_t latency_ns_ = 0;		// the last device access's, fast mode
	bool in_flight_ = false;		// cycle mode: accesses finish later
	bool last_ok_ = true;			// the last access to finish
	Pool<InFlight> in_flight_at_;	// by tag - 1
	uint64_t unmap_waits_ = 0;
	ReplayStats stats_;
	const ztrace_reader *pos_ = nullptr;	// the record being applied
	uint64_t now_ = 0;			// the record's time, ns
	uint64_t next_sample_ = 0, sample_step_ = 1000;	// of pinned_series, ns
	Timeline *timeline_ = nullptr;
	uint64_t seen_pins_ = 0, seen_unpins_ = 0;	// already on the timeline
	bool finished_ = false;
	std::priority_queue<Reaccess, std::vector<Reaccess>, std::greater<Reaccess>> reaccess_;
	uint64_t unmaps_ = 0;			// seen, for AdversaryParams::every
};

}  // namespace zpcisim
