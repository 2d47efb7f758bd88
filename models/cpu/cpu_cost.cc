// SPDX-License-Identifier: MIT
#include "cpu/cpu_cost.h"

#include <cmath>

#include <zpci/arch.h>

namespace zpcisim {

uint64_t CpuCost::rpcit(uint64_t len)
{
	uint64_t pages = (len + ZPCI_PAGE_SIZE - 1) >> ZPCI_PAGE_SHIFT;
	auto ns = static_cast<uint64_t>(std::llround(p_.rpcit_base_ns + p_.rpcit_per_page_ns * pages));

	stats_.rpcits++;
	stats_.rpcit_pages += pages;
	stats_.rpcit_ns += ns;
	return ns;
}

uint64_t CpuCost::intercepts(const InterceptWork &w) const
{
	double exit = p_.sie_exit_ns + (w.user_space ? p_.user_exit_ns : 0);
	double ns = w.intercepts * exit + w.entries_read * p_.walk_entry_ns +
		    w.pins * p_.pin_page_ns + w.unpins * p_.unpin_page_ns;

	// QEMU's own IOTLB and its VFIO ioctls; in the kernel the shadow
	// table is the only copy and a map is a store, both in the walk's cost.
	if (w.user_space)
		ns += w.pages_compared * p_.page_compare_ns +
		      (w.maps + w.unmap_calls) * p_.map_call_ns;

	return static_cast<uint64_t>(std::llround(ns));
}

uint64_t CpuCost::pin_all(uint64_t pages) const
{
	return static_cast<uint64_t>(std::llround(pages * p_.pin_page_ns));
}

void CpuCost::register_stats(StatsRegistry &reg, const std::string &block)
{
	reg.add(block, "rpcits", &stats_.rpcits, "RPCITs costed");
	reg.add(block, "rpcit_pages", &stats_.rpcit_pages, "4 KiB pages in their ranges");
	reg.add(block, "rpcit_ns", &stats_.rpcit_ns, "CPU time they cost, in ns");
}

}  // namespace zpcisim
