// SPDX-License-Identifier: MIT
// The translation caches against a plain reference cache written from the
// policy definitions: per set, a list of (fh, key) in replacement order,
// the set from the index formula as iotlb.h states it.  It knows LRU and
// FIFO; the random policy is checked on its own.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include <zpci/prng.h>

#include "iotlb/iotlb.h"
#include "walker/table_walker.h"

namespace zpcisim::test {
namespace {

class ReferenceCache {
public:
	explicit ReferenceCache(const CacheParams &p)
		: p_(p), ways_(p.assoc ? p.assoc : p.entries), sets_(p.entries / ways_)
	{
	}

	// The formula, one bit of fh at a time: fold_n puts fh's bit b on bit
	// b mod n, rev_n moves bit j to bit n-1-j.
	uint64_t set_of(uint32_t fh, uint64_t key) const
	{
		unsigned n = 0;
		uint64_t x = 0;

		while ((uint64_t(1) << n) < sets_)
			n++;
		if (p_.index == CacheIndex::XorFh)
			x = fh;
		else if (p_.index == CacheIndex::XorFhReversed)
			for (unsigned b = 0; n && b < 32; b++)
				if (fh >> b & 1)
					x ^= uint64_t(1) << (n - 1 - b % n);
		return (key ^ x) % sets_;
	}

	std::optional<uint64_t> lookup(uint32_t fh, uint64_t key)
	{
		auto &set = sets_map_[set_of(fh, key)];
		auto it = std::find_if(set.begin(), set.end(), [&](const Entry &e) {
			return e.fh == fh && e.key == key;
		});
		if (it == set.end())
			return std::nullopt;
		Entry e = *it;
		if (p_.policy == Replacement::Lru) {	// most recent at the back
			set.erase(it);
			set.push_back(e);
		}
		return e.value;
	}

	void insert(uint32_t fh, uint64_t key, uint64_t value)
	{
		auto &set = sets_map_[set_of(fh, key)];
		auto it = std::find_if(set.begin(), set.end(), [&](const Entry &e) {
			return e.fh == fh && e.key == key;
		});
		if (it != set.end())
			set.erase(it);	// refilled: newest in both LRU and FIFO order
		else if (set.size() == ways_)
			set.pop_front();
		set.push_back({ fh, key, value });
	}

	void invalidate(uint32_t fh, uint64_t first, uint64_t last)
	{
		for (auto &[s, set] : sets_map_)
			set.erase(std::remove_if(set.begin(), set.end(),
						 [&](const Entry &e) {
							 return e.fh == fh && e.key >= first && e.key <= last;
						 }),
				  set.end());
	}

private:
	struct Entry {
		uint32_t fh;
		uint64_t key, value;
	};

