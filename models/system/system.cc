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
	p.function.event_driven = mode == TimingMode::Cycle;
	return p;
}

// SystemC keeps one global kernel context; each system gets a fresh one
// and, when it goes, takes only its own.
ZpciSystem::Kernel::Kernel() : context(new sc_core::sc_simcontext)
{
	sc_core::sc_curr_simcontext = context;
	sc_core::sc_default_global_context = context;
}

// Its processes are deleted through the current context, and with none
// current SystemC makes one (leaked): it is current while it goes.
ZpciSystem::Kernel::~Kernel()
{
	sc_core::sc_simcontext *was = sc_core::sc_curr_simcontext;

	sc_core::sc_curr_simcontext = context;
	sc_core::sc_default_global_context = context;
	delete context;
	was = was == context ? nullptr : was;
	sc_core::sc_curr_simcontext = was;
	sc_core::sc_default_global_context = was;
}

ZpciSystem::ZpciSystem(zpci_mem memory, uint64_t memory_size, const std::vector<zpci_func *> &funcs,
		       const SystemParams &p)
	: funcs_(funcs), wave_(p.vcd.empty() ? nullptr : std::make_unique<Waveform>(p.vcd)),
	  memory_(std::make_unique<Memory>("memory", memory, memory_size, p.memory)),
	  dtu_(std::make_unique<Dtu>("dtu", funcs, p.dtu, p.function.event_driven))
{
	// Without contention or a window (fast mode), an IOTLB hit's timing
	// is a fixed function of its length, so the DTU serves hits itself,
	// without TLM; a VCD shows each request's signals, which only the TLM
	// path draws.
	const bool direct = !p.function.event_driven && !p.memory.contention &&
			    !p.function.outstanding && !wave_;

	dtu_->mem.bind(memory_->socket);
	if (direct)
		dtu_->serve_hits_from(*memory_);
	for (size_t i = 0; i < funcs.size(); i++) {
		std::string name = "function" + std::to_string(i);
		functions_.push_back(
			std::make_unique<ZpciFunction>(name.c_str(), i, funcs[i], p.function));
		functions_.back()->dma.bind(dtu_->port(i));
		if (direct)
			functions_.back()->serve_hits_through(*dtu_);
		functions_.back()->register_stats(stats_);
	}
	dtu_->register_stats(stats_);
	memory_->register_stats(stats_);
	if (wave_) {
		sc_core::sc_time clock(p.dtu.clock_ns, sc_core::SC_NS);
		for (auto &f : functions_)
			f->show_signals(*wave_, clock);
		dtu_->show_signals(*wave_);
	}
	// Elaborate and start at time zero.  Fast mode's blocks have no
	// processes (requests are driven from outside with annotated delays),
	// so the kernel never runs again there, and "nothing happened" is no
	// news worth a warning.
	sc_core::sc_report_handler::set_actions(sc_core::SC_ID_NO_SC_START_ACTIVITY_,
						sc_core::SC_DO_NOTHING);
	sc_core::sc_start(sc_core::SC_ZERO_TIME);
}

void ZpciSystem::run_until(const sc_core::sc_time &t)
{
	const sc_core::sc_time &at = sc_core::sc_time_stamp();

	if (t > at)
		sc_core::sc_start(t - at);
	if (sc_core::sc_pending_activity_at_current_time())
		sc_core::sc_start(sc_core::SC_ZERO_TIME);
}

bool ZpciSystem::step()
{
	if (!sc_core::sc_pending_activity())
		return false;
	sc_core::sc_start(sc_core::sc_time_to_pending_activity());
	sc_core::sc_start(sc_core::SC_ZERO_TIME);
	return true;
}

void ZpciSystem::run_all()
{
	sc_core::sc_start();
}

// Modules go before the kernel context they were built in, and the
// functions stop telling a DTU that is gone.
ZpciSystem::~ZpciSystem()
{
	wave_.reset();	// writes what is left
	for (zpci_func *f : funcs_)
		f->hook = zpci_func_flush_hook{ nullptr, nullptr };
	functions_.clear();
	dtu_.reset();
	memory_.reset();
}

}  // namespace zpcisim
