// SPDX-License-Identifier: MIT
// ZpciSystem: the blocks of the DMA path wired together — one ZpciFunction
// per function, the Dtu they share, the Memory behind it — in a SystemC
// kernel context of its own, so that several systems (tests, sweeps) can
// exist one after another in one process.
//
// Timing modes (one functional behaviour, two ways of timing it):
//   cycle  event-driven, on SystemC's clock: each request's lookup, walk
//          and data transfer are events; contention is modelled (the
//          memory port's bandwidth, walkers, miss registers, the
//          function's outstanding requests), and invalidations act at the
//          time the driver issues them, on what is then in flight;
//   fast   loosely timed: fixed latencies, no contention, the kernel never
//          runs; quicker, for long traces and sweeps.  Translations are the
//          same as in cycle; docs/models.md says how far its times are.
#pragma once

#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include <zpci/func.h>

#include "dtu/dtu.h"
#include "function/zpci_function.h"
#include "memory/memory.h"
#include "stats/stats.h"
#include "system/system_params.h"
#include "waveform/waveform.h"

namespace zpcisim {

enum class TimingMode { Cycle, Fast };

// The parameters @mode implies on top of @p.
SystemParams apply_mode(SystemParams p, TimingMode mode);

class ZpciSystem {
public:
	// @funcs are the functions' architected states (owned by the caller),
	// nested over a host table where they say so.
	ZpciSystem(zpci_mem memory, uint64_t memory_size, const std::vector<zpci_func *> &funcs,
		   const SystemParams &p);
	~ZpciSystem();

	ZpciFunction &function(size_t i) { return *functions_[i]; }
	// With a VCD: no request arrives before @t any more, so the waveform
	// up to it is final.
	void advance_to(const sc_core::sc_time &t)
	{
		if (wave_)
			wave_->settle(t);
	}
	bool tracing() const { return wave_ != nullptr; }
	// Cycle mode: run the simulation up to and including what is due at
	// @t (the device finishing at @t is what a driver acting at @t saw),
	// or until nothing is in flight.
	void run_until(const sc_core::sc_time &t);
	void run_all();
	// Run the events of the next time anything is due; false if nothing is.
	bool step();
	size_t functions() const { return functions_.size(); }
	Dtu &dtu() { return *dtu_; }
	Memory &memory() { return *memory_; }
	StatsRegistry &stats() { return stats_; }

private:
	struct Kernel {
		Kernel();
		~Kernel();
		sc_core::sc_simcontext *context;
	};

	Kernel kernel_;		// first: the modules below are built in its context
	std::vector<zpci_func *> funcs_;
	// Before the blocks: failing to open it leaves no DTU hooked to a function.
	std::unique_ptr<Waveform> wave_;
	std::unique_ptr<Memory> memory_;
	std::unique_ptr<Dtu> dtu_;
	std::vector<std::unique_ptr<ZpciFunction>> functions_;
	StatsRegistry stats_;
};

}  // namespace zpcisim
