// SPDX-License-Identifier: MIT
// The model walker against the C reference translator: 1-D on random
// tables, and 2-D against the reference composed of two 1-D translations.
#include <gtest/gtest.h>

#include <array>
#include <ostream>
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

TableWalkerParams no_caches()
{
	TableWalkerParams p;
	p.guest_walk_cache.enabled = false;
	p.host_walk_cache.enabled = false;
	p.stage2_cache.enabled = false;
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
	TableWalker walker(no_caches(), kClock);
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
	EXPECT_GT(walker.walk_cache(WalkDim::Guest, ZPCI_LEVEL_SX)->stats().hits, 10000u);
}

// Nested: the guest's tables live in guest-physical memory, which the
// host's table maps onto scattered host pages.  Without caches, and with
// every cache at its default.
class TwoDimensional : public ::testing::TestWithParam<bool> {};

TEST_P(TwoDimensional, WalkEqualsTwoReferenceWalks)
{
	const bool cached = GetParam();
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
	TableWalker walker(cached ? TableWalkerParams{} : no_caches(), kClock);
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
		ASSERT_EQ(got.latency, got.memory_refs * kFetch);
		if (g.fault)
			continue;
		ASSERT_EQ(zpci_translate(&hm, &host, g.addr, dir, &h), ZPCI_FAULT_NONE);
		ASSERT_EQ(got.addr, h.addr) << std::hex << iova;
		// 3 guest levels over 3 host levels: (3+1)(3+1)-1 references.
		if (!cached) {
			ASSERT_EQ(got.memory_refs, 15u);
		}
		full_walks++;
	}
	EXPECT_GT(full_walks, 5000);	// the rest hit unmapped IOVAs
	EXPECT_EQ(walker.stats().nested_walks, 100000u);
	EXPECT_EQ(walker.stats().memory_refs, fm.fetches);
	uint64_t by_level = 0;
	for (const auto &dim : walker.stats().refs)
		for (uint64_t n : dim)
			by_level += n;
	EXPECT_EQ(by_level, walker.stats().memory_refs);
	if (cached) {	// a random 64 MiB over a random 256 MiB: still cached a lot
		EXPECT_LT(walker.stats().memory_refs, 8 * walker.stats().walks);
	}
}

INSTANTIATE_TEST_SUITE_P(TableWalker, TwoDimensional, ::testing::Bool(),
			 [](const ::testing::TestParamInfo<bool> &i) {
				 return i.param ? "Cached" : "Uncached";
			 });

// Entries fetched, per dimension, at the levels of a region-third table:
// { RTX, SX, PX }.
struct Refs {
	std::array<uint64_t, 3> guest, host;
	bool operator==(const Refs &o) const { return guest == o.guest && host == o.host; }
	uint64_t total() const
	{
		uint64_t n = 0;
		for (uint64_t v : guest)
			n += v;
		for (uint64_t v : host)
			n += v;
		return n;
	}
};

std::ostream &operator<<(std::ostream &os, const Refs &r)
{
	return os << "guest {" << r.guest[0] << "," << r.guest[1] << "," << r.guest[2] << "} host {"
		  << r.host[0] << "," << r.host[1] << "," << r.host[2] << "}";
}

// What the walker's per-level counters moved by between @a and @b; the
// region-first and -second levels, above these tables' top, must not.
Refs refs_between(const WalkerStats &a, const WalkerStats &b)
{
	Refs r;
	for (int d = 0; d < kWalkDims; d++) {
		EXPECT_EQ(b.refs[d][ZPCI_LEVEL_RFX], a.refs[d][ZPCI_LEVEL_RFX]);
		EXPECT_EQ(b.refs[d][ZPCI_LEVEL_RSX], a.refs[d][ZPCI_LEVEL_RSX]);
		auto &out = d == int(WalkDim::Guest) ? r.guest : r.host;
		for (int l = ZPCI_LEVEL_RTX; l <= ZPCI_LEVEL_PX; l++)
			out[l - ZPCI_LEVEL_RTX] = b.refs[d][l] - a.refs[d][l];
	}
	return r;
}

constexpr uint64_t kV = 0x100000000ULL;	// 4 GiB: region-third index 2, segment 0

// Every cache off, then @on set.
TableWalkerParams only(std::initializer_list<void (*)(TableWalkerParams &)> on)
{
	TableWalkerParams p = no_caches();
	for (auto set : on)
		set(p);
	return p;
}
void guest_walk(TableWalkerParams &p) { p.guest_walk_cache.enabled = true; }
void host_walk(TableWalkerParams &p) { p.host_walk_cache.enabled = true; }
void stage2(TableWalkerParams &p) { p.stage2_cache.enabled = true; }

