// SPDX-License-Identifier: MIT
// Bitmap helpers and the <= 6.6 IOVA allocator, against brute-force models
// written from the documented behaviour.
#include <gtest/gtest.h>

#include <vector>

#include <zpci/bitmap.h>
#include <zpci/iova_bitmap.h>
#include <zpci/prng.h>

namespace {

// Naive next-fit: first run of @nr clear bits at or after @start that does
// not cross a boundary (absolute bit numbers: + shift).
uint64_t naive_area(const std::vector<bool> &m, uint64_t start, uint64_t nr, uint64_t shift,
		    uint64_t boundary)
{
	for (uint64_t i = start; i + nr <= m.size(); i++) {
		bool ok = nr > 0;
		for (uint64_t j = i; ok && j < i + nr; j++)
			ok = !m[j];
		if (ok && boundary && (i + shift) / boundary != (i + nr - 1 + shift) / boundary)
			ok = false;
		if (ok)
			return i;
	}
	return m.size();
}

TEST(Bitmap, OperationsMatchANaiveModel)
{
	zpci_prng r;
	zpci_prng_seed(&r, 3);
	for (uint64_t size : { 1, 63, 64, 65, 200, 1000 }) {
		std::vector<unsigned long> map(ZPCI_BITS_TO_LONGS(size));
		std::vector<bool> model(size);
		for (int op = 0; op < 400; op++) {
			uint64_t start = zpci_prng_below(&r, size);
			uint64_t nr = zpci_prng_below(&r, size - start + 1);
			bool set = zpci_prng_below(&r, 2);
			if (set)
				zpci_bitmap_set(map.data(), start, nr);
			else
				zpci_bitmap_clear(map.data(), start, nr);
			for (uint64_t i = start; i < start + nr; i++)
				model[i] = set;

			uint64_t from = zpci_prng_below(&r, size + 1), want_set = size, want_zero = size,
				 weight = 0;
			for (uint64_t i = 0; i < size; i++)
				weight += model[i];
			for (uint64_t i = from; i < size && want_set == size; i++)
				if (model[i])
					want_set = i;
			for (uint64_t i = from; i < size && want_zero == size; i++)
				if (!model[i])
					want_zero = i;
			ASSERT_EQ(zpci_find_next_bit(map.data(), size, from), want_set);
			ASSERT_EQ(zpci_find_next_zero_bit(map.data(), size, from), want_zero);
			ASSERT_EQ(zpci_bitmap_weight(map.data(), size), weight);
			uint64_t below = from + zpci_prng_below(&r, size - from + 1), want_prev = below;
			for (uint64_t i = below; i > from && want_prev == below; i--)
				if (model[i - 1])
					want_prev = i - 1;
			ASSERT_EQ(zpci_find_prev_bit(map.data(), from, below), want_prev)
				<< "size " << size << " [" << from << ", " << below << ")";
			uint64_t nr2 = 1 + zpci_prng_below(&r, 8), boundary = zpci_prng_below(&r, 2) ? 16 : 0;
			ASSERT_EQ(zpci_find_next_zero_area(map.data(), size, from, nr2, 5, boundary),
				  naive_area(model, from, nr2, 5, boundary))
				<< "size " << size << " from " << from << " nr " << nr2;
		}
	}
}

int count_flush(void *priv)
{
	++*static_cast<int *>(priv);
	return 0;
}

int failing_flush(void *)
{
	return -EIO;
}

// A configuration whose global flushes are counted in *flushes.
zpci_iova_bitmap_cfg counting_cfg(uint64_t start, uint64_t pages, bool strict, int *flushes)
{
	zpci_iova_bitmap_cfg cfg{};
	cfg.start = start;
	cfg.pages = pages;
	cfg.strict = strict;
	cfg.global_flush = count_flush;
	cfg.flush_priv = flushes;
	return cfg;
}

class IovaBitmap : public ::testing::Test {
protected:
	void init(uint64_t pages, bool strict, uint64_t boundary = 0)
	{
		zpci_iova_bitmap_cfg cfg = counting_cfg(kStart, pages, strict, &flushes_);
		cfg.boundary_pages = boundary;
		ASSERT_EQ(zpci_iova_bitmap_init(&a_, &cfg), 0);
	}
	~IovaBitmap() override { zpci_iova_bitmap_destroy(&a_); }

	uint64_t alloc(uint64_t n)
	{
		dma_addr_t iova = 0;
		EXPECT_EQ(zpci_iova_bitmap_alloc(&a_, n, &iova), 0);
		return iova;
	}
	uint64_t page(uint64_t i) { return kStart + i * 4096; }

