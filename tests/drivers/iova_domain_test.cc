// SPDX-License-Identifier: MIT
// The 6.7+ IOVA allocator: each rule on a scripted sequence with IOVAs
// worked out by hand, then long random sequences against a reference that
// walks an ordered map of ranges node by node, as the kernel walks its
// tree (reserved ranges and anchor included), with plain vectors for the
// caches.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include <zpci/iova_domain.h>
#include <zpci/prng.h>

namespace {

constexpr uint64_t kStart = 0x100000000ULL;	// 4 GiB, pfn 0x100000
constexpr uint64_t kStartPfn = kStart >> 12;
constexpr uint64_t kTop = (1ULL << 42) - 1;	// the region-third table's reach
// The depot trim: 100 ms is 25 jiffies at HZ=250, run on the tick after.
constexpr uint32_t kHz = 250;
constexpr uint64_t kTrimRuns = 25 + 1;

class IovaDomain : public ::testing::Test {
protected:
	~IovaDomain() override { zpci_iova_domain_destroy(&d_); }

	void init(uint64_t pages, uint32_t cpus = 2, uint64_t start = kStart)
	{
		zpci_iova_domain_cfg cfg{ start, start + pages * 4096 - 1, kTop, cpus, kHz };
		ASSERT_EQ(zpci_iova_domain_init(&d_, &cfg), 0);
	}

	// The pfn a map of @npages gets, or 0 on -ENOSPC.
	uint64_t alloc(uint64_t npages, uint32_t cpu = 0, uint64_t now = 0)
	{
		dma_addr_t iova = 0;
		zpci_iova_domain_advance(&d_, now);
		int rc = zpci_iova_domain_alloc(&d_, npages, cpu, &iova);
		EXPECT_TRUE(rc == 0 || rc == -ENOSPC) << rc;
		return rc ? 0 : iova >> 12;
	}

	void release(uint64_t pfn, uint64_t npages, uint32_t cpu = 0, uint64_t now = 0)
	{
		zpci_iova_domain_advance(&d_, now);
		ASSERT_EQ(zpci_iova_domain_free(&d_, pfn << 12, npages, cpu, now), 0) << pfn;
	}

