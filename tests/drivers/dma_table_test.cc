// SPDX-License-Identifier: MIT
// The guest's table management, checked through the reference translator
// against a plain map of what was mapped.
#include <gtest/gtest.h>

#include <map>
#include <vector>
#include <optional>

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

// What a table maps @iova to, decoded entry by entry with nothing but the
// architected numbers (ZPCI-FACTS.md): no code shared with the table or the
// translator.  The frame's address and size, or nullopt when invalid.
struct PlainFrame {
	uint64_t pa;
	uint64_t size;
};

std::optional<PlainFrame> plain_walk(zpci_mem m, uint64_t rtto, uint64_t iova)
{
	auto entry = [&](uint64_t addr) {
		uint64_t v = 0;
		EXPECT_EQ(zpci_mem_read64(&m, addr, &v), 0);
		return v;
	};
	const uint64_t invalid = 0x20, fc = 0x400, gib2 = 1ULL << 31, mib = 1ULL << 20;
	uint64_t rte = entry(rtto + ((iova >> 31) & 0x7ff) * 8);
	if (rte & invalid)
		return std::nullopt;
	if (rte & fc)
		return PlainFrame{ (rte & ~(gib2 - 1)) | (iova & (gib2 - 1)), gib2 };
	uint64_t ste = entry((rte & ~0x3fffULL) + ((iova >> 20) & 0x7ff) * 8);
	if (ste & invalid)
		return std::nullopt;
	if (ste & fc)
		return PlainFrame{ (ste & ~(mib - 1)) | (iova & (mib - 1)), mib };
	uint64_t pte = entry((ste & ~0x7ffULL) + ((iova >> 12) & 0xff) * 8);
	if (pte & 0x400)
		return std::nullopt;
	return PlainFrame{ (pte & ~0xfffULL) | (iova & 0xfff), 4096 };
}

// A hypervisor's table over a function that honours frame control.
class LargeFrameTable : public DmaTable {
protected:
	LargeFrameTable()
	{
		t_.large_frames = true;
		space_.large_frames = true;
	}

	struct Range {
		uint64_t iova, pa, len;
	};

	// Every probe in and beside the ranges: the plain walk gives the
	// range's address with frames no larger than @frame_of says, and the
	// reference translator agrees.
	void check(const std::vector<Range> &ranges, uint64_t (*frame_of)(const Range &, uint64_t))
	{
		zpci_prng r;
		zpci_prng_seed(&r, 7);
		for (const Range &g : ranges) {
			for (int i = 0; i < 4000; i++) {
				uint64_t off = i < 2 ? i * (g.len - 1) : zpci_prng_below(&r, g.len);
				auto w = plain_walk(mem_.view(), t_.rtto, g.iova + off);
				ASSERT_TRUE(w) << std::hex << g.iova + off;
				EXPECT_EQ(w->pa, g.pa + off) << std::hex << g.iova + off;
				EXPECT_EQ(w->size, frame_of(g, off)) << std::hex << g.iova + off;
				zpci_xlate x = walk(g.iova + off);
				ASSERT_EQ(x.fault, ZPCI_FAULT_NONE);
				EXPECT_EQ(x.addr, g.pa + off);
				EXPECT_EQ(x.frame_size, w->size);
			}
			EXPECT_FALSE(plain_walk(mem_.view(), t_.rtto, g.iova + g.len));
			if (g.iova) {
				EXPECT_FALSE(plain_walk(mem_.view(), t_.rtto, g.iova - 1));
			}
		}
	}
};

// 2 GiB and 1 MiB frames where IOVA and frame are both aligned, pages for
// the rest: each checked against the plain walk.
TEST_F(LargeFrameTable, FramesWhereAlignedPagesElsewhere)
{
	const uint64_t G = ZPCI_RT_FRAME_SIZE, M = ZPCI_SEG_FRAME_SIZE;
	const std::vector<Range> ranges = {
		{ 2 * G, 4 * G, G + 3 * M + 5 * 4096 },		// 2 GiB, 3 x 1 MiB, 5 pages
		{ 6 * G - 2 * 4096, 6 * M - 2 * 4096, 2 * M },	// 2 pages, 1 MiB, 254 pages
		{ 8 * G, 9 * M + 4096, 3 * M },			// frame misaligned: pages
	};
	for (const Range &g : ranges)
		ASSERT_EQ(zpci_dma_table_map(&t_, g.iova, g.pa, g.len >> 12, false), 0);
	EXPECT_EQ(t_.nr_large_frames, 1u + 3 + 1);
	check(ranges, [](const Range &g, uint64_t off) -> uint64_t {
		uint64_t iova = g.iova + off;
		if (g.pa % ZPCI_SEG_FRAME_SIZE != g.iova % ZPCI_SEG_FRAME_SIZE)
			return 4096;
		for (uint64_t size : { ZPCI_RT_FRAME_SIZE, ZPCI_SEG_FRAME_SIZE }) {
			uint64_t base = iova & ~(size - 1);
			if (base >= g.iova && base + size <= g.iova + g.len && (g.pa + base - g.iova) % size == 0)
				return size;
		}
		return 4096;
	});
	// A frame goes whole or not at all; then the pages are gone.
	EXPECT_EQ(zpci_dma_table_unmap(&t_, 2 * G, 256), -EINVAL);
	EXPECT_EQ(zpci_dma_table_unmap(&t_, 2 * G + M + 4096, 1), -EINVAL);
	for (const Range &g : ranges)
		ASSERT_EQ(zpci_dma_table_unmap(&t_, g.iova, g.len >> 12), 0);
	EXPECT_EQ(t_.nr_large_frames, 0u);
	for (const Range &g : ranges)
		for (uint64_t off : { uint64_t(0), g.len / 2, g.len - 1 })
			EXPECT_FALSE(plain_walk(mem_.view(), t_.rtto, g.iova + off));
}

// A function without frame control refuses a large-frame entry; a page
// map over a large frame is refused, and so is a large frame's rollback
// partial: a failed map leaves nothing of itself behind.
TEST_F(LargeFrameTable, RefusedWhereTheArchitectureSaysSo)
{
	const uint64_t M = ZPCI_SEG_FRAME_SIZE;
	ASSERT_EQ(zpci_dma_table_map(&t_, 4 * M, 8 * M, 256, true), 0);
	EXPECT_EQ(walk(4 * M + 8, ZPCI_DMA_WRITE).fault, ZPCI_FAULT_PROTECTION);
	space_.large_frames = false;
	EXPECT_EQ(walk(4 * M).fault, ZPCI_FAULT_FRAME_CONTROL);
	space_.large_frames = true;
	EXPECT_EQ(zpci_dma_table_map(&t_, 4 * M + 4096, 0x1000, 1, false), -EINVAL);
	// The next segment needs a page table the pool cannot give.
	zpci_frame_pool_fail_after(&pool_, 0, 1);
	EXPECT_EQ(zpci_dma_table_map(&t_, 6 * M, 16 * M, 256 + 1, false), -ENOMEM);
	EXPECT_FALSE(plain_walk(mem_.view(), t_.rtto, 6 * M));
	EXPECT_EQ(t_.nr_large_frames, 1u);
}

}  // namespace
}  // namespace zpcisim::test
