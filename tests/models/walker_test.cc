// SPDX-License-Identifier: MIT
// The model walker against the C reference translator: 1-D on random
// tables, and 2-D against the reference composed of two 1-D translations.
#include <gtest/gtest.h>

#include <set>

#include <zpci/prng.h>
#include <zpci/xlate.h>

#include "support/table_builder.h"
#include "walker/table_walker.h"

namespace zpcisim::test {
namespace {

const sc_core::sc_time kClock(1, sc_core::SC_NS);
const sc_core::sc_time kFetch(100, sc_core::SC_NS);

// Fixed-latency memory: each fetch takes kFetch; counts fetches.
class FixedMemory : public EntryReader {
public:
	explicit FixedMemory(zpci_mem mem) : mem_(mem) {}
	bool read_entry(uint64_t addr, const sc_core::sc_time &, uint64_t *entry,
			sc_core::sc_time &delay) override
	{
		fetches++;
		delay += kFetch;
		return zpci_mem_read64(&mem_, addr, entry) == 0;
	}
	uint64_t fetches = 0;

private:
	zpci_mem mem_;
};

// Guest-physical memory seen through the host's table: each access is
// translated by the reference translator.  The reference for 2-D walks.
class HostTranslatedView {
public:
	HostTranslatedView(zpci_mem host, const zpci_dma_space &space) : host_(host), space_(space) {}

	zpci_mem view() { return { &kOps, this, nullptr }; }

private:
	static int access(void *priv, uint64_t gpa, void *rbuf, const void *wbuf, size_t len)
	{
		auto *self = static_cast<HostTranslatedView *>(priv);
		while (len) {
			size_t chunk = std::min<uint64_t>(len, ZPCI_PAGE_SIZE - (gpa & 0xfff));
			zpci_xlate x;
			if (zpci_translate(&self->host_, &self->space_, gpa,
					   wbuf ? ZPCI_DMA_WRITE : ZPCI_DMA_READ, &x))
				return -EFAULT;
			int rc = wbuf ? zpci_mem_write(&self->host_, x.addr, wbuf, chunk)
				      : zpci_mem_read(&self->host_, x.addr, rbuf, chunk);
			if (rc)
				return rc;
			rbuf = rbuf ? static_cast<uint8_t *>(rbuf) + chunk : nullptr;
			wbuf = wbuf ? static_cast<const uint8_t *>(wbuf) + chunk : nullptr;
			gpa += chunk;
			len -= chunk;
		}
		return 0;
	}
	static int read(void *p, uint64_t a, void *b, size_t l) { return access(p, a, b, nullptr, l); }
	static int write(void *p, uint64_t a, const void *b, size_t l) { return access(p, a, nullptr, b, l); }
	static constexpr zpci_mem_ops kOps = { read, write, nullptr, nullptr };

