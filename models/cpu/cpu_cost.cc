// SPDX-License-Identifier: MIT
#include "cpu/cpu_cost.h"

#include <algorithm>
#include <cmath>

#include <zpci/arch.h>

namespace zpcisim {

uint64_t CpuCost::rpcit(uint64_t len)
{
	uint64_t pages = (len + ZPCI_PAGE_SIZE - 1) >> ZPCI_PAGE_SHIFT;
	uint64_t purged = std::min(pages, purge_max_pages_);
	auto ns = static_cast<uint64_t>(std::llround(p_.rpcit_base_ns + p_.rpcit_per_page_ns * purged));

	stats_.rpcits++;
	stats_.rpcit_pages += pages;
	stats_.rpcit_ns += ns;
	return ns;
}

CpuWork CpuWork::since(const CpuWork &b) const
{
	CpuWork d = *this;

	d.calls -= b.calls;
	d.table_entries -= b.table_entries;
	d.intercepts -= b.intercepts;
	d.entries_read -= b.entries_read;
	d.pages_compared -= b.pages_compared;
	d.pins -= b.pins;
	d.unpins -= b.unpins;
	d.maps -= b.maps;
	d.unmap_calls -= b.unmap_calls;
	return d;
}

CpuTime CpuCost::time(const CpuWork &w) const
{
	CpuTime t;
	double walk = w.entries_read * p_.walk_entry_ns;

	t.guest_ns = w.calls * p_.dma_call_ns + w.table_entries * p_.table_entry_ns;
	t.exit_ns = w.intercepts * p_.sie_exit_ns;
	t.kernel_ns = w.pins * p_.pin_page_ns + w.unpins * p_.unpin_page_ns;
	// QEMU's own IOTLB and its VFIO ioctls; in the kernel the shadow
	// table is the only copy and a map is a store, both in the walk's cost.
	if (w.user_space)
		t.user_ns = w.intercepts * p_.user_exit_ns + walk +
			    w.pages_compared * p_.page_compare_ns +
			    (w.maps + w.unmap_calls) * p_.map_call_ns;
	else
		t.kernel_ns += walk;
	return t;
}

uint64_t CpuCost::intercepts(const CpuWork &w) const
{
	CpuTime t = time(w);

	return static_cast<uint64_t>(std::llround(t.exit_ns + t.kernel_ns + t.user_ns));
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