	CacheParams p_;
	uint32_t ways_, sets_;
	std::map<uint64_t, std::deque<Entry>> sets_map_;
};

struct Shape {
	uint32_t entries, assoc;
	Replacement policy;
	CacheIndex index = CacheIndex::XorFhReversed;
};

class CachePolicy : public ::testing::TestWithParam<Shape> {};

// Random operations over a small key space: every lookup agrees with the
// reference, hits and misses alike.
TEST_P(CachePolicy, AgreesWithTheReferenceCache)
{
	CacheParams p;
	p.entries = GetParam().entries;
	p.assoc = GetParam().assoc;
	p.policy = GetParam().policy;
	p.index = GetParam().index;
	TaggedCache cache(p);
	ReferenceCache ref(p);
	zpci_prng r;
	zpci_prng_seed(&r, 77);
	uint64_t hits = 0;
	// Enabled handles as the harness gives them, and two that differ above
	// the set number's bits.
	const uint32_t handles[] = { 0x80000100, 0x80000101, 0x80010100, 0x9e3779b9 };

	for (int op = 0; op < 200000; op++) {
		uint32_t fh = handles[zpci_prng_below(&r, 4)];
		uint64_t key = zpci_prng_below(&r, 3 * p.entries);
		switch (zpci_prng_below(&r, 20)) {
		case 0: {
			uint64_t last = key + zpci_prng_below(&r, 40);
			cache.invalidate_range(fh, key, last);
			ref.invalidate(fh, key, last);
			break;
		}
		case 1:
		case 2:
		case 3:
		case 4:
		case 5:
			cache.insert(fh, key, key * 7 + fh);
			ref.insert(fh, key, key * 7 + fh);
			break;
		default: {
			auto a = cache.lookup(fh, key), b = ref.lookup(fh, key);
			ASSERT_EQ(a.has_value(), b.has_value()) << "op " << op << " key " << key;
			if (a) {
				ASSERT_EQ(*a, *b);
				hits++;
			}
		}
		}
	}
	EXPECT_GT(hits, 1000u);
	EXPECT_EQ(cache.stats().hits, hits);
	EXPECT_EQ(cache.stats().lookups, cache.stats().hits + cache.stats().misses);
}

std::string shape_name(const ::testing::TestParamInfo<Shape> &info)
{
	const Shape &s = info.param;
	const char *index[] = { "Page", "XorFh", "XorFhReversed" };
	return std::to_string(s.entries) + "Entries" +
	       (s.assoc ? std::to_string(s.assoc) + "Way" : std::string("Full")) +
	       (s.policy == Replacement::Lru ? "Lru" : "Fifo") + index[static_cast<int>(s.index)];
}

INSTANTIATE_TEST_SUITE_P(Shapes, CachePolicy,
			 ::testing::Values(Shape{ 64, 4, Replacement::Lru }, Shape{ 64, 4, Replacement::Fifo },
					   Shape{ 64, 0, Replacement::Lru }, Shape{ 64, 1, Replacement::Fifo },
					   Shape{ 128, 8, Replacement::Fifo }, Shape{ 32, 0, Replacement::Fifo },
					   Shape{ 64, 4, Replacement::Lru, CacheIndex::Page },
					   Shape{ 64, 4, Replacement::Fifo, CacheIndex::XorFh },
					   Shape{ 96, 4, Replacement::Lru },	// 24 sets: mod, n = 5
					   Shape{ 96, 4, Replacement::Lru, CacheIndex::XorFh },
					   Shape{ 8, 8, Replacement::Lru }),	// one set: no index
			 shape_name);

// LRU and FIFO differ exactly where a hit refreshes an entry.
TEST(TaggedCache, LruKeepsWhatWasUsedFifoDoesNot)
{
	for (Replacement pol : { Replacement::Lru, Replacement::Fifo }) {
		CacheParams p;
		p.entries = 2;
		p.assoc = 2;
		p.policy = pol;
		TaggedCache c(p);
		c.insert(1, 10, 100);
		c.insert(1, 12, 120);
		ASSERT_TRUE(c.lookup(1, 10));	// refresh 10 (LRU only)
		c.insert(1, 14, 140);		// evicts 12 (LRU) or 10 (FIFO)
		EXPECT_EQ(c.lookup(1, 10).has_value(), pol == Replacement::Lru);
		EXPECT_EQ(c.lookup(1, 12).has_value(), pol == Replacement::Fifo);
		EXPECT_EQ(c.stats().evictions, 1u);
	}
}

TEST(TaggedCache, RandomIsSeededAndStaysWithinItsSet)
{
	CacheParams p;
	p.entries = 16;
	p.assoc = 4;
	p.policy = Replacement::Random;
	p.seed = 9;
	p.index = CacheIndex::Page;
	TaggedCache a(p), b(p);
	for (uint64_t k = 0; k < 1000; k++) {
		a.insert(1, k * 4, k);	// all in set 0
		b.insert(1, k * 4, k);
	}
	int live = 0;
	for (uint64_t k = 0; k < 1000; k++) {
		auto x = a.lookup(1, k * 4), y = b.lookup(1, k * 4);
		ASSERT_EQ(x.has_value(), y.has_value());
		live += x.has_value();
	}
	EXPECT_EQ(live, 4);	// one set of four ways
	EXPECT_EQ(a.stats().evictions, 996u);
}

TEST(TaggedCache, InvalidationsByRangeFunctionAndAll)
{
	CacheParams p;
	p.entries = 64;
	TaggedCache c(p);
	for (uint64_t k = 0; k < 32; k++) {
		c.insert(1, k, k);
		c.insert(2, k, k);
	}
	c.invalidate_range(1, 4, 7);
	EXPECT_FALSE(c.lookup(1, 5));
	EXPECT_TRUE(c.lookup(2, 5));
	EXPECT_TRUE(c.lookup(1, 8));
	c.invalidate_range(2, 0, UINT64_MAX);	// sweeping path
	EXPECT_FALSE(c.lookup(2, 20));
	EXPECT_TRUE(c.lookup(1, 20));
	c.invalidate_function(1);
	EXPECT_FALSE(c.lookup(1, 20));
	c.insert(3, 1, 1);
	c.invalidate_all();
	EXPECT_FALSE(c.lookup(3, 1));
	EXPECT_EQ(c.stats().invalidations, 4u + 32 + 28 + 1);
}

// Empty lines carry the key UINT64_MAX: it cannot go in, and invalidating
// up to it drops no empty line.
TEST(TaggedCache, TheEmptyLinesKeyIsNoEntrysKey)
{
	CacheParams p;
	p.entries = 64;
	TaggedCache c(p);
	EXPECT_THROW(c.insert(0, UINT64_MAX, 1), std::invalid_argument);
	EXPECT_FALSE(c.lookup(0, UINT64_MAX));
	c.insert(0, UINT64_MAX - 1, 7);
	c.invalidate_range(0, UINT64_MAX - 3, UINT64_MAX);	// the short-range path
	EXPECT_FALSE(c.lookup(0, UINT64_MAX - 1));
	EXPECT_EQ(c.stats().invalidations, 1u);
	EXPECT_EQ(c.stats().hits, 0u);
}

TEST(TaggedCache, DisabledCacheNeverHits)
{
	CacheParams p;
	p.enabled = false;
	TaggedCache c(p);
	c.insert(1, 1, 1);
	EXPECT_FALSE(c.lookup(1, 1));
	EXPECT_EQ(c.stats().lookups, 0u);
	CacheParams bad;
	bad.entries = 10;
	bad.assoc = 4;
	EXPECT_THROW(TaggedCache{ bad }, std::invalid_argument);
}

// @functions functions (enabled handles 0x80000100, 0x80000101, ... as the
// harness gives them), whose guests' allocators all start at the same IOVA,
// each use @keys_each keys from @base on, in a seeded random order: the
// misses of a cache of @p, and (by hand) the compulsory ones, each (fh, key)
// used at all.
struct Shared {
	uint64_t accesses, misses, compulsory;
	double hit_rate() const { return 1 - double(misses) / accesses; }
};

Shared share(const CacheParams &p, uint32_t functions, uint64_t base, uint64_t keys_each)
{
	TaggedCache c(p);
	std::set<std::pair<uint32_t, uint64_t>> used;
	zpci_prng r;
	zpci_prng_seed(&r, 5);
	const uint64_t accesses = 500000;

	for (uint64_t a = 0; a < accesses; a++) {
		uint32_t fh = 0x80000100 + zpci_prng_below(&r, functions);
		uint64_t key = base + zpci_prng_below(&r, keys_each);
		if (!c.lookup(fh, key))
			c.insert(fh, key, key);
		used.insert({ fh, key });
	}
	return { accesses, c.stats().misses, used.size() };
}

// The bar: functions whose combined footprint fits miss only on
// first use, so 16 hit within 5 % of one.  The IOTLB's default shape over
// IOVA pages from 0x100000000 (the harness's sdma), and the walk cache's
// over IOVA segments (1 MiB) from there, 4 per function.
TEST(TaggedCacheIndex, FunctionsThatFitTogetherMissOnlyOnFirstUse)
{
	const CacheParams iotlb,
		walk_cache = TableWalkerParams{}.guest_walk_cache.level(ZPCI_LEVEL_SX);
	ASSERT_EQ(iotlb.index, CacheIndex::XorFhReversed);
	ASSERT_EQ(walk_cache.index, CacheIndex::XorFhReversed);
	for (auto [p, base] : { std::pair{ iotlb, uint64_t(0x100000) }, { walk_cache, 0x1000 } }) {
		Shared one = share(p, 1, base, p.entries / 16);
		for (uint32_t functions : { 1u, 8u, 16u }) {
			Shared s = share(p, functions, base, p.entries / 16);
			EXPECT_EQ(s.compulsory, functions * (p.entries / 16));
			EXPECT_EQ(s.misses, s.compulsory) << functions << " functions";
			EXPECT_GE(s.hit_rate(), 0.95 * one.hit_rate()) << functions << " functions";
		}
	}
}

// Where the footprints start need not be aligned to anything.
TEST(TaggedCacheIndex, UnalignedFootprintsFitToo)
{
	const CacheParams p;
	for (uint64_t base : { 0x100033, 0x1fffff, 0x7777777 }) {
		Shared s = share(p, 16, base, p.entries / 16);
		EXPECT_EQ(s.misses, s.compulsory) << base;
	}
}

// The collapse the tagged index removes: indexed by the key alone, or XORed
// with handles that differ only in their 4 low bits (which permutes keys
// within aligned blocks of 16), the 16 functions' 128 keys go to the same
// 128 sets, 16 lines for 4 ways: a random order hits about 4 times in 16.
TEST(TaggedCacheIndex, PageIndexAndPlainXorCollapse)
{
	for (CacheIndex index : { CacheIndex::Page, CacheIndex::XorFh }) {
		CacheParams p;
		p.index = index;
		Shared one = share(p, 1, 0x100000, p.entries / 16);
		Shared s = share(p, 16, 0x100000, p.entries / 16);
		EXPECT_EQ(one.misses, one.compulsory);
		EXPECT_GT(s.hit_rate(), 0.2);
		EXPECT_LT(s.hit_rate(), 0.3);
	}
}

}  // namespace
}  // namespace zpcisim::test
