// SPDX-License-Identifier: MIT
// The guest's table management, checked through the reference translator
// against a plain map of what was mapped.
#include <gtest/gtest.h>

#include <map>

#include <zpci/dma_table.h>
#include <zpci/prng.h>
#include <zpci/xlate.h>

#include "support/table_builder.h"

namespace zpcisim::test {
namespace {

constexpr uint64_t kGuestMem = 1ULL << 30;
constexpr uint64_t kPoolBase = 64ULL << 20;
constexpr uint64_t kPoolSize = 16ULL << 20;

TEST(FramePool, TablesAreAlignedAndReusedLastInFirstOut)
{
	zpci_frame_pool pool;
	ASSERT_EQ(zpci_frame_pool_init(&pool, kPoolBase, kPoolSize), 0);
	phys_addr_t a, b, pts[9];
	ASSERT_EQ(zpci_frame_alloc(&pool, ZPCI_TABLE_SIZE, &a), 0);
	ASSERT_EQ(zpci_frame_alloc(&pool, ZPCI_TABLE_SIZE, &b), 0);
	EXPECT_EQ(a, kPoolBase);
	EXPECT_EQ(b, kPoolBase + ZPCI_TABLE_SIZE);
	// Eight page tables share one 16 KiB block, lowest first; the ninth opens another.
	for (auto &pt : pts)
		ASSERT_EQ(zpci_frame_alloc(&pool, ZPCI_PT_SIZE, &pt), 0);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(pts[i], kPoolBase + 2 * ZPCI_TABLE_SIZE + i * ZPCI_PT_SIZE);
	EXPECT_EQ(pts[8], kPoolBase + 3 * ZPCI_TABLE_SIZE);
	EXPECT_EQ(pool.bytes_in_use, 2 * ZPCI_TABLE_SIZE + 9 * ZPCI_PT_SIZE);

	zpci_frame_free(&pool, a, ZPCI_TABLE_SIZE);
	phys_addr_t c;
	ASSERT_EQ(zpci_frame_alloc(&pool, ZPCI_TABLE_SIZE, &c), 0);
	EXPECT_EQ(c, a);
	EXPECT_EQ(zpci_frame_alloc(&pool, 4096, &c), -EINVAL);
	zpci_frame_pool_destroy(&pool);
}

TEST(FramePool, ExhaustionAndInjectedFailure)
{
	zpci_frame_pool pool;
	ASSERT_EQ(zpci_frame_pool_init(&pool, 0, 2 * ZPCI_TABLE_SIZE), 0);
	phys_addr_t pa;
	zpci_frame_pool_fail_after(&pool, 1, 1);
	EXPECT_EQ(zpci_frame_alloc(&pool, ZPCI_TABLE_SIZE, &pa), 0);
	EXPECT_EQ(zpci_frame_alloc(&pool, ZPCI_TABLE_SIZE, &pa), -ENOMEM);	// injected
	EXPECT_EQ(zpci_frame_alloc(&pool, ZPCI_TABLE_SIZE, &pa), 0);		// one-shot
	EXPECT_EQ(zpci_frame_alloc(&pool, ZPCI_TABLE_SIZE, &pa), -ENOMEM);	// empty
	EXPECT_EQ(zpci_frame_alloc(&pool, ZPCI_PT_SIZE, &pa), -ENOMEM);
	zpci_frame_pool_destroy(&pool);
	EXPECT_EQ(zpci_frame_pool_init(&pool, 0x1000, ZPCI_TABLE_SIZE), -EINVAL);
}

class DmaTable : public ::testing::Test {
protected:
	DmaTable() : mem_(kGuestMem)
	{
		EXPECT_EQ(zpci_frame_pool_init(&pool_, kPoolBase, kPoolSize), 0);
		EXPECT_EQ(zpci_dma_table_init(&t_, mem_.view(), &pool_), 0);
		space_.iota = zpci_dma_table_iota(&t_);
		space_.pba = 0;
		space_.pal = ZPCI_TABLE_SIZE_RT - 1;
	}
	~DmaTable() override
	{
		if (t_.pool)
			zpci_dma_table_destroy(&t_);
		EXPECT_EQ(pool_.bytes_in_use, 0u);
		zpci_frame_pool_destroy(&pool_);
	}