	zpci_iova_domain d_{};
};

TEST_F(IovaDomain, TopDownRoundedAndAligned)
{
	init(0x4000);	// 64 MiB: pfns 0x100000..0x103fff
	EXPECT_EQ(alloc(1), 0x103fffu);
	EXPECT_EQ(alloc(3), 0x103ff8u);		// 4 pages on a 4-page boundary below
	EXPECT_EQ(alloc(181), 0x103f00u);	// 181 pages, not rounded, on a 256-page boundary
	EXPECT_EQ(alloc(32), 0x103ee0u);
	EXPECT_EQ(zpci_iova_domain_used_pages(&d_), 1u + 4 + 181 + 32);
}

TEST_F(IovaDomain, FreedRangesComeBackLastInFirstOutPerCpu)
{
	init(0x4000);
	uint64_t a = alloc(1), b = alloc(1);
	release(a, 1);
	release(b, 1);
	EXPECT_EQ(alloc(1, 1), 0x103ffdu);	// another CPU's cache is empty: the tree
	EXPECT_EQ(alloc(1), b);
	EXPECT_EQ(alloc(1), a);
	EXPECT_EQ(d_.stats.cache_hits, 2u);
	EXPECT_EQ(zpci_iova_domain_used_pages(&d_), 3u);	// cached ranges stayed allocated
}

// Frees 1..127 fill the loaded magazine; 128 swaps in the empty previous
// one; 255 and 382 push full magazines (128..254, then 255..381) on the
// depot.  Allocations then take 382, swap back to 1..127 (newest first),
// and then pop the depot's newest magazine.
TEST_F(IovaDomain, MagazinesSwapThenTheDepot)
{
	init(0x4000);
	std::vector<uint64_t> p(383);
	for (int i = 1; i <= 382; i++)
		p[i] = alloc(1);
	EXPECT_EQ(p[382], 0x103fffu - 381);
	for (int i = 1; i <= 382; i++)
		release(p[i], 1);
	EXPECT_EQ(d_.stats.depot_pushes, 2u);
	EXPECT_EQ(d_.cache[0].depot_size, 2u);
	EXPECT_EQ(alloc(1), p[382]);
	for (int i = 127; i >= 1; i--)
		ASSERT_EQ(alloc(1), p[i]) << i;
	EXPECT_EQ(alloc(1), p[381]);
	EXPECT_EQ(d_.stats.depot_pops, 1u);
	EXPECT_EQ(d_.stats.tree_allocs, 382u);
}

// With 2 CPUs, a depot of 3 magazines loses its newest one 100 ms after the
// first push: 25 jiffies at HZ=250, and a timer runs on the tick after its
// expiry; then the depot holds no more than there are CPUs.  Times are jiffies.
TEST_F(IovaDomain, TheDepotIsTrimmedDownToOneMagazinePerCpu)
{
	init(0x4000);
	std::vector<uint64_t> p(510);
	for (int i = 1; i <= 509; i++)
		p[i] = alloc(1);
	for (int i = 1; i <= 509; i++)
		release(p[i], 1, 0, 3);	// pushes after frees 255, 382, 509
	EXPECT_EQ(d_.cache[0].depot_size, 3u);
	zpci_iova_domain_advance(&d_, 28);
	EXPECT_EQ(d_.stats.trims, 0u);
	zpci_iova_domain_advance(&d_, 29);	// 3 + 25 + 1
	EXPECT_EQ(d_.stats.trims, 1u);
	EXPECT_EQ(zpci_iova_domain_used_pages(&d_), 509u - 127);
	zpci_iova_domain_advance(&d_, 10000);
	EXPECT_EQ(d_.stats.trims, 1u);
	EXPECT_EQ(d_.cache[0].depot_size, 2u);
	// The trimmed magazine held 382..508, so the tree's search restarts
	// below 381, the range above the first of them given back: two pages
	// fit at 384..383.  The depot is shared: CPU 1 gets 381 from it.
	EXPECT_EQ(alloc(2, 1, 10000), p[384]);
	EXPECT_EQ(alloc(1, 1, 10000), p[381]);
}

// The trim work re-arms itself when it has run (the kernel's work function
// ends in schedule_delayed_work()), so a run that came late moves the next
// one: due at 29, run at 40, the next is 40 + 26, not 29 + 26.
TEST_F(IovaDomain, ALateTrimReArmsFromWhenItRan)
{
	init(0x4000);
	std::vector<uint64_t> p(637);
	for (int i = 1; i <= 636; i++)
		p[i] = alloc(1);
	for (int i = 1; i <= 636; i++)
		release(p[i], 1, 0, 3);	// pushes after frees 255, 382, 509, 636
	EXPECT_EQ(d_.cache[0].depot_size, 4u);
	zpci_iova_domain_advance(&d_, 40);
	EXPECT_EQ(d_.stats.trims, 1u);
	zpci_iova_domain_advance(&d_, 65);
	EXPECT_EQ(d_.stats.trims, 1u);
	zpci_iova_domain_advance(&d_, 66);
	EXPECT_EQ(d_.stats.trims, 2u);
	EXPECT_EQ(d_.cache[0].depot_size, 2u);
}

TEST_F(IovaDomain, AFullTreeTakesBackEveryCacheAndSearchesAgain)
{
	init(64);
	for (int i = 0; i < 64; i++)
		ASSERT_EQ(alloc(1), kStartPfn + 63 - i);
	for (int i = 0; i < 64; i++)
		release(kStartPfn + 63 - i, 1);
	// No 2-page range is cached and the tree is full: purge, then from the
	// top, as the first range given back moved the search start above all.
	EXPECT_EQ(alloc(2), kStartPfn + 62);
	EXPECT_EQ(d_.stats.purges, 1u);
	EXPECT_EQ(zpci_iova_domain_used_pages(&d_), 2u);
}

TEST_F(IovaDomain, NoRoomAfterThePurgeFailsTheMap)
{
	init(64);
	for (int i = 0; i < 64; i++)
		alloc(1, i % 2);
	EXPECT_EQ(alloc(1), 0u);
	EXPECT_EQ(d_.stats.failures, 1u);
	EXPECT_EQ(d_.stats.purges, 1u);
}

// A hole above the search start, too small for the request that went
// below it, is found by the second search from the top.
TEST_F(IovaDomain, TheSecondSearchLooksAboveWhereTheFirstBegan)
{
	init(256);
	EXPECT_EQ(alloc(64), kStartPfn + 192);
	EXPECT_EQ(alloc(40), kStartPfn + 128);	// leaves 168..191 free
	EXPECT_EQ(alloc(64), kStartPfn + 64);
	EXPECT_EQ(alloc(64), kStartPfn);
	EXPECT_EQ(alloc(16), kStartPfn + 176);
	EXPECT_EQ(d_.stats.purges, 0u);
}

TEST_F(IovaDomain, RejectsWhatNoMapReturned)
{
	init(64);
	uint64_t p = alloc(4);
	EXPECT_EQ(zpci_iova_domain_free(&d_, (p + 1) << 12, 3, 0, 0), -EINVAL);
	EXPECT_EQ(zpci_iova_domain_free(&d_, kStart - 4096, 1, 0, 0), -EINVAL);
	EXPECT_EQ(zpci_iova_domain_free(&d_, p << 12, 4, 7, 0), -EINVAL);	// no CPU 7
	release(p, 4);
	EXPECT_EQ(zpci_iova_domain_free(&d_, p << 12, 4, 0, 0), -EINVAL);	// cached: a double free
	EXPECT_EQ(alloc(4), p);
	release(p, 4);
	dma_addr_t iova;
	EXPECT_EQ(zpci_iova_domain_alloc(&d_, 0, 0, &iova), -EINVAL);
	zpci_iova_domain_cfg bad{ kStart, kStart - 1, kTop, 1, kHz };
	zpci_iova_domain other;
	EXPECT_EQ(zpci_iova_domain_init(&other, &bad), -EINVAL);
	for (uint32_t hz : { 0u, ZPCI_HZ_MAX + 1u }) {
		zpci_iova_domain_cfg no_clock{ kStart, kStart + 4095, kTop, 1, hz };
		EXPECT_EQ(zpci_iova_domain_init(&other, &no_clock), -EINVAL) << hz;
	}
}

// The reference: the kernel's algorithm, step by step, on std containers.
class Reference {
public:
	Reference(uint64_t start_dma, uint64_t pages, uint32_t cpus)
		: cpus_(cpus), limit_((kTop >> 12) + 1), cpu_(cpus * kOrders)
	{
		uint64_t start = start_dma >> 12, end = start + pages - 1;

		tree_[kAnchor] = kAnchor;
		if (start > 0)
			tree_[0] = start - 1;
		if (end + 1 < limit_)
			tree_[end + 1] = limit_ - 1;
		reserved_ = used();
	}