// A nested function's tables, laid out so that every count can be worked
// out by hand.  Guest-physical 0..8 MiB is host-physical 512 MiB + the
// same, through a host table of 4 KiB pages or of 1 MiB frames.  The
// guest's table, as TableBuilder lays it out from guest-physical 1 MiB:
// region-third table 0x100000, segment table 0x104000, page tables
// 0x108000 (for kV's segment) and 0x108800 (kV + 1 MiB's): three guest
// pages, one guest segment (1).  Frames: kV -> 0x400000, kV + 4 KiB ->
// 0x401000 (guest segment 4), kV + 1 MiB -> 0x500000 (segment 5).
class NestedLayout {
public:
	static constexpr uint64_t kGuestSize = 8ULL << 20;
	static constexpr uint64_t kHostBase = 512ULL << 20;

	explicit NestedLayout(bool host_1m)
		: host_mem_(1ULL << 30), host_tb_(host_table(host_mem_.view(), host_1m)),
		  host_{ host_tb_.iota(), 0, kGuestSize - 1, host_1m }, gview_(host_mem_.view(), host_),
		  guest_tb_(gview_.view(), 0x100000)
	{
		guest_.iota = guest_tb_.iota();
		guest_.pba = kV;
		guest_.pal = kV + (1ULL << 30) - 1;
		guest_.large_frames = true;
		guest_tb_.map_4k(kV, 0x400000, false);
		guest_tb_.map_4k(kV + 4096, 0x401000, false);
		guest_tb_.map_4k(kV + (1 << 20), 0x500000, false);
		EXPECT_EQ(guest_tb_.table_end(), 0x109000u);	// the layout above
	}

	// A walk of @iova, its translation checked against the reference: the
	// guest's table by guest-physical reads, then the host's.
	Refs walk(TableWalker &walker, uint64_t iova)
	{
		WalkerStats before = walker.stats();
		WalkResult got = walker.walk(1, guest_, &host_, iova, ZPCI_DMA_WRITE, fm_, t_);
		t_ += sc_core::sc_time(1, sc_core::SC_MS);
		zpci_mem gm = gview_.view(), hm = host_mem_.view();
		zpci_xlate g, h;
		EXPECT_EQ(zpci_translate(&gm, &guest_, iova, ZPCI_DMA_WRITE, &g), ZPCI_FAULT_NONE);
		EXPECT_EQ(zpci_translate(&hm, &host_, g.addr, ZPCI_DMA_WRITE, &h), ZPCI_FAULT_NONE);
		EXPECT_EQ(got.fault, ZPCI_FAULT_NONE);
		EXPECT_EQ(got.addr, h.addr) << std::hex << iova;
		EXPECT_EQ(got.addr, kHostBase + g.addr);
		Refs r = refs_between(before, walker.stats());
		EXPECT_EQ(r.total(), got.memory_refs);
		return r;
	}

	zpci_dma_space guest_{};

private:
	static TableBuilder host_table(zpci_mem mem, bool host_1m)
	{
		TableBuilder tb(mem, 256ULL << 20);
		for (uint64_t g = 0; g < kGuestSize; g += host_1m ? ZPCI_SEG_FRAME_SIZE : ZPCI_PAGE_SIZE)
			if (host_1m)
				tb.map_1m(g, kHostBase + g, false);
			else
				tb.map_4k(g, kHostBase + g, false);
		return tb;
	}

	SparseMem host_mem_;
	TableBuilder host_tb_;
	zpci_dma_space host_{};
	HostTranslatedView gview_;
	TableBuilder guest_tb_;
	FixedMemory fm_{ host_mem_.view() };
	sc_core::sc_time t_;
};

