// SPDX-License-Identifier: MIT
// Dtu: the DMA translation unit in the host bridge.
//
// Models: device DMA requests arrive on a port per function (each request
// within one 4 KiB page); the function state is checked (enabled,
// not blocked); the IOTLB is looked up, the TableWalker walks on a miss
// (2-D when the function is nested over a host table); a fault puts the
// function in the error state with its error event; a translated access
// goes on to memory through `mem`, which the walker's entry fetches share.
// Every hit can be checked against the current tables to count stale
// translations used (the DMA-attack window).
//
// Two ways to time it (docs/models.md has the diagrams):
//   loosely timed (fast mode, b_transport): each request's delay is the
//     sum of the blocks' latencies, computed when it arrives;
//   event-driven (cycle mode, the AT base protocol: BEGIN_REQ, then
//     BEGIN_RESP when the data has moved): a lookup pipeline taking one
//     request a cycle; misses held in miss-status holding registers, one
//     walk per page however many requests miss on it; the IOTLB filled
//     when a walk ends; data accesses at memory; each a SystemC event.
//     An invalidation (RPCIT, IOAT change) acts when the driver issues it:
//     a walk in flight over the range fills nothing, and a translation in
//     flight that the tables no longer give is counted as used stale.
// Does not model: request reordering beyond that, ATS, PRI; a walk's
// entries are read when it starts (its fetches are timed one by one).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <vector>

#include <zpci/func.h>

#include "dtu/dtu_params.h"
#include "iotlb/iotlb.h"
#include "memory/memory.h"
#include "pool/pool.h"
#include "sockets/lt_target.h"
#include "stats/stats.h"
#include "time/event_queue.h"
#include "time/now.h"
#include "walker/table_walker.h"
#include "waveform/waveform.h"

namespace zpcisim {

// What the DTU did for a request, cycle mode: the walk it started (none if
// it hit or joined another's).  An initiator that wants to know sets one
// on its payload; the DTU fills it in.
struct DtuTrace : tlm::tlm_extension<DtuTrace> {
	uint32_t walks = 0, memory_refs = 0;
	tlm::tlm_extension_base *clone() const override { return new DtuTrace(*this); }
	void copy_from(const tlm::tlm_extension_base &e) override
	{
		*this = static_cast<const DtuTrace &>(e);
	}
};

struct DtuStats {
	uint64_t requests = 0;
	uint64_t translations = 0;	// requests that reached memory
	uint64_t faults = 0;
	uint64_t blocked = 0;		// refused: function disabled or in error
	uint64_t stale_hits = 0;
	// Cycle mode only.
	uint64_t walk_merges = 0;	// misses that joined a walk of their page in flight
	uint64_t mshr_waits = 0;	// misses that waited for a free register
	uint64_t dropped_fills = 0;	// walks an invalidation kept out of the IOTLB
	uint64_t inflight_stale = 0;	// translations in flight an invalidation made stale
};

class Dtu : public sc_core::sc_module, private EntryReader {
public:
	tlm_utils::simple_initiator_socket<Dtu> mem;
	SC_HAS_PROCESS(Dtu);

	// A port for each of @funcs, in order (each nested over a host table if
	// it says so); hooks their flushes to the IOTLB and walk cache.
	// @event_driven: requests come as BEGIN_REQ (cycle mode), else through
	// b_transport.
	Dtu(sc_core::sc_module_name name, const std::vector<zpci_func *> &funcs,
	    const DtuParams &p = {}, bool event_driven = false);

	// The socket function @i's requests arrive on.
	tlm::tlm_target_socket<> &port(size_t i) { return ports_.at(i)->socket; }

	// Serve IOTLB hits without TLM from now on (serve_hit()), going to
	// @memory, the one `mem` is bound to, which has no contention.
	void serve_hits_from(Memory &memory) { direct_ = &memory; }
	// A request of function @f (one of the constructor's), @len bytes at
	// @iova within a page, that arrives now and hits the IOTLB with a
	// translation it may use: served as its port serves it, the same
	// counters and checks, without a payload, at a delay that is a fixed
	// function of @len (the lookup, then memory's).  Anything else (no
	// entry, a write through a read-only one, the function disabled or in
	// error, memory refusing) gives false and changes nothing: the port
	// serves that request.  Inline: fast mode's common case, for which its
	// callers avoid TLM.
	bool serve_hit(zpci_func *f, uint64_t iova, uint32_t len, zpci_dma_dir dir, uint8_t *data,
		       uint64_t *ticks)
	{
		uint64_t addr;

		if (!direct_ || !f->enabled || f->blocked)
			return false;
		TaggedCache::Entry hit = iotlb_.probe(f->fh, iova >> ZPCI_PAGE_SHIFT);
		if (!hit || !permits(hit.value(), dir))
			return false;
		addr = hit_address(hit.value(), iova);
		bool stale = is_stale(f, iova, dir, addr);	// before the data moves
		if (!direct_->access_fixed(command(dir), addr, data, len, ticks))
			return false;
		*ticks += iotlb_latency_.value();
		stats_.requests++;
		iotlb_.use(hit);
		stats_.stale_hits += stale;
		stats_.translations++;
		zpci_func_used(f, iova, addr, dir == ZPCI_DMA_WRITE);
		return true;
	}

