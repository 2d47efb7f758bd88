// SPDX-License-Identifier: MIT
// The DMA path assembled: ZpciFunction -> Dtu -> Memory, with the
// functional function's architected state.  Latencies against the formulas
// of the parameters; faults against the reference translator's classes.
#include <gtest/gtest.h>

#include <zpci/func.h>

#include "support/table_builder.h"
#include "system/system.h"

namespace zpcisim::test {
namespace {

constexpr uint64_t kSdma = 0x100000000ULL;
constexpr uint64_t kMem = 64ULL << 20;

class DmaPath : public ::testing::Test {
protected:
	DmaPath() : mem_(kMem), tb_(mem_.view(), 0x10000)
	{
		zpci_func_cfg fc{ 0x10, 0x100, 1, kSdma, kSdma + (1ULL << 30) - 1, false, false };
		EXPECT_EQ(zpci_func_init(&f_, &fc, mem_.view(), kMem), 0);
		zpci_hw hw = zpci_func_hw(&f_);
		EXPECT_EQ(hw.ops->clp_set_fn(hw.priv, 0x100, true, &fh_), 0);
		zpci_fib fib{};
		fib.pba = kSdma;
		fib.pal = kSdma + (1ULL << 30) - 1;
		fib.iota = tb_.iota();
		EXPECT_EQ(hw.ops->mpcifc(hw.priv, fh_, ZPCI_MOD_FC_REG_IOAT, &fib).cc, 0);
	}
	~DmaPath() override
	{
		sys_.reset();
		zpci_func_destroy(&f_);
	}

	void build(TimingMode mode, SystemParams p = {})
	{
		sys_.reset();	// one SystemC kernel at a time
		sys_ = std::make_unique<ZpciSystem>(mem_.view(), kMem, std::vector<zpci_func *>{ &f_ },
						    apply_mode(p, mode));
	}

	// Latency in ns of one access of @len bytes at @iova, arriving at @t_us.
	uint64_t access_ns(uint64_t iova, uint64_t len, zpci_dma_dir dir, double t_us)
	{
		ZpciFunction &fn = sys_->function(0);
		EXPECT_TRUE(fn.access(iova, len, dir, sc_core::sc_time(t_us, sc_core::SC_US)));
		return static_cast<uint64_t>(fn.last_latency().to_seconds() * 1e9 + 0.5);
	}

