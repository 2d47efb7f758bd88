// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "cpu/cpu_cost.h"

namespace zpcisim::test {
namespace {

TEST(CpuCost, RpcitIsBasePlusPagesOfItsRange)
{
	CpuCostParams p;
	p.rpcit_base_ns = 500;
	p.rpcit_per_page_ns = 2.5;
	CpuCost c(p);
	EXPECT_EQ(c.rpcit(4096), 503u);		// 1 page: 502.5 rounds to 503
	EXPECT_EQ(c.rpcit(4097), 505u);		// 2 pages
	EXPECT_EQ(c.rpcit(1ULL << 30), 500u + 655360u);
	EXPECT_EQ(c.stats().rpcits, 3u);
	EXPECT_EQ(c.stats().rpcit_pages, 1u + 2 + 262144);
	EXPECT_EQ(c.stats().rpcit_ns, 503u + 505 + 655860);
}

// Hand-computed from the defaults: exits, walk entries, pins, unpins, maps.
TEST(CpuCost, InterceptsCostExitsWalksPinsAndMapCalls)
{
	CpuCost c;
	CpuWork w;
	w.intercepts = 10;
	w.entries_read = 300;
	w.pins = 100;
	w.unpins = 50;
	w.maps = 100;
	EXPECT_EQ(c.intercepts(w), 10u * 1500 + 300 * 20 + 100 * 170 + 50 * 40);	// in the kernel
	w.user_space = true;
	EXPECT_EQ(c.intercepts(w), 10u * 11500 + 300 * 20 + 100 * 170 + 50 * 40 + 100 * 500);
	EXPECT_EQ(c.pin_all(262144), 262144u * 170);
}

// QEMU's own IOTLB and its ioctls cost only in user space: a page compared
// per page of the range, a map call per map and one per unmap call.
TEST(CpuCost, UserSpacePaysForItsIotlbAndEveryIoctl)
{
	CpuCostParams p;
	p.page_compare_ns = 3;
	p.map_call_ns = 700;
	CpuCost c(p);
	CpuWork w;
	w.intercepts = 1;
	w.entries_read = 10;
	w.pages_compared = 514;
	w.maps = 2;
	w.unmap_calls = 3;
	EXPECT_EQ(c.intercepts(w), 1500u + 10 * 20);	// in the kernel: exit and walk
	w.user_space = true;
	EXPECT_EQ(c.intercepts(w), 11500u + 10 * 20 + 514 * 3 + (2 + 3) * 700);
}

}  // namespace
}  // namespace zpcisim::test
