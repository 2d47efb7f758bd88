// SPDX-License-Identifier: MIT
// Sparse memory and the guest layout.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>
#include <vector>

#include <zpci/layout.h>
#include <zpci/mem.h>
#include <zpci/prng.h>

#include "support/table_builder.h"

namespace zpcisim::test {
namespace {

TEST(SparseMem, UntouchedMemoryReadsZeroWithoutStorage)
{
	SparseMem sm(1ULL << 30);
	zpci_mem m = sm.view();
	uint8_t buf[8192];
	memset(buf, 0xaa, sizeof(buf));
	ASSERT_EQ(zpci_mem_read(&m, 0x12345, buf, sizeof(buf)), 0);
	for (uint8_t b : buf)
		ASSERT_EQ(b, 0);
	EXPECT_EQ(zpci_sparse_mem_pages(sm.get()), 0u);
}

TEST(SparseMem, WriteAcrossPagesReadsBack)
{
	SparseMem sm(1ULL << 20);
	zpci_mem m = sm.view();
	std::vector<uint8_t> in(3 * 4096 + 17), out(in.size());
	for (size_t i = 0; i < in.size(); i++)
		in[i] = static_cast<uint8_t>(i * 7 + 1);
	ASSERT_EQ(zpci_mem_write(&m, 0xff9, in.data(), in.size()), 0);
	ASSERT_EQ(zpci_mem_read(&m, 0xff9, out.data(), out.size()), 0);
	EXPECT_EQ(in, out);
	EXPECT_EQ(zpci_sparse_mem_pages(sm.get()), 5u);	// 0xff9 .. 0x400a spans 5 pages
}

TEST(SparseMem, AccessesPastTheEndFailWholly)
{
	const uint64_t size = 1ULL << 20;
	SparseMem sm(size);
	zpci_mem m = sm.view();
	uint64_t v = 0;
	EXPECT_EQ(zpci_mem_write64(&m, size - 8, 1), 0);
	EXPECT_EQ(zpci_mem_write64(&m, size - 4, 1), -EFAULT);
	EXPECT_EQ(zpci_mem_write64(&m, size, 1), -EFAULT);
	EXPECT_EQ(zpci_mem_read64(&m, size - 4, &v), -EFAULT);
	EXPECT_EQ(zpci_mem_read64(&m, UINT64_MAX - 3, &v), -EFAULT);	// would wrap
	EXPECT_EQ(zpci_sparse_mem_pages(sm.get()), 1u);
}

TEST(SparseMem, EntriesAreBigEndian)
{
	SparseMem sm(1ULL << 20);
	zpci_mem m = sm.view();
	uint8_t b[8];
	ASSERT_EQ(zpci_mem_write64(&m, 0x100, 0x0102030405060708ULL), 0);
	ASSERT_EQ(zpci_mem_read(&m, 0x100, b, 8), 0);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(b[i], i + 1);
	uint64_t v;
	ASSERT_EQ(zpci_mem_read64(&m, 0x100, &v), 0);
	EXPECT_EQ(v, 0x0102030405060708ULL);
}

// A guest of many GiB costs only the pages it touches.
TEST(SparseMem, LargeGuestTouchesOnlyWrittenPages)
{
	const uint64_t size = 64ULL << 30;
	SparseMem sm(size);
	zpci_mem m = sm.view();
	std::map<uint64_t, uint64_t> written;
	zpci_prng r;
	zpci_prng_seed(&r, 5);
	for (int i = 0; i < 1000; i++) {
		uint64_t a = zpci_prng_below(&r, size / 8) * 8;
		uint64_t v = zpci_prng_next(&r);
		ASSERT_EQ(zpci_mem_write64(&m, a, v), 0);
		written[a] = v;
	}
	std::set<uint64_t> pages;
	for (const auto &kv : written) {
		uint64_t v;
		ASSERT_EQ(zpci_mem_read64(&m, kv.first, &v), 0);
		EXPECT_EQ(v, kv.second);
		pages.insert(kv.first >> 12);
	}
	EXPECT_EQ(zpci_sparse_mem_pages(sm.get()), pages.size());
}

TEST(SparseMem, RejectsBadSizes)
{
	EXPECT_EQ(zpci_sparse_mem_create(0), nullptr);
	EXPECT_EQ(zpci_sparse_mem_create(4097), nullptr);
	EXPECT_EQ(zpci_sparse_mem_create(1ULL << 60), nullptr);
}

class Layout : public ::testing::Test {
protected:
	~Layout() override { zpci_layout_destroy(&l_); }
	zpci_layout l_{};
};

TEST_F(Layout, ContiguousIsAnOffset)
{
	ASSERT_EQ(zpci_layout_init_contiguous(&l_, 1ULL << 30, 0x40000000), 0);
	uint64_t hpa, gpa;
	ASSERT_EQ(zpci_layout_gpa_to_hpa(&l_, 0x1234, &hpa), 0);
	EXPECT_EQ(hpa, 0x40001234ULL);
	EXPECT_EQ(zpci_layout_gpa_to_hpa(&l_, 1ULL << 30, &hpa), -EFAULT);
	ASSERT_EQ(zpci_layout_hpa_to_gpa(&l_, 0x7fffffff, &gpa), 0);
	EXPECT_EQ(gpa, (1ULL << 30) - 1);
	EXPECT_EQ(zpci_layout_hpa_to_gpa(&l_, 0x3fffffff, &gpa), -EFAULT);
	EXPECT_EQ(zpci_layout_hpa_to_gpa(&l_, 0x80000000, &gpa), -EFAULT);
}

// Scattered chunks: a bijection between guest memory and the host range.
TEST_F(Layout, ScatteredIsABijectionAndDeterministic)
{
	const uint64_t chunk = 2ULL << 20, size = 256ULL << 20, base = 1ULL << 32;
	ASSERT_EQ(zpci_layout_init_scattered(&l_, size, chunk, base, 11), 0);
	std::set<uint64_t> hosts;
	bool moved = false;
	for (uint64_t gpa = 0; gpa < size; gpa += chunk) {
		uint64_t hpa, back;
		ASSERT_EQ(zpci_layout_gpa_to_hpa(&l_, gpa + 5, &hpa), 0);
		EXPECT_GE(hpa, base);
		EXPECT_LT(hpa, base + size);
		EXPECT_EQ((hpa - 5) % chunk, 0u);
		EXPECT_TRUE(hosts.insert(hpa - 5).second);
		ASSERT_EQ(zpci_layout_hpa_to_gpa(&l_, hpa, &back), 0);
		EXPECT_EQ(back, gpa + 5);
		moved |= hpa - 5 != base + gpa;
	}
	EXPECT_TRUE(moved);

	zpci_layout again{};
	ASSERT_EQ(zpci_layout_init_scattered(&again, size, chunk, base, 11), 0);
	for (size_t i = 0; i < l_.nr_extents; i++)
		EXPECT_EQ(again.by_gpa[i].hpa, l_.by_gpa[i].hpa);
	zpci_layout_destroy(&again);
}

// Either direction, anywhere (inside, at the edges, outside, wrapping),
// against a plain scan of the extents.
// Power-of-two chunks (a shift), others (a divide), and one extent.
TEST_F(Layout, LookupsEqualAScanOfTheExtents)
{
	struct Shape {
		uint64_t chunk, size;	// chunk 0: contiguous
	};
	const uint64_t base = 3ULL << 30;
	for (Shape sh : { Shape{ 2ULL << 20, 64ULL << 20 }, Shape{ 3 * 4096, 3 * 4096 * 700 },
			  Shape{ 0, 3ULL << 20 }, Shape{ 0, 4ULL << 20 } }) {
		zpci_layout_destroy(&l_);
		if (sh.chunk)
			ASSERT_EQ(zpci_layout_init_scattered(&l_, sh.size, sh.chunk, base, 5), 0);
		else
			ASSERT_EQ(zpci_layout_init_contiguous(&l_, sh.size, base), 0);
		const uint64_t size = sh.size, chunk = l_.chunk;
		auto scan = [&](uint64_t addr, bool from_hpa, uint64_t *out) {
			for (size_t i = 0; i < l_.nr_extents; i++) {
				const zpci_extent &e = l_.by_gpa[i];
				uint64_t from = from_hpa ? e.hpa : e.gpa, to = from_hpa ? e.gpa : e.hpa;
				if (addr >= from && addr - from < e.len) {
					*out = to + (addr - from);
					return 0;
				}
			}
			return -EFAULT;
		};
		zpci_prng prng;
		zpci_prng_seed(&prng, 9);
		std::vector<uint64_t> addrs = { 0,	   1,	     size - 1,	 size,	    base - 1,
						base,	   base + size - 1, base + size, UINT64_MAX,
						chunk - 1, chunk };
		for (int i = 0; i < 4000; i++)
			addrs.push_back(zpci_prng_below(&prng, base + size + chunk));
		for (uint64_t a : addrs) {
			uint64_t want = 0, got = 0;
			int rc = scan(a, false, &want);
			ASSERT_EQ(zpci_layout_gpa_to_hpa(&l_, a, &got), rc) << std::hex << a;
			if (!rc) {
				ASSERT_EQ(got, want) << std::hex << a;
			}
			rc = scan(a, true, &want);
			ASSERT_EQ(zpci_layout_hpa_to_gpa(&l_, a, &got), rc) << std::hex << a;
			if (!rc) {
				ASSERT_EQ(got, want) << std::hex << a;
			}
		}
	}
}

TEST_F(Layout, RejectsBadArguments)
{
	EXPECT_EQ(zpci_layout_init_contiguous(&l_, 0, 0), -EINVAL);
	EXPECT_EQ(zpci_layout_init_contiguous(&l_, 4096, 1), -EINVAL);
	EXPECT_EQ(zpci_layout_init_scattered(&l_, 1 << 20, 3000, 0, 1), -EINVAL);
	EXPECT_EQ(zpci_layout_init_scattered(&l_, 3 << 20, 2 << 20, 0, 1), -EINVAL);
	EXPECT_EQ(zpci_layout_init_contiguous(&l_, 1ULL << 30, UINT64_MAX & ZPCI_PAGE_MASK),
		  -EINVAL);
}

// Guest-physical accesses straddling chunks land where the layout says.
TEST_F(Layout, GuestViewSplitsAcrossExtents)
{
	const uint64_t chunk = 64 << 10, size = 1 << 20, base = 0x100000;
	SparseMem host(4 << 20);
	ASSERT_EQ(zpci_layout_init_scattered(&l_, size, chunk, base, 3), 0);
	zpci_guest_view gv{ &l_, host.view() };
	zpci_mem guest = zpci_guest_view_mem(&gv);
	zpci_mem hm = host.view();

	std::vector<uint8_t> in(3 * chunk), out(in.size());
	for (size_t i = 0; i < in.size(); i++)
		in[i] = static_cast<uint8_t>(i ^ (i >> 8));
	ASSERT_EQ(zpci_mem_write(&guest, chunk / 2, in.data(), in.size()), 0);
	for (size_t i = 0; i < in.size(); i += 997) {
		uint64_t hpa;
		uint8_t b;
		ASSERT_EQ(zpci_layout_gpa_to_hpa(&l_, chunk / 2 + i, &hpa), 0);
		ASSERT_EQ(zpci_mem_read(&hm, hpa, &b, 1), 0);
		EXPECT_EQ(b, in[i]);
	}
	ASSERT_EQ(zpci_mem_read(&guest, chunk / 2, out.data(), out.size()), 0);
	EXPECT_EQ(in, out);
	EXPECT_EQ(zpci_mem_read(&guest, size - 4, out.data(), 8), -EFAULT);
}

}  // namespace
}  // namespace zpcisim::test
