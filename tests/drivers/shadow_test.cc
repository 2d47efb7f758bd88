// SPDX-License-Identifier: MIT
// The intercepting hypervisor: the guest DMA layer drives the virtual
// function, the device the real one.  Every device translation is checked
// for isolation (a pinned page of this guest) and equivalence (the page the
// guest mapped, wherever the layout put it).
#include <gtest/gtest.h>

#include <map>

#include <zpci/dma.h>
#include <zpci/func.h>
#include <zpci/pin.h>
#include <zpci/prng.h>
#include <zpci/shadow.h>

#include "support/table_builder.h"

namespace zpcisim::test {
namespace {

constexpr uint64_t kHostMem = 2ULL << 30;
constexpr uint64_t kGuestMem = 512ULL << 20;
constexpr uint64_t kGuestBase = 1ULL << 30;		// where the guest lives in host memory
constexpr uint64_t kShadowPool = 64ULL << 20;		// host memory for shadow tables
constexpr uint64_t kGuestPool = kGuestMem - (64ULL << 20);	// guest memory for guest tables
constexpr uint64_t kSdma = 0x100000000ULL;
constexpr uint64_t kPage = 4096;

// The guest, its hypervisor and the real function.  Its destructor detaches
// the guest and checks that every pin and table page came back.
class ShadowMachine {
public:
	void start(zpci_flush_policy policy, uint32_t limit = ZPCI_SHADOW_MAPPING_LIMIT_DEFAULT,
		   zpci_pin_cfg pin_cfg = {}, bool pin_tables = false)
	{
		ASSERT_EQ(zpci_layout_init_scattered(&layout_, kGuestMem, 2ULL << 20, kGuestBase, 5), 0);
		gview_ = { &layout_, host_.view() };
		zpci_func_cfg fc{ 0x10, 0x100, 1, kSdma, (1ULL << 57) - 1, false, false };
		ASSERT_EQ(zpci_func_init(&func_, &fc, host_.view(), kHostMem), 0);
		ASSERT_EQ(zpci_frame_pool_init(&host_pool_, kShadowPool, 64ULL << 20), 0);
		ASSERT_EQ(zpci_frame_pool_init(&guest_pool_, kGuestPool, 64ULL << 20), 0);
		ASSERT_EQ(zpci_pin_init(&pins_, &pin_cfg), 0);
		ASSERT_EQ(zpci_shadow_init(&shadow_, zpci_func_hw(&func_), host_.view(), &host_pool_,
					   guest_mem(), &layout_, &pins_, limit, pin_tables),
			  0);
		zpci_dma_cfg cfg = zpci_dma_default_cfg(0x10, policy, kGuestMem);
		ASSERT_EQ(zpci_dma_attach(&dev_, zpci_shadow_hw(&shadow_), guest_mem(), &guest_pool_, &cfg), 0);
		started_ = true;
	}

	~ShadowMachine()
	{
		if (!started_)
			return;
		zpci_dma_detach(&dev_);
		EXPECT_EQ(pins_.stats.pinned_pages, 0u) << "pins leaked";
		EXPECT_EQ(shadow_.mapped.nr, 0u);
		zpci_shadow_destroy(&shadow_);
		EXPECT_EQ(host_pool_.bytes_in_use, 0u);
		zpci_pin_destroy(&pins_);
		zpci_frame_pool_destroy(&guest_pool_);
		zpci_frame_pool_destroy(&host_pool_);
		zpci_func_destroy(&func_);
		zpci_layout_destroy(&layout_);
	}

	zpci_mem guest_mem() { return zpci_guest_view_mem(&gview_); }

