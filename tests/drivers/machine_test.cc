// SPDX-License-Identifier: MIT
// The machine's bounds: a guest that cannot be simulated is refused before
// anything is built, and the bound counts what the designs really build.
#include <gtest/gtest.h>

#include <string>

#include <zpci/machine.h>
#include <zpci/pinned.h>
#include <zpci/prng.h>

namespace {

const zpci_func_cfg kFunction = { 0x10, 0x100, 1, 0x100000000ULL, (1ULL << 57) - 1, false, false };

zpci_machine_cfg machine_cfg(zpci_design design, uint64_t guest_mem)
{
	zpci_machine_cfg c{};
	c.design = design;
	c.guest_mem = guest_mem;
	c.mapping_limit = 65535;
	return c;
}

// The host table the bound counts is the one a pinned design builds, to
// the byte of its table pool: odd sizes round up to whole tables.
TEST(MachineBounds, PinnedTableBytesAreWhatThePinnedDesignsBuild)
{
	for (zpci_design d : { ZPCI_DESIGN_IDENTITY_PINNED, ZPCI_DESIGN_NESTED_PINNED }) {
		for (uint64_t mem : { (1ULL << 30) + (2ULL << 20), 3ULL << 30 }) {
			zpci_machine m;
			zpci_machine_cfg cfg = machine_cfg(d, mem);
			ASSERT_EQ(zpci_machine_init(&m, &cfg, &kFunction, 1), 0) << m.error;
			EXPECT_EQ(m.host_pool.bytes_in_use, zpci_machine_pinned_table_bytes(mem, false)) << mem;
			zpci_machine_destroy(&m);
		}
	}
	// 1 GiB: 1024 page tables of 2 KiB, a segment table and the region-third.
	EXPECT_EQ(zpci_machine_pinned_table_bytes(1ULL << 30, false), (1024 * 2 + 2 * 16) << 10);
}

// With large frames a pinned 1 TiB guest is 1 MiB frames under 512 segment
// tables and one run of pins: each probed guest page reaches the host page
// the layout's extent gives, through a 1 MiB frame, and is pinned.  Beyond
// the table pool's reach it is still refused up front.
TEST(MachineBounds, PinnedTebibyteGuestMapsWithLargeFrames)
{
	const uint64_t mem = 1ULL << 40;
	for (zpci_design d : { ZPCI_DESIGN_IDENTITY_PINNED, ZPCI_DESIGN_NESTED_PINNED }) {
		zpci_machine m;
		zpci_machine_cfg cfg = machine_cfg(d, mem);
		cfg.large_frames = true;
		ASSERT_EQ(zpci_machine_init(&m, &cfg, &kFunction, 1), 0) << m.error;
		EXPECT_EQ(m.host_pool.bytes_in_use, zpci_machine_pinned_table_bytes(mem, true));
		EXPECT_EQ(zpci_machine_pinned_table_bytes(mem, true), (512 + 1) * ZPCI_TABLE_SIZE);
		EXPECT_EQ(m.pins.stats.pinned_pages, mem >> ZPCI_PAGE_SHIFT);
		EXPECT_EQ(m.pins.ranges.nr, 1u);
		const auto *p = static_cast<const zpci_pinned *>(m.fns[0].design);
		zpci_mem host = zpci_machine_host_mem(&m);
		zpci_prng r;
		zpci_prng_seed(&r, 3);
		for (int i = 0; i < 2000; i++) {
			uint64_t gpa = zpci_prng_below(&r, mem);
			const zpci_extent &e = m.layout.by_gpa[gpa / m.layout.chunk];
			ASSERT_EQ(e.gpa, gpa & ~(m.layout.chunk - 1));
			zpci_xlate x;
			ASSERT_EQ(zpci_translate(&host, &p->space, gpa, ZPCI_DMA_WRITE, &x),
				  ZPCI_FAULT_NONE) << std::hex << gpa;
			EXPECT_EQ(x.addr, e.hpa + (gpa - e.gpa)) << std::hex << gpa;
			EXPECT_EQ(x.frame_size, ZPCI_SEG_FRAME_SIZE);
			EXPECT_TRUE(zpci_is_pinned(&m.pins, x.addr));
		}
		EXPECT_FALSE(zpci_is_pinned(&m.pins, ZPCI_MACHINE_HYPERVISOR_TOP - 1));
		EXPECT_FALSE(zpci_is_pinned(&m.pins, ZPCI_MACHINE_HYPERVISOR_TOP + mem));
		zpci_machine_destroy(&m);
	}
	zpci_machine m;
	zpci_machine_cfg cfg = machine_cfg(ZPCI_DESIGN_IDENTITY_PINNED, 32ULL << 40);
	cfg.large_frames = true;
	EXPECT_EQ(zpci_machine_init(&m, &cfg, &kFunction, 1), -E2BIG);
	EXPECT_EQ(std::string(m.error),
		  "guest memory of 32 TiB: identity-pinned maps all of it up front in 262160 KiB of "
		  "host tables for 1 function(s), more than the hypervisor's 192 MiB table pool");
}

struct Refusal {
	zpci_design design;
	uint64_t guest_mem;
	uint32_t nr_fns;
	int rc;
	const char *error;
};

// Each refusal returns at once with nothing allocated, saying why.
TEST(MachineBounds, WhatCannotBeSimulatedIsRefusedUpFront)
{
	const Refusal cases[] = {
		{ ZPCI_DESIGN_BARE, 64ULL << 20, 1, -EINVAL,
		  "guest memory of 64 MiB: must be more than the 64 MiB its DMA tables come from, "
		  "in whole 2 MiB chunks, and below 4 PiB" },
		{ ZPCI_DESIGN_BARE, (1ULL << 30) + 4096, 1, -EINVAL,
		  "guest memory of 1048580 KiB: must be more than the 64 MiB its DMA tables come "
		  "from, in whole 2 MiB chunks, and below 4 PiB" },
		{ ZPCI_DESIGN_IDENTITY_PINNED, 1ULL << 40, 1, -E2BIG,
		  "guest memory of 1 TiB: identity-pinned would keep 2080 MiB of simulator state "
		  "for it, more than the 2048 MiB a machine may" },
		{ ZPCI_DESIGN_INTERCEPT_KVM, 1ULL << 50, 1, -E2BIG,
		  "guest memory of 1 PiB: intercept-kvm would keep 24576 MiB of simulator state "
		  "for it, more than the 2048 MiB a machine may" },
		{ ZPCI_DESIGN_NESTED_PINNED, 96ULL << 30, 1, -E2BIG,
		  "guest memory of 96 GiB: nested-pinned maps all of it up front in 197392 KiB of "
		  "host tables for 1 function(s), more than the hypervisor's 192 MiB table pool" },
		{ ZPCI_DESIGN_IDENTITY_PINNED, 64ULL << 30, 2, -E2BIG,
		  "guest memory of 64 GiB: identity-pinned maps all of it up front in 263200 KiB of "
		  "host tables for 2 function(s), more than the hypervisor's 192 MiB table pool" },
	};
	for (const Refusal &c : cases) {
		zpci_machine m;
		zpci_machine_cfg cfg = machine_cfg(c.design, c.guest_mem);
		zpci_func_cfg fns[2] = { kFunction, kFunction };
		fns[1].fid++;
		fns[1].fh++;
		EXPECT_EQ(zpci_machine_init(&m, &cfg, fns, c.nr_fns), c.rc) << c.error;
		EXPECT_EQ(std::string(m.error), c.error);
		EXPECT_TRUE(zpci_machine_refused(c.rc));
		EXPECT_EQ(m.host, nullptr) << "nothing built";
	}
}

}  // namespace
