// SPDX-License-Identifier: MIT
// The plugin libzpcisim-models.so: the SystemC models behind TimedModels
// (timed_models.h), built over ZpciSystem.  Everything it links is its own
// (hidden); its one export is the entry make_timed_models() calls.
#include <algorithm>
#include <optional>

#include "stats/histogram.h"
#include "system/system.h"
#include "time/periods.h"
#include "timed_models.h"

namespace zpcisim {

namespace {

class SystemModels final : public TimedModels {
public:
	SystemModels(zpci_mem memory, uint64_t size, const std::vector<zpci_func *> &funcs,
		     const SystemParams &p)
		: system_(memory, size, funcs, p),
		  ns_(sc_core::sc_time(1, sc_core::SC_NS), kTabledNs),
		  event_driven_(p.function.event_driven)
	{
	}

	bool access(uint32_t fn, uint64_t iova, uint64_t len, zpci_dma_dir dir, uint64_t time_ns,
		    uint64_t *latency_ns) override
	{
		sc_core::sc_time at = kernel_time(time_ns);
		ZpciFunction &f = system_.function(fn);

		system_.advance_to(at);
		bool ok = f.access(iova, len, dir, at);
		*latency_ns = f.last_latency_ns();
		return ok;
	}

	bool event_driven() const override { return event_driven_; }
	void observe(AccessObserver *o) override
	{
		for (size_t i = 0; i < system_.functions(); i++)
			system_.function(i).observe(o);
	}
	uint64_t ticks_per_ns() const override { return ns_.ticks(); }
	void submit(uint32_t fn, uint64_t iova, uint64_t len, zpci_dma_dir dir, uint64_t time_ns,
		    uint64_t tag) override
	{
		system_.run_until(kernel_time(time_ns));
		system_.function(fn).submit(iova, len, dir, tag);
	}
	void run_until(uint64_t time_ns) override { system_.run_until(kernel_time(time_ns)); }
	bool step() override { return system_.step(); }
	void run_all() override { system_.run_all(); }

	ModelWalks walks() override
	{
		const WalkerStats &w = dtu().walker_stats();
		return { w.walks, w.memory_refs };
	}

	ModelTotals totals() override
	{
		return { dtu().iotlb_stats().hits, dtu().iotlb_stats().misses, dtu().stats().stale_hits };
	}

	ModelReport report() override;
	StatsRegistry &stats() override { return system_.stats(); }

private:
	// Kernel time of a step below this many ns is a look-up.
	static constexpr uint64_t kTabledNs = 4096;

	Dtu &dtu() { return system_.dtu(); }
	sc_core::sc_time kernel_time(uint64_t time);

	ZpciSystem system_;
	Periods ns_;
	bool event_driven_;
	sc_core::sc_time kernel_at_;	// the last device access's time, as kernel time
	uint64_t kernel_ns_ = 0;	// and in ns
};

// @time (ns) as kernel time.  Records come in time order, mostly a few
// microseconds apart: a step from the last record's time is a look-up.
sc_core::sc_time SystemModels::kernel_time(uint64_t time)
{
	if (time < kernel_ns_)
		return ns_(time);
	kernel_at_ += ns_(time - kernel_ns_);
	kernel_ns_ = time;
	return kernel_at_;
}

ModelReport SystemModels::report()
{
	ModelReport r;
	Histogram latency;

	for (size_t i = 0; i < system_.functions(); i++) {
		const ZpciFunction &fn = system_.function(i);
		latency.merge(fn.latency_ns());
		r.simulated_ns = std::max<uint64_t>(r.simulated_ns,
						    fn.busy_until_ticks() / ns_.ticks());
	}
	r.simulated_cycles = r.simulated_ns / dtu().clock_ns();
	r.requests = dtu().stats().requests;
	r.latency_histogram_ns = latency.buckets();
	r.latency_p50_ns = latency.percentile(0.50);
	r.latency_p90_ns = latency.percentile(0.90);
	r.latency_p99_ns = latency.percentile(0.99);
	r.latency_max_ns = latency.max();
	for (const StatsRegistry::Counter &c : system_.stats().all())
		r.counters.push_back({ c.name, *c.value, c.description, c.show, c.shown_as });
	return r;
}

SystemParams timed(SystemParams p, ReplayMode mode)
{
	p.dtu.move_data = false;	// timing only: memory does not fill up
	return apply_mode(p, mode == ReplayMode::Fast ? TimingMode::Fast : TimingMode::Cycle);
}

}  // namespace

}  // namespace zpcisim

extern "C" __attribute__((visibility("default"))) zpcisim::TimedModels *
zpcisim_make_timed_models(zpci_mem memory, uint64_t size, const std::vector<zpci_func *> &funcs,
			  const zpcisim::SystemParams &p, zpcisim::ReplayMode mode)
{
	return new zpcisim::SystemModels(memory, size, funcs, zpcisim::timed(p, mode));
}

// libsystemc's own main() calls sc_main(), so the library needs one to
// load; zpcisim has its own main() and never runs SystemC's.
extern "C" __attribute__((visibility("default"))) int sc_main(int, char **)
{
	return 1;
}
