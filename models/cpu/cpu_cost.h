// SPDX-License-Identifier: MIT
// CpuCost: the CPU time the DMA path costs, from a table of per-operation
// costs.  Timing of the DMA path itself is the other blocks' business;
// this is what the guest (and, in the intercepting designs, the
// hypervisor) spends issuing it.
//
// Models today: RPCIT executed by the machine (the bare design): a fixed
// part plus a part per 4 KiB page of the range.  The intercepting and
// pinned designs add their costs (SIE exit, exit to user space, software
// walk, pin and unpin) here when they arrive.
#pragma once

#include <cstdint>
#include <string>

#include "stats/stats.h"

namespace zpcisim {

struct CpuCostParams {
	// RPCIT millicode, fixed part.  Assumption: 1 us; no public figure for
	// s390.  For scale, a strict map+unmap on an x86 IOMMU costs about 6,900
	// cycles on bare metal (Amit et al., USENIX ATC 2011).
	double rpcit_base_ns = 1000;
	// RPCIT, per 4 KiB page of its range.  Assumption: 1 ns.
	double rpcit_per_page_ns = 1;
};

struct CpuCostStats {
	uint64_t rpcits = 0;
	uint64_t rpcit_pages = 0;
	uint64_t rpcit_ns = 0;
};

class CpuCost {
public:
	explicit CpuCost(const CpuCostParams &p = {}) : p_(p) {}

	// An RPCIT over @len bytes; returns its cost in ns.
	uint64_t rpcit(uint64_t len);

	const CpuCostParams &params() const { return p_; }
	const CpuCostStats &stats() const { return stats_; }
	void register_stats(StatsRegistry &reg, const std::string &block);

private:
	CpuCostParams p_;
	CpuCostStats stats_;
};

}  // namespace zpcisim