	uint64_t alloc(uint64_t size, uint32_t cpu, uint64_t now)
	{
		advance(now);
		if (size < 32)
			size = 1ULL << log2up(size);
		unsigned order = log2up(size);
		if (order < kOrders) {
			Cpu &c = cpu_[cpu * kOrders + order];
			if (c.loaded.empty() && !c.prev.empty())
				std::swap(c.loaded, c.prev);
			else if (c.loaded.empty() && !depot_[order].empty()) {
				c.loaded = depot_[order].back();
				depot_[order].pop_back();
			}
			if (!c.loaded.empty()) {
				uint64_t pfn = c.loaded.back();
				c.loaded.pop_back();
				return pfn;
			}
		}
		uint64_t pfn = tree_alloc(size);
		if (!pfn) {
			purge();
			pfn = tree_alloc(size);
		}
		return pfn;
	}

	void free(uint64_t pfn, uint64_t size, uint32_t cpu, uint64_t now)
	{
		advance(now);
		unsigned order = log2up(size);
		if (order >= kOrders) {
			tree_free(pfn);
			return;
		}
		Cpu &c = cpu_[cpu * kOrders + order];
		if (c.loaded.size() == ZPCI_IOVA_MAG_SIZE) {
			if (c.prev.size() < ZPCI_IOVA_MAG_SIZE) {
				std::swap(c.loaded, c.prev);
			} else {
				depot_[order].push_back(c.loaded);
				c.loaded.clear();
				if (!trim_at_[order])
					trim_at_[order] = now + kTrimRuns;
			}
		}
		c.loaded.push_back(pfn);
	}

	uint64_t used() const
	{
		uint64_t n = 0;
		for (const auto &[lo, hi] : tree_)
			n += hi - lo + 1;
		return n - reserved_;	// the reserved ranges and the anchor
	}

private:
	static constexpr unsigned kOrders = ZPCI_IOVA_CACHE_ORDERS;
	static constexpr uint64_t kAnchor = ~0ULL;
	struct Cpu {
		std::vector<uint64_t> loaded, prev;
	};

	static unsigned log2up(uint64_t n) { return n <= 1 ? 0 : 64 - __builtin_clzll(n - 1); }

	uint64_t tree_alloc(uint64_t size)
	{
		uint64_t mask = ~0ULL << log2up(size), high = limit_, low = 1, new_pfn;
		auto curr = tree_.find(cached_);
		uint64_t retry_pfn = curr->second;
		for (;;) {
			bool more;
			do {
				high = std::min(high, curr->first);
				new_pfn = (high - size) & mask;
				more = curr != tree_.begin();
				if (more)
					--curr;
			} while (more && new_pfn <= curr->second && new_pfn >= low);
			if (high >= size && new_pfn >= low)
				break;
			if (low != 1 || retry_pfn >= limit_)
				return 0;
			high = limit_;
			low = retry_pfn + 1;
			curr = tree_.find(kAnchor);
		}
		tree_[new_pfn] = new_pfn + size - 1;
		if (new_pfn + size - 1 >= (1ULL << 20))
			cached_ = new_pfn;
		return new_pfn;
	}