	zpci_xlate walk(uint64_t iova, zpci_dma_dir dir = ZPCI_DMA_READ)
	{
		zpci_mem m = mem_.view();
		zpci_xlate x;
		zpci_translate(&m, &space_, iova, dir, &x);
		return x;
	}

	int map(uint64_t iova, uint64_t pa, uint64_t n, bool ro = false)
	{
		int rc = zpci_dma_table_map(&t_, iova, pa, n, ro);
		if (!rc)
			for (uint64_t i = 0; i < n; i++)
				model_[iova + i * 4096] = { pa + i * 4096, ro };
		return rc;
	}

	int unmap(uint64_t iova, uint64_t n)
	{
		int rc = zpci_dma_table_unmap(&t_, iova, n);
		if (!rc)
			for (uint64_t i = 0; i < n; i++)
				model_.erase(iova + i * 4096);
		return rc;
	}

	// Every page the model knows, and both neighbours of each, translate as it says.
	void check_all()
	{
		auto expect = [&](uint64_t iova) {
			auto it = model_.find(iova);
			zpci_xlate r = walk(iova + 8), w = walk(iova + 8, ZPCI_DMA_WRITE);
			if (it == model_.end()) {
				EXPECT_EQ(r.fault, ZPCI_FAULT_INVALID_ENTRY) << std::hex << iova;
				return;
			}
			ASSERT_EQ(r.fault, ZPCI_FAULT_NONE) << std::hex << iova;
			EXPECT_EQ(r.addr, it->second.first + 8) << std::hex << iova;
			EXPECT_EQ(w.fault, it->second.second ? ZPCI_FAULT_PROTECTION : ZPCI_FAULT_NONE)
				<< std::hex << iova;
		};
		for (const auto &kv : model_) {
			expect(kv.first);
			if (kv.first >= 4096)
				expect(kv.first - 4096);
			expect(kv.first + 4096);
		}
	}

