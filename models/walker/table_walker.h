// SPDX-License-Identifier: MIT
// TableWalker: the DTU's hardware walker.
//
// Models: the zPCI table walk one timed entry fetch at a time (through an
// EntryReader: the Memory block in the models, anything in tests); a walk
// cache of segment-table entries, so a walk that hits it fetches only the
// page-table entry; a limited number of walks in flight, later ones
// queueing for a free walker; and the 2-D walk of the nested design, where
// every guest-physical table address and the final frame are themselves
// translated by a walk of the host's table.  The meaning of each entry
// comes from the architecture core (zpci_walk_entry), shared with the
// reference translator.
// Does not model: prefetching of neighbouring entries, a cache of host
// translations during 2-D walks (each costs a full host walk).
#pragma once

#include <cstdint>
#include <systemc>
#include <vector>

#include <zpci/xlate.h>

#include "iotlb/iotlb.h"
#include "walker/walker_params.h"
#include "stats/stats.h"

namespace zpcisim {

// Where the walker fetches entries from, and what each fetch costs.
class EntryReader {
public:
	virtual ~EntryReader() = default;
	// Read the entry at host-physical @addr, issued at @when; adds the
	// access time to @delay.  false when the address is not memory.
	virtual bool read_entry(uint64_t addr, const sc_core::sc_time &when, uint64_t *entry,
				sc_core::sc_time &delay) = 0;
};

struct WalkerStats {
	uint64_t walks = 0;
	uint64_t nested_walks = 0;
	uint64_t memory_refs = 0;	// entry fetches, host walks included
	uint64_t faults = 0;
	uint64_t queued = 0;		// walks that waited for a free walker
	uint64_t queue_cycles = 0;	// ... and for how long, in total (clock cycles)
	uint64_t walk_cache_hits = 0;	// walks that started at the page table
};

struct WalkResult {
	zpci_fault fault = ZPCI_FAULT_NONE;
	bool host_fault = false;	// nested: the host's table refused
	uint64_t addr = 0;		// host-physical
	bool readonly = false;
	uint32_t memory_refs = 0;
	bool walk_cache_hit = false;
	sc_core::sc_time latency;	// from the request to the result
	// The walker that took it (-1: walkers unlimited), and when, after any
	// wait for it.
	int slot = -1;
	sc_core::sc_time start;
};

class TableWalker {
public:
	TableWalker(const TableWalkerParams &p, const sc_core::sc_time &clock);

	// Translate @iova of function @fh for a @dir access arriving at @when.
	// @host: the host's table for a nested (2-D) walk, or null.
	WalkResult walk(uint32_t fh, const zpci_dma_space &space, const zpci_dma_space *host,
			uint64_t iova, zpci_dma_dir dir, EntryReader &mem, const sc_core::sc_time &when);

	// What an RPCIT or IOAT change drops from the walk cache.
	void invalidate(uint32_t fh, uint64_t iova, uint64_t len);
	void invalidate_function(uint32_t fh);

	const WalkerStats &stats() const { return stats_; }
	// Walkers, each one walk at a time (0: unlimited).
	size_t slots() const { return busy_until_.size(); }
	const CacheStats &walk_cache_stats() const { return walk_cache_.stats(); }
	void register_stats(StatsRegistry &reg, const std::string &block);

private:
	struct Fetch;
	bool fetch(Fetch &f, uint64_t gaddr, uint64_t *entry);
	bool host_translate(Fetch &f, uint64_t gpa, zpci_dma_dir dir, uint64_t *hpa);
	void one_d(Fetch &f, const zpci_dma_space &space, uint64_t iova, zpci_dma_dir dir,
		   bool use_walk_cache, uint32_t fh, WalkResult &r);

	TableWalkerParams p_;
	sc_core::sc_time clock_;
	TaggedCache walk_cache_;
	std::vector<sc_core::sc_time> busy_until_;	// per walker
	WalkerStats stats_;
};

}  // namespace zpcisim