// The nested walks kV, kV again, kV + 4 KiB, kV + 1 MiB, with each cache
// on and off: the references each fetches, worked out from the layout
// (NestedLayout).  Uncached, a guest entry costs the host's walk of its
// page (3 references over 4 KiB pages: RTX, SX, PX; 2 over 1 MiB frames:
// RTX, SX) plus itself, and the frame a host walk: (3+1)*3+3 = 15, or
// (2+1)*3+2 = 11.
TEST(TableWalker, NestedWalkReferencesEqualHandCounts)
{
	const struct {
		const char *name;
		TableWalkerParams p;
		bool host_1m;
		Refs want[4];
	} cases[] = {
		{ "none", no_caches(), false,
		  { { { 1, 1, 1 }, { 4, 4, 4 } },	// 15
		    { { 1, 1, 1 }, { 4, 4, 4 } },
		    { { 1, 1, 1 }, { 4, 4, 4 } },
		    { { 1, 1, 1 }, { 4, 4, 4 } } } },
		// Guest pages 0x100, 0x104, 0x108 and frame page 0x400 fill it;
		// then only a new frame page (0x401, 0x500) is walked.
		{ "stage-2", only({ stage2 }), false,
		  { { { 1, 1, 1 }, { 4, 4, 4 } },	// 15
		    { { 1, 1, 1 }, { 0, 0, 0 } },	// 3
		    { { 1, 1, 1 }, { 1, 1, 1 } },	// 3 + 3
		    { { 1, 1, 1 }, { 1, 1, 1 } } } },	// 3 + 3
		// Host walks: the first fills RTX (key 0) and SX (guest segment
		// 1): the other table pages cost a PX each, frame 0x400000 an SX
		// (segment 4) and a PX: 3 + 1 + 1 + 2 = 7 host, 3 guest.
		{ "host walk caches", only({ host_walk }), false,
		  { { { 1, 1, 1 }, { 1, 2, 4 } },	// 10
		    { { 1, 1, 1 }, { 0, 0, 4 } },	// 3 + 4 PX
		    { { 1, 1, 1 }, { 0, 0, 4 } },	// segment 4 cached
		    { { 1, 1, 1 }, { 0, 1, 4 } } } },	// segment 5 is new: + SX
		// The guest's SX entry cached: a walk in kV's segment fetches the
		// PTE (host walk of its page + 1) and walks the frame: 4 + 3; kV +
		// 1 MiB hits RTX only: STE and PTE (4 each) and the frame (3).
		{ "guest walk caches", only({ guest_walk }), false,
		  { { { 1, 1, 1 }, { 4, 4, 4 } },	// 15
		    { { 0, 0, 1 }, { 2, 2, 2 } },	// 7
		    { { 0, 0, 1 }, { 2, 2, 2 } },	// 7
		    { { 0, 1, 1 }, { 3, 3, 3 } } } },	// 11
		// All: the first as host walk caches alone (10).  Then kV: its PTE,
		// page and frame in stage 2: 1.  kV + 4 KiB: PTE, and frame page
		// 0x401 by the host's cached SX (segment 4): a PX.  kV + 1 MiB: RTX
		// hit, STE and PTE (pages in stage 2), frame 0x500: host SX, PX.
		{ "all", TableWalkerParams{}, false,
		  { { { 1, 1, 1 }, { 1, 2, 4 } },	// 10
		    { { 0, 0, 1 }, { 0, 0, 0 } },	// 1
		    { { 0, 0, 1 }, { 0, 0, 1 } },	// 2
		    { { 0, 1, 1 }, { 0, 1, 1 } } } },	// 4
		{ "none, host 1 MiB frames", no_caches(), true,
		  { { { 1, 1, 1 }, { 4, 4, 0 } },	// 11
		    { { 1, 1, 1 }, { 4, 4, 0 } },
		    { { 1, 1, 1 }, { 4, 4, 0 } },
		    { { 1, 1, 1 }, { 4, 4, 0 } } } },
		// The host's SX entries are frames and end host walks: guest
		// segment 1 (the table pages) costs RTX + SX once, segments 4 and
		// 5 an SX each (RTX cached).
		{ "all, host 1 MiB frames", TableWalkerParams{}, true,
		  { { { 1, 1, 1 }, { 1, 2, 0 } },	// 6
		    { { 0, 0, 1 }, { 0, 0, 0 } },	// 1
		    { { 0, 0, 1 }, { 0, 0, 0 } },	// 1: frame page 0x401 by SX
		    { { 0, 1, 1 }, { 0, 1, 0 } } } },	// 3
	};
	const uint64_t iovas[4] = { kV, kV, kV + 4096, kV + (1 << 20) };

	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		NestedLayout l(c.host_1m);
		TableWalker walker(c.p, kClock);
		for (int i = 0; i < 4; i++)
			EXPECT_EQ(l.walk(walker, iovas[i]), c.want[i]) << "walk " << i;
		uint64_t by_level = 0;
		for (const auto &dim : walker.stats().refs)
			for (uint64_t n : dim)
				by_level += n;
		EXPECT_EQ(by_level, walker.stats().memory_refs);
	}
}

