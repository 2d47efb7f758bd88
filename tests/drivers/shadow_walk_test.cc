// SPDX-License-Identifier: MIT
// The intercepting hypervisor's work, counted on a guest table built by
// hand, against numbers worked out by hand from how QEMU's RPCIT intercept
// walks (hw/s390x/s390-pci-inst.c, docs/costs.md): each page's walk starts
// at the top of the guest's table (three entries in a populated segment);
// an invalid segment entry (two read) or region entry (one) skips its
// block; every 4 KiB page of the range, skipped ones too, is compared with
// QEMU's own IOTLB; a changed page is one map call and one pin; a run of
// invalid page entries is unmapped in one call per naturally aligned
// power-of-two piece.  No guest DMA layer: the test writes the table and
// issues each RPCIT itself, so nothing but the walk is counted.
#include <gtest/gtest.h>

#include <memory>

#include <zpci/func.h>
#include <zpci/layout.h>
#include <zpci/pin.h>
#include <zpci/shadow.h>
#include <zpci/xlate.h>

#include "support/table_builder.h"

namespace zpcisim::test {
namespace {

constexpr uint64_t kHostMem = 2ULL << 30;
constexpr uint64_t kGuestMem = 512ULL << 20;
constexpr uint64_t kGuestBase = 1ULL << 30;
constexpr uint64_t kShadowPool = 64ULL << 20;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kSeg = 1ULL << 20;
constexpr uint64_t kRegion = 2ULL << 30;
// The aperture: two region-third entries' worth, from 4 GiB (RTX 2 and 3).
constexpr uint64_t kSdma = 0x100000000ULL;
constexpr uint64_t kAperture = 2 * kRegion;
constexpr uint64_t kGuestTables = 256ULL << 20;	// guest-physical, where the builder puts tables
constexpr uint64_t kGuestFrames = 16ULL << 20;	// guest-physical, the pages it maps

// The guest's table: under RTX 2, segments 0 and 7 fully populated, segment
// 3 with its first 10 pages valid and 246 invalid, every other segment
// entry invalid; RTX 3 invalid.
class HandWalk : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_EQ(zpci_layout_init_scattered(&layout_, kGuestMem, 2ULL << 20, kGuestBase, 5), 0);
		gview_ = { &layout_, host_.view() };
		zpci_func_cfg fc{ 0x10, 0x100, 1, kSdma, (1ULL << 57) - 1, false, false };
		ASSERT_EQ(zpci_func_init(&func_, &fc, host_.view(), kHostMem), 0);
		ASSERT_EQ(zpci_frame_pool_init(&host_pool_, kShadowPool, 64ULL << 20), 0);
		zpci_pin_cfg pin_cfg{};
		ASSERT_EQ(zpci_pin_init(&pins_, &pin_cfg), 0);
		ASSERT_EQ(zpci_shadow_init(&shadow_, zpci_func_hw(&func_), host_.view(), &host_pool_,
					   guest_mem(), &layout_, &pins_,
					   ZPCI_SHADOW_MAPPING_LIMIT_DEFAULT, false),
			  0);
		hw_ = zpci_shadow_hw(&shadow_);
		ASSERT_EQ(hw_.ops->clp_set_fn(hw_.priv, 0x100, true, &fh_), 0);

		table_ = std::make_unique<TableBuilder>(guest_mem(), kGuestTables);
		uint64_t frame = kGuestFrames;
		for (uint64_t seg : { 0, 3, 7 })
			for (uint64_t i = 0; i < (seg == 3 ? 10 : 256); i++, frame += kPage)
				table_->map_4k(kSdma + seg * kSeg + i * kPage, frame, false);
		zpci_fib fib{};
		fib.pba = kSdma;
		fib.pal = kSdma + kAperture - 1;
		fib.iota = table_->iota();
		ASSERT_EQ(hw_.ops->mpcifc(hw_.priv, fh_, ZPCI_MOD_FC_REG_IOAT, &fib).cc, ZPCI_CC_OK);
		started_ = true;
	}