	void tree_free(uint64_t pfn)
	{
		auto it = tree_.find(pfn);
		ASSERT_NE(it, tree_.end()) << pfn;
		if (pfn >= cached_)
			cached_ = std::next(it)->first;
		tree_.erase(it);
	}

	void purge()
	{
		for (uint32_t cpu = 0; cpu < cpus_; cpu++)
			for (unsigned o = 0; o < kOrders; o++) {
				Cpu &c = cpu_[cpu * kOrders + o];
				for (uint64_t p : c.loaded)
					tree_free(p);
				for (uint64_t p : c.prev)
					tree_free(p);
				c.loaded.clear();
				c.prev.clear();
			}
		for (unsigned o = 0; o < kOrders; o++)
			while (!depot_[o].empty()) {
				for (uint64_t p : depot_[o].back())
					tree_free(p);
				depot_[o].pop_back();
			}
	}

	void advance(uint64_t now)
	{
		for (;;) {
			int next = -1;
			for (unsigned o = 0; o < kOrders; o++)
				if (trim_at_[o] && trim_at_[o] <= now &&
				    (next < 0 || trim_at_[o] < trim_at_[next]))
					next = o;
			if (next < 0)
				return;
			if (depot_[next].size() <= cpus_) {
				trim_at_[next] = 0;
				continue;
			}
			for (uint64_t p : depot_[next].back())
				tree_free(p);
			depot_[next].pop_back();
			trim_at_[next] = now + kTrimRuns;	// from when it ran
		}
	}

	uint32_t cpus_;
	uint64_t limit_, cached_ = kAnchor, reserved_ = 0;
	std::map<uint64_t, uint64_t> tree_;
	std::vector<Cpu> cpu_;
	std::vector<std::vector<uint64_t>> depot_[kOrders];
	uint64_t trim_at_[kOrders] = {};
};

void replay_against_reference(zpci_iova_domain *d, uint64_t start, uint64_t pages, uint64_t seed)
{
	Reference ref(start, pages, 2);
	zpci_prng r;
	zpci_prng_seed(&r, seed);
	struct Live {
		uint64_t pfn, npages;
	};
	std::vector<Live> live;
	uint64_t now = 0;
	unsigned alloc_percent = 50;
	for (int op = 0; op < 40000; op++) {
		// Bursts: mostly maps, then mostly unmaps, so magazines fill and
		// the depot grows, the aperture fills and the caches are purged.
		if (op % 1500 == 0)
			alloc_percent = 10 + 80 * zpci_prng_below(&r, 2);
		now += zpci_prng_below(&r, 2);	// jiffies
		uint32_t cpu = zpci_prng_below(&r, 10) ? 0 : 1;
		if (live.empty() || zpci_prng_below(&r, 100) < alloc_percent) {
			uint64_t kind = zpci_prng_below(&r, 10), npages =
				kind < 8 ? 1 :
				kind < 9 ? 20 + zpci_prng_below(&r, 20) : 60 + zpci_prng_below(&r, 200);
			dma_addr_t iova = 0;
			zpci_iova_domain_advance(d, now);
			int rc = zpci_iova_domain_alloc(d, npages, cpu, &iova);
			uint64_t want = ref.alloc(npages, cpu, now);
			ASSERT_EQ(rc ? 0 : iova >> 12, want) << "op " << op << " npages " << npages;
			if (!rc)
				live.push_back({ want, npages });
		} else {
			size_t i = zpci_prng_below(&r, live.size());
			Live l = live[i];
			live[i] = live.back();
			live.pop_back();
			zpci_iova_domain_advance(d, now);
			ASSERT_EQ(zpci_iova_domain_free(d, l.pfn << 12, l.npages, cpu, now), 0);
			ref.free(l.pfn, l.npages, cpu, now);
		}
		if (op % 500 == 0) {
			ASSERT_EQ(zpci_iova_domain_used_pages(d), ref.used()) << "op " << op;
		}
	}
	EXPECT_GT(d->stats.depot_pushes, 0u);
	EXPECT_GT(d->stats.purges, 0u);
}

TEST_F(IovaDomain, LongRandomSequencesMatchTheReference)
{
	init(32768);
	replay_against_reference(&d_, kStart, 32768, 1);
	EXPECT_GT(d_.stats.trims, 0u);
	EXPECT_GT(d_.stats.failures, 0u);
}

// An aperture across 4 GiB: ranges below it leave the search start alone.
TEST_F(IovaDomain, AnApertureAcross4GiBMatchesTheReference)
{
	init(32768, 2, kStart - 16384 * 4096);
	replay_against_reference(&d_, kStart - 16384 * 4096, 32768, 2);
}

}  // namespace
