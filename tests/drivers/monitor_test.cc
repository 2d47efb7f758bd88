// SPDX-License-Identifier: MIT
// The machine's instruments: the tap's log and injected outcomes, the
// checkers' verdicts, and the function error injected at a time.  Each
// expectation is worked out here by hand from the table the test builds,
// not read back from the monitor's own bookkeeping.
#include <gtest/gtest.h>

#include <zpci/monitor.h>

#include "support/function_bench.h"

namespace zpcisim::test {
namespace {

constexpr uint64_t kSdma = FunctionBench::kSdma;
constexpr uint64_t kMem = FunctionBench::kMem;
constexpr uint64_t kGuestBase = 16ULL << 20;	// host memory below it is not the guest's
constexpr uint64_t kPage = 4096;

// The bench's function behind a monitor that taps it, for a hosted guest
// in host memory from kGuestBase up.
class Monitor : public FunctionBench {
protected:
	Monitor()
	{
		zpci_pin_cfg pc{};
		EXPECT_EQ(zpci_layout_init_contiguous(&layout_, kMem - kGuestBase, kGuestBase), 0);
		EXPECT_EQ(zpci_pin_init(&pins_, &pc), 0);
		EXPECT_EQ(zpci_monitor_init(&mon_, 1, &layout_, &pins_, true,
					    &pins_.inject, nullptr),
			  0);
		hw_ = zpci_monitor_tap(&mon_, 0, &f_, zpci_func_hw(&f_));
		mf_ = &mon_.fns[0];
	}
	~Monitor() override
	{
		zpci_monitor_destroy(&mon_);
		zpci_pin_destroy(&pins_);
		zpci_layout_destroy(&layout_);
	}

	bool dma(uint64_t iova) { return zpci_monitor_dma(mf_, iova, nullptr, 8, ZPCI_DMA_READ) == 0; }