	// Disabling the function drops the whole shadow: every pin comes back.
	void TearDown() override
	{
		uint32_t fh;

		if (!started_)
			return;	// a failed set-up: the failure says enough
		EXPECT_EQ(hw_.ops->clp_set_fn(hw_.priv, fh_, false, &fh), 0);
		EXPECT_EQ(pins_.stats.pinned_pages, 0u) << "pins leaked";
		zpci_shadow_destroy(&shadow_);
		zpci_pin_destroy(&pins_);
		zpci_frame_pool_destroy(&host_pool_);
		zpci_func_destroy(&func_);
		zpci_layout_destroy(&layout_);
	}

	zpci_mem guest_mem() { return zpci_guest_view_mem(&gview_); }

	// The work one RPCIT over [@iova, @iova + @len) did.
	zpci_shadow_stats rpcit(uint64_t iova, uint64_t len)
	{
		zpci_shadow_stats before = shadow_.stats;
		uint64_t pins = pins_.stats.pins, unpins = pins_.stats.unpins;
		EXPECT_EQ(hw_.ops->rpcit(hw_.priv, fh_, iova, len).cc, ZPCI_CC_OK);
		zpci_shadow_stats d = shadow_.stats;
		d.entries_read -= before.entries_read;
		d.pages_compared -= before.pages_compared;
		d.maps -= before.maps;
		d.unmaps -= before.unmaps;
		d.unmap_calls -= before.unmap_calls;
		pins_delta_ = pins_.stats.pins - pins;
		unpins_delta_ = pins_.stats.unpins - unpins;
		return d;
	}

	// The guest invalidates the page entry of @iova.
	void invalidate(uint64_t iova)
	{
		zpci_mem gm = guest_mem();
		zpci_xlate x;
		zpci_translate(&gm, &shadow_.guest, iova, ZPCI_DMA_READ, &x);
		ASSERT_EQ(x.fault, ZPCI_FAULT_NONE);
		ASSERT_EQ(zpci_mem_write64(&gm, x.steps[x.nr_steps - 1].entry_addr, ZPCI_PTE_INVALID), 0);
	}

	SparseMem host_{ kHostMem };
	zpci_layout layout_{};
	zpci_guest_view gview_{};
	zpci_func func_{};
	zpci_frame_pool host_pool_{};
	zpci_pinner pins_{};
	zpci_shadow shadow_{};
	zpci_hw hw_{};
	uint32_t fh_ = 0;
	std::unique_ptr<TableBuilder> table_;
	uint64_t pins_delta_ = 0, unpins_delta_ = 0;
	bool started_ = false;
};

// (a) One page in a populated segment: one walk from the top, RTE + STE +
// PTE = 3 entries; one page compared; new, so one map call and one pin.
TEST_F(HandWalk, SinglePageReadsThreeEntries)
{
	zpci_shadow_stats w = rpcit(kSdma + 3 * kSeg + 5 * kPage, kPage);
	EXPECT_EQ(w.entries_read, 3u);
	EXPECT_EQ(w.pages_compared, 1u);
	EXPECT_EQ(w.maps, 1u);
	EXPECT_EQ(pins_delta_, 1u);
	EXPECT_EQ(w.unmap_calls, 0u);
	// The same page again: read and compared again, nothing changes.
	w = rpcit(kSdma + 3 * kSeg + 5 * kPage, kPage);
	EXPECT_EQ(w.entries_read, 3u);
	EXPECT_EQ(w.pages_compared, 1u);
	EXPECT_EQ(w.maps, 0u);
	EXPECT_EQ(pins_delta_, 0u);
}

// (b) The last page of segment 0, segments 1 and 2 (invalid), the first
// page of segment 3:
//   entries  3 (seg 0 page 255) + 2 (seg 1: RTE, STE) + 2 (seg 2) + 3 = 10
//   pages    1 + 256 + 256 + 1 = 514 (QEMU compares every skipped page)
//   maps     2 (the two valid pages), pins 2, no unmap call (nothing invalid
//            at the page level, nothing shadowed in the skipped blocks)
TEST_F(HandWalk, RangeOverInvalidSegmentsSkipsEachWithOneWalk)
{
	zpci_shadow_stats w = rpcit(kSdma + kSeg - kPage, kPage + 2 * kSeg + kPage);
	EXPECT_EQ(w.entries_read, 10u);
	EXPECT_EQ(w.pages_compared, 514u);
	EXPECT_EQ(w.maps, 2u);
	EXPECT_EQ(pins_delta_, 2u);
	EXPECT_EQ(w.unmap_calls, 0u);
}

