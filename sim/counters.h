// SPDX-License-Identifier: MIT
// A run's counters as the views read them.  A block's counters are its
// table's (<zpci/counter.h>): a view (the summary, compare, sweep's CSV,
// telemetry) shows those whose declaration names it (ZPCI_SHOW_*), in
// table order, at the block's place.  The models' counters are declared
// the same way where they register (StatsRegistry), and shown in
// registration order at the models' place.  What the views derive from
// counters is defined here, once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zpci/counter.h>

#include "replay.h"

namespace zpcisim {

// A counter a view shows, with its value as reported.
struct Shown {
	const zpci_counter *counter;
	uint64_t value;
};

// The counters of @table over @stats that @view (a ZPCI_SHOW_*) shows.
std::vector<Shown> shown(const zpci_counter *table, const void *stats, unsigned view);

// A run's counters, block by block: the functions' summed
// (Replay::totals()) and the design's hypervisor's.
struct RunCounters {
	FunctionStats fn;
	DesignReport design;

	// The stats struct whose counters @table lists.
	const void *block(const zpci_counter *table) const;
};

// The blocks in the order the tables of runs, compare's and sweep's CSV,
// put their columns.
extern const zpci_counter *const kColumnBlocks[5];

RunCounters run_counters(const Replay &r);
// The same, read back from a run's stats file (replay_json()): what its
// blocks' tables list and the file has.
RunCounters run_counters(const nlohmann::ordered_json &stats);

// A model counter a view shows: the name its registration gives it, and
// its value, summed over the counters shown under that name (a block
// instantiated once per function registers its counters once per function).
struct ModelShown {
	std::string name;
	uint64_t value;
};

// The model counters of @m that @view shows (ZPCI_SHOW_*: any of them
// when several), in registration order.
std::vector<ModelShown> shown(const ModelReport &m, unsigned view);
// The names of the model counters @view shows, known before any run: the
// columns of the views that lay theirs out first (sweep's CSV header,
// compare's table).  The first call builds models of its own, so it must
// not come while a run's are alive: SystemC has one current kernel.
std::vector<std::string> model_columns(unsigned view);
// Entries the table walks fetched per walk (none without walks).
std::optional<double> memory_refs_per_walk(const ModelReport &m);

// The RPCITs the guest's DMA layer issued for its flushes: after
// invalidating entries, after validating them (the refresh bit), and
// global ones; retries after a busy answer not counted.
uint64_t guest_rpcits(const zpci_dma_stats &s);
// The device's translations, and the share its IOTLB gave (none without).
uint64_t translations(const zpci_func_stats &s);
std::optional<double> iotlb_hit_rate(const zpci_func_stats &s);

}  // namespace zpcisim
