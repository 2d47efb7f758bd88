// SPDX-License-Identifier: MIT
// The DMA path assembled: ZpciFunction -> Dtu -> Memory, with the
// functional function's architected state.  Latencies against the formulas
// of the parameters; faults against the reference translator's classes.
#include <gtest/gtest.h>

#include <cstring>

#include <zpci/func.h>

#include "support/table_builder.h"
#include "system/system.h"

namespace zpcisim::test {
namespace {

constexpr uint64_t kSdma = 0x100000000ULL;
constexpr uint64_t kMem = 64ULL << 20;

class DmaPath : public ::testing::Test {
protected:
	DmaPath() : mem_(kMem), tb_(mem_.view(), 0x10000)
	{
		zpci_func_cfg fc{ 0x10, 0x100, 1, kSdma, kSdma + (1ULL << 30) - 1, false, false };
		EXPECT_EQ(zpci_func_init(&f_, &fc, mem_.view(), kMem), 0);
		zpci_hw hw = zpci_func_hw(&f_);
		EXPECT_EQ(hw.ops->clp_set_fn(hw.priv, 0x100, true, &fh_), 0);
		zpci_fib fib{};
		fib.pba = kSdma;
		fib.pal = kSdma + (1ULL << 30) - 1;
		fib.iota = tb_.iota();
		EXPECT_EQ(hw.ops->mpcifc(hw.priv, fh_, ZPCI_MOD_FC_REG_IOAT, &fib).cc, 0);
	}
	~DmaPath() override
	{
		sys_.reset();
		zpci_func_destroy(&f_);
	}

	void build(TimingMode mode, SystemParams p = {})
	{
		sys_.reset();	// one SystemC kernel at a time
		sys_ = std::make_unique<ZpciSystem>(mem_.view(), kMem, std::vector<zpci_func *>{ &f_ },
						    apply_mode(p, mode));
	}

	// Latency in ns of one access of @len bytes at @iova, arriving at @t_us.
	uint64_t access_ns(uint64_t iova, uint64_t len, zpci_dma_dir dir, double t_us)
	{
		ZpciFunction &fn = sys_->function(0);
		EXPECT_TRUE(fn.access(iova, len, dir, sc_core::sc_time(t_us, sc_core::SC_US)));
		const uint64_t ns = sc_core::sc_time(1, sc_core::SC_NS).value();
		return (fn.last_latency_ticks() + ns / 2) / ns;
	}