// (c) A global flush over the whole 4 GiB aperture, three segments
// populated:
//   entries  RTX 2: 3 populated segments x 256 pages x 3 = 2304,
//                   2048 - 3 = 2045 invalid segments x 2 = 4090;
//            RTX 3: invalid, 1 entry for its 2 GiB.   2304 + 4090 + 1 = 6395
//   pages    4 GiB / 4 KiB = 1048576, holes included
//   maps     256 + 10 + 256 = 522 valid pages, 522 pins
//   unmap calls: one run of invalid page entries, segment 3's pages 10..255
//            (246 pages).  Page numbers from the aperture's start (2^20,
//            aligned to all of these): 768 + 10 = 778 .. 1023, cut into
//            aligned pieces 778+2, 780+4, 784+16, 800+32, 832+64, 896+128
//            = 246 pages in 6 calls.
TEST_F(HandWalk, GlobalFlushWalksTheWholeAperture)
{
	zpci_shadow_stats w = rpcit(kSdma, kAperture);
	EXPECT_EQ(w.entries_read, 6395u);
	EXPECT_EQ(w.pages_compared, 1048576u);
	EXPECT_EQ(w.maps, 522u);
	EXPECT_EQ(pins_delta_, 522u);
	EXPECT_EQ(w.unmaps, 0u);
	EXPECT_EQ(w.unmap_calls, 6u);
	// Nothing changed in the guest's table: the same walk, no map.
	w = rpcit(kSdma, kAperture);
	EXPECT_EQ(w.entries_read, 6395u);
	EXPECT_EQ(w.maps, 0u);
	EXPECT_EQ(w.unmap_calls, 6u);	// QEMU unmaps the invalid run every time
}

// The guest unmaps segment 0's pages 0..99 and flushes just them: 100
// walks of 3 entries; 100 pages unmapped and unpinned; the run of 100
// pages from page number 2^20 (aligned) is cut 64 + 32 + 4: 3 calls.
TEST_F(HandWalk, UnmappedRunIsUnmappedInAlignedPieces)
{
	rpcit(kSdma, kAperture);
	for (uint64_t i = 0; i < 100; i++)
		invalidate(kSdma + i * kPage);
	zpci_shadow_stats w = rpcit(kSdma, 100 * kPage);
	EXPECT_EQ(w.entries_read, 300u);
	EXPECT_EQ(w.pages_compared, 100u);
	EXPECT_EQ(w.unmaps, 100u);
	EXPECT_EQ(unpins_delta_, 100u);
	EXPECT_EQ(w.unmap_calls, 3u);
	EXPECT_EQ(w.maps, 0u);
}

// A page the guest points elsewhere: QEMU unmaps the old translation with
// a call of its own, then maps the new one.
TEST_F(HandWalk, ChangedPageIsOneUnmapCallAndOneMap)
{
	uint64_t iova = kSdma + 7 * kSeg + 9 * kPage;
	rpcit(iova, kPage);
	table_->map_4k(iova, kGuestFrames + (100ULL << 20), false);
	zpci_shadow_stats w = rpcit(iova, kPage);
	EXPECT_EQ(w.entries_read, 3u);
	EXPECT_EQ(w.unmaps, 1u);
	EXPECT_EQ(w.unmap_calls, 1u);
	EXPECT_EQ(w.maps, 1u);
	EXPECT_EQ(pins_delta_, 1u);
	EXPECT_EQ(unpins_delta_, 1u);
}

// A range that ends inside a skipped block compares only the pages the
// range covers: segment 1's first 16 pages, 2 entries.
TEST_F(HandWalk, SkippedBlockIsComparedOnlyWithinTheRange)
{
	zpci_shadow_stats w = rpcit(kSdma + kSeg, 16 * kPage);
	EXPECT_EQ(w.entries_read, 2u);
	EXPECT_EQ(w.pages_compared, 16u);
}

}  // namespace
}  // namespace zpcisim::test