	SparseMem mem_;
	zpci_frame_pool pool_{};
	zpci_dma_table t_{};
	zpci_dma_space space_{};
	std::map<uint64_t, std::pair<uint64_t, bool>> model_;
};

TEST_F(DmaTable, FreshTableTranslatesNothing)
{
	EXPECT_EQ(walk(0).fault, ZPCI_FAULT_INVALID_ENTRY);
	EXPECT_EQ(walk(ZPCI_TABLE_SIZE_RT - 1).fault, ZPCI_FAULT_INVALID_ENTRY);
	EXPECT_EQ(space_.iota & ~ZPCI_IOTA_ORIGIN_MASK, ZPCI_IOTA_RTTO_FLAG);
	EXPECT_EQ(pool_.bytes_in_use, ZPCI_TABLE_SIZE);
}

TEST_F(DmaTable, MapThenUnmapThroughTheReferenceTranslator)
{
	ASSERT_EQ(map(0x100000000ULL, 0x200000, 4), 0);
	ASSERT_EQ(map(0x100004000ULL, 0x300000, 1, true), 0);
	check_all();
	ASSERT_EQ(unmap(0x100001000ULL, 2), 0);
	check_all();
	EXPECT_EQ(walk(0x100001000ULL).fault, ZPCI_FAULT_INVALID_ENTRY);
	EXPECT_EQ(walk(0x100003000ULL).addr, 0x203000ULL);
}

// A range across a page-table and a segment-table boundary allocates both.
TEST_F(DmaTable, RangesAcrossTableBoundariesAllocateTables)
{
	uint64_t iova = ZPCI_RT_FRAME_SIZE - 2 * ZPCI_SEG_FRAME_SIZE - 3 * 4096;
	ASSERT_EQ(map(iova, 0x1000000, 2 * 256 + 6), 0);
	EXPECT_EQ(t_.nr_seg_tables, 2u);
	EXPECT_EQ(t_.nr_page_tables, 4u);
	check_all();
}

TEST_F(DmaTable, RejectsRangesOutsideTheTable)
{
	EXPECT_EQ(zpci_dma_table_map(&t_, ZPCI_TABLE_SIZE_RT, 0, 1, false), -EINVAL);
	EXPECT_EQ(zpci_dma_table_map(&t_, ZPCI_TABLE_SIZE_RT - 4096, 0, 2, false), -EINVAL);
	EXPECT_EQ(zpci_dma_table_map(&t_, 0x1001, 0, 1, false), -EINVAL);
	EXPECT_EQ(zpci_dma_table_map(&t_, 0x1000, 0x10, 1, false), -EINVAL);
	EXPECT_EQ(zpci_dma_table_map(&t_, 0, 0, 0, false), -EINVAL);
	EXPECT_EQ(zpci_dma_table_map(&t_, 0, 0, UINT64_MAX >> 4, false), -EINVAL);
	EXPECT_EQ(zpci_dma_table_unmap(&t_, 0x5000, 1), -ENOENT);
}

// Table memory runs out in the middle of a map: nothing of it stays.
TEST_F(DmaTable, FailedMapLeavesNoPageMapped)
{
	ASSERT_EQ(map(0, 0x200000, 3), 0);
	zpci_frame_pool_fail_after(&pool_, 0, 1);	// next table allocation fails
	uint64_t iova = ZPCI_SEG_FRAME_SIZE - 2 * 4096;
	EXPECT_EQ(zpci_dma_table_map(&t_, iova, 0x400000, 4, false), -ENOMEM);
	check_all();	// the first mapping intact, the two pages before the boundary gone
	EXPECT_EQ(walk(iova).fault, ZPCI_FAULT_INVALID_ENTRY);
	EXPECT_EQ(walk(iova + 4096).fault, ZPCI_FAULT_INVALID_ENTRY);
	ASSERT_EQ(map(iova, 0x400000, 4), 0);	// and it works once memory is back
	check_all();
}

TEST_F(DmaTable, DestroyReturnsEveryTable)
{
	for (uint64_t r = 0; r < 3; r++)
		ASSERT_EQ(map(r * ZPCI_RT_FRAME_SIZE + 0x7ff00000, 0x100000, 600), 0);
	EXPECT_GT(pool_.bytes_in_use, 3 * ZPCI_TABLE_SIZE);
	zpci_dma_table_destroy(&t_);
	EXPECT_EQ(pool_.bytes_in_use, 0u);	// the fixture checks again
}

// Random map/unmap sequences against the model.
TEST_F(DmaTable, RandomSequencesMatchTheModel)
{
	zpci_prng r;
	zpci_prng_seed(&r, 2024);
	const uint64_t window = 3 * ZPCI_RT_FRAME_SIZE;	// crosses region entries
	for (int op = 0; op < 3000; op++) {
		uint64_t n = 1 + zpci_prng_below(&r, 40);
		uint64_t iova = zpci_prng_below(&r, window / 4096 - n) * 4096;
		bool all_mapped = true;
		for (uint64_t i = 0; i < n; i++)
			all_mapped &= model_.count(iova + i * 4096) > 0;
		if (all_mapped && zpci_prng_below(&r, 2)) {
			ASSERT_EQ(unmap(iova, n), 0);
		} else {
			uint64_t pa = zpci_prng_below(&r, kGuestMem / 4096 - n) * 4096;
			ASSERT_EQ(map(iova, pa, n, zpci_prng_below(&r, 3) == 0), 0);
		}
		if (op % 500 == 499)
			check_all();
	}
	check_all();
}

}  // namespace
}  // namespace zpcisim::test
