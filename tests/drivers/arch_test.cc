// SPDX-License-Identifier: MIT
// Architected constants, entry encode/decode and the error-event table.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include <zpci/arch.h>
#include <zpci/prng.h>

namespace {

TEST(ArchIndex, IndicesComposeBackToTheIova)
{
	zpci_prng r;
	zpci_prng_seed(&r, 7);
	for (int i = 0; i < 10000; i++) {
		uint64_t iova = zpci_prng_next(&r);
		uint64_t back = (uint64_t)zpci_rfx(iova) << ZPCI_RFX_SHIFT |
				(uint64_t)zpci_rsx(iova) << ZPCI_RSX_SHIFT |
				(uint64_t)zpci_rtx(iova) << ZPCI_RTX_SHIFT |
				(uint64_t)zpci_sx(iova) << ZPCI_SX_SHIFT |
				(uint64_t)zpci_px(iova) << ZPCI_PX_SHIFT | (iova & 0xfff);
		ASSERT_EQ(back, iova);
	}
}

// The index formulas of the facts sheet, spelled out independently.
TEST(ArchIndex, MatchesTheDocumentedBitRanges)
{
	uint64_t iova = 0x0000'03ff'ffff'f000ULL;	// last page of a 4 TiB RTTO span
	EXPECT_EQ(zpci_rtx(iova), (iova >> 31) & 0x7ff);
	EXPECT_EQ(zpci_rtx(iova), 0x7ffu);
	EXPECT_EQ(zpci_sx(iova), 0x7ffu);
	EXPECT_EQ(zpci_px(iova), 0xffu);
	EXPECT_EQ(zpci_rtx(0x80000000ULL), 1u);
	EXPECT_EQ(zpci_sx(0x100000ULL), 1u);
	EXPECT_EQ(zpci_px(0x1000ULL), 1u);
}

TEST(ArchEntry, RegionEntryRoundTrips)
{
	for (uint64_t tt : { ZPCI_TABLE_TYPE_RFX, ZPCI_TABLE_TYPE_RSX, ZPCI_TABLE_TYPE_RTX }) {
		uint64_t e = zpci_mk_rte(0x1234'5678'c000ULL, tt);
		EXPECT_EQ(zpci_rte_origin(e), 0x1234'5678'c000ULL);
		EXPECT_EQ(zpci_rste_type(e), tt);
		EXPECT_EQ(zpci_rte_offset(e), 0u);
		EXPECT_EQ(zpci_rte_length(e), 3u);
		EXPECT_FALSE(zpci_rste_invalid(e));
		EXPECT_TRUE(zpci_rste_invalid(e | ZPCI_TABLE_INVALID));
		EXPECT_FALSE(e & ZPCI_TABLE_PROTECTED);
	}
	// Low origin bits are dropped, not smuggled into the flags.
	EXPECT_EQ(zpci_mk_rte(0x3fff, ZPCI_TABLE_TYPE_RTX), 0x7ULL);
}

TEST(ArchEntry, SegmentEntryRoundTrips)
{
	uint64_t e = zpci_mk_ste(0xdead'b800ULL);
	EXPECT_EQ(zpci_ste_origin(e), 0xdead'b800ULL);
	EXPECT_EQ(zpci_rste_type(e), ZPCI_TABLE_TYPE_SX);
	EXPECT_FALSE(zpci_rste_invalid(e));
	EXPECT_EQ(zpci_mk_ste(0x7ff), 0ULL);
}

TEST(ArchEntry, PageEntryRoundTrips)
{
	uint64_t rw = zpci_mk_pte(0xabc'def0'1000ULL, false);
	uint64_t ro = zpci_mk_pte(0xabc'def0'1fffULL, true);
	EXPECT_EQ(zpci_pte_frame(rw), 0xabc'def0'1000ULL);
	EXPECT_EQ(zpci_pte_frame(ro), 0xabc'def0'1000ULL);
	EXPECT_EQ(ro & ZPCI_PTE_PROTECTED, ZPCI_PTE_PROTECTED);
	EXPECT_EQ(rw & ZPCI_PTE_FLAG_MASK, 0ULL);
	EXPECT_FALSE(zpci_pte_invalid(rw));
	EXPECT_TRUE(zpci_pte_invalid(rw | ZPCI_PTE_INVALID));
	// The page-table invalid bit is not the region/segment one.
	EXPECT_NE(ZPCI_PTE_INVALID, ZPCI_TABLE_INVALID);
}

TEST(ArchEntry, IotaRoundTrips)
{
	for (uint64_t dt : { ZPCI_IOTA_DT_ST, ZPCI_IOTA_DT_RT, ZPCI_IOTA_DT_RS, ZPCI_IOTA_DT_RF }) {
		uint64_t iota = zpci_mk_iota(0x4000'0000ULL, dt);
		EXPECT_TRUE(zpci_iota_enabled(iota));
		EXPECT_EQ(zpci_iota_dt(iota), dt);
		EXPECT_EQ(zpci_iota_fs(iota), ZPCI_IOTA_FS_4K);
		EXPECT_EQ(zpci_iota_origin(iota), 0x4000'0000ULL);
	}
	// The value Linux registers for a region-third table at 0x10000.
	EXPECT_EQ(zpci_mk_iota(0x10000, ZPCI_IOTA_DT_RT), 0x10804ULL);
	EXPECT_EQ(ZPCI_IOTA_RTTO_FLAG, 0x804ULL);
	EXPECT_FALSE(zpci_iota_enabled(0x10004));
}

TEST(ArchPec, CodesAreUniqueAndInTheirFamilyRange)
{
	std::set<std::string> names;
	unsigned int known = 0;

	for (unsigned int code = 1; code < 0x100; code++) {
		const zpci_pec_desc *d = zpci_pec_lookup(code);
		if (!d)
			continue;
		known++;
		EXPECT_EQ((unsigned int)d->code, code);
		EXPECT_TRUE(names.insert(d->name).second) << d->name;
		switch (d->family) {
		case ZPCI_PEC_FAMILY_TRANSLATION:
			EXPECT_TRUE(code >= 0x1 && code <= 0xb) << code;
			break;
		case ZPCI_PEC_FAMILY_INTERRUPT:
			EXPECT_TRUE(code >= 0x10 && code <= 0x13) << code;
			break;
		case ZPCI_PEC_FAMILY_MEASUREMENT:
			EXPECT_TRUE(code >= 0x2a && code <= 0x2c) << code;
			break;
		case ZPCI_PEC_FAMILY_FUNCTION:
			EXPECT_TRUE(code >= 0x30 && code <= 0x3b) << code;
			break;
		}
	}
	EXPECT_EQ(known, 21u);
	EXPECT_STREQ(zpci_pec_name(0x4), "translation-protection");
	EXPECT_STREQ(zpci_pec_name(0), "none");
	EXPECT_STREQ(zpci_pec_name(0x77), "unknown");
	EXPECT_EQ(zpci_pec_lookup(0x77), nullptr);
}

}  // namespace
