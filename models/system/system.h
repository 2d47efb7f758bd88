// SPDX-License-Identifier: MIT
// ZpciSystem: the blocks of the DMA path wired together — one ZpciFunction
// per function, the Dtu they share, the Memory behind it — in a SystemC
// kernel context of its own, so that several systems (tests, sweeps) can
// exist one after another in one process.
//
// Timing modes (one functional behaviour, two ways of timing it):
//   cycle  contention is modelled: the memory port's bandwidth, a limited
//          number of table walkers, the function's outstanding requests;
//   fast   fixed latencies, no contention: quicker, for long traces and
//          sweeps.  Translations and counters are the same as in cycle.
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

namespace zpcisim {

enum class TimingMode { Cycle, Fast };

// Every block's parameters, in one place.
struct SystemParams {
	MemoryParams memory;
	DtuParams dtu;
	ZpciFunctionParams function;
	// Write the DTU's signals as a VCD waveform to this file ("": none).
	std::string vcd;
};

template <>
inline constexpr ParamDecl param_keys<SystemParams>[] = {
	block<&SystemParams::memory>("memory"),
	block<&SystemParams::dtu>("dtu"),
	block<&SystemParams::function>("function"),
};

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
	// With a VCD: let simulated time reach @t (never back), before a
	// request arriving then; and after it, record the signals at that time
	// (once per instant: VCD holds one value per time).  The blocks
	// themselves need no kernel time; only the waveform does.
	void advance_to(const sc_core::sc_time &t)
	{
		if (vcd_)
			advance_waveform(t);
	}
	void sample()
	{
		if (vcd_)
			sample_waveform();
	}
	bool tracing() const { return vcd_ != nullptr; }
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

	void advance_waveform(const sc_core::sc_time &t);
	void sample_waveform();

	Kernel kernel_;		// first: the modules below are built in its context
	std::vector<zpci_func *> funcs_;
	std::unique_ptr<Memory> memory_;
	std::unique_ptr<Dtu> dtu_;
	std::vector<std::unique_ptr<ZpciFunction>> functions_;
	StatsRegistry stats_;
	sc_core::sc_trace_file *vcd_ = nullptr;
	sc_core::sc_time sampled_;
	bool sampled_any_ = false;
};

}  // namespace zpcisim
