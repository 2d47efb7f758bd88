// SPDX-License-Identifier: MIT
// TableWalker's parameters, apart from the block's SystemC model: the program reads and
// documents them without loading SystemC (docs/performance.md, start-up).
#pragma once

#include <cstdint>

#include "iotlb/iotlb.h"
#include "params/param.h"

namespace zpcisim {

// The most walks in flight: each is a slot allocated up front.
constexpr uint32_t kConcurrentWalksMax = 1u << 16;

struct TableWalkerParams {
	uint32_t concurrent_walks = 16;
	// Small: gem5's walk caches are, one per level.
	CacheParams walk_cache{ 64, 4, Replacement::Lru, 1, true };
};

template <>
inline constexpr ParamDecl param_keys<TableWalkerParams>[] = {
	number<&TableWalkerParams::concurrent_walks>(
		"concurrent_walks", "walks", 0, kConcurrentWalksMax,
		"table walks in flight, cycle mode; 0: unlimited; source: gem5's SMMUv3 "
		"ptw_slots, 16"),
	block<&TableWalkerParams::walk_cache>(
		"walk_cache",
		"segment-table entries the walk cache holds; assumption: 64 (gem5's SMMUv3 "
		"next-to-leaf walk cache: 348)"),
};

}  // namespace zpcisim
