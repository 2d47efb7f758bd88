// SPDX-License-Identifier: MIT
// The DTU's parameters, apart from the block's SystemC model: the program reads and
// documents them without loading SystemC (docs/performance.md, start-up).
#pragma once

#include "iotlb/iotlb.h"
#include "params/param.h"
#include "walker/walker_params.h"

namespace zpcisim {

struct DtuParams {
	double clock_ns = 1.0;	// the same as Memory's
	unsigned int iotlb_cycles = 2;
	CacheParams iotlb;
	TableWalkerParams walker;
	bool check_stale = true;
	// Misses in flight, cycle mode: a miss on a page already being walked
	// waits for that walk; one on another page takes a free register, or
	// waits for one.  0: unlimited.
	uint32_t mshrs = 16;
	// Move the device's data.  Off, data accesses are timed but carry no
	// bytes (TLM_IGNORE_COMMAND), so a replay does not fill memory.
	bool move_data = true;
};

template <>
inline constexpr ParamDecl param_keys<DtuParams>[] = {
	clock_period<&DtuParams::clock_ns>(
		"DMA translation unit clock period; assumption: 1 GHz, as the memory's"),
	number<&DtuParams::iotlb_cycles>(
		"iotlb_cycles", "cycles",
		"IOTLB lookup, hit or miss; assumption: 2 (gem5's SMMUv3: micro-TLB 1, main TLB "
		"3)"),
	flag<&DtuParams::check_stale>(
		"check_stale",
		"check every IOTLB hit against the current tables (stale uses counted); "
		"assumption: on, an instrument that takes no simulated time"),
	number<&DtuParams::mshrs>(
		"mshrs", "misses", 0, kConcurrentWalksMax,
		"miss-status holding registers, cycle mode: pages missed and being walked at "
		"once; 0: unlimited; assumption: 16, one per walker"),
	block<&DtuParams::iotlb>(
		"iotlb",
		"IOTLB entries in total; source: gem5's SMMUv3 main TLB, 2048 (zPCI's is not "
		"public)"),
	block<&DtuParams::walker>("walker"),
};

}  // namespace zpcisim
