// SPDX-License-Identifier: MIT
// TableWalker: the DTU's hardware walker.
//
// Models: the zPCI table walk one timed entry fetch at a time (through an
// EntryReader: the Memory block in the models, anything in tests); a
// limited number of walks in flight, later ones queueing for a free walker;
// and the 2-D walk of the nested design, where every guest-physical table
// address and the final frame are themselves translated by the host's
// table.  Caches, each sized by a parameter: per dimension (the table the
// IOAT designates, "guest"; in a nested walk also the host's table,
// "host") a walk cache per level above the page table, holding that
// level's entries (the next table's origin, or a large frame that ends the
// walk) by the address range each covers, looked up deepest level first as
// gem5's SMMUv3 and VT-d's paging-structure caches are; and in nested walks
// a stage-2 cache of guest-physical page -> host frame, for the guest's
// table pages and frames.  Memory references are counted per dimension and
// level.  The meaning of each entry comes from the architecture core
// (zpci_walk_entry), shared with the reference translator.
// Does not model: prefetching of neighbouring entries, walk-cache lookup
// time (a hit costs nothing but the fetches it does not save), a combined
// cache of guest entries with host-physical origins.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
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

// The two dimensions of a walk: the table the function's IOAT designates
// (the guest's, in a nested walk; the only one in a 1-D walk), and the
// host's table a nested walk translates guest-physical addresses through.
enum class WalkDim { Guest, Host };
constexpr int kWalkDims = 2;

struct WalkerStats {
	uint64_t walks = 0;
	uint64_t nested_walks = 0;
	uint64_t memory_refs = 0;	// entry fetches, host walks included
	// ... by dimension and level of the entry fetched; they sum to it.
	uint64_t refs[kWalkDims][ZPCI_NR_LEVELS] = {};
	uint64_t faults = 0;
	uint64_t queued = 0;		// walks that waited for a free walker
	uint64_t queue_cycles = 0;	// ... and for how long, in total (clock cycles)
	uint64_t walk_cache_hits = 0;	// walks whose guest dimension started below its top
};

struct WalkResult {
	zpci_fault fault = ZPCI_FAULT_NONE;
	bool host_fault = false;	// nested: the host's table refused
	uint64_t addr = 0;		// host-physical
	bool readonly = false;
	uint32_t memory_refs = 0;
	bool walk_cache_hit = false;	// the guest dimension's walk cache gave an entry
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

	// An RPCIT: drops the guest dimension's entries for the range.
	void invalidate(uint32_t fh, uint64_t iova, uint64_t len);
	// An IOAT change, a disable, a new host table: drops all of @fh's.
	void invalidate_function(uint32_t fh);

	const WalkerStats &stats() const { return stats_; }
	// Walkers, each one walk at a time (0: unlimited).
	size_t slots() const { return busy_until_.size(); }
	// The walk cache of @level in @dim, or null when there is none.
	const TaggedCache *walk_cache(WalkDim dim, zpci_level level) const;
	const TaggedCache *stage2_cache() const { return stage2_ ? &*stage2_ : nullptr; }
	void register_stats(StatsRegistry &reg, const std::string &block);

private:
	struct Fetch;
	using LevelCaches = std::array<std::optional<TaggedCache>, kCachedLevels>;

	bool fetch(Fetch &f, WalkDim dim, zpci_level level, uint64_t gaddr, uint64_t *entry);
	bool host_translate(Fetch &f, uint64_t gpa, zpci_dma_dir dir, uint64_t *hpa);
	void one_d(Fetch &f, WalkDim dim, const zpci_dma_space &space, uint64_t iova,
		   zpci_dma_dir dir, WalkResult &r);
	bool cached_entry(WalkDim dim, uint32_t fh, uint64_t iova, zpci_walk &w, uint64_t *entry);
	void remember(WalkDim dim, uint32_t fh, uint64_t iova, zpci_level level, uint64_t entry,
		      bool readonly);

	TableWalkerParams p_;
	sc_core::sc_time clock_;
	LevelCaches walk_caches_[kWalkDims];
	std::optional<TaggedCache> stage2_;
	std::vector<sc_core::sc_time> busy_until_;	// per walker
	WalkerStats stats_;
};

}  // namespace zpcisim
