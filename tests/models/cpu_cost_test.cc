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

}  // namespace
}  // namespace zpcisim::test