	zpci_layout layout_{};
	zpci_pinner pins_{};
	zpci_monitor mon_{};
	zpci_monitor_fn *mf_ = nullptr;
};

// Busy first, then insufficient resources among the RPCITs busy let
// through: "every Nth of the others".
TEST_F(Monitor, InjectedRpcitOutcomesCascade)
{
	enable_and_register();
	zpci_fault_window_every(zpci_monitor_window(&mon_, 0, ZPCI_INJECT_RPCIT_BUSY), 2);
	zpci_fault_window_every(zpci_monitor_window(&mon_, 0, ZPCI_INJECT_RPCIT_INSUFF), 2);
	// RPCIT 1: busy lets it by, insuff sees its 1st: ok.  2: busy.  3: insuff's
	// 2nd: insufficient.  4: busy.  5: insuff's 3rd: ok.
	const uint8_t cc[] = { ZPCI_CC_OK, ZPCI_CC_BUSY, ZPCI_CC_STATUS, ZPCI_CC_BUSY, ZPCI_CC_OK };
	for (uint8_t want : cc)
		EXPECT_EQ(rpcit(kSdma, kPage).cc, want);
	EXPECT_EQ(mf_->stats.rpcits, 5u);
	EXPECT_EQ(mf_->stats.rpcits_failed, 3u);
	EXPECT_EQ(f_.stats.rpcits, 2u);	// the injected ones never reached it
	EXPECT_EQ(zpci_monitor_injected(&mon_, 0), 3u);
	ASSERT_EQ(mf_->nr_log, 5u);
	EXPECT_EQ(mf_->log[2].result.status, ZPCI_RPCIT_ST_INSUFF_RES);
}

// A function in the error state answers status 40 itself, and the windows
// do not count what it refuses.
TEST_F(Monitor, InjectionOnlyStandsInForAFunctionThatTakesTheRpcit)
{
	enable_and_register();
	zpci_fault_window_every(zpci_monitor_window(&mon_, 0, ZPCI_INJECT_RPCIT_BUSY), 1);
	zpci_func_raise_error(&f_, ZPCI_PEC_SYSTEM_ERROR, 0, false);
	zpci_insn_result r = rpcit(kSdma, kPage);
	EXPECT_EQ(r.cc, ZPCI_CC_STATUS);
	EXPECT_EQ(r.status, ZPCI_RPCIT_ST_FUNC_IN_ERR);
	EXPECT_EQ(zpci_monitor_window(&mon_, 0, ZPCI_INJECT_RPCIT_BUSY)->seen, 0u);
}

TEST_F(Monitor, LogIsReadByNumberUntilTaken)
{
	enable_and_register();
	for (uint64_t i = 0; i < 3; i++)
		rpcit(kSdma + i * kPage, kPage);
	zpci_rpcit_rec out[4];
	ASSERT_EQ(zpci_monitor_rpcits(mf_, 1, out, 4), 2u);
	EXPECT_EQ(out[0].iova, kSdma + kPage);
	EXPECT_EQ(out[1].iova, kSdma + 2 * kPage);
	size_t n;
	zpci_monitor_take_rpcits(mf_, &n);
	EXPECT_EQ(n, 3u);
	rpcit(kSdma + 3 * kPage, kPage);
	EXPECT_EQ(zpci_monitor_rpcits(mf_, 0, out, 4), 0u);	// taken: gone
	ASSERT_EQ(zpci_monitor_rpcits(mf_, 3, out, 4), 1u);
	EXPECT_EQ(out[0].iova, kSdma + 3 * kPage);
}

// Stale uses count from the unmap, until the page is mapped again; the
// exposure window closes when a successful RPCIT over the page is taken.
TEST_F(Monitor, StaleUsesAndExposureWindows)
{
	enable_and_register();
	tb_.map_4k(kSdma, kGuestBase + 0x10000, false);
	zpci_monitor_set_time(&mon_, 100);
	ASSERT_EQ(zpci_pin(&pins_, kGuestBase + 0x10000), 0);
	ASSERT_TRUE(dma(kSdma));	// cached in the IOTLB
	EXPECT_EQ(zpci_monitor_unmapped(mf_, kSdma, kPage), 0);
	zpci_monitor_set_time(&mon_, 350);
	ASSERT_TRUE(dma(kSdma));	// the IOTLB still has it: a stale use, 250 ns on
	EXPECT_EQ(mon_.stale_uses, 1u);
	EXPECT_EQ(mon_.stale_windows.max, 250u);
	zpci_insn_result busy = { ZPCI_CC_BUSY, 0 };
	zpci_fault_window_arm(zpci_monitor_window(&mon_, 0, ZPCI_INJECT_RPCIT_BUSY), 0, 1);
	EXPECT_EQ(rpcit(kSdma, kPage).cc, busy.cc);
	size_t n;
	zpci_monitor_take_rpcits(mf_, &n);
	EXPECT_EQ(mon_.exposure_windows.count, 0u);	// a busy RPCIT flushes nothing
	zpci_monitor_set_time(&mon_, 1000);
	EXPECT_EQ(rpcit(kSdma, kPage).cc, ZPCI_CC_OK);
	zpci_monitor_take_rpcits(mf_, &n);
	EXPECT_EQ(mon_.exposure_windows.count, 1u);
	EXPECT_EQ(mon_.exposure_windows.max, 900u);
	EXPECT_EQ(mf_->unmapped_at.used, 0u);
	// Unmapped and mapped again: no longer stale.
	EXPECT_EQ(zpci_monitor_unmapped(mf_, kSdma, kPage), 0);
	zpci_monitor_mapped(mf_, kSdma, kPage);
	ASSERT_TRUE(dma(kSdma));
	EXPECT_EQ(mon_.stale_uses, 1u);
}

// Isolation: a host page below the guest is not the guest's; a guest page
// the hypervisor did not pin is not pinned.  The digest folds guest-physical
// addresses of good pages, host addresses of bad ones.
TEST_F(Monitor, IsolationVerdicts)
{
	enable_and_register();
	tb_.map_4k(kSdma, kGuestBase + 0x20000, false);	// the guest's, unpinned
	tb_.map_4k(kSdma + kPage, 0x8000, false);		// below the guest
	tb_.map_4k(kSdma + 2 * kPage, kGuestBase + 0x30000, false);
	ASSERT_EQ(zpci_pin(&pins_, kGuestBase + 0x30000), 0);
	ASSERT_TRUE(dma(kSdma + 2 * kPage));
	EXPECT_EQ(mon_.violations, 0u);
	ASSERT_TRUE(dma(kSdma));
	ASSERT_TRUE(dma(kSdma + kPage));
	EXPECT_EQ(mon_.violations, 2u);
	EXPECT_EQ(mon_.first.verdict, ZPCI_ISOLATION_NOT_PINNED);
	EXPECT_EQ(mon_.first.hpa, kGuestBase + 0x20000);
	char text[200];
	zpci_monitor_describe_violation(&mon_, text, sizeof(text));
	EXPECT_STREQ(text, "function 0: the device at IOVA 0x100000000 reached host page "
			   "0x1020000, which is not pinned");
	phys_addr_t gpa;
	EXPECT_EQ(zpci_monitor_check(&mon_, 0x8000, &gpa), ZPCI_ISOLATION_NOT_GUEST);
	EXPECT_EQ(zpci_monitor_check(&mon_, kGuestBase + 0x30000, &gpa), ZPCI_ISOLATION_OK);
	EXPECT_EQ(gpa, 0x30000u);
}

TEST_F(Monitor, FunctionErrorAtATimeFiresOnce)
{
	enable_and_register();
	mon_.func_error_at = 500;
	zpci_monitor_set_time(&mon_, 499);
	EXPECT_FALSE(f_.error);
	zpci_monitor_set_time(&mon_, 500);
	EXPECT_TRUE(f_.error);
	EXPECT_EQ(f_.stats.error_events, 1u);
	zpci_monitor_set_time(&mon_, 600);
	EXPECT_EQ(f_.stats.error_events, 1u);
	// Machine-wide windows count once, whichever function asks.
	zpci_fault_window_arm(zpci_monitor_window(&mon_, 0, ZPCI_INJECT_PIN), 0, 1);
	EXPECT_EQ(zpci_pin(&pins_, kGuestBase), -ENOMEM);
	EXPECT_EQ(zpci_monitor_injected(&mon_, 0), 2u);
	EXPECT_EQ(zpci_monitor_injected(&mon_, -1), 2u);
}

TEST_F(Monitor, FunctionErrorWindowCountsDeviceAccesses)
{
	enable_and_register();
	tb_.map_4k(kSdma, kGuestBase, false);
	zpci_fault_window_arm(zpci_monitor_window(&mon_, 0, ZPCI_INJECT_FUNC_ERROR), 1, 1);
	EXPECT_TRUE(dma(kSdma));
	EXPECT_FALSE(dma(kSdma));
	EXPECT_TRUE(f_.error);
	EXPECT_EQ(mf_->stats.dma_faults, 1u);
}

}  // namespace
}  // namespace zpcisim::test