	// What the device gets at @iova; checks isolation whatever it is.
	zpci_func_xlate device(uint64_t iova, zpci_dma_dir dir = ZPCI_DMA_READ)
	{
		zpci_func_xlate t;
		zpci_func_peek(&func_, iova, dir, &t);
		if (!t.blocked && t.x.fault == ZPCI_FAULT_NONE) {
			uint64_t gpa;
			EXPECT_EQ(zpci_layout_hpa_to_gpa(&layout_, t.x.addr, &gpa), 0)
				<< "device reached a host page that is not the guest's: " << std::hex << t.x.addr;
			EXPECT_TRUE(zpci_is_pinned(&pins_, t.x.addr))
				<< "device reached an unpinned page " << std::hex << t.x.addr;
		}
		return t;
	}

	uint64_t hpa_of(uint64_t gpa)
	{
		uint64_t hpa = 0;
		EXPECT_EQ(zpci_layout_gpa_to_hpa(&layout_, gpa, &hpa), 0);
		return hpa;
	}

	uint64_t map(uint64_t gpa, uint64_t size, dma_data_direction dir = DMA_BIDIRECTIONAL)
	{
		dma_addr_t h = 0;
		EXPECT_EQ(zpci_dma_map_page(&dev_, gpa, size, dir, &h), 0);
		return h;
	}

	SparseMem host_{ kHostMem };
	zpci_layout layout_{};
	// Members are public: tests look inside.
	zpci_guest_view gview_{};
	zpci_func func_{};
	zpci_frame_pool host_pool_{}, guest_pool_{};
	zpci_pinner pins_{};
	zpci_shadow shadow_{};
	zpci_dma_dev dev_{};
	bool started_ = false;
};

class Shadowed : public ::testing::Test {
protected:
	void start(zpci_flush_policy policy, uint32_t limit = ZPCI_SHADOW_MAPPING_LIMIT_DEFAULT,
		   zpci_pin_cfg pin_cfg = {})
	{
		m_ = std::make_unique<ShadowMachine>();
		m_->start(policy, limit, pin_cfg);
	}
	zpci_func_xlate device(uint64_t iova, zpci_dma_dir dir = ZPCI_DMA_READ)
	{
		return m_->device(iova, dir);
	}
	uint64_t hpa_of(uint64_t gpa) { return m_->hpa_of(gpa); }
	uint64_t map(uint64_t gpa, uint64_t size, dma_data_direction dir = DMA_BIDIRECTIONAL)
	{
		return m_->map(gpa, size, dir);
	}

