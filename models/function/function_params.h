// SPDX-License-Identifier: MIT
// ZpciFunction's parameters, apart from the block's SystemC model: the program reads and
// documents them without loading SystemC (docs/performance.md, start-up).
#pragma once

#include <cstdint>

#include "params/param.h"

namespace zpcisim {

// The most requests in flight: each is a slot allocated up front; PCIe's
// 10-bit tags allow 768 reads.
constexpr uint32_t kOutstandingMax = 1u << 16;

struct ZpciFunctionParams {
	uint32_t outstanding = 8;	// a small device queue
	// Requests are AT transactions on SystemC's clock (cycle mode), not
	// b_transport calls.  Not a key: the mode sets it.
	bool event_driven = false;
};

template <>
inline constexpr ParamDecl param_keys<ZpciFunctionParams>[] = {
	number<&ZpciFunctionParams::outstanding>(
		"outstanding", "requests", 0, kOutstandingMax,
		"device DMA requests in flight, cycle mode; 0: unlimited; assumption: 8, a small "
		"device queue (PCIe allows 32 reads, 256 with extended tags)"),
};

}  // namespace zpcisim
