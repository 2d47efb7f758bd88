// SPDX-License-Identifier: MIT
#include "system/system.h"

#include <string>

namespace zpcisim {

SystemParams apply_mode(SystemParams p, TimingMode mode)
{
	if (mode == TimingMode::Fast) {
		p.memory.contention = false;
		p.dtu.walker.concurrent_walks = 0;
		p.function.outstanding = 0;
	}
	return p;
}

// SystemC keeps one global kernel context; each system gets a fresh one
// and, when it goes, takes only its own.
ZpciSystem::Kernel::Kernel() : context(new sc_core::sc_simcontext)
{
	sc_core::sc_curr_simcontext = context;
	sc_core::sc_default_global_context = context;
}

ZpciSystem::Kernel::~Kernel()
{
	if (sc_core::sc_curr_simcontext == context) {
		sc_core::sc_curr_simcontext = nullptr;
		sc_core::sc_default_global_context = nullptr;
	}
	delete context;
}

ZpciSystem::ZpciSystem(zpci_mem memory, uint64_t memory_size, const std::vector<zpci_func *> &funcs,
		       const SystemParams &p)
	: funcs_(funcs), memory_(std::make_unique<Memory>("memory", memory, memory_size, p.memory)),
	  dtu_(std::make_unique<Dtu>("dtu", funcs, p.dtu))
{
	dtu_->mem.bind(memory_->socket);
	for (size_t i = 0; i < funcs.size(); i++) {
		std::string name = "function" + std::to_string(i);
		functions_.push_back(std::make_unique<ZpciFunction>(name.c_str(), funcs[i], p.function));
		functions_.back()->dma.bind(dtu_->port(i));
		functions_.back()->register_stats(stats_);
	}
	dtu_->register_stats(stats_);
	memory_->register_stats(stats_);
	if (!p.vcd.empty()) {
		// SystemC adds ".vcd" itself.
		std::string base = p.vcd.size() > 4 && p.vcd.compare(p.vcd.size() - 4, 4, ".vcd") == 0
					   ? p.vcd.substr(0, p.vcd.size() - 4)
					   : p.vcd;
		vcd_ = sc_core::sc_create_vcd_trace_file(base.c_str());
		vcd_->set_time_unit(1, sc_core::SC_NS);
		dtu_->trace(vcd_);
	}
	// Elaborate and start at
	// time zero.  The blocks have no processes: requests are driven from
	// outside with annotated delays, so the kernel never needs to run again,
	// and "nothing happened" is no news worth a warning.
	sc_core::sc_report_handler::set_actions(sc_core::SC_ID_NO_SC_START_ACTIVITY_,
						sc_core::SC_DO_NOTHING);
	sc_core::sc_start(sc_core::SC_ZERO_TIME);
}

void ZpciSystem::advance_waveform(const sc_core::sc_time &t)
{
	if (t > sc_core::sc_time_stamp())
		sc_core::sc_start(t - sc_core::sc_time_stamp());
}

void ZpciSystem::sample_waveform()
{
	if (sampled_any_ && sc_core::sc_time_stamp() <= sampled_)
		return;
	sc_core::sc_start(sc_core::SC_ZERO_TIME);
	sampled_ = sc_core::sc_time_stamp();
	sampled_any_ = true;
}

// Modules go before the kernel context they were built in, and the
// functions stop telling a DTU that is gone.
ZpciSystem::~ZpciSystem()
{
	if (vcd_)
		sc_core::sc_close_vcd_trace_file(vcd_);
	for (zpci_func *f : funcs_)
		f->hook = zpci_func_flush_hook{ nullptr, nullptr };
	functions_.clear();
	dtu_.reset();
	memory_.reset();
}

}  // namespace zpcisim