	std::unique_ptr<ShadowMachine> m_;
};

TEST_F(Shadowed, GuestSeesRefreshAndALimitedApertureRealFunctionTheShadow)
{
	start(ZPCI_FLUSH_LAZY, 1024);
	EXPECT_TRUE(m_->dev_.refresh);
	EXPECT_EQ(m_->dev_.end_dma - m_->dev_.start_dma + 1, 1024 * kPage);
	EXPECT_EQ(m_->func_.space.iota, zpci_dma_table_iota(&m_->shadow_.table));
	EXPECT_EQ(m_->shadow_.guest.iota, zpci_dma_table_iota(&m_->dev_.table));
	zpci_hw vhw = zpci_shadow_hw(&m_->shadow_);
	zpci_fib fib;
	ASSERT_EQ(vhw.ops->stpcifc(vhw.priv, m_->dev_.fh, &fib).cc, 0);
	EXPECT_EQ(fib.iota, m_->shadow_.guest.iota);	// the guest sees its own table
}

// A map reaches the device only through the shadow, to the page the guest
// named, pinned; a lazy unmap leaves it until the global flush.
TEST_F(Shadowed, MapsArePinnedShadowedAndDroppedAtTheFlush)
{
	start(ZPCI_FLUSH_LAZY, 8);
	uint64_t a = map(0x200000, 2 * kPage);	// sync-map RPCIT: shadowed
	zpci_func_xlate t = device(a + 16, ZPCI_DMA_WRITE);
	ASSERT_EQ(t.x.fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(t.x.addr, hpa_of(0x200000) + 16);
	EXPECT_EQ(device(a + kPage).x.addr, hpa_of(0x201000));
	EXPECT_EQ(m_->pins_.stats.pinned_pages, 2u);
	ASSERT_EQ(zpci_dma_unmap_page(&m_->dev_, a, 2 * kPage, DMA_BIDIRECTIONAL), 0);
	EXPECT_EQ(device(a).x.fault, ZPCI_FAULT_NONE);	// lazy: still shadowed and pinned
	EXPECT_EQ(m_->pins_.stats.pinned_pages, 2u);
	// Fill the aperture (the limit's 8 pages, the last never handed out)
	// until the allocator wraps: its global flush drops them.
	for (int i = 0; i < 5; i++)
		map(0x300000 + i * kPage, kPage);
	EXPECT_EQ(m_->dev_.stats.global_rpcits, 0u);
	map(0x400000, kPage);	// wraps
	EXPECT_EQ(m_->dev_.stats.global_rpcits, 1u);
	EXPECT_EQ(m_->pins_.stats.pinned_pages, 6u);
	EXPECT_EQ(m_->shadow_.stats.unmaps, 2u);
	EXPECT_GT(m_->shadow_.stats.entries_read, 0u);
}

TEST_F(Shadowed, StrictUnmapsLeaveNothingBehind)
{
	start(ZPCI_FLUSH_STRICT);
	uint64_t a = map(0x200000, 3 * kPage, DMA_TO_DEVICE);
	EXPECT_EQ(device(a, ZPCI_DMA_READ).x.fault, ZPCI_FAULT_NONE);
	ASSERT_EQ(zpci_dma_unmap_page(&m_->dev_, a, 3 * kPage, DMA_TO_DEVICE), 0);
	EXPECT_EQ(m_->pins_.stats.pinned_pages, 0u);
	EXPECT_EQ(device(a + kPage).x.fault, ZPCI_FAULT_INVALID_ENTRY);
	EXPECT_EQ(m_->shadow_.stats.intercepts, 2u);
	EXPECT_EQ(m_->shadow_.stats.host_rpcits, 2u);
}

TEST_F(Shadowed, ReadOnlyGuestMappingsStayReadOnlyInTheShadow)
{
	start(ZPCI_FLUSH_STRICT);
	uint64_t a = map(0x200000, kPage, DMA_TO_DEVICE);
	EXPECT_EQ(device(a, ZPCI_DMA_READ).x.fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(device(a, ZPCI_DMA_WRITE).x.fault, ZPCI_FAULT_PROTECTION);
}

// At the mapping limit the guest is told "insufficient resources"; its
// global flush lets lazily unmapped pages go and the map succeeds.
TEST_F(Shadowed, MappingLimitRecoversThroughTheGuestsGlobalFlush)
{
	start(ZPCI_FLUSH_LAZY, 16);
	std::vector<uint64_t> h;
	// 15 mappings: all the aperture of 16 pages a guest hands out.
	for (int i = 0; i < 4; i++)
		h.push_back(map(0x200000 + i * 4 * kPage, (i < 3 ? 4 : 3) * kPage));
	ASSERT_EQ(zpci_dma_unmap_page(&m_->dev_, h[0], 4 * kPage, DMA_BIDIRECTIONAL), 0);
	EXPECT_EQ(m_->shadow_.mapped.nr, 15u);	// lazy: still shadowed
	// The next map's sync RPCIT hits the limit; the aperture wraps anyway here,
	// so either path must end with the map in place and nothing over the limit.
	uint64_t b = map(0x600000, kPage);
	EXPECT_EQ(device(b).x.addr, hpa_of(0x600000));
	EXPECT_LE(m_->shadow_.stats.peak_mappings, 16u);
	EXPECT_GE(m_->dev_.stats.global_rpcits, 1u);
}

TEST_F(Shadowed, MappingLimitWithEverythingLiveFailsTheMapCleanly)
{
	start(ZPCI_FLUSH_LAZY, 64);
	for (int i = 0; i < 16; i++)	// 63 live mappings: the aperture less its last page
		map(0x200000 + i * 4 * kPage, (i < 15 ? 4 : 3) * kPage);
	dma_addr_t h;
	EXPECT_EQ(zpci_dma_map_page(&m_->dev_, 0x900000, kPage, DMA_BIDIRECTIONAL, &h), -ENOSPC);
	EXPECT_EQ(m_->dev_.stats.map_errors, 1u);
	EXPECT_EQ(m_->shadow_.mapped.nr, 63u);
	EXPECT_EQ(m_->pins_.stats.pinned_pages, 63u);
}

// "And if pinning fails?": the guest is told to flush and retry; it retries
// once, then its map fails cleanly.  Nothing is pinned that is not mapped.
TEST_F(Shadowed, PinFailuresAtEveryRateEndCleanly)
{
	for (uint32_t permille : { 0u, 10u, 500u, 1000u }) {
		zpci_pin_cfg pc{};
		pc.fail_permille = permille;
		pc.seed = 3;
		start(ZPCI_FLUSH_LAZY, ZPCI_SHADOW_MAPPING_LIMIT_DEFAULT, pc);
		int ok = 0, failed = 0;
		for (int i = 0; i < 200; i++) {
			dma_addr_t h;
			int rc = zpci_dma_map_page(&m_->dev_, 0x1000000 + i * kPage, kPage, DMA_FROM_DEVICE, &h);
			if (rc == 0) {
				ok++;
				EXPECT_EQ(device(h, ZPCI_DMA_WRITE).x.addr, hpa_of(0x1000000 + i * kPage));
			} else {
				EXPECT_EQ(rc, -ENOMEM);
				failed++;
			}
		}
		EXPECT_EQ(m_->pins_.stats.pinned_pages, m_->shadow_.mapped.nr) << permille;
		EXPECT_EQ(ok + failed, 200);
		if (permille == 0) {
			EXPECT_EQ(failed, 0);
		}
		if (permille == 1000) {
			EXPECT_EQ(ok, 0);
		}
		m_.reset();	// detach: the machine checks that pins balance to zero
	}
}

// A guest table entry naming a frame outside guest memory: refused with
// status 8, nothing mapped or pinned, the map fails.
TEST_F(Shadowed, GuestFramesOutsideItsMemoryAreNeverMapped)
{
	start(ZPCI_FLUSH_STRICT);
	uint64_t a = map(0x200000, kPage);
	// The guest (or a bug) rewrites its PTE to point beyond its memory.
	zpci_mem gm = m_->guest_mem();
	zpci_xlate x;
	zpci_translate(&gm, &m_->shadow_.guest, a, ZPCI_DMA_READ, &x);
	ASSERT_EQ(x.fault, ZPCI_FAULT_NONE);
	uint64_t pte = x.steps[x.nr_steps - 1].entry_addr;
	ASSERT_EQ(zpci_mem_write64(&gm, pte, zpci_mk_pte(kGuestMem + 0x10000, false)), 0);
	zpci_hw vhw = zpci_shadow_hw(&m_->shadow_);
	std::vector<std::pair<zpci_pec, uint64_t>> events;
	m_->shadow_.on_error = { [](void *ctx, zpci_pec pec, dma_addr_t iova) {
					static_cast<decltype(events) *>(ctx)->push_back({ pec, iova });
				 },
				 &events };
	zpci_insn_result r = vhw.ops->rpcit(vhw.priv, m_->dev_.fh, a, kPage);
	EXPECT_EQ(r.cc, ZPCI_CC_STATUS);
	EXPECT_EQ(r.status, ZPCI_RPCIT_ST_WALK_FAILED);
	EXPECT_EQ(m_->shadow_.stats.walk_failures, 1u);
	ASSERT_EQ(events.size(), 1u);	// the error event the function must raise
	EXPECT_EQ(events[0].first, ZPCI_PEC_INVALID_ENTRY);
	EXPECT_EQ(events[0].second, a);
	m_->shadow_.on_error = {};
	// The old mapping went too: the device keeps nothing the guest revoked.
	EXPECT_EQ(device(a).x.fault, ZPCI_FAULT_INVALID_ENTRY);
	EXPECT_EQ(m_->pins_.stats.pinned_pages, 0u);
	ASSERT_EQ(zpci_mem_write64(&gm, pte, ZPCI_PTE_INVALID), 0);
	ASSERT_EQ(zpci_dma_unmap_page(&m_->dev_, a, kPage, DMA_BIDIRECTIONAL), 0);
}

// In the kernel the guest's table pages are pinned as the walks read them,
// and let go when the guest deregisters.
TEST_F(Shadowed, InTheKernelGuestTablePagesArePinnedToo)
{
	m_ = std::make_unique<ShadowMachine>();
	m_->start(ZPCI_FLUSH_STRICT, ZPCI_SHADOW_MAPPING_LIMIT_DEFAULT, {}, true);
	uint64_t a = map(0x200000, kPage);
	// The region-third, segment and page tables: three guest pages.
	EXPECT_EQ(m_->shadow_.stats.table_pages_pinned, 3u);
	EXPECT_EQ(m_->pins_.stats.pinned_pages, 3u + 1);
	ASSERT_EQ(zpci_dma_unmap_page(&m_->dev_, a, kPage, DMA_BIDIRECTIONAL), 0);
	EXPECT_EQ(m_->pins_.stats.pinned_pages, 3u);	// tables stay while shadowed
}	// detach: the machine checks everything is unpinned

// Long random runs: every live mapping reaches its guest page, isolation
// always holds, and pins balance at the end (checked by the fixture).
class ShadowedPolicy : public ::testing::TestWithParam<zpci_flush_policy> {};

TEST_P(ShadowedPolicy, LiveMappingsReachTheirGuestPagesAndNothingElse)
{
	ShadowMachine m;
	m.start(GetParam(), 512);
	zpci_prng r;
	zpci_prng_seed(&r, 40 + GetParam());
	std::map<uint64_t, std::pair<uint64_t, uint64_t>> live;	// handle -> (gpa, size)
	for (int op = 0; op < 4000; op++) {
		zpci_dma_set_time(&m.dev_, op * 1000000ULL);	// 1 ms: queues time out
		if (live.empty() || zpci_prng_below(&r, 2)) {
			uint64_t gpa = 0x1000000 + zpci_prng_below(&r, 0x4000) * kPage + zpci_prng_below(&r, kPage);
			uint64_t size = 1 + zpci_prng_below(&r, 3 * kPage);
			dma_addr_t h;
			int rc = zpci_dma_map_page(&m.dev_, gpa, size, DMA_BIDIRECTIONAL, &h);
			if (rc == 0)
				live[h] = { gpa, size };
			else
				ASSERT_TRUE(rc == -ENOSPC || rc == -ENOMEM) << rc;
		} else {
			auto it = std::next(live.begin(), zpci_prng_below(&r, live.size()));
			ASSERT_EQ(zpci_dma_unmap_page(&m.dev_, it->first, it->second.second, DMA_BIDIRECTIONAL), 0);
			live.erase(it);
		}
		for (const auto &[h, g] : live) {
			uint64_t off = zpci_prng_below(&r, g.second);
			zpci_func_xlate t = m.device(h + off, ZPCI_DMA_WRITE);
			ASSERT_EQ(t.x.fault, ZPCI_FAULT_NONE) << "op " << op;
			ASSERT_EQ(t.x.addr, m.hpa_of(g.first + off)) << "op " << op;
		}
	}
	for (const auto &[h, g] : live)
		ASSERT_EQ(zpci_dma_unmap_page(&m.dev_, h, g.second, DMA_BIDIRECTIONAL), 0);
}

INSTANTIATE_TEST_SUITE_P(Policies, ShadowedPolicy,
			 ::testing::Values(ZPCI_FLUSH_LAZY, ZPCI_FLUSH_STRICT, ZPCI_FLUSH_QUEUE));

}  // namespace
}  // namespace zpcisim::test
