// SPDX-License-Identifier: MIT
// The flush-tracking IOTLB and the functional zPCI function.
#include <gtest/gtest.h>

#include <map>

#include <zpci/func.h>
#include <zpci/prng.h>

#include "support/function_bench.h"

namespace zpcisim::test {
namespace {

TEST(Ftlb, MatchesAMapUnderInsertsAndRangeFlushes)
{
	zpci_ftlb tlb;
	ASSERT_EQ(zpci_ftlb_init(&tlb), 0);
	std::map<uint64_t, uint64_t> model;	// page -> frame
	zpci_prng r;
	zpci_prng_seed(&r, 8);
	for (int op = 0; op < 50000; op++) {
		uint64_t page = zpci_prng_below(&r, 20000);
		if (zpci_prng_below(&r, 10) < 7) {
			uint64_t frame = zpci_prng_below(&r, 1 << 20) << 12;
			ASSERT_EQ(zpci_ftlb_insert(&tlb, page << 12 | 0x123, frame, false), 0);
			model[page] = frame;
		} else {
			// Mostly small ranges, sometimes sweeping ones.
			uint64_t n = zpci_prng_below(&r, 10) ? 1 + zpci_prng_below(&r, 8)
							     : zpci_prng_below(&r, 30000);
			uint64_t dropped = zpci_ftlb_flush(&tlb, page << 12, n << 12);
			uint64_t want = 0;
			for (auto it = model.lower_bound(page); it != model.end() && it->first < page + n;) {
				it = model.erase(it);
				want++;
			}
			ASSERT_EQ(dropped, want) << "op " << op;
		}
		ASSERT_EQ(zpci_ftlb_used(&tlb), model.size());
	}
	for (uint64_t page = 0; page < 20000; page++) {
		zpci_ftlb_entry e;
		bool hit = zpci_ftlb_lookup(&tlb, page << 12, &e);
		auto it = model.find(page);
		ASSERT_EQ(hit, it != model.end()) << page;
		if (hit) {
			EXPECT_EQ(e.frame, it->second);
		}
	}
	EXPECT_EQ(zpci_ftlb_flush_all(&tlb), model.size());
	EXPECT_EQ(zpci_ftlb_used(&tlb), 0u);
	zpci_ftlb_destroy(&tlb);
}

TEST(Ftlb, RangeReachingTheTopOfTheAddressSpace)
{
	zpci_ftlb tlb;
	ASSERT_EQ(zpci_ftlb_init(&tlb), 0);
	ASSERT_EQ(zpci_ftlb_insert(&tlb, UINT64_MAX & ZPCI_PAGE_MASK, 0x5000, true), 0);
	ASSERT_EQ(zpci_ftlb_insert(&tlb, 0, 0x6000, false), 0);
	EXPECT_EQ(zpci_ftlb_flush(&tlb, UINT64_MAX - 0xfff, UINT64_MAX), 1u);
	zpci_ftlb_entry e;
	EXPECT_TRUE(zpci_ftlb_lookup(&tlb, 0, &e));
	zpci_ftlb_destroy(&tlb);
}

using Func = FunctionBench;
constexpr uint64_t kSdma = FunctionBench::kSdma;

TEST_F(Func, ClpReportsWhatItWasBuiltWith)
{
	zpci_clp_fn fn;
	zpci_clp_group grp;
	ASSERT_EQ(hw_.ops->clp_query_fn(hw_.priv, 0x10, &fn), 0);
	EXPECT_EQ(fn.fh, 0x100u);
	EXPECT_EQ(fn.sdma, kSdma);
	EXPECT_EQ(hw_.ops->clp_query_fn(hw_.priv, 0x11, &fn), -ENODEV);
	ASSERT_EQ(hw_.ops->clp_query_group(hw_.priv, 1, &grp), 0);
	EXPECT_FALSE(grp.refresh);
	EXPECT_EQ(hw_.ops->clp_query_group(hw_.priv, 2, &grp), -ENODEV);
}

TEST_F(Func, EnableGivesTheEnabledHandleAndDisableTakesItBack)
{
	uint32_t fh;
	EXPECT_EQ(rpcit(kSdma, 4096).cc, ZPCI_CC_NOT_OP);	// not enabled
	ASSERT_EQ(hw_.ops->clp_set_fn(hw_.priv, 0x100, true, &fh), 0);
	EXPECT_EQ(fh, 0x100u | ZPCI_FH_ENABLED);
	EXPECT_EQ(hw_.ops->clp_set_fn(hw_.priv, fh, true, &fh), -EIO);	// already enabled
	EXPECT_EQ(hw_.ops->rpcit(hw_.priv, 0x100, kSdma, 4096).cc, ZPCI_CC_NOT_OP);	// stale handle
	ASSERT_EQ(hw_.ops->clp_set_fn(hw_.priv, fh, false, &fh), 0);
	EXPECT_EQ(fh, 0x100u);
}

TEST_F(Func, IotlbServesUntilRpcitDropsExactlyItsRange)
{
	enable_and_register();
	tb_.map_4k(kSdma, 0x200000, false);
	tb_.map_4k(kSdma + 4096, 0x300000, false);
	zpci_func_xlate t;
	zpci_func_translate(&f_, kSdma, ZPCI_DMA_READ, &t);
	EXPECT_FALSE(t.hit);
	zpci_func_translate(&f_, kSdma + 4096, ZPCI_DMA_READ, &t);
	zpci_func_translate(&f_, kSdma + 8, ZPCI_DMA_READ, &t);
	EXPECT_TRUE(t.hit);
	EXPECT_FALSE(t.stale);
	EXPECT_EQ(t.x.addr, 0x200008ULL);

	// The guest remaps page 0 without RPCIT: the device still uses the old frame.
	tb_.map_4k(kSdma, 0x400000, false);
	zpci_func_translate(&f_, kSdma, ZPCI_DMA_READ, &t);
	EXPECT_TRUE(t.hit);
	EXPECT_TRUE(t.stale);
	EXPECT_EQ(t.x.addr, 0x200000ULL);
	EXPECT_EQ(f_.stats.stale_hits, 1u);
	// ... and once the entry says the old frame again, the hit is not stale
	// (the check's remembered walk went with the write).
	tb_.map_4k(kSdma, 0x200000, false);
	zpci_func_translate(&f_, kSdma, ZPCI_DMA_READ, &t);
	EXPECT_FALSE(t.stale);
	tb_.map_4k(kSdma, 0x400000, false);

	EXPECT_EQ(rpcit(kSdma, 4096).cc, ZPCI_CC_OK);
	zpci_func_translate(&f_, kSdma, ZPCI_DMA_READ, &t);
	EXPECT_FALSE(t.hit);
	EXPECT_EQ(t.x.addr, 0x400000ULL);
	zpci_func_translate(&f_, kSdma + 4096, ZPCI_DMA_READ, &t);
	EXPECT_TRUE(t.hit);	// outside the RPCIT range: kept
	EXPECT_EQ(f_.stats.rpcits, 1u);
}

// The stale check remembers each hit's walk while the entries it read hold,
// at every level: a write beside them keeps it; a segment or region entry
// rewritten to a large frame, with its page-table entry untouched, makes
// the next hit stale.
class FuncStaleLevels : public Func, public ::testing::WithParamInterface<int> {};

TEST_P(FuncStaleLevels, StaleCheckFollowsEveryLevelOfTheWalk)
{
	enable_and_register();
	tb_.map_4k(kSdma, 0x200000, false);
	zpci_func_xlate t;
	zpci_func_translate(&f_, kSdma, ZPCI_DMA_READ, &t);	// the miss fills the IOTLB
	zpci_func_translate(&f_, kSdma, ZPCI_DMA_READ, &t);	// the hit's check walks
	ASSERT_TRUE(t.hit);
	EXPECT_FALSE(t.stale);
	tb_.map_4k(kSdma + 4096, 0x300000, false);		// the entry beside it
	zpci_func_translate(&f_, kSdma, ZPCI_DMA_READ, &t);
	ASSERT_TRUE(t.hit);
	EXPECT_FALSE(t.stale);

	if (GetParam() == 1)
		tb_.map_1m(kSdma, 0x500000, false);
	else
		tb_.map_2g(kSdma, 0x80000000, false);
	zpci_func_translate(&f_, kSdma, ZPCI_DMA_READ, &t);
	ASSERT_TRUE(t.hit);
	EXPECT_TRUE(t.stale);
	EXPECT_EQ(t.x.addr, 0x200000ULL);	// the device still uses the cached frame
	EXPECT_EQ(f_.stats.stale_hits, 1u);
}

INSTANTIATE_TEST_SUITE_P(SegmentAndRegion, FuncStaleLevels, ::testing::Values(1, 2));

TEST_F(Func, FaultEntersErrorStateWithAnEventAndBlocksDma)
{
	enable_and_register();
	tb_.map_4k(kSdma, 0x200000, true);
	uint8_t buf[16] = {};
	EXPECT_EQ(zpci_func_dma(&f_, kSdma, buf, sizeof(buf), ZPCI_DMA_READ), 0);
	EXPECT_EQ(zpci_func_dma(&f_, kSdma, buf, sizeof(buf), ZPCI_DMA_WRITE), -EIO);
	ASSERT_EQ(f_.nr_events, 1u);
	EXPECT_EQ(f_.events[0].pec, ZPCI_PEC_TRANSLATION_PROT);
	EXPECT_EQ(f_.events[0].faddr, kSdma);
	EXPECT_TRUE(f_.events[0].write);
	EXPECT_EQ(f_.events[0].fid, 0x10u);
	EXPECT_TRUE(f_.error);

	// Blocked: no more DMA, no second event; RPCIT says "in error".
	EXPECT_EQ(zpci_func_dma(&f_, kSdma, buf, sizeof(buf), ZPCI_DMA_READ), -EIO);
	EXPECT_EQ(f_.nr_events, 1u);
	EXPECT_EQ(f_.stats.blocked_dmas, 1u);
	zpci_insn_result r = rpcit(kSdma, 4096);
	EXPECT_EQ(r.cc, ZPCI_CC_STATUS);
	EXPECT_EQ(r.status, ZPCI_RPCIT_ST_FUNC_IN_ERR);
	zpci_fib fib;
	ASSERT_EQ(hw_.ops->stpcifc(hw_.priv, fh_, &fib).cc, 0);
	EXPECT_TRUE(fib.error);
	EXPECT_TRUE(fib.blocked);

	// Recovery: reset error, then reset block.
	EXPECT_EQ(hw_.ops->mpcifc(hw_.priv, fh_, ZPCI_MOD_FC_RESET_BLOCK, &fib).cc, ZPCI_CC_STATUS);
	EXPECT_EQ(hw_.ops->mpcifc(hw_.priv, fh_, ZPCI_MOD_FC_RESET_ERROR, &fib).cc, 0);
	EXPECT_EQ(hw_.ops->mpcifc(hw_.priv, fh_, ZPCI_MOD_FC_RESET_BLOCK, &fib).cc, 0);
	EXPECT_EQ(zpci_func_dma(&f_, kSdma, buf, sizeof(buf), ZPCI_DMA_READ), 0);
	EXPECT_EQ(f_.stats.dma_read_bytes, 32u);
}

TEST_F(Func, DmaMovesDataAcrossPagesAndCountsBytes)
{
	enable_and_register();
	tb_.map_4k(kSdma, 0x200000, false);
	tb_.map_4k(kSdma + 4096, 0x500000, false);
	std::vector<uint8_t> out(6000), in(6000);
	for (size_t i = 0; i < out.size(); i++)
		out[i] = static_cast<uint8_t>(i * 13);
	ASSERT_EQ(zpci_func_dma(&f_, kSdma + 100, out.data(), out.size(), ZPCI_DMA_WRITE), 0);
	zpci_mem m = mem_.view();
	ASSERT_EQ(zpci_mem_read(&m, 0x200000 + 100, in.data(), 3996), 0);
	ASSERT_EQ(zpci_mem_read(&m, 0x500000, in.data() + 3996, 2004), 0);
	EXPECT_EQ(in, out);
	EXPECT_EQ(f_.stats.dma_write_bytes, 6000u);
}

// An RPCIT the function cannot take is refused as the architecture says.
TEST_F(Func, RpcitIsRefusedByHandleAndErrorState)
{
	EXPECT_EQ(rpcit(kSdma, 4096).cc, ZPCI_CC_NOT_OP);	// not enabled
	enable_and_register();
	EXPECT_TRUE(zpci_func_takes_rpcit(&f_, fh_));
	EXPECT_FALSE(zpci_func_takes_rpcit(&f_, fh_ + 1));
	zpci_func_raise_error(&f_, ZPCI_PEC_SYSTEM_ERROR, 0, false);
	EXPECT_FALSE(zpci_func_takes_rpcit(&f_, fh_));
	zpci_insn_result r = rpcit(kSdma, 4096);
	EXPECT_EQ(r.cc, ZPCI_CC_STATUS);
	EXPECT_EQ(r.status, ZPCI_RPCIT_ST_FUNC_IN_ERR);
	EXPECT_EQ(f_.stats.rpcits, 2u);
}

TEST_F(Func, IoatRegistrationRules)
{
	zpci_fib fib{};
	EXPECT_EQ(hw_.ops->mpcifc(hw_.priv, 0x100, ZPCI_MOD_FC_REG_IOAT, &fib).cc, ZPCI_CC_NOT_OP);
	enable_and_register();
	fib.iota = tb_.iota();
	fib.pba = kSdma;
	fib.pal = kSdma;
	EXPECT_EQ(hw_.ops->mpcifc(hw_.priv, fh_, ZPCI_MOD_FC_REG_IOAT, &fib).cc, ZPCI_CC_STATUS);
	EXPECT_EQ(hw_.ops->mpcifc(hw_.priv, fh_, ZPCI_MOD_FC_REREG_IOAT, &fib).cc, 0);
	EXPECT_EQ(f_.space.pal, kSdma);
	EXPECT_EQ(hw_.ops->mpcifc(hw_.priv, fh_, ZPCI_MOD_FC_DEREG_IOAT, &fib).cc, 0);
	EXPECT_EQ(hw_.ops->mpcifc(hw_.priv, fh_, ZPCI_MOD_FC_DEREG_IOAT, &fib).cc, ZPCI_CC_STATUS);
	zpci_func_xlate t;
	zpci_func_translate(&f_, kSdma, ZPCI_DMA_READ, &t);
	EXPECT_EQ(t.x.pec, ZPCI_PEC_INVALID_AS);
}

}  // namespace
}  // namespace zpcisim::test
