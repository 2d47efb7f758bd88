// SPDX-License-Identifier: MIT
// TableWalker's parameters, apart from the block's SystemC model: the program reads and
// documents them without loading SystemC (docs/performance.md, start-up).
#pragma once

#include <cstdint>

#include <zpci/xlate.h>

#include "iotlb/iotlb.h"
#include "params/param.h"

namespace zpcisim {

// The most walks in flight: each is a slot allocated up front.
constexpr uint32_t kConcurrentWalksMax = 1u << 16;

// The levels a walk cache can hold: every one above the page table.
constexpr int kCachedLevels = ZPCI_LEVEL_PX;

// One dimension's walk caches: entries per level (0: no cache there), and
// a shape they share, as gem5's SMMUv3 sizes its walk cache per level.
struct WalkCacheParams {
	uint32_t rfx = 4;
	uint32_t rsx = 4;
	uint32_t rtx = 28;
	uint32_t sx = 64;
	uint32_t assoc = 4;
	Replacement policy = Replacement::Lru;
	uint64_t seed = 1;
	bool enabled = true;
	CacheIndex index = CacheIndex::XorFhReversed;

	// The cache of @level, entries 0 when there is none.
	CacheParams level(zpci_level level) const;
};

template <>
inline constexpr ParamDecl param_keys<WalkCacheParams>[] = {
	// Sizes per dimension: the holder's block<> key says them.
	number<&WalkCacheParams::rfx>("rfx", "entries", 0, kCacheEntriesMax, nullptr),
	number<&WalkCacheParams::rsx>("rsx", "entries", 0, kCacheEntriesMax, nullptr),
	number<&WalkCacheParams::rtx>("rtx", "entries", 0, kCacheEntriesMax, nullptr),
	number<&WalkCacheParams::sx>("sx", "entries", 0, kCacheEntriesMax, nullptr),
	number<&WalkCacheParams::assoc>(
		"assoc", "ways",
		"ways per set of each level's cache; 0: fully associative; source: gem5's SMMUv3 "
		"walk_assoc, 4"),
	choice<&WalkCacheParams::policy>(
		"replacement", replacement_names,
		"replacement policy; assumption: LRU (gem5's SMMUv3 uses round-robin)"),
	number<&WalkCacheParams::seed>(
		"seed", "",
		"seed of random replacement; assumption: any fixed seed, for repeatable runs"),
	flag<&WalkCacheParams::enabled>(
		"enabled", "off: no level is cached; assumption: on, as gem5's SMMUv3 walk_enable"),
	choice<&WalkCacheParams::index>(
		"index", cache_index_names,
		"set index of each level's cache, as iotlb.index; assumption: xor-fh-reversed"),
};

struct TableWalkerParams {
	uint32_t concurrent_walks = 16;
	WalkCacheParams guest_walk_cache;
	WalkCacheParams host_walk_cache{ 4, 4, 28, 92 };
	CacheParams stage2_cache{ 128, 4, Replacement::Lru, 1, true };
};

template <>
inline constexpr ParamDecl param_keys<TableWalkerParams>[] = {
	number<&TableWalkerParams::concurrent_walks>(
		"concurrent_walks", "walks", 0, kConcurrentWalksMax,
		"table walks in flight, cycle mode; 0: unlimited; source: gem5's SMMUv3 "
		"ptw_slots, 16"),
	block<&TableWalkerParams::guest_walk_cache>(
		"guest_walk_cache",
		"entries of the walk cache of this level (region-first, -second, -third, "
		"segment) of the table the IOAT designates, the guest's when nested; 0: none; "
		"assumption: rfx, rsx 4 and rtx 28 as gem5's SMMUv3 walk_S1L0 and walk_S1L1, "
		"sx 64, smaller on purpose than its next-to-leaf walk_S1L2 (348)"),
	block<&TableWalkerParams::host_walk_cache>(
		"host_walk_cache",
		"entries of the walk cache of this level (region-first, -second, -third, "
		"segment) of the host's table, nested walks only; 0: none; source: gem5's "
		"SMMUv3 stage-2 walk caches walk_S2L0 (rfx, rsx 4), walk_S2L1 (rtx 28), "
		"walk_S2L2 (sx 92)"),
	block<&TableWalkerParams::stage2_cache>(
		"stage2_cache",
		"guest-physical pages whose host frame a nested walk caches (guest table pages "
		"and guest frames); source: gem5's SMMUv3 IPA cache, ipa_entries 128 (off by "
		"default there)"),
};

}  // namespace zpcisim