	const DtuStats &stats() const { return stats_; }
	double clock_ns() const { return p_.clock_ns; }
	const CacheStats &iotlb_stats() const { return iotlb_.stats(); }
	const WalkerStats &walker_stats() const { return walker_.stats(); }
	void register_stats(StatsRegistry &reg);
	// Show the DTU's signals in @w: a strobe per IOTLB lookup that hits or
	// misses (a miss: a walk), each walker busy while it walks, the walks in
	// progress and those waiting for a walker, a strobe per fault.
	void show_signals(Waveform &w);

private:
	// One function's requests: the forward interface of its socket.
	class Port : public LtTarget {
	public:
		Port(Dtu &dtu, unsigned int index, zpci_func *f);
		void b_transport(tlm::tlm_generic_payload &trans, sc_core::sc_time &delay) override
		{
			dtu_.b_transport(*this, trans, delay);
		}
		tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload &trans,
						   tlm::tlm_phase &phase,
						   sc_core::sc_time &delay) override
		{
			if (!dtu_.event_driven_)
				return LtTarget::nb_transport_fw(trans, phase, delay);
			return dtu_.begin_request(*this, trans, phase);
		}

		tlm::tlm_target_socket<> socket;
		const unsigned int index;
		zpci_func *const f;

	private:
		Dtu &dtu_;
	};

	void b_transport(Port &p, tlm::tlm_generic_payload &trans, sc_core::sc_time &delay);
	// Cycle mode: a request, its walk, its events.
	static constexpr uint32_t kNone = UINT32_MAX;
	struct Request {
		Port *port;
		tlm::tlm_generic_payload *trans;
		uint64_t iova, addr;
		zpci_dma_dir dir;
		uint32_t next;		// the next request waiting for the same walk
		uint32_t inflight;	// its place in inflight_ while at memory
		bool stale;		// counted as a stale use already
	};
	struct Walk {
		uint32_t fh;
		uint64_t page;
		zpci_dma_dir dir;
		uint32_t first, last;	// the requests waiting for it
		bool dropped;		// an invalidation covered it while in flight
		WalkResult r;
	};
	enum class Due : uint8_t { Lookup, Walk, Data };
	struct Item {
		Due what;
		uint32_t index;	// into reqs_ or walks_
	};
	tlm::tlm_sync_enum begin_request(Port &p, tlm::tlm_generic_payload &trans,
					 tlm::tlm_phase &phase);
	void run();
	void lookup(uint32_t r);
	void miss(uint32_t r);
	void start_walk(uint32_t r);
	void walk_done(uint32_t w);
	void to_memory(uint32_t r);
	void data_done(uint32_t r);
	void respond(uint32_t r, tlm::tlm_response_status status);
	void fault(uint32_t r, zpci_fault fault);
	void drop_in_flight(uint32_t fh, uint64_t first, uint64_t last);
	uint64_t ticks() const { return now(*this).value(); }
	bool read_entry(uint64_t addr, const sc_core::sc_time &when, uint64_t *entry,
			sc_core::sc_time &delay) override;
	bool translate(Port &p, uint64_t iova, zpci_dma_dir dir, const sc_core::sc_time &delay,
		       uint64_t *addr, sc_core::sc_time &latency);
	static void flush_hook(void *ctx, u32 fh, dma_addr_t iova, u64 len);
	// An IOTLB entry: the frame | kReadonly.
	static constexpr uint64_t kReadonly = 1;
	static bool permits(uint64_t entry, zpci_dma_dir dir)
	{
		return !((entry & kReadonly) && dir == ZPCI_DMA_WRITE);
	}
	static uint64_t hit_address(uint64_t entry, uint64_t iova)
	{
		return (entry & ZPCI_PAGE_MASK) | (iova & ~ZPCI_PAGE_MASK);
	}
	bool is_stale(const zpci_func *f, uint64_t iova, zpci_dma_dir dir, uint64_t addr) const
	{
		return p_.check_stale && zpci_func_hit_is_stale(f, iova, dir, addr);
	}
	// What a request of @dir does at memory: without data, only its timing.
	tlm::tlm_command command(zpci_dma_dir dir) const
	{
		if (!p_.move_data)
			return tlm::TLM_IGNORE_COMMAND;
		return dir == ZPCI_DMA_WRITE ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND;
	}
	void show_walk(const WalkResult &r, const sc_core::sc_time &missed);

	DtuParams p_;
	const bool event_driven_;
	sc_core::sc_time clock_;
	sc_core::sc_time iotlb_latency_;	// a double multiply: made once, not per request
	TaggedCache iotlb_;
	TableWalker walker_;
	std::vector<std::unique_ptr<Port>> ports_;
	DtuStats stats_;
	tlm::tlm_generic_payload fetch_;	// reused for entry fetches
	Memory *direct_ = nullptr;		// serve_hit()'s memory; none: it serves none
	// Cycle mode.
	EventQueue<Item> due_{ "due" };
	Pool<Request> reqs_;
	std::vector<uint32_t> inflight_;
	Pool<Walk> walks_;
	std::vector<uint32_t> walking_;	// walks_ in flight
	std::deque<uint32_t> mshr_wait_;		// requests waiting for a register
	uint64_t next_lookup_ = 0;			// when the pipeline takes the next
	struct Signals {
		Waveform *w = nullptr;	// none: nothing to show
		Waveform::Signal hit, miss, fault, walking, waiting;
		std::vector<Waveform::Signal> busy;	// per walker
	} wave_;
};

}  // namespace zpcisim