	SparseMem mem_;
	TableBuilder tb_;
	zpci_func f_{};
	uint32_t fh_ = 0;
	std::unique_ptr<ZpciSystem> sys_;
};

// Defaults: 1 ns cycles; IOTLB 2 cycles; memory 100 cycles + 16 B/cycle.
// An 8-byte entry fetch: 100 + 1.  A 64-byte data access: 100 + 4.
TEST_F(DmaPath, LatencyOfHitMissAndWalkCacheHitFollowTheFormula)
{
	tb_.map_4k(kSdma, 0x200000, false);
	tb_.map_4k(kSdma + 4096, 0x300000, false);
	build(TimingMode::Fast);
	const uint64_t entry = 101, data = 104, lookup = 2;
	EXPECT_EQ(access_ns(kSdma, 64, ZPCI_DMA_READ, 1), lookup + 3 * entry + data);	// full walk
	EXPECT_EQ(access_ns(kSdma + 8, 64, ZPCI_DMA_READ, 2), lookup + data);		// IOTLB hit
	EXPECT_EQ(access_ns(kSdma + 4096, 64, ZPCI_DMA_READ, 3), lookup + entry + data);	// walk cache
	EXPECT_EQ(sys_->dtu().iotlb_stats().hits, 1u);
	EXPECT_EQ(sys_->dtu().walker_stats().walk_cache_hits, 1u);
	EXPECT_EQ(sys_->dtu().walker_stats().memory_refs, 3u + 1);
	EXPECT_EQ(sys_->function(0).latency_ns().count(), 3u);
}

// Nested over a host table: a miss costs (3+1)(3+1)-1 = 15 entry fetches.
TEST_F(DmaPath, TwoDimensionalMissCostsFifteenFetches)
{
	// The host maps guest-physical = host-physical for the first 64 MiB.
	TableBuilder host_tb(mem_.view(), 32ULL << 20);
	for (uint64_t g = 0; g < kMem; g += 4096)
		host_tb.map_4k(g, g, false);
	zpci_dma_space host{ host_tb.iota(), 0, kMem - 1, false };
	tb_.map_4k(kSdma, 0x200000, false);
	SystemParams p;
	p.dtu.walker.walk_cache.enabled = false;
	sys_.reset();
	zpci_func_set_nested(&f_, &host);
	sys_ = std::make_unique<ZpciSystem>(mem_.view(), kMem, std::vector<zpci_func *>{ &f_ },
					    apply_mode(p, TimingMode::Fast));
	EXPECT_EQ(access_ns(kSdma, 64, ZPCI_DMA_WRITE, 1), 2 + 15 * 101 + 104);
	EXPECT_EQ(sys_->dtu().walker_stats().memory_refs, 15u);
	EXPECT_EQ(sys_->dtu().walker_stats().nested_walks, 1u);
	// The functional function translates the same way, by its reference.
	zpci_func_xlate t;
	zpci_func_peek(&f_, kSdma + 8, ZPCI_DMA_WRITE, &t);
	EXPECT_EQ(t.x.fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(t.x.addr, 0x200008u);
}

// Every translation fault class: the error event the reference names.
TEST_F(DmaPath, FaultsRaiseTheReferenceErrorEvent)
{
	tb_.map_4k(kSdma, 0x200000, true);	// read-only
	uint64_t ste = tb_.read(tb_.rtto() + zpci_rtx(kSdma) * 8) & ZPCI_RTE_ADDR_MASK;
	tb_.write(ste + 8, 0x30804);	// segment 1: wrong table type
	const struct {
		uint64_t iova;
		zpci_dma_dir dir;
		zpci_pec pec;
	} cases[] = {
		{ kSdma, ZPCI_DMA_WRITE, ZPCI_PEC_TRANSLATION_PROT },
		{ kSdma + 4096, ZPCI_DMA_READ, ZPCI_PEC_INVALID_ENTRY },
		{ kSdma + (1 << 20), ZPCI_DMA_READ, ZPCI_PEC_TABLE_TYPE },
		{ kSdma - 4096, ZPCI_DMA_READ, ZPCI_PEC_OUT_OF_RANGE },
	};
	zpci_hw hw = zpci_func_hw(&f_);
	for (const auto &c : cases) {
		build(TimingMode::Cycle);
		EXPECT_FALSE(sys_->function(0).access(c.iova, 64, c.dir, sc_core::SC_ZERO_TIME));
		ASSERT_GE(f_.nr_events, 1u);
		EXPECT_EQ(f_.events[f_.nr_events - 1].pec, c.pec) << std::hex << c.iova;
		EXPECT_EQ(f_.events[f_.nr_events - 1].faddr, c.iova);
		EXPECT_TRUE(f_.blocked);
		// Blocked: the next access is refused without another event.
		size_t events = f_.nr_events;
		EXPECT_FALSE(sys_->function(0).access(kSdma, 64, ZPCI_DMA_READ, sc_core::SC_ZERO_TIME));
		EXPECT_EQ(f_.nr_events, events);
		EXPECT_EQ(sys_->dtu().stats().blocked, 1u);
		zpci_fib none{};
		hw.ops->mpcifc(hw.priv, fh_, ZPCI_MOD_FC_RESET_ERROR, &none);
		hw.ops->mpcifc(hw.priv, fh_, ZPCI_MOD_FC_RESET_BLOCK, &none);
	}
}

// An RPCIT through the function's hw ops drops the model's IOTLB entry; a
// remap without one leaves the stale translation in use, and counted.
TEST_F(DmaPath, RpcitReachesTheModelsCachesAndStaleUseIsCounted)
{
	tb_.map_4k(kSdma, 0x200000, false);
	build(TimingMode::Cycle);
	ZpciFunction &fn = sys_->function(0);
	fn.access(kSdma, 64, ZPCI_DMA_READ, sc_core::sc_time(1, sc_core::SC_US));
	tb_.map_4k(kSdma, 0x400000, false);	// remapped, no RPCIT yet
	fn.access(kSdma, 64, ZPCI_DMA_READ, sc_core::sc_time(2, sc_core::SC_US));
	EXPECT_EQ(sys_->dtu().stats().stale_hits, 1u);
	zpci_hw hw = zpci_func_hw(&f_);
	EXPECT_EQ(hw.ops->rpcit(hw.priv, fh_, kSdma, 4096).cc, 0);
	fn.access(kSdma, 64, ZPCI_DMA_READ, sc_core::sc_time(3, sc_core::SC_US));
	EXPECT_EQ(sys_->dtu().stats().stale_hits, 1u);
	EXPECT_EQ(sys_->dtu().iotlb_stats().hits, 1u);
	EXPECT_EQ(sys_->dtu().iotlb_stats().invalidations, 1u);
}

// With the device's data moved, what it writes lands in the translated
// frames and what it reads comes from them, across a page boundary.
TEST_F(DmaPath, DataReachesTheTranslatedFrames)
{
	tb_.map_4k(kSdma, 0x200000, false);
	tb_.map_4k(kSdma + 4096, 0x700000, false);
	build(TimingMode::Cycle);
	std::vector<uint8_t> out(200), in(200), back(200);
	for (size_t i = 0; i < out.size(); i++)
		out[i] = static_cast<uint8_t>(i * 5 + 1);
	ASSERT_TRUE(sys_->function(0).access(kSdma + 4000, 200, ZPCI_DMA_WRITE,
					     sc_core::SC_ZERO_TIME, out.data()));
	zpci_mem m = mem_.view();
	ASSERT_EQ(zpci_mem_read(&m, 0x200000 + 4000, back.data(), 96), 0);
	ASSERT_EQ(zpci_mem_read(&m, 0x700000, back.data() + 96, 104), 0);
	EXPECT_EQ(back, out);
	ASSERT_TRUE(sys_->function(0).access(kSdma + 4000, 200, ZPCI_DMA_READ,
					     sc_core::sc_time(1, sc_core::SC_US), in.data()));
	EXPECT_EQ(in, out);
	EXPECT_EQ(sys_->function(0).stats().dma_bytes[ZPCI_DMA_WRITE], 200u);
	EXPECT_EQ(sys_->function(0).stats().dma_bytes[ZPCI_DMA_READ], 200u);
	EXPECT_EQ(sys_->function(0).stats().requests, 4u);
}

}  // namespace
}  // namespace zpcisim::test
