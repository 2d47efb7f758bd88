// SPDX-License-Identifier: MIT
// The radix page map against std::map: runs of pages as IOVAs come, far
// scattered pages that each need their own path, and range clears from a
// single page (which takes its own path) to the whole space; emptied nodes
// are reused.
#include <gtest/gtest.h>

#include <map>

#include <zpci/pagemap.h>
#include <zpci/prng.h>

namespace {

constexpr uint64_t kPageMax = (1ULL << 52) - 1;

class PageMap : public ::testing::Test {
protected:
	PageMap() { zpci_pagemap_init(&m_); }
	~PageMap() override { zpci_pagemap_destroy(&m_); }

	void set(uint64_t page, uint64_t val) { set_range(page, page, val); }

	void set_range(uint64_t first, uint64_t last, uint64_t val)
	{
		ASSERT_EQ(zpci_pagemap_set(&m_, first, last, val), 0) << first << ".." << last;
		for (uint64_t p = first;; p++) {
			model_[p] = val;
			if (p == last)
				break;
		}
	}

	void clear(uint64_t first, uint64_t last)
	{
		uint64_t n = 0;
		for (auto it = model_.lower_bound(first); it != model_.end() && it->first <= last;) {
			it = model_.erase(it);
			n++;
		}
		ASSERT_EQ(zpci_pagemap_clear(&m_, first, last), n) << first << ".." << last;
	}

	void check_all()
	{
		ASSERT_EQ(m_.used, model_.size());
		for (const auto &[page, v] : model_) {
			uint64_t got = ~0ULL;
			ASSERT_TRUE(zpci_pagemap_get(&m_, page, &got)) << page;
			ASSERT_EQ(got, v) << page;
		}
	}

	zpci_pagemap m_{};
	std::map<uint64_t, uint64_t> model_;
};

TEST_F(PageMap, RunsScatterAndClearsMatchAModel)
{
	zpci_prng r;
	zpci_prng_seed(&r, 23);
	for (int op = 0; op < 3000; op++) {
		uint64_t base = zpci_prng_below(&r, 1 << 22);
		switch (zpci_prng_below(&r, 5)) {
		case 0:
		case 1:	// the pages of one mapping, crossing leaves now and then:
			// a page at a time, or all in one
			if (zpci_prng_below(&r, 2)) {
				for (uint64_t p = base; p < base + 1 + zpci_prng_below(&r, 300); p++)
					ASSERT_NO_FATAL_FAILURE(set(p, p ^ op));
			} else {
				uint64_t last = base + zpci_prng_below(&r, zpci_prng_below(&r, 8)
						? 300 : 3 * 8192);
				ASSERT_NO_FATAL_FAILURE(set_range(base, last, op));
			}
			break;
		case 2:	// an unmap of one page (its own path), a few, or a sweep over many leaves
			if (!zpci_prng_below(&r, 3) && !model_.empty()) {
				auto it = model_.lower_bound(base);
				uint64_t p = it == model_.end() ? model_.begin()->first : it->first;
				ASSERT_NO_FATAL_FAILURE(clear(p, p));
				break;
			}
			ASSERT_NO_FATAL_FAILURE(clear(base, base + (zpci_prng_below(&r, 4)
						? zpci_prng_below(&r, 200) : zpci_prng_below(&r, 1 << 22))));
			break;
		case 3:	// a lookup where nothing may be
			if (!model_.count(base)) {
				uint64_t v;
				ASSERT_FALSE(zpci_pagemap_get(&m_, base, &v)) << base;
			}
			break;
		default:	// a page far from everything, on its own path
			ASSERT_NO_FATAL_FAILURE(set(zpci_prng_next(&r) & kPageMax, op));
		}
		if (op % 101 == 0) {
			ASSERT_NO_FATAL_FAILURE(check_all());
		}
	}
	check_all();
	ASSERT_NO_FATAL_FAILURE(clear(0, UINT64_MAX));
	EXPECT_EQ(m_.root, nullptr);	// every emptied node went back
}

TEST_F(PageMap, OverwritingAPageKeepsOneValue)
{
	set(7, 1);
	set(7, 2);
	check_all();
	EXPECT_EQ(m_.used, 1u);
}

TEST_F(PageMap, EdgesOfTheValueAndPageRanges)
{
	EXPECT_EQ(zpci_pagemap_set(&m_, 1, 1, ZPCI_PAGEMAP_VALUE_MAX + 1), -EINVAL);
	EXPECT_EQ(zpci_pagemap_set(&m_, kPageMax + 1, kPageMax + 1, 0), -EINVAL);
	EXPECT_EQ(zpci_pagemap_set(&m_, kPageMax - 1, kPageMax + 1, 0), -EINVAL);
	EXPECT_EQ(zpci_pagemap_set(&m_, 5, 4, 0), -EINVAL);
	EXPECT_EQ(m_.used, 0u);
	EXPECT_EQ(m_.root, nullptr);
	set_range(kPageMax - 8192, kPageMax, 9);	// across the last leaf boundary, to the top
	set(kPageMax, ZPCI_PAGEMAP_VALUE_MAX);
	set(0, 0);	// zero is a value, not emptiness
	check_all();
	ASSERT_NO_FATAL_FAILURE(clear(kPageMax - 8192, kPageMax - 1));
	check_all();
	uint64_t v;
	EXPECT_FALSE(zpci_pagemap_get(&m_, kPageMax + 1, &v));
	EXPECT_FALSE(zpci_pagemap_get(&m_, UINT64_MAX, &v));
	ASSERT_NO_FATAL_FAILURE(clear(kPageMax, UINT64_MAX));
	check_all();
	EXPECT_EQ(zpci_pagemap_clear_all(&m_), 1u);
	EXPECT_EQ(m_.used, 0u);
}

}  // namespace

namespace {

// A drain tells every value it drops, in page order, as the model holds them.
TEST(PageMapDrain, TellsEveryDroppedValueInOrder)
{
	zpci_pagemap m;
	std::map<uint64_t, uint64_t> model;
	std::vector<std::pair<uint64_t, uint64_t>> told;
	zpci_pagemap_visitor v = { [](void *ctx, u64 page, u64 val) {
					  static_cast<std::vector<std::pair<uint64_t, uint64_t>> *>(ctx)
						  ->push_back({ page, val });
				  },
				  &told };
	zpci_prng r;

	zpci_pagemap_init(&m);
	zpci_prng_seed(&r, 3);
	for (int i = 0; i < 2000; i++) {
		uint64_t page = zpci_prng_below(&r, 1ULL << 30) << zpci_prng_below(&r, 20);
		page &= (1ULL << 52) - 1;
		ASSERT_EQ(zpci_pagemap_set(&m, page, page, i), 0);
		model[page] = i;
	}
	uint64_t first = 1ULL << 35, last = 1ULL << 45;
	std::vector<std::pair<uint64_t, uint64_t>> want(model.lower_bound(first),
							model.upper_bound(last));
	EXPECT_EQ(zpci_pagemap_drain(&m, first, last, &v), want.size());
	EXPECT_EQ(told, want);
	EXPECT_EQ(m.used, model.size() - want.size());
	zpci_pagemap_destroy(&m);
}

}  // namespace