	SparseMem mem_;
	TableBuilder tb_;
	zpci_func f_{};
	uint32_t fh_ = 0;
	std::unique_ptr<ZpciSystem> sys_;
};

// Defaults: 1 ns cycles; IOTLB 2 cycles; memory 100 cycles + 16 B/cycle.
// An 8-byte entry fetch: 100 + 1.  A 64-byte data access: 100 + 4.
TEST_F(DmaPath, LatencyOfHitMissAndWalkCacheHitFollowTheFormula)
{
	tb_.map_4k(kSdma, 0x200000, false);
	tb_.map_4k(kSdma + 4096, 0x300000, false);
	build(TimingMode::Fast);
	const uint64_t entry = 101, data = 104, lookup = 2;
	EXPECT_EQ(access_ns(kSdma, 64, ZPCI_DMA_READ, 1), lookup + 3 * entry + data);	// full walk
	EXPECT_EQ(access_ns(kSdma + 8, 64, ZPCI_DMA_READ, 2), lookup + data);		// IOTLB hit
	EXPECT_EQ(access_ns(kSdma + 4096, 64, ZPCI_DMA_READ, 3), lookup + entry + data);	// walk cache
	EXPECT_EQ(sys_->dtu().iotlb_stats().hits, 1u);
	EXPECT_EQ(sys_->dtu().walker_stats().walk_cache_hits, 1u);
	EXPECT_EQ(sys_->dtu().walker_stats().memory_refs, 3u + 1);
	EXPECT_EQ(sys_->function(0).latency_ns().count(), 3u);
}

// Nested over a host table: a miss costs (3+1)(3+1)-1 = 15 entry fetches.
TEST_F(DmaPath, TwoDimensionalMissCostsFifteenFetches)
{
	// The host maps guest-physical = host-physical for the first 64 MiB.
	TableBuilder host_tb(mem_.view(), 32ULL << 20);
	for (uint64_t g = 0; g < kMem; g += 4096)
		host_tb.map_4k(g, g, false);
	zpci_dma_space host{ host_tb.iota(), 0, kMem - 1, false };
	tb_.map_4k(kSdma, 0x200000, false);
	SystemParams p;
	p.dtu.walker.guest_walk_cache.enabled = false;
	p.dtu.walker.host_walk_cache.enabled = false;
	p.dtu.walker.stage2_cache.enabled = false;
	sys_.reset();
	zpci_func_set_nested(&f_, &host);
	sys_ = std::make_unique<ZpciSystem>(mem_.view(), kMem, std::vector<zpci_func *>{ &f_ },
					    apply_mode(p, TimingMode::Fast));
	EXPECT_EQ(access_ns(kSdma, 64, ZPCI_DMA_WRITE, 1), 2 + 15 * 101 + 104);
	EXPECT_EQ(sys_->dtu().walker_stats().memory_refs, 15u);
	EXPECT_EQ(sys_->dtu().walker_stats().nested_walks, 1u);
	// The functional function translates the same way, by its reference.
	zpci_func_xlate t;
	zpci_func_peek(&f_, kSdma + 8, ZPCI_DMA_WRITE, &t);
	EXPECT_EQ(t.x.fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(t.x.addr, 0x200008u);
}

// The host dimension's caches and stage 2 hold the hypervisor's table: a
// new host table (zpci_func_set_nested, an attach) must drop what the old
// one gave, as an RPCIT of the guest's never does.
TEST_F(DmaPath, ANewHostTableDropsWhatTheOldOneCached)
{
	TableBuilder old_tb(mem_.view(), 32ULL << 20), new_tb(mem_.view(), 40ULL << 20);
	for (uint64_t g = 0; g < kMem; g += 4096) {
		old_tb.map_4k(g, g, false);
		new_tb.map_4k(g, g == 0x200000 ? 0x280000 : g, false);
	}
	zpci_dma_space old_host{ old_tb.iota(), 0, kMem - 1, false };
	zpci_dma_space new_host{ new_tb.iota(), 0, kMem - 1, false };
	tb_.map_4k(kSdma, 0x200000, false);
	sys_.reset();
	zpci_func_set_nested(&f_, &old_host);
	build(TimingMode::Fast);
	const uint8_t a[8] = { 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a' };
	const uint8_t b[8] = { 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b' };
	uint8_t buf[8];
	ZpciFunction &fn = sys_->function(0);
	std::memcpy(buf, a, 8);
	ASSERT_TRUE(fn.access(kSdma, 8, ZPCI_DMA_WRITE, sc_core::sc_time(1, sc_core::SC_US), buf));
	// Cold: the guest's tables (0x10000, 0x14000, 0x18000) share host
	// segment 0, the frame is in segment 2: host 3 + 1 + 1 + 2, guest 3.
	EXPECT_EQ(sys_->dtu().walker_stats().memory_refs, 10u);
	zpci_func_set_nested(&f_, &new_host);
	std::memcpy(buf, b, 8);
	ASSERT_TRUE(fn.access(kSdma, 8, ZPCI_DMA_WRITE, sc_core::sc_time(2, sc_core::SC_US), buf));
	EXPECT_EQ(sys_->dtu().walker_stats().walks, 2u);
	EXPECT_EQ(sys_->dtu().walker_stats().memory_refs, 10u + 10);	// as cold again
	zpci_xlate want;
	ASSERT_EQ(zpci_func_reference(&f_, kSdma, ZPCI_DMA_WRITE, &want), ZPCI_FAULT_NONE);
	EXPECT_EQ(want.addr, 0x280000u);
	zpci_mem m = mem_.view();
	ASSERT_EQ(zpci_mem_read(&m, 0x200000, buf, 8), 0);
	EXPECT_EQ(std::memcmp(buf, a, 8), 0);
	ASSERT_EQ(zpci_mem_read(&m, 0x280000, buf, 8), 0);
	EXPECT_EQ(std::memcmp(buf, b, 8), 0);
}

// Every translation fault class: the error event the reference names.
TEST_F(DmaPath, FaultsRaiseTheReferenceErrorEvent)
{
	tb_.map_4k(kSdma, 0x200000, true);	// read-only
	uint64_t ste = tb_.read(tb_.rtto() + zpci_rtx(kSdma) * 8) & ZPCI_RTE_ADDR_MASK;
	tb_.write(ste + 8, 0x30804);	// segment 1: wrong table type
	const struct {
		uint64_t iova;
		zpci_dma_dir dir;
		zpci_pec pec;
	} cases[] = {
		{ kSdma, ZPCI_DMA_WRITE, ZPCI_PEC_TRANSLATION_PROT },
		{ kSdma + 4096, ZPCI_DMA_READ, ZPCI_PEC_INVALID_ENTRY },
		{ kSdma + (1 << 20), ZPCI_DMA_READ, ZPCI_PEC_TABLE_TYPE },
		{ kSdma - 4096, ZPCI_DMA_READ, ZPCI_PEC_OUT_OF_RANGE },
	};
	zpci_hw hw = zpci_func_hw(&f_);
	for (const auto &c : cases) {
		build(TimingMode::Cycle);
		EXPECT_FALSE(sys_->function(0).access(c.iova, 64, c.dir, sc_core::SC_ZERO_TIME));
		ASSERT_GE(f_.nr_events, 1u);
		EXPECT_EQ(f_.events[f_.nr_events - 1].pec, c.pec) << std::hex << c.iova;
		EXPECT_EQ(f_.events[f_.nr_events - 1].faddr, c.iova);
		EXPECT_TRUE(f_.blocked);
		// Blocked: the next access is refused without another event.
		size_t events = f_.nr_events;
		EXPECT_FALSE(sys_->function(0).access(kSdma, 64, ZPCI_DMA_READ, sc_core::SC_ZERO_TIME));
		EXPECT_EQ(f_.nr_events, events);
		EXPECT_EQ(sys_->dtu().stats().blocked, 1u);
		zpci_fib none{};
		hw.ops->mpcifc(hw.priv, fh_, ZPCI_MOD_FC_RESET_ERROR, &none);
		hw.ops->mpcifc(hw.priv, fh_, ZPCI_MOD_FC_RESET_BLOCK, &none);
	}
}

// An RPCIT through the function's hw ops drops the model's IOTLB entry; a
// remap without one leaves the stale translation in use, and counted.
// Fast mode serves hits without TLM, cycle mode through it: both.
TEST_F(DmaPath, RpcitReachesTheModelsCachesAndStaleUseIsCounted)
{
	for (TimingMode mode : { TimingMode::Cycle, TimingMode::Fast }) {
		tb_.map_4k(kSdma, 0x200000, false);
		build(mode);
		ZpciFunction &fn = sys_->function(0);
		fn.access(kSdma, 64, ZPCI_DMA_READ, sc_core::sc_time(1, sc_core::SC_US));
		tb_.map_4k(kSdma, 0x400000, false);	// remapped, no RPCIT yet
		fn.access(kSdma, 64, ZPCI_DMA_READ, sc_core::sc_time(2, sc_core::SC_US));
		EXPECT_EQ(sys_->dtu().stats().stale_hits, 1u);
		zpci_hw hw = zpci_func_hw(&f_);
		EXPECT_EQ(hw.ops->rpcit(hw.priv, fh_, kSdma, 4096).cc, 0);
		fn.access(kSdma, 64, ZPCI_DMA_READ, sc_core::sc_time(3, sc_core::SC_US));
		EXPECT_EQ(sys_->dtu().stats().stale_hits, 1u);
		EXPECT_EQ(sys_->dtu().iotlb_stats().hits, 1u);
		EXPECT_EQ(sys_->dtu().iotlb_stats().invalidations, 1u);
	}
}

// Fast mode's hits, served without TLM, against the formula and a count of
// every block's counters: lengths that are not multiples of the width,
// reads and writes, a write through a read-only entry (a protection
// fault, not a hit), then requests refused in the error state.
TEST_F(DmaPath, FastHitsFollowTheFormulaAndCountAsTheTlmPathDoes)
{
	tb_.map_4k(kSdma, 0x200000, false);
	tb_.map_4k(kSdma + 4096, 0x300000, true);	// read-only
	SystemParams p;
	p.memory.latency_cycles = 7;
	p.memory.bytes_per_cycle = 3;
	p.dtu.iotlb_cycles = 5;
	build(TimingMode::Fast, p);
	const Memory &m = sys_->memory();
	// Fill both pages' entries: two walks.
	access_ns(kSdma, 1, ZPCI_DMA_READ, 1);
	access_ns(kSdma + 4096, 1, ZPCI_DMA_READ, 2);
	const MemoryStats before = m.stats();
	const uint64_t lens[] = { 1, 3, 4, 100, 4096 - 8, 4096 };
	uint64_t bytes[2] = {}, cycles = 0, hits = 0;
	double t = 3;
	for (uint64_t len : lens)
		for (zpci_dma_dir dir : { ZPCI_DMA_READ, ZPCI_DMA_WRITE }) {
			const uint64_t transfer = (len + 2) / 3;
			EXPECT_EQ(access_ns(kSdma, len, dir, t++), 5 + 7 + transfer) << len;
			bytes[dir] += len;
			cycles += transfer;
			hits++;
			if (len == 4096)
				continue;
			// The read-only page reads alike.
			EXPECT_EQ(access_ns(kSdma + 4096 + 8, len, ZPCI_DMA_READ, t++), 5 + 7 + transfer);
			bytes[ZPCI_DMA_READ] += len;
			cycles += transfer;
			hits++;
		}
	EXPECT_EQ(sys_->dtu().iotlb_stats().hits, hits);
	EXPECT_EQ(sys_->dtu().iotlb_stats().lookups, hits + 2);
	EXPECT_EQ(sys_->dtu().stats().requests, hits + 2);
	EXPECT_EQ(sys_->dtu().stats().translations, hits + 2);
	EXPECT_EQ(m.stats().accesses[tlm::TLM_READ_COMMAND] - before.accesses[tlm::TLM_READ_COMMAND],
		  hits - std::size(lens));
	EXPECT_EQ(m.stats().accesses[tlm::TLM_WRITE_COMMAND], std::size(lens));
	EXPECT_EQ(m.stats().bytes[tlm::TLM_READ_COMMAND] - before.bytes[tlm::TLM_READ_COMMAND],
		  bytes[ZPCI_DMA_READ]);
	EXPECT_EQ(m.stats().bytes[tlm::TLM_WRITE_COMMAND], bytes[ZPCI_DMA_WRITE]);
	EXPECT_EQ(m.stats().busy_cycles - before.busy_cycles, cycles);
	EXPECT_EQ(sys_->function(0).latency_ns().count(), hits + 2);
	EXPECT_EQ(f_.nr_events, 0u);

	// A write through the read-only entry: a lookup that hits, then a
	// walk that faults.
	const uint64_t walks = sys_->dtu().walker_stats().walks;
	EXPECT_FALSE(sys_->function(0).access(kSdma + 4096, 8, ZPCI_DMA_WRITE,
					      sc_core::sc_time(t++, sc_core::SC_US)));
	EXPECT_EQ(sys_->dtu().iotlb_stats().hits, hits + 1);
	EXPECT_EQ(sys_->dtu().walker_stats().walks, walks + 1);
	EXPECT_EQ(sys_->dtu().stats().faults, 1u);
	ASSERT_EQ(f_.nr_events, 1u);
	EXPECT_EQ(f_.events[0].pec, ZPCI_PEC_TRANSLATION_PROT);
	// In the error state a cached page is refused too, and not looked up.
	EXPECT_FALSE(sys_->function(0).access(kSdma, 8, ZPCI_DMA_READ,
					      sc_core::sc_time(t++, sc_core::SC_US)));
	EXPECT_EQ(sys_->dtu().stats().blocked, 1u);
	EXPECT_EQ(sys_->dtu().iotlb_stats().lookups, hits + 3);
	EXPECT_EQ(sys_->dtu().stats().requests, hits + 4);
	EXPECT_EQ(sys_->function(0).stats().failed, 2u);
}

// A cached frame whose access runs past the end of memory reaches
// nothing: a system error, in either mode.
TEST_F(DmaPath, CachedFrameRunningPastMemoryRaisesSystemError)
{
	tb_.map_4k(kSdma, 0x200000, false);
	for (TimingMode mode : { TimingMode::Cycle, TimingMode::Fast }) {
		SystemParams p;
		p.dtu.move_data = false;	// the memory's size bounds the access
		sys_.reset();
		sys_ = std::make_unique<ZpciSystem>(mem_.view(), 0x200008,
						    std::vector<zpci_func *>{ &f_ },
						    apply_mode(p, mode));
		const size_t events = f_.nr_events;
		ASSERT_TRUE(sys_->function(0).access(kSdma, 8, ZPCI_DMA_READ, sc_core::SC_ZERO_TIME));
		EXPECT_FALSE(sys_->function(0).access(kSdma + 8, 8, ZPCI_DMA_READ,
						      sc_core::sc_time(1, sc_core::SC_US)));
		EXPECT_EQ(sys_->dtu().iotlb_stats().hits, 1u);
		EXPECT_EQ(sys_->dtu().stats().translations, 2u);
		EXPECT_EQ(sys_->memory().stats().errors, 1u);
		EXPECT_EQ(sys_->memory().stats().accesses[tlm::TLM_IGNORE_COMMAND], 1u);
		ASSERT_EQ(f_.nr_events, events + 1);
		EXPECT_EQ(f_.events[events].pec, ZPCI_PEC_SYSTEM_ERROR);
		zpci_hw hw = zpci_func_hw(&f_);
		zpci_fib none{};
		hw.ops->mpcifc(hw.priv, fh_, ZPCI_MOD_FC_RESET_ERROR, &none);
		hw.ops->mpcifc(hw.priv, fh_, ZPCI_MOD_FC_RESET_BLOCK, &none);
	}
}

// With the device's data moved, what it writes lands in the translated
// frames and what it reads comes from them (IOTLB hits, so in fast mode
// without TLM), across a page boundary.
TEST_F(DmaPath, DataReachesTheTranslatedFrames)
{
	tb_.map_4k(kSdma, 0x200000, false);
	tb_.map_4k(kSdma + 4096, 0x700000, false);
	// Each mode writes its own pattern: the second must not find the first's.
	for (TimingMode mode : { TimingMode::Cycle, TimingMode::Fast }) {
		build(mode);
		std::vector<uint8_t> out(200), in(200), back(200);
		for (size_t i = 0; i < out.size(); i++)
			out[i] = static_cast<uint8_t>(i * 5 + 1 + 7 * int(mode));
		ASSERT_TRUE(sys_->function(0).access(kSdma + 4000, 200, ZPCI_DMA_WRITE,
						     sc_core::SC_ZERO_TIME, out.data()));
		zpci_mem m = mem_.view();
		ASSERT_EQ(zpci_mem_read(&m, 0x200000 + 4000, back.data(), 96), 0);
		ASSERT_EQ(zpci_mem_read(&m, 0x700000, back.data() + 96, 104), 0);
		EXPECT_EQ(back, out);
		ASSERT_TRUE(sys_->function(0).access(kSdma + 4000, 200, ZPCI_DMA_READ,
						     sc_core::sc_time(1, sc_core::SC_US), in.data()));
		EXPECT_EQ(in, out);
		EXPECT_EQ(sys_->function(0).stats().dma_bytes[ZPCI_DMA_WRITE], 200u);
		EXPECT_EQ(sys_->function(0).stats().dma_bytes[ZPCI_DMA_READ], 200u);
		EXPECT_EQ(sys_->function(0).stats().requests, 4u);
		EXPECT_EQ(sys_->dtu().iotlb_stats().hits, 2u);	// the read's pages
	}
}

}  // namespace
// Cycle mode's races, each timed by hand.  Defaults: 1 ns cycles, a 2-cycle
// lookup pipeline taking one request a cycle, 101 ns an entry fetch, 104 ns
// a 64-byte access of which 4 cycles hold the memory port.
class Races : public DmaPath, public AccessObserver {
protected:
	void access_done(size_t, const AccessDone &a) override { done_.push_back(a); }
	void build_cycle(SystemParams p = {})
	{
		build(TimingMode::Cycle, p);
		sys_->function(0).observe(this);
	}
	// Submit at @ns (the simulation runs up to it first).
	void submit_at(uint64_t ns, uint64_t iova, uint64_t tag, zpci_dma_dir dir = ZPCI_DMA_READ)
	{
		sys_->run_until(sc_core::sc_time(double(ns), sc_core::SC_NS));
		sys_->function(0).submit(iova, 64, dir, tag);
	}
	static uint64_t ns(uint64_t ticks)
	{
		return ticks / sc_core::sc_time(1, sc_core::SC_NS).value();
	}
	const AccessDone &by_tag(uint64_t tag)
	{
		for (const AccessDone &a : done_)
			if (a.tag == tag)
				return a;
		ADD_FAILURE() << "no access " << tag << " finished";
		return done_.at(0);
	}
	std::vector<AccessDone> done_;
};

// The first race: a request at 1010 ns, on a page whose walk began
// at 1002 ns, used to hit an entry that was not there yet and finish before
// the walk did.  Now it joins the walk and its data follows the first's.
TEST_F(Races, AMissOnAPageBeingWalkedWaitsForThatWalk)
{
	tb_.map_4k(kSdma, 0x200000, false);
	build_cycle();
	submit_at(1000, kSdma, 1);
	submit_at(1010, kSdma + 64, 2);
	sys_->run_all();
	ASSERT_EQ(done_.size(), 2u);
	// 1000 + lookup 2 + walk 3 x 101 = 1305, + data 104.
	EXPECT_EQ(ns(by_tag(1).done), 1409u);
	// Its data waits for the walk, then for the port: 4 cycles later.
	EXPECT_EQ(ns(by_tag(2).done), 1413u);
	EXPECT_EQ(sys_->dtu().walker_stats().walks, 1u);
	EXPECT_EQ(sys_->dtu().stats().walk_merges, 1u);
	EXPECT_EQ(sys_->dtu().iotlb_stats().misses, 2u);
	EXPECT_EQ(sys_->dtu().stats().translations, 2u);
	// After the fill, a hit: 2000 + 2 + 104.
	submit_at(2000, kSdma + 128, 3);
	sys_->run_all();
	EXPECT_EQ(ns(by_tag(3).done), 2106u);
	EXPECT_EQ(sys_->dtu().iotlb_stats().hits, 1u);
}

// Misses to other pages each start a walk; with one register the second
// waits for the first to end, then looks up again.
TEST_F(Races, AMissWithoutAFreeRegisterWaitsForOne)
{
	tb_.map_4k(kSdma, 0x200000, false);
	tb_.map_4k(kSdma + 4096, 0x300000, false);
	SystemParams p;
	p.dtu.mshrs = 1;
	build_cycle(p);
	submit_at(1000, kSdma, 1);
	submit_at(1000, kSdma + 4096, 2);
	sys_->run_all();
	EXPECT_EQ(ns(by_tag(1).done), 1409u);
	// Looks up again at 1305 when the register frees, misses (another
	// page) and walks from the walk cache: its one fetch waits for the
	// port, which the first's data holds 4 cycles, then 101; data 104.
	EXPECT_EQ(ns(by_tag(2).done), 1305u + 4 + 101 + 104);
	EXPECT_EQ(sys_->dtu().stats().mshr_waits, 1u);
	EXPECT_EQ(sys_->dtu().walker_stats().walks, 2u);
}

// The second race: an RPCIT lands while a translated request's data
// is in flight.  The tables no longer give that translation: a stale use,
// counted; a later request walks the new table.
TEST_F(Races, AnRpcitDuringTheDataTransferCountsAStaleUse)
{
	tb_.map_4k(kSdma, 0x200000, false);
	build_cycle();
	submit_at(1000, kSdma, 1);	// fills the IOTLB at 1305
	submit_at(2000, kSdma, 2);	// hits at 2002, data until 2106
	sys_->run_until(sc_core::sc_time(2050, sc_core::SC_NS));
	tb_.map_4k(kSdma, 0x400000, false);
	zpci_hw hw = zpci_func_hw(&f_);
	EXPECT_EQ(hw.ops->rpcit(hw.priv, fh_, kSdma, 4096).cc, 0);
	sys_->run_all();
	EXPECT_EQ(sys_->dtu().stats().inflight_stale, 1u);
	EXPECT_EQ(sys_->dtu().stats().stale_hits, 0u);
	EXPECT_EQ(ns(by_tag(2).done), 2106u);
	// An RPCIT over a translation still given (a refresh) counts nothing.
	submit_at(3000, kSdma, 3);	// walks: 0x400000
	submit_at(4000, kSdma, 4);	// hits at 4002
	sys_->run_until(sc_core::sc_time(4050, sc_core::SC_NS));
	EXPECT_EQ(hw.ops->rpcit(hw.priv, fh_, kSdma, 4096).cc, 0);
	sys_->run_all();
	EXPECT_EQ(sys_->dtu().stats().inflight_stale, 1u);
}

// The third: an RPCIT lands while the walk is in flight.  The walk read
// the old entry; it must not fill the IOTLB, and the requests waiting for
// it used a translation the tables no longer give.
TEST_F(Races, AWalkRacingAnInvalidationInstallsNothingStale)
{
	tb_.map_4k(kSdma, 0x200000, false);
	build_cycle();
	submit_at(1000, kSdma, 1);	// walks 1002 to 1305
	submit_at(1010, kSdma + 64, 2);	// joins it
	sys_->run_until(sc_core::sc_time(1100, sc_core::SC_NS));
	tb_.map_4k(kSdma, 0x400000, false);
	zpci_hw hw = zpci_func_hw(&f_);
	EXPECT_EQ(hw.ops->rpcit(hw.priv, fh_, kSdma, 4096).cc, 0);
	sys_->run_all();
	EXPECT_EQ(sys_->dtu().stats().dropped_fills, 1u);
	EXPECT_EQ(sys_->dtu().stats().inflight_stale, 2u);
	// Nothing was installed: the next request misses and walks the new
	// table; its translation is current, so it is no stale hit.
	submit_at(2000, kSdma, 3);
	sys_->run_all();
	EXPECT_EQ(sys_->dtu().walker_stats().walks, 2u);
	EXPECT_EQ(sys_->dtu().stats().stale_hits, 0u);
	EXPECT_EQ(sys_->dtu().iotlb_stats().hits, 0u);
	// And what it installed serves the next one.
	submit_at(3000, kSdma, 4);
	sys_->run_all();
	EXPECT_EQ(sys_->dtu().iotlb_stats().hits, 1u);
	EXPECT_EQ(sys_->dtu().stats().stale_hits, 0u);
}

// A window of outstanding requests: a 12-page access with 8 in flight
// issues its 9th when its 1st answers.
TEST_F(Races, TheWindowHoldsRequestsUntilOneAnswers)
{
	for (uint64_t i = 0; i < 12; i++)
		tb_.map_4k(kSdma + i * 4096, 0x200000 + i * 4096, false);
	build_cycle();
	sys_->run_until(sc_core::sc_time(1000, sc_core::SC_NS));
	sys_->function(0).submit(kSdma, 12 * 4096, ZPCI_DMA_WRITE, 1);
	EXPECT_EQ(sys_->function(0).in_flight(), 1u);
	sys_->run_all();
	ASSERT_EQ(done_.size(), 1u);
	EXPECT_TRUE(done_[0].ok);
	EXPECT_EQ(sys_->dtu().stats().requests, 12u);
	EXPECT_EQ(sys_->dtu().walker_stats().walks, 12u);
	EXPECT_EQ(sys_->function(0).stats().dma_bytes[ZPCI_DMA_WRITE], 12u * 4096);
	// Each page holds the port 256 cycles: the 12 transfers alone take
	// 3072 ns, so the access takes longer than that.
	EXPECT_GT(ns(done_[0].done - done_[0].arrival), 3072u);
}

}  // namespace zpcisim::test