	zpci_mem host_;
	zpci_dma_space space_;
};

TableWalkerParams no_walk_cache()
{
	TableWalkerParams p;
	p.walk_cache.enabled = false;
	return p;
}

// Random 4 KiB mappings over a 16 GiB aperture, some read-only; IOVAs near
// them and anywhere.
zpci_dma_space random_tables(TableBuilder &tb, zpci_prng &r, uint64_t frames_below)
{
	zpci_dma_space sp{};
	sp.iota = tb.iota();
	sp.pba = 0x100000000ULL;
	sp.pal = sp.pba + (16ULL << 30) - 1;
	for (int i = 0; i < 3000; i++) {
		uint64_t iova = sp.pba + zpci_prng_below(&r, (16ULL << 30) >> 12) * 4096;
		if (zpci_prng_below(&r, 2))
			iova = sp.pba + zpci_prng_below(&r, 64 << 8) * 4096;	// dense corner
		tb.map_4k(iova, zpci_prng_below(&r, frames_below >> 12) << 12,
			  zpci_prng_below(&r, 5) == 0);
	}
	return sp;
}

TEST(TableWalker, AgreesWithTheReferenceOnRandomTables)
{
	SparseMem mem(1ULL << 30);
	TableBuilder tb(mem.view(), 0x100000);
	zpci_prng r;
	zpci_prng_seed(&r, 21);
	zpci_dma_space sp = random_tables(tb, r, 1ULL << 30);
	FixedMemory fm(mem.view());
	TableWalker walker(no_walk_cache(), kClock);
	zpci_mem m = mem.view();

	for (int i = 0; i < 100000; i++) {
		uint64_t iova = sp.pba - 4096 + zpci_prng_below(&r, (64ULL << 20) + 8192);
		zpci_dma_dir dir = zpci_prng_below(&r, 2) ? ZPCI_DMA_WRITE : ZPCI_DMA_READ;
		zpci_xlate want;
		zpci_translate(&m, &sp, iova, dir, &want);
		WalkResult got = walker.walk(1, sp, nullptr, iova, dir, fm, sc_core::SC_ZERO_TIME);
		ASSERT_EQ(got.fault, want.fault) << std::hex << iova;
		ASSERT_EQ(got.memory_refs, want.nr_steps) << std::hex << iova;
		if (want.fault == ZPCI_FAULT_NONE || want.fault == ZPCI_FAULT_PROTECTION) {
			ASSERT_EQ(got.addr, want.addr) << std::hex << iova;
			ASSERT_EQ(got.readonly, want.readonly) << std::hex << iova;
		}
	}
	EXPECT_EQ(walker.stats().walks, 100000u);
}

// The walk cache saves the upper levels and never changes a result.
TEST(TableWalker, WalkCacheSkipsUpperLevelsUntilInvalidated)
{
	SparseMem mem(1ULL << 30);
	TableBuilder tb(mem.view(), 0x100000);
	zpci_prng r;
	zpci_prng_seed(&r, 4);
	zpci_dma_space sp = random_tables(tb, r, 1ULL << 30);
	FixedMemory fm(mem.view());
	TableWalker walker(TableWalkerParams{}, kClock);
	zpci_mem m = mem.view();
	uint64_t iova = tb.oracle().all().begin()->second.begin()->first;

	WalkResult first = walker.walk(1, sp, nullptr, iova, ZPCI_DMA_READ, fm, sc_core::SC_ZERO_TIME);
	WalkResult again = walker.walk(1, sp, nullptr, iova, ZPCI_DMA_READ, fm, sc_core::SC_ZERO_TIME);
	EXPECT_EQ(first.memory_refs, 3u);
	EXPECT_EQ(again.memory_refs, 1u);
	EXPECT_TRUE(again.walk_cache_hit);
	EXPECT_EQ(again.addr, first.addr);
	EXPECT_EQ(again.latency, kFetch);
	walker.invalidate(1, iova, 4096);
	EXPECT_EQ(walker.walk(1, sp, nullptr, iova, ZPCI_DMA_READ, fm, sc_core::SC_ZERO_TIME).memory_refs, 3u);
	walker.invalidate_function(1);
	EXPECT_EQ(walker.walk(2, sp, nullptr, iova, ZPCI_DMA_READ, fm, sc_core::SC_ZERO_TIME).memory_refs, 3u);

	// Random IOVAs with the cache on: results still equal the reference.
	for (int i = 0; i < 50000; i++) {
		uint64_t v = sp.pba + zpci_prng_below(&r, (64ULL << 20));
		zpci_xlate want;
		zpci_translate(&m, &sp, v, ZPCI_DMA_WRITE, &want);
		WalkResult got = walker.walk(1, sp, nullptr, v, ZPCI_DMA_WRITE, fm, sc_core::SC_ZERO_TIME);
		ASSERT_EQ(got.fault, want.fault) << std::hex << v;
		if (!want.fault) {
			ASSERT_EQ(got.addr, want.addr);
		}
	}
	EXPECT_GT(walker.walk_cache_stats().hits, 10000u);
}

// Nested: the guest's tables live in guest-physical memory, which the
// host's table maps onto scattered host pages.
TEST(TableWalker, TwoDimensionalWalkEqualsTwoReferenceWalks)
{
	const uint64_t guest_size = 256ULL << 20;
	SparseMem host_mem(2ULL << 30);
	TableBuilder host_tb(host_mem.view(), 0x100000);
	zpci_prng r;
	zpci_prng_seed(&r, 8);
	// Host table: guest-physical page g -> a shuffled host page.
	std::vector<uint64_t> host_pages(guest_size >> 12);
	for (size_t i = 0; i < host_pages.size(); i++)
		host_pages[i] = (1ULL << 30) + i * 4096;
	for (size_t i = host_pages.size() - 1; i > 0; i--)
		std::swap(host_pages[i], host_pages[zpci_prng_below(&r, i + 1)]);
	for (size_t g = 0; g < host_pages.size(); g++)
		host_tb.map_4k(g * 4096, host_pages[g], false);
	zpci_dma_space host{};
	host.iota = host_tb.iota();
	host.pba = 0;
	host.pal = guest_size - 1;

	HostTranslatedView gview(host_mem.view(), host);
	TableBuilder guest_tb(gview.view(), 0x100000);
	zpci_dma_space guest = random_tables(guest_tb, r, guest_size);

	FixedMemory fm(host_mem.view());
	TableWalker walker(no_walk_cache(), kClock);
	zpci_mem gm = gview.view(), hm = host_mem.view();
	int full_walks = 0;

	for (int i = 0; i < 100000; i++) {
		uint64_t iova = guest.pba + zpci_prng_below(&r, (64ULL << 20));
		zpci_dma_dir dir = zpci_prng_below(&r, 2) ? ZPCI_DMA_WRITE : ZPCI_DMA_READ;
		zpci_xlate g, h;
		zpci_translate(&gm, &guest, iova, dir, &g);
		// Spaced out: no walk waits for another.
		WalkResult got = walker.walk(1, guest, &host, iova, dir, fm, i * 10 * kFetch);
		ASSERT_EQ(got.fault, g.fault) << std::hex << iova;
		if (g.fault)
			continue;
		ASSERT_EQ(zpci_translate(&hm, &host, g.addr, dir, &h), ZPCI_FAULT_NONE);
		ASSERT_EQ(got.addr, h.addr) << std::hex << iova;
		// 3 guest levels over 3 host levels: (3+1)(3+1)-1 references.
		ASSERT_EQ(got.memory_refs, 15u);
		ASSERT_EQ(got.latency, 15 * kFetch);
		full_walks++;
	}
	EXPECT_GT(full_walks, 5000);	// the rest hit unmapped IOVAs
	EXPECT_EQ(walker.stats().nested_walks, 100000u);
}

// A host table that does not map a guest table page: the walk faults on
// the host side, and says so.
TEST(TableWalker, HostFaultsAreReportedAsSuch)
{
	SparseMem host_mem(1ULL << 30);
	TableBuilder host_tb(host_mem.view(), 0x100000);
	zpci_dma_space host{};
	host.iota = host_tb.iota();
	host.pba = 0;
	host.pal = (1ULL << 30) - 1;
	zpci_dma_space guest{};
	guest.iota = zpci_mk_iota(0x200000, ZPCI_IOTA_DT_RT);	// guest table at an unmapped GPA
	guest.pba = 0;
	guest.pal = UINT64_MAX;
	FixedMemory fm(host_mem.view());
	TableWalker walker(no_walk_cache(), kClock);
	WalkResult r = walker.walk(1, guest, &host, 0x1000, ZPCI_DMA_READ, fm, sc_core::SC_ZERO_TIME);
	EXPECT_EQ(r.fault, ZPCI_FAULT_INVALID_ENTRY);
	EXPECT_TRUE(r.host_fault);
	EXPECT_EQ(r.memory_refs, 1u);	// the host's region-third entry, invalid
}

// Walks arriving together share the walkers; extra ones queue.
TEST(TableWalker, ConcurrentWalksQueueForFreeWalkers)
{
	SparseMem mem(1ULL << 30);
	TableBuilder tb(mem.view(), 0x100000);
	tb.map_4k(0x100000000ULL, 0x5000, false);
	zpci_dma_space sp{};
	sp.iota = tb.iota();
	sp.pba = 0x100000000ULL;
	sp.pal = sp.pba + (1ULL << 30) - 1;
	FixedMemory fm(mem.view());
	TableWalkerParams p = no_walk_cache();
	p.concurrent_walks = 2;
	TableWalker walker(p, kClock);
	sc_core::sc_time t0(1, sc_core::SC_US);

	sc_core::sc_time lat[3];
	for (auto &l : lat)
		l = walker.walk(1, sp, nullptr, sp.pba, ZPCI_DMA_READ, fm, t0).latency;
	EXPECT_EQ(lat[0], 3 * kFetch);
	EXPECT_EQ(lat[1], 3 * kFetch);
	EXPECT_EQ(lat[2], 6 * kFetch);	// waited for the first walker
	EXPECT_EQ(walker.stats().queued, 1u);
	EXPECT_EQ(walker.stats().queue_cycles, 300u);
	// Much later, both walkers are free again.
	EXPECT_EQ(walker.walk(1, sp, nullptr, sp.pba, ZPCI_DMA_READ, fm, 2 * t0).latency, 3 * kFetch);
}

}  // namespace
}  // namespace zpcisim::test
