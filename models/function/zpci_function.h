// SPDX-License-Identifier: MIT
// ZpciFunction: the device side of a zPCI function, its DMA engine.
//
// Models: a device access (the trace's dma records) is split at page
// boundaries into requests to the DTU; at most `outstanding` requests are
// in flight, a further one issued when one completes; the access's
// latency (arrival to last completion) goes into a histogram; FMB-style
// byte counters.  Fast mode: each request is a b_transport, its delay
// annotated.  Cycle mode: each is an AT transaction (BEGIN_REQ, then the
// DTU's BEGIN_RESP), accesses are submitted and finish later, in
// simulated time, and whoever submitted them hears of it.  The architected state (enabled, error, blocked, error
// events) is the functional function's (zpci_func), which the DTU reads.
// Does not model: device-internal queues, interrupts, MSI.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <vector>

#include <zpci/func.h>

#include "dtu/dtu.h"
#include "pool/pool.h"
#include "function/access_observer.h"
#include "function/function_params.h"
#include "params/param.h"
#include "stats/histogram.h"
#include "stats/stats.h"
#include "waveform/waveform.h"

namespace zpcisim {

struct FunctionModelStats {
	uint64_t accesses = 0;
	uint64_t requests = 0;		// page-sized requests issued
	uint64_t failed = 0;		// accesses with a refused request
	uint64_t dma_bytes[2] = {};	// by zpci_dma_dir
};

class ZpciFunction : public sc_core::sc_module {
public:
	tlm_utils::simple_initiator_socket<ZpciFunction> dma;

	// @index: its place among the system's functions, as observers hear it.
	ZpciFunction(sc_core::sc_module_name name, size_t index, zpci_func *f,
		     const ZpciFunctionParams &p = {});

	// The device reads or writes @len bytes at @iova, starting at @arrival,
	// from or into @data (null: a scratch buffer, for accesses whose bytes
	// do not matter), and waits for it: in cycle mode the simulation runs
	// until it finishes (and whatever else is in flight).  false when a
	// request was refused (the function's error state says why).
	bool access(uint64_t iova, uint64_t len, zpci_dma_dir dir, const sc_core::sc_time &arrival,
		    uint8_t *data = nullptr);
	// Cycle mode: the same access, arriving now; the observer hears of it,
	// by @tag, when it has finished.  @data must live until then.
	void submit(uint64_t iova, uint64_t len, zpci_dma_dir dir, uint64_t tag,
		    uint8_t *data = nullptr);
	void observe(AccessObserver *o) { observer_ = o; }
	// Accesses submitted and not finished.
	size_t in_flight() const { return accesses_.live(); }

	// Have @dtu, the one `dma` is bound to, serve the requests that hit
	// its IOTLB without TLM (Dtu::serve_hit()); the rest still go through
	// `dma`.  Only without a window of outstanding requests: a hit's
	// timing is then a fixed function.
	void serve_hits_through(Dtu &dtu)
	{
		if (p_.outstanding || p_.event_driven)
			throw std::logic_error(std::string(name()) +
					       ": hits served directly need fast mode");
		hits_ = &dtu;
	}

	zpci_func *function() { return f_; }
	const FunctionModelStats &stats() const { return stats_; }
	const Histogram &latency_ns() const { return latency_ns_; }
	// The latency of the last access in kernel time units, exactly; in ns,
	// rounded down.  Time is kept in units, not sc_time, so that a request
	// the DTU serves directly builds no sc_time (a call into SystemC).
	uint64_t last_latency_ticks() const { return last_latency_; }
	uint64_t last_latency_ns() const { return to_ns(last_latency_); }
	// When the last request completed, in kernel time units.
	uint64_t busy_until_ticks() const { return busy_until_; }
	void register_stats(StatsRegistry &reg);
	// Show the device's request interface in @w, strobes a cycle of
	// @clock long: valid while a request waits to be issued or is being
	// issued, ready unless one waits for a slot in the window; requests
	// in flight and waiting; a strobe per response.
	void show_signals(Waveform &w, const sc_core::sc_time &clock);

private:
	// Cycle mode: a request is one of these, with the access it is for.
	struct Request : tlm::tlm_generic_payload {
		uint32_t access;
		sc_core::sc_time issued;
		DtuTrace trace;
		// The payload frees its extensions: this one is a member.
		~Request() override { clear_extension(&trace); }
	};
	struct Access {
		uint64_t iova, len, tag;
		uint8_t *data;
		zpci_dma_dir dir;
		uint32_t inflight;	// requests issued and not answered
		uint32_t walks, memory_refs;
		bool ok;
		sc_core::sc_time arrival, done;
	};
	tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload &trans, tlm::tlm_phase &phase,
					   sc_core::sc_time &delay);
	void pump();
	void issue(uint32_t id);
	void answered(Request &q);
	void finish(uint32_t id);
	void finished(uint64_t arrival, uint64_t done);

	uint64_t request(uint64_t iova, uint8_t *data, uint32_t len, zpci_dma_dir dir,
			 const sc_core::sc_time &now, const sc_core::sc_time &arrival, bool *ok);
	void show_request(const sc_core::sc_time &arrival, const sc_core::sc_time &start,
			  const sc_core::sc_time &end);

	const size_t index_;
	zpci_func *f_;
	ZpciFunctionParams p_;
	// Cycle mode.
	Pool<Access> accesses_;
	std::deque<uint32_t> issuing_;	// accesses with requests to issue, oldest first
	std::vector<std::unique_ptr<Request>> requests_;
	std::vector<Request *> free_requests_;
	uint32_t inflight_ = 0;
	bool pumping_ = false, last_ok_ = true;
	AccessObserver *observer_ = nullptr;
	std::vector<uint8_t> scratch_;
	tlm::tlm_generic_payload trans_;	// reused: building one allocates
	FunctionModelStats stats_;
	Histogram latency_ns_;
	uint64_t last_latency_ = 0, busy_until_ = 0;	// kernel time units
	Dtu *hits_ = nullptr;	// serves hits directly; none: every request goes through `dma`
	sc_core::sc_time ns_;	// built once: sc_time(value, unit) is costly
	struct Signals {
		Waveform *w = nullptr;	// none: nothing to show
		sc_core::sc_time clock;
		Waveform::Signal valid, ready, response, inflight, waiting;
	} wave_;
	// Ticks to ns; SystemC's default resolution (1 ps) by a constant, which
	// compiles to a multiply where a divide costs tens of cycles per access.
	uint64_t to_ns(uint64_t ticks) const
	{
		return ns_.value() == 1000 ? ticks / 1000 : ticks / ns_.value();
	}
};

}  // namespace zpcisim
