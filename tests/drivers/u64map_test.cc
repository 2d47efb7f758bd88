// SPDX-License-Identifier: MIT
// The u64 hash map against std::map, with dense runs of keys (as IOVA
// pages are) and range removals of every size.
#include <gtest/gtest.h>

#include <map>

#include <zpci/prng.h>
#include <zpci/u64map.h>

namespace {

class U64Map : public ::testing::Test {
protected:
	U64Map() { EXPECT_EQ(zpci_u64map_init(&m_), 0); }
	~U64Map() override { zpci_u64map_destroy(&m_); }

	void check_all()
	{
		ASSERT_EQ(m_.nr, model_.size());
		for (const auto &[k, v] : model_) {
			const uint64_t *got = zpci_u64map_find(&m_, k);
			ASSERT_NE(got, nullptr) << k;
			ASSERT_EQ(*got, v) << k;
		}
	}

	zpci_u64map m_{};
	std::map<uint64_t, uint64_t> model_;
};

TEST_F(U64Map, DenseRunsAndRangeRemovalsMatchAModel)
{
	zpci_prng r;
	zpci_prng_seed(&r, 11);
	for (int op = 0; op < 4000; op++) {
		uint64_t base = zpci_prng_below(&r, 1 << 20);
		switch (zpci_prng_below(&r, 4)) {
		case 0:
		case 1:	// a dense run, as the pages of one mapping
			for (uint64_t k = base; k < base + 1 + zpci_prng_below(&r, 64); k++) {
				ASSERT_EQ(zpci_u64map_put(&m_, k, k * 3), 0);
				model_[k] = k * 3;
			}
			break;
		case 2: {	// a range removal, small or sweeping
			uint64_t len = zpci_prng_below(&r, 4) ? zpci_prng_below(&r, 100)
							      : zpci_prng_below(&r, 1 << 20);
			uint64_t n = 0;
			for (auto it = model_.lower_bound(base); it != model_.end() && it->first <= base + len;) {
				it = model_.erase(it);
				n++;
			}
			ASSERT_EQ(zpci_u64map_remove_range(&m_, base, base + len), n);
			break;
		}
		default: {	// scattered keys, far apart
			uint64_t k = zpci_prng_next(&r) >> 1;
			ASSERT_EQ(zpci_u64map_put(&m_, k, op), 0);
			model_[k] = op;
		}
		}
		if (op % 97 == 0) {
			ASSERT_NO_FATAL_FAILURE(check_all());
		}
	}
	check_all();
}

// Keys that share a hash group and wrap the table end must all stay findable
// through every kind of removal.
TEST_F(U64Map, CollidingKeysSurviveRemovalsAroundThem)
{
	for (uint64_t k = 0; k < 5000; k++) {
		ASSERT_EQ(zpci_u64map_put(&m_, k << 20, k), 0);
		model_[k << 20] = k;
	}
	for (uint64_t k = 0; k < 5000; k += 3) {
		EXPECT_TRUE(zpci_u64map_remove(&m_, k << 20));
		model_.erase(k << 20);
	}
	ASSERT_NO_FATAL_FAILURE(check_all());
	uint64_t n = 0;
	for (auto it = model_.lower_bound(1000ULL << 20); it != model_.end() && it->first <= (4000ULL << 20);) {
		it = model_.erase(it);
		n++;
	}
	EXPECT_EQ(zpci_u64map_remove_range(&m_, 1000ULL << 20, 4000ULL << 20), n);
	check_all();
}

// A wide range that removes about half of a well-filled table: the
// survivors are re-placed, and every one must stay findable.
TEST_F(U64Map, WideRemovalKeepsEverySurvivorFindable)
{
	zpci_prng r;
	zpci_prng_seed(&r, 5);
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 30000; i++) {
			uint64_t k = zpci_prng_next(&r) >> 1;
			ASSERT_EQ(zpci_u64map_put(&m_, k, i), 0);
			model_[k] = i;
		}
		uint64_t lo = zpci_prng_next(&r) >> 2, hi = lo + (1ULL << 61), n = 0;
		for (auto it = model_.lower_bound(lo); it != model_.end() && it->first <= hi;) {
			it = model_.erase(it);
			n++;
		}
		ASSERT_EQ(zpci_u64map_remove_range(&m_, lo, hi), n);
		ASSERT_NO_FATAL_FAILURE(check_all());
	}
}

