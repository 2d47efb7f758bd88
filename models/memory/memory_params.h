// SPDX-License-Identifier: MIT
// Memory's parameters, apart from the block's SystemC model: the program reads and
// documents them without loading SystemC (docs/performance.md, start-up).
#pragma once

#include "params/param.h"

namespace zpcisim {

struct MemoryParams {
	double clock_ns = 1.0;
	unsigned int latency_cycles = 100;
	unsigned int bytes_per_cycle = 16;
	// Transfers wait for the port (cycle mode); off: fixed latency (fast
	// mode).  Not a key: the mode sets it.
	bool contention = true;
};

template <>
inline constexpr ParamDecl param_keys<MemoryParams>[] = {
	clock_period<&MemoryParams::clock_ns>(
		"clock period of the DMA path; assumption: 1 GHz, the host bridge's clock is not "
		"public"),
	number<&MemoryParams::latency_cycles>(
		"latency_cycles", "cycles",
		"request to first data; assumption: 100 ns at 1 GHz, DRAM-like; no public figure "
		"for a zPCI DMA reaching memory"),
	number<&MemoryParams::bytes_per_cycle>(
		"bytes_per_cycle", "bytes", 1, UINT32_MAX,
		"bandwidth once data flows, cycle mode; derived: 16 B x 1 GHz = 16 GB/s, a z15 "
		"PCIe+ Gen3 fanout (IBM SG24-8851)"),
};

}  // namespace zpcisim