	static constexpr uint64_t kStart = 0x100000000ULL;
	zpci_iova_bitmap a_{};
	int flushes_ = 0;
};

// The aperture's last page is never handed out, as a real 6.1 guest shows
// (Linux's area allocator keeps "the last of the limit").
TEST_F(IovaBitmap, TheLastPageIsNeverHandedOut)
{
	init(4, true);
	dma_addr_t iova;
	EXPECT_EQ(zpci_iova_bitmap_alloc(&a_, 4, &iova), -ENOSPC);
	EXPECT_EQ(alloc(3), page(0));
	EXPECT_EQ(zpci_iova_bitmap_alloc(&a_, 1, &iova), -ENOSPC);
}

// Hand-derived: 9 pages (8 usable), lazy.  Next-fit fills 0-5, frees 0-1
// lazily; the request for 3 pages finds no room after bit 6, flushes once,
// reclaims 0-1, and lands at 0 after the wrap.
TEST_F(IovaBitmap, LazyWrapIssuesExactlyOneGlobalFlush)
{
	init(9, false);
	EXPECT_EQ(alloc(2), page(0));
	EXPECT_EQ(alloc(4), page(2));
	ASSERT_EQ(zpci_iova_bitmap_free(&a_, page(0), 2), 0);
	EXPECT_EQ(alloc(1), page(6));	// next-fit: freed pages not yet reusable
	EXPECT_EQ(flushes_, 0);
	EXPECT_EQ(alloc(2), page(0));	// 7 alone is too small: wrap
	EXPECT_EQ(flushes_, 1);
	EXPECT_EQ(a_.stats.wraps, 1u);
	EXPECT_EQ(a_.stats.global_flushes, 1u);
	EXPECT_EQ(alloc(1), page(7));
	dma_addr_t iova;
	EXPECT_EQ(zpci_iova_bitmap_alloc(&a_, 1, &iova), -ENOSPC);
	EXPECT_EQ(flushes_, 2);	// the wrap flushed again, found nothing lazily freed
	EXPECT_EQ(a_.stats.failures, 1u);
}

TEST_F(IovaBitmap, StrictReusesAtOnceAndNeverFlushes)
{
	init(9, true);
	EXPECT_EQ(alloc(4), page(0));
	EXPECT_EQ(alloc(4), page(4));
	ASSERT_EQ(zpci_iova_bitmap_free(&a_, page(0), 4), 0);
	EXPECT_EQ(alloc(3), page(0));	// wraps; strict frees are already clean
	EXPECT_EQ(flushes_, 0);
	EXPECT_EQ(a_.stats.wraps, 1u);
}

TEST_F(IovaBitmap, BadFreesAreRejectedAndChangeNothing)
{
	init(16, false);
	EXPECT_EQ(alloc(4), page(0));
	EXPECT_EQ(zpci_iova_bitmap_free(&a_, page(4), 1), -EINVAL);	// never allocated
	EXPECT_EQ(zpci_iova_bitmap_free(&a_, page(2), 4), -EINVAL);	// runs past the range
	EXPECT_EQ(zpci_iova_bitmap_free(&a_, kStart - 4096, 1), -EINVAL);
	EXPECT_EQ(zpci_iova_bitmap_free(&a_, page(16), 1), -EINVAL);
	EXPECT_EQ(zpci_iova_bitmap_free(&a_, page(0) + 1, 1), -EINVAL);
	ASSERT_EQ(zpci_iova_bitmap_free(&a_, page(0), 4), 0);
	EXPECT_EQ(zpci_iova_bitmap_free(&a_, page(0), 4), -EINVAL);	// double free
	EXPECT_EQ(a_.stats.frees, 1u);
}

TEST_F(IovaBitmap, FailedFlushFailsTheAllocation)
{
	zpci_iova_bitmap_cfg cfg{};
	cfg.start = kStart;
	cfg.pages = 3;	// 2 usable
	cfg.global_flush = failing_flush;
	ASSERT_EQ(zpci_iova_bitmap_init(&a_, &cfg), 0);
	alloc(2);
	ASSERT_EQ(zpci_iova_bitmap_free(&a_, page(0), 2), 0);
	dma_addr_t iova;
	EXPECT_EQ(zpci_iova_bitmap_alloc(&a_, 1, &iova), -EIO);
	EXPECT_EQ(a_.stats.global_flushes, 0u);
	EXPECT_EQ(a_.stats.failures, 1u);
}

// Ranges never straddle the device's segment boundary (in absolute IOVA pages).
TEST_F(IovaBitmap, RangesRespectTheSegmentBoundary)
{
	init(64, true, 16);
	EXPECT_EQ(alloc(10), page(0));
	EXPECT_EQ(alloc(10), page(16));
	EXPECT_EQ(alloc(6), page(26));
	dma_addr_t iova;
	EXPECT_EQ(zpci_iova_bitmap_alloc(&a_, 17, &iova), -ENOSPC);
}

TEST(IovaBitmapInit, RejectsBadConfigurations)
{
	zpci_iova_bitmap a;
	zpci_iova_bitmap_cfg cfg{};
	cfg.start = 0x1000;
	cfg.pages = 0;
	cfg.strict = true;
	EXPECT_EQ(zpci_iova_bitmap_init(&a, &cfg), -EINVAL);
	cfg.pages = 8;
	cfg.start = 0x1001;
	EXPECT_EQ(zpci_iova_bitmap_init(&a, &cfg), -EINVAL);
	cfg.start = 0x1000;
	cfg.boundary_pages = 12;
	EXPECT_EQ(zpci_iova_bitmap_init(&a, &cfg), -EINVAL);
	cfg.boundary_pages = 0;
	cfg.strict = false;	// lazy needs someone to flush
	EXPECT_EQ(zpci_iova_bitmap_init(&a, &cfg), -EINVAL);
}

// Long random sequences in both modes: every IOVA and every flush exactly
// where a brute-force model of the documented behaviour puts them.
class IovaBitmapModel : public ::testing::TestWithParam<bool> {};

TEST_P(IovaBitmapModel, MatchesBruteForce)
{
	const bool strict = GetParam();
	const uint64_t pages = 300, start = 0x40000000;
	int flushes = 0;
	zpci_iova_bitmap a;
	zpci_iova_bitmap_cfg cfg = counting_cfg(start, pages, strict, &flushes);
	ASSERT_EQ(zpci_iova_bitmap_init(&a, &cfg), 0);

	// The last page is never handed out (Linux's area allocator keeps it).
	const uint64_t usable = pages - 1;
	std::vector<bool> used(usable), lazy(usable);
	std::vector<std::pair<uint64_t, uint64_t>> live;
	uint64_t next = 0;
	int want_flushes = 0;
	zpci_prng r;
	zpci_prng_seed(&r, strict ? 11 : 12);

	for (int op = 0; op < 20000; op++) {
		if (!live.empty() && zpci_prng_below(&r, 2)) {
			size_t k = zpci_prng_below(&r, live.size());
			auto [bit, n] = live[k];
			live.erase(live.begin() + k);
			ASSERT_EQ(zpci_iova_bitmap_free(&a, start + bit * 4096, n), 0);
			for (uint64_t i = bit; i < bit + n; i++) {
				if (strict)
					used[i] = false;
				else
					lazy[i] = true;
			}
			continue;
		}
		uint64_t n = 1 + zpci_prng_below(&r, 12);
		uint64_t bit = naive_area(used, next, n, 0, 0);
		if (bit == usable) {
			if (!strict) {
				want_flushes++;
				for (uint64_t i = 0; i < usable; i++)
					if (lazy[i])
						used[i] = lazy[i] = false;
			}
			bit = naive_area(used, 0, n, 0, 0);
		}
		dma_addr_t iova = 0;
		int rc = zpci_iova_bitmap_alloc(&a, n, &iova);
		if (bit == usable) {
			ASSERT_EQ(rc, -ENOSPC);
		} else {
			ASSERT_EQ(rc, 0);
			ASSERT_EQ(iova, start + bit * 4096) << "op " << op;
			for (uint64_t i = bit; i < bit + n; i++)
				used[i] = true;
			next = bit + n;
			live.push_back({ bit, n });
		}
		ASSERT_EQ(flushes, want_flushes) << "op " << op;
	}
	EXPECT_GT(a.stats.wraps, 10u);
	EXPECT_EQ(a.stats.global_flushes, static_cast<uint64_t>(want_flushes));
	zpci_iova_bitmap_destroy(&a);
}

INSTANTIATE_TEST_SUITE_P(Modes, IovaBitmapModel, ::testing::Values(false, true),
			 [](const auto &info) { return info.param ? "Strict" : "Lazy"; });

}  // namespace