// Removal by range reports each removed entry once, on both paths.
TEST_F(U64Map, RangeRemovalReportsWhatItRemoved)
{
	for (uint64_t k = 0; k < 1000; k++)
		ASSERT_EQ(zpci_u64map_put(&m_, k * 10, k), 0);
	std::map<uint64_t, uint64_t> seen;
	auto record = [](void *ctx, uint64_t key, uint64_t val) {
		auto *m = static_cast<std::map<uint64_t, uint64_t> *>(ctx);
		EXPECT_TRUE(m->emplace(key, val).second) << key;
	};
	EXPECT_EQ(zpci_u64map_remove_range_each(&m_, 100, 149, record, &seen), 5u);	// per key
	EXPECT_EQ(zpci_u64map_remove_range_each(&m_, 5000, 1ULL << 40, record, &seen), 500u);	// sweep
	EXPECT_EQ(seen.size(), 505u);
	EXPECT_EQ(seen[120], 12u);
	EXPECT_EQ(seen[9990], 999u);
	EXPECT_EQ(m_.nr, 495u);
}

// Counts dropped over ranges of every size, as unpinning does: every key in
// the range is visited exactly once, the ones that reach zero go, and every
// other entry stays findable (dense runs, wrapping the table's end).
TEST_F(U64Map, UpdateRangeVisitsEachKeyOnceAndRemovesWhatItSays)
{
	for (uint64_t k = 0; k < 100000; k++) {
		ASSERT_EQ(zpci_u64map_put(&m_, k, 1 + k % 3), 0);
		model_[k] = 1 + k % 3;
	}
	for (uint64_t k = 0; k < 2000; k++) {	// far keys, homes anywhere
		uint64_t key = (k + 1) << 40;
		ASSERT_EQ(zpci_u64map_put(&m_, key, 2), 0);
		model_[key] = 2;
	}
	struct Visits {
		std::map<uint64_t, int> seen;
	} v;
	auto drop = [](void *ctx, uint64_t key, uint64_t *count) {
		static_cast<Visits *>(ctx)->seen[key]++;
		return --*count == 0;
	};
	zpci_prng r;
	zpci_prng_seed(&r, 3);
	for (int round = 0; round < 40; round++) {
		bool wide = round % 2;
		uint64_t lo = wide ? zpci_prng_below(&r, 1ULL << 41) : zpci_prng_below(&r, 100000);
		uint64_t hi = lo + (wide ? zpci_prng_below(&r, 1ULL << 41) : zpci_prng_below(&r, 64));
		uint64_t gone = 0, visited = 0;
		for (auto it = model_.lower_bound(lo); it != model_.end() && it->first <= hi;) {
			visited++;
			if (--it->second == 0) {
				it = model_.erase(it);
				gone++;
			} else {
				++it;
			}
		}
		v.seen.clear();
		ASSERT_EQ(zpci_u64map_update_range(&m_, lo, hi, drop, &v), gone) << round;
		ASSERT_EQ(v.seen.size(), visited) << round;
		for (const auto &[key, n] : v.seen)
			ASSERT_EQ(n, 1) << "key " << key << " in round " << round;
		ASSERT_NO_FATAL_FAILURE(check_all());
	}
}

TEST_F(U64Map, TheEmptyMarkerIsNotAKey)
{
	EXPECT_EQ(zpci_u64map_put(&m_, ZPCI_U64MAP_EMPTY, 1), -EINVAL);
	EXPECT_EQ(zpci_u64map_find(&m_, ZPCI_U64MAP_EMPTY), nullptr);
	EXPECT_EQ(zpci_u64map_put(&m_, ZPCI_U64MAP_EMPTY - 1, 1), 0);
	EXPECT_EQ(zpci_u64map_remove_range(&m_, 0, ZPCI_U64MAP_EMPTY), 1u);
}

}  // namespace