// An RPCIT drops the guest dimension's entries for its range and keeps
// the host's and stage 2 (the hypervisor's); an IOAT change or a new host
// table (invalidate_function) drops them all.
TEST(TableWalker, RpcitDropsOnlyTheGuestDimension)
{
	NestedLayout l(false);
	TableWalker walker(TableWalkerParams{}, kClock);

	EXPECT_EQ(l.walk(walker, kV), (Refs{ { 1, 1, 1 }, { 1, 2, 4 } }));
	EXPECT_EQ(l.walk(walker, kV), (Refs{ { 0, 0, 1 }, { 0, 0, 0 } }));
	walker.invalidate(1, kV, 4096);
	// Guest RTX and SX gone; every guest page and the frame in stage 2.
	EXPECT_EQ(l.walk(walker, kV), (Refs{ { 1, 1, 1 }, { 0, 0, 0 } }));
	walker.invalidate(2, kV, 1ULL << 40);	// another function's
	EXPECT_EQ(l.walk(walker, kV), (Refs{ { 0, 0, 1 }, { 0, 0, 0 } }));
	walker.invalidate_function(1);
	EXPECT_EQ(l.walk(walker, kV), (Refs{ { 1, 1, 1 }, { 1, 2, 4 } }));
}

// 1-D walks over 4 KiB pages, a 1 MiB frame and a 2 GiB frame, with the
// guest's RTX and SX caches on and off: a hit at a level skips it and
// those above; a cached large frame ends the walk with no reference.
TEST(TableWalker, OneDimensionalWalkReferencesEqualHandCounts)
{
	SparseMem mem(1ULL << 30);
	TableBuilder tb(mem.view(), 0x100000);
	const uint64_t v2 = 8ULL << 30;	// region-third index 4
	tb.map_4k(kV, 0x1000000, false);
	tb.map_4k(kV + 4096, 0x1001000, false);
	tb.map_4k(kV + (1 << 20), 0x1100000, false);
	tb.map_1m(kV + (4 << 20), 0x2000000, true);
	tb.map_2g(v2, 0x80000000ULL, false);
	zpci_dma_space sp{ tb.iota(), kV, (16ULL << 30) - 1, true };
	zpci_mem m = mem.view();
	const uint64_t iovas[] = { kV, kV + 4096, kV + (1 << 20), kV + (4 << 20),
				   kV + (4 << 20) + 4096, v2, v2 + (1 << 20) };
	const Refs off[] = {
		{ { 1, 1, 1 }, {} }, { { 1, 1, 1 }, {} }, { { 1, 1, 1 }, {} },
		{ { 1, 1, 0 }, {} }, { { 1, 1, 0 }, {} },	// the 1 MiB frame: RTX, SX
		{ { 1, 0, 0 }, {} }, { { 1, 0, 0 }, {} },	// the 2 GiB frame: RTX
	};
	const struct {
		const char *name;
		uint32_t rtx, sx;
		Refs want[7];
	} cases[] = {
		{ "none", 0, 0, { off[0], off[1], off[2], off[3], off[4], off[5], off[6] } },
		{ "rtx", 28, 0,
		  { off[0], { { 0, 1, 1 }, {} }, { { 0, 1, 1 }, {} }, { { 0, 1, 0 }, {} },
		    { { 0, 1, 0 }, {} }, off[5], { { 0, 0, 0 }, {} } } },
		{ "sx", 0, 64,
		  { off[0], { { 0, 0, 1 }, {} }, off[2], off[3], { { 0, 0, 0 }, {} }, off[5],
		    off[6] } },
		{ "rtx and sx", 28, 64,
		  { off[0], { { 0, 0, 1 }, {} }, { { 0, 1, 1 }, {} }, { { 0, 1, 0 }, {} },
		    { { 0, 0, 0 }, {} }, off[5], { { 0, 0, 0 }, {} } } },
	};

	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		TableWalkerParams p = no_caches();
		p.guest_walk_cache.enabled = true;
		p.guest_walk_cache.rtx = c.rtx;
		p.guest_walk_cache.sx = c.sx;
		TableWalker walker(p, kClock);
		FixedMemory fm(mem.view());
		for (size_t i = 0; i < std::size(iovas); i++) {
			WalkerStats before = walker.stats();
			// Reads, then writes: the 1 MiB frame is read-only, cached or not.
			for (zpci_dma_dir dir : { ZPCI_DMA_READ, ZPCI_DMA_WRITE }) {
				zpci_xlate want;
				zpci_translate(&m, &sp, iovas[i], dir, &want);
				WalkResult got = walker.walk(1, sp, nullptr, iovas[i], dir, fm,
							     sc_core::SC_ZERO_TIME);
				EXPECT_EQ(got.fault, want.fault) << i;
				EXPECT_EQ(got.addr, want.addr) << i;
				EXPECT_EQ(got.readonly, want.readonly) << i;
				if (dir == ZPCI_DMA_READ) {
					EXPECT_EQ(refs_between(before, walker.stats()), c.want[i]) << i;
				}
			}
		}
		EXPECT_EQ(walker.stats().memory_refs, fm.fetches);
	}
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
	TableWalker walker(no_caches(), kClock);
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
	TableWalkerParams p = no_caches();
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
