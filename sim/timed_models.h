// SPDX-License-Identifier: MIT
// The SystemC models behind a timed replay (fast and cycle modes), as the
// replay sees them.  They live in a plugin, libzpcisim-models.so
// (plugin.h), that only a run which builds them loads: the blocks, their
// SystemC kernel and what they link.  Only this interface and plain data
// cross; the blocks' parameters (system/system_params.h) are SystemC-free.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <zpci/counter.h>
#include <zpci/func.h>
#include <zpci/mem.h>

#include "function/access_observer.h"
#include "replay_options.h"

namespace zpcisim {

class StatsRegistry;

// What the models measured (fast and cycle modes).
struct ModelReport {
	uint64_t simulated_ns = 0;	// when the last device request completed
	uint64_t simulated_cycles = 0;	// the same, in DTU clock cycles
	uint64_t requests = 0;
	// The function's counters the models count in its place: the device's
	// translations (zpci_func_counters' entries, with the models' values).
	std::vector<std::pair<const zpci_counter *, uint64_t>> function;
	uint64_t latency_p50_ns = 0, latency_p90_ns = 0, latency_p99_ns = 0, latency_max_ns = 0;
	std::vector<std::pair<uint64_t, uint64_t>> latency_histogram_ns;	// (upper, count)
	// Every block's own counters, named "dtu.iotlb.hits", in registration
	// order, with what their registration says of the views that show them.
	struct Counter {
		std::string name;
		uint64_t value;
		std::string description;
		unsigned show;		// ZPCI_SHOW_*
		std::string shown_as;	// the name those views give it
	};
	std::vector<Counter> counters;
};

// What the models count in the function's place (ModelReport::function).
struct ModelTotals {
	uint64_t iotlb_hits = 0;
	uint64_t iotlb_misses = 0;
	uint64_t stale_hits = 0;
};

// Table walks and the entries they fetched, so far.
struct ModelWalks {
	uint64_t walks = 0;
	uint64_t memory_refs = 0;
};

class TimedModels {
public:
	virtual ~TimedModels() = default;

	// Fast mode: function @fn's device accesses @len bytes at @iova at
	// @time_ns of trace time; false when the function refused it.
	// @latency_ns: from the access to its last completion.
	virtual bool access(uint32_t fn, uint64_t iova, uint64_t len, zpci_dma_dir dir,
			    uint64_t time_ns, uint64_t *latency_ns) = 0;

	// Cycle mode: accesses are submitted and finish later, in simulated
	// time; the observer hears of each (AccessDone's times in kernel
	// ticks, ticks_per_ns() to a ns).
	virtual bool event_driven() const = 0;
	virtual void observe(AccessObserver *o) = 0;	// every function's accesses
	virtual uint64_t ticks_per_ns() const = 0;
	// Run the simulation to @time_ns, then submit the access (@tag: the
	// observer's, 0 for none).
	virtual void submit(uint32_t fn, uint64_t iova, uint64_t len, zpci_dma_dir dir,
			    uint64_t time_ns, uint64_t tag) = 0;
	virtual void run_until(uint64_t time_ns) = 0;
	// Run to the next event; false when there is none.
	virtual bool step() = 0;
	// Run until nothing is in flight.
	virtual void run_all() = 0;
	virtual ModelWalks walks() = 0;
	virtual ModelTotals totals() = 0;
	// All but ModelReport::function, which the caller maps from totals().
	virtual ModelReport report() = 0;
	// The blocks' counters: where another block's (the cost table's) join them.
	virtual StatsRegistry &stats() = 0;
};

// The models over host memory @memory of @size bytes, one function model
// per @funcs (the machine's, which outlive them), timed as @mode says (fast
// or cycle).  Loads the plugin the first time: throws PluginError when it
// cannot, std::bad_alloc, or std::runtime_error (a waveform file refused).
std::unique_ptr<TimedModels> make_timed_models(zpci_mem memory, uint64_t size,
					       const std::vector<zpci_func *> &funcs,
					       const SystemParams &p, ReplayMode mode);

// The plugin's entry: make_timed_models() without the loading.
using MakeTimedModels = TimedModels *(zpci_mem memory, uint64_t size,
				      const std::vector<zpci_func *> &funcs,
				      const SystemParams &p, ReplayMode mode);
constexpr const char *kModelsPlugin = "libzpcisim-models.so";
constexpr const char *kModelsEntry = "zpcisim_make_timed_models";

}  // namespace zpcisim
