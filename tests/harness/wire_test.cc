// SPDX-License-Identifier: MIT
// The remote harness protocol: what one end encodes the other decodes, and
// a decoder handed short, long or garbled frames says "bad" without ever
// reading past the frame.  The byte layout is checked against PROTOCOL.md
// by hand-written frames, not against the encoder itself.
#include <gtest/gtest.h>

#include <cstring>
#include <iterator>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include "harness/harness.h"
#include "harness/wire.h"
}

namespace {

std::vector<uint8_t> bytes(const zpci_wire_out &o)
{
	return std::vector<uint8_t>(o.buf, o.buf + o.len);
}

TEST(Wire, HeaderIsLittleEndianAsDocumented)
{
	zpci_wire_out o{};
	zpci_wire_hdr h{ ZPCI_WIRE_MAGIC, ZPCI_WIRE_VERSION, ZPCI_WIRE_RPCIT, 0x01020304, 0xa0b0c0d0 };

	zpci_wire_put_hdr(&o, &h);
	const std::vector<uint8_t> want = { 'z', 'P', 'C', 'I', 4, 0, 9, 0,
					    4,   3,   2,   1,   0xd0, 0xc0, 0xb0, 0xa0 };
	EXPECT_EQ(bytes(o), want);
	EXPECT_EQ(o.len, size_t(ZPCI_WIRE_HDR_LEN));
	zpci_wire_out_free(&o);
}

TEST(Wire, HeaderRefusesOtherMagicAndVersions)
{
	uint8_t frame[16] = { 'z', 'P', 'C', 'I', 1, 0, 1, 0 };	// version 1: gone
	zpci_wire_in in;
	zpci_wire_hdr h;

	zpci_wire_in_init(&in, frame, sizeof(frame));
	EXPECT_EQ(zpci_wire_get_hdr(&in, &h), -EPROTONOSUPPORT);
	frame[0] = 'Z';
	zpci_wire_in_init(&in, frame, sizeof(frame));
	EXPECT_EQ(zpci_wire_get_hdr(&in, &h), -EPROTO);
	zpci_wire_in_init(&in, frame, 15);
	EXPECT_EQ(zpci_wire_get_hdr(&in, &h), -EPROTO);
}

TEST(Wire, StructuresRoundTrip)
{
	zpci_wire_out o{};
	zpci_harness_cfg cfg = zpci_harness_default_cfg(ZPCI_DESIGN_NESTED_PINNED), cfg2;
	zpci_fib fib{ 0x1000, 0x1fffff, 0xabc0, true, false, true, 77, 88 }, fib2{};
	struct zpci_harness_counters all{}, c{}, c2{};
	zpci_rpcit_rec r{ 0x105, 0x100002000ULL, 0x3000, { 1, 16 } }, r2{};

	cfg.nr_fns = 3;
	cfg.refresh = true;
	cfg.pin = { 1 << 30, 7, 250, 42 };
	for (size_t i = 0; i < sizeof(all) / 8; i++)
		reinterpret_cast<uint64_t *>(&all)[i] = 1000 + i;
	zpci_harness_counters_copy(&c, &all);	// what the tables list: what crosses
	EXPECT_EQ(c.func.iotlb_hits, all.func.iotlb_hits);
	EXPECT_EQ(c.pins.peak_pinned_pages, all.pins.peak_pinned_pages);
	EXPECT_EQ(c.func.digest, 0u);
	zpci_wire_put_cfg(&o, &cfg);
	zpci_wire_put_fib(&o, &fib);
	zpci_wire_put_counters(&o, &c);
	zpci_wire_put_rpcit(&o, &r);

	zpci_wire_in in;
	zpci_wire_in_init(&in, o.buf, o.len);
	zpci_wire_get_cfg(&in, &cfg2);
	zpci_wire_get_fib(&in, &fib2);
	zpci_wire_get_counters(&in, &c2);
	zpci_wire_get_rpcit(&in, &r2);
	ASSERT_TRUE(zpci_wire_in_done(&in));
	EXPECT_EQ(cfg2.design, cfg.design);
	EXPECT_EQ(cfg2.nr_fns, 3u);
	EXPECT_EQ(cfg2.guest_mem, cfg.guest_mem);
	EXPECT_EQ(cfg2.edma, cfg.edma);
	EXPECT_TRUE(cfg2.refresh);
	EXPECT_EQ(cfg2.pin.limit_bytes, 1u << 30);
	EXPECT_EQ(cfg2.pin.fail_permille, 250u);
	EXPECT_EQ(cfg2.pin.seed, 42u);
	EXPECT_EQ(fib2.iota, 0xabc0u);
	EXPECT_TRUE(fib2.enabled);
	EXPECT_FALSE(fib2.blocked);
	EXPECT_TRUE(fib2.error);
	EXPECT_EQ(fib2.dma_write_bytes, 88u);
	EXPECT_EQ(std::memcmp(&c, &c2, sizeof(c)), 0);
	EXPECT_EQ(r2.iova, r.iova);
	EXPECT_EQ(r2.result.status, 16);
	zpci_wire_out_free(&o);
}

// Every prefix of a valid message is bad, none reads past its end (ASan).
TEST(Wire, EveryTruncationIsBadAndStaysInBounds)
{
	zpci_wire_out o{};
	zpci_harness_cfg cfg = zpci_harness_default_cfg(ZPCI_DESIGN_BARE), out;

	zpci_wire_put_cfg(&o, &cfg);
	for (size_t n = 0; n < o.len; n++) {
		std::vector<uint8_t> frame(o.buf, o.buf + n);
		zpci_wire_in in;
		zpci_wire_in_init(&in, frame.data(), frame.size());
		zpci_wire_get_cfg(&in, &out);
		EXPECT_TRUE(in.bad) << n;
		EXPECT_FALSE(zpci_wire_in_done(&in)) << n;
	}
	zpci_wire_out_free(&o);
}

TEST(Wire, TextIsLengthPrefixedAndCut)
{
	zpci_wire_out o{};
	std::string long_text(5000, 'x');
	char small[8];

	zpci_wire_put_text(&o, long_text.c_str());
	EXPECT_EQ(o.len, 2u + 1000u);
	zpci_wire_in in;
	zpci_wire_in_init(&in, o.buf, o.len);
	zpci_wire_get_text(&in, small, sizeof(small));
	EXPECT_STREQ(small, "xxxxxxx");
	EXPECT_TRUE(zpci_wire_in_done(&in));
	zpci_wire_out_free(&o);
}

// A counters reply, written as PROTOCOL.md says, from a newer server with a
// counter we do not know: ours read by name, the other skipped.
TEST(Wire, CountersFromANewerPeerAreReadAsFarAsKnown)
{
	zpci_wire_out o{};
	const std::pair<const char *, uint64_t> sent[] = {
		{ "rpcits", 1 }, { "a_newer_counter", 5 }, { "peak_pinned_bytes", 3 << 12 },
		{ "isolation_violations", 7 },
	};

	zpci_wire_put_u32(&o, std::size(sent));
	for (const auto &[name, value] : sent) {
		zpci_wire_put_u16(&o, strlen(name));
		zpci_wire_put_bytes(&o, name, strlen(name));
		zpci_wire_put_u64(&o, value);
	}
	zpci_wire_in in;
	struct zpci_harness_counters c;
	zpci_wire_in_init(&in, o.buf, o.len);
	zpci_wire_get_counters(&in, &c);
	EXPECT_TRUE(zpci_wire_in_done(&in));
	EXPECT_EQ(c.tap.rpcits, 1u);
	EXPECT_EQ(c.pins.peak_pinned_pages, 3u);	// bytes on the wire
	EXPECT_EQ(c.violations, 7u);
	EXPECT_EQ(c.func.iotlb_hits, 0u);	// not sent
	zpci_wire_out_free(&o);
}

// Counters cross by name: no two blocks may use one.
TEST(Wire, CounterNamesAreUniqueAcrossBlocks)
{
	std::set<std::string> names;

	for (const zpci_harness_block *b = zpci_harness_blocks; b->table; b++)
		for (const zpci_counter *k = b->table; k->name; k++)
			EXPECT_TRUE(names.insert(k->name).second) << k->name;
	EXPECT_GT(names.size(), 20u);
}

}  // namespace
