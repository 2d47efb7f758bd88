// SPDX-License-Identifier: MIT
// The rx_ring example driver under the harness, the way a driver developer
// would test it: every test runs in-process and against `zpcisim serve`,
// on every design.  Expectations come from the architecture and the Linux
// DMA rules (what an RPCIT must cover, what a fault must do), never from
// the simulator's own output.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include <zpci/harness.h>

#include "fake_nic.h"
#include "rx_ring.h"
#include "support/serve_process.h"

namespace {

using zpcisim::test::ServeProcess;
using Packet = std::vector<uint8_t>;

constexpr uint32_t kEntries = 8;
constexpr uint32_t kBufSize = 2048;
constexpr int kTimeoutMs = 10000;

struct Param {
	bool remote;
	zpci_design design;
};

std::string param_name(const testing::TestParamInfo<Param> &info)
{
	std::string s = std::string(info.param.remote ? "Remote_" : "Local_") +
			zpci_design_name(info.param.design);
	for (char &c : s)
		if (c == '-')
			c = '_';
	return s;
}

std::vector<Param> all_params()
{
	std::vector<Param> v;
	for (bool remote : { false, true })
		for (int d = 0; d < ZPCI_NR_DESIGNS; d++)
			v.push_back({ remote, static_cast<zpci_design>(d) });
	return v;
}

// One server for every remote test of this process.
ServeProcess &server()
{
	static ServeProcess s;
	return s;
}

// Packet @i: a length and bytes no two packets share.
Packet packet(uint32_t i)
{
	Packet p(60 + (i * 97) % (kBufSize - 60));
	for (size_t j = 0; j < p.size(); j++)
		p[j] = static_cast<uint8_t>(i * 31 + j * 7 + (j >> 8));
	return p;
}

void collect(void *ctx, const void *data, uint32_t len)
{
	auto *got = static_cast<std::vector<Packet> *>(ctx);
	const auto *b = static_cast<const uint8_t *>(data);
	got->emplace_back(b, b + len);
}

class RxRingTest : public testing::TestWithParam<Param> {
protected:
	void TearDown() override
	{
		if (open_)
			rx_ring_close(&ring_);
		zpci_harness_destroy(h_);
	}

	zpci_design design() const { return GetParam().design; }
	bool translates() const { return design() != ZPCI_DESIGN_IDENTITY_PINNED; }
	bool intercepts() const
	{
		return design() == ZPCI_DESIGN_INTERCEPT_USER || design() == ZPCI_DESIGN_INTERCEPT_KVM;
	}

	void make_harness()
	{
		char err[256] = "";
		cfg_ = zpci_harness_default_cfg(design());
		h_ = GetParam().remote
			     ? zpci_harness_connect(server().endpoint().c_str(), &cfg_, kTimeoutMs, err,
						    sizeof(err))
			     : zpci_harness_create(&cfg_, err, sizeof(err));
		ASSERT_NE(h_, nullptr) << err;
		ASSERT_EQ(zpci_harness_alloc(h_, rx_ring_mem_size(kEntries, kBufSize), &mem_pa_), 0);
	}

	int open_ring(zpci_flush_policy policy)
	{
		rx_ring_cfg rc{};
		rc.fid = ZPCI_HARNESS_FID;
		rc.entries = kEntries;
		rc.buf_size = kBufSize;
		rc.policy = policy;
		rc.identity = !translates();
		rc.guest_mem = cfg_.guest_mem;
		rc.mem_pa = mem_pa_;
		int err = rx_ring_open(&ring_, zpci_harness_hw(h_, 0), zpci_harness_guest_mem(h_),
				       zpci_harness_table_pool(h_), &rc);
		open_ = !err;
		nic_ = { h_, 0, ring_.desc_dma, kEntries, 0 };
		return err;
	}

	void start(zpci_flush_policy policy)
	{
		ASSERT_NO_FATAL_FAILURE(make_harness());
		ASSERT_EQ(open_ring(policy), 0) << zpci_harness_error(h_);
	}

	// The device receives @n packets from number @first; the driver polls them.
	void traffic(uint32_t first, uint32_t n)
	{
		std::vector<Packet> got;

		for (uint32_t i = 0; i < n; i++) {
			Packet p = packet(first + i);
			ASSERT_EQ(fake_nic_receive(&nic_, p.data(), p.size()), FAKE_NIC_DELIVERED)
				<< "packet " << first + i << ": " << zpci_harness_error(h_);
			if (nic_.tail == 0 || i == n - 1) {
				ASSERT_GE(rx_ring_poll(&ring_, kEntries, collect, &got), 0);
			}
		}
		ASSERT_EQ(got.size(), n);
		for (uint32_t i = 0; i < n; i++)
			ASSERT_EQ(got[i], packet(first + i)) << "packet " << first + i;
	}

	struct zpci_harness_counters counters()
	{
		struct zpci_harness_counters c{};
		EXPECT_EQ(zpci_harness_read_counters(h_, 0, &c), 0) << zpci_harness_error(h_);
		return c;
	}

	std::vector<zpci_rpcit_rec> rpcit_log()
	{
		std::vector<zpci_rpcit_rec> log(4096);
		long n = zpci_harness_rpcits(h_, 0, 0, log.data(), log.size());
		EXPECT_GE(n, 0) << zpci_harness_error(h_);
		log.resize(n < 0 ? 0 : n);
		return log;
	}

	void expect_isolated()
	{
		char first[256];
		EXPECT_EQ(zpci_harness_violations(h_, first, sizeof(first)), 0) << first;
	}

	// After close only the pinned designs hold pins: all of guest memory.
	void expect_pins_balanced_after_close()
	{
		rx_ring_close(&ring_);
		open_ = false;
		bool all_pinned = design() == ZPCI_DESIGN_NESTED_PINNED ||
				  design() == ZPCI_DESIGN_IDENTITY_PINNED;
		EXPECT_EQ(counters().pins.pinned_pages,
			  all_pinned ? cfg_.guest_mem / ZPCI_PAGE_SIZE : 0);
	}

	zpci_harness_cfg cfg_{};
	zpci_harness *h_ = nullptr;
	phys_addr_t mem_pa_ = 0;
	rx_ring ring_{};
	bool open_ = false;
	fake_nic nic_{};
};

TEST_P(RxRingTest, DeliversEveryPacketIntact)
{
	ASSERT_NO_FATAL_FAILURE(start(ZPCI_FLUSH_LAZY));
	ASSERT_NO_FATAL_FAILURE(traffic(0, 3 * kEntries + 3));
	struct zpci_harness_counters c = counters();
	EXPECT_EQ(c.func.error_events, 0u);
	EXPECT_EQ(c.tap.dma_faults, 0u);
	EXPECT_EQ(ring_.stats.packets, 3 * kEntries + 3);
	expect_isolated();
	expect_pins_balanced_after_close();
}

// Strict: each unmap is an RPCIT over exactly its page, and with the refresh
// bit each map is one too (Linux's dma_update_trans); identity issues none.
TEST_P(RxRingTest, StrictRpcitsCoverExactlyWhatTheDriverMappedAndUnmapped)
{
	ASSERT_NO_FATAL_FAILURE(start(ZPCI_FLUSH_STRICT));
	std::vector<std::pair<uint64_t, uint64_t>> want;
	bool refresh = ring_.dev.refresh;

	if (translates() && refresh) {
		want.push_back({ ring_.desc_dma, ZPCI_PAGE_SIZE });
		for (uint32_t i = 0; i < kEntries; i++)
			want.push_back({ ring_.slots[i].dma, ZPCI_PAGE_SIZE });
	}
	for (uint32_t i = 0; i < kEntries / 2; i++) {
		Packet p = packet(i);
		ASSERT_EQ(fake_nic_receive(&nic_, p.data(), p.size()), FAKE_NIC_DELIVERED);
	}
	std::vector<uint64_t> old_dma;
	for (uint32_t i = 0; i < kEntries / 2; i++)
		old_dma.push_back(ring_.slots[i].dma);
	std::vector<Packet> got;
	ASSERT_EQ(rx_ring_poll(&ring_, kEntries, collect, &got), int(kEntries / 2));
	if (translates())
		for (uint32_t i = 0; i < kEntries / 2; i++) {
			want.push_back({ old_dma[i], ZPCI_PAGE_SIZE });
			if (refresh)
				want.push_back({ ring_.slots[i].dma, ZPCI_PAGE_SIZE });
		}

	std::vector<zpci_rpcit_rec> log = rpcit_log();
	ASSERT_EQ(log.size(), want.size());
	for (size_t i = 0; i < log.size(); i++) {
		EXPECT_EQ(log[i].iova, want[i].first) << "RPCIT " << i;
		EXPECT_EQ(log[i].len, want[i].second) << "RPCIT " << i;
		EXPECT_EQ(log[i].result.cc, ZPCI_CC_OK) << "RPCIT " << i;
	}
	EXPECT_EQ(counters().tap.rpcits, want.size());
}

// A device writing to a buffer after a strict unmap faults: the function
// enters the error state, and the driver recovers it.
TEST_P(RxRingTest, LateDeviceWriteAfterStrictUnmapFaultsAndDriverRecovers)
{
	ASSERT_NO_FATAL_FAILURE(start(ZPCI_FLUSH_STRICT));
	uint64_t old = ring_.slots[0].dma;
	ASSERT_NO_FATAL_FAILURE(traffic(0, 1));
	// The refill mapped the buffer again; 6.1's next-fit allocator moved on.
	if (translates()) {
		ASSERT_NE(ring_.slots[0].dma, old);
	}
	// Nothing of slot 0 is mapped at the old IOVA now: a late write.
	Packet late(64, 0xee);
	int rc = zpci_harness_dma(h_, 0, old, late.data(), late.size(), ZPCI_DMA_WRITE);
	if (!translates()) {
		// No translation, no protection: the identity design's known hole.
		EXPECT_EQ(rc, 0);
		return;
	}
	EXPECT_EQ(rc, -EIO);
	EXPECT_EQ(counters().func.error_events, 1u);
	EXPECT_EQ(rx_ring_check_health(&ring_), 1);
	nic_ = { h_, 0, ring_.desc_dma, kEntries, 0 };
	ASSERT_NO_FATAL_FAILURE(traffic(100, kEntries));
	EXPECT_EQ(ring_.stats.resets, 1u);
	expect_isolated();
	expect_pins_balanced_after_close();
}

// Lazy: no RPCIT at unmap, so the late write still lands until the next
// global flush: the window zpcisim measures.  It lands in guest memory.
TEST_P(RxRingTest, LateDeviceWriteAfterLazyUnmapStillLands)
{
	ASSERT_NO_FATAL_FAILURE(start(ZPCI_FLUSH_LAZY));
	uint64_t old = ring_.slots[0].dma;
	ASSERT_NO_FATAL_FAILURE(traffic(0, 1));
	Packet late(64, 0xee);
	EXPECT_EQ(zpci_harness_dma(h_, 0, old, late.data(), late.size(), ZPCI_DMA_WRITE), 0)
		<< zpci_harness_error(h_);
	EXPECT_EQ(counters().func.error_events, 0u);
	expect_isolated();
}

TEST_P(RxRingTest, BusyRpcitsAreRetried)
{
	if (!translates())
		GTEST_SKIP() << "the identity design issues no RPCIT";
	ASSERT_NO_FATAL_FAILURE(start(ZPCI_FLUSH_STRICT));
	ASSERT_EQ(zpci_harness_inject(h_, 0, ZPCI_HFAULT_RPCIT_BUSY, 0, 3), 0);
	ASSERT_NO_FATAL_FAILURE(traffic(0, kEntries));
	struct zpci_harness_counters c = counters();
	EXPECT_EQ(c.tap.rpcits_failed, 3u);
	EXPECT_EQ(c.injected, 3u);
	EXPECT_EQ(ring_.dev.stats.busy_retries, 3u);
	// The three busy answers went to the first unmap, retried at once.
	std::vector<zpci_rpcit_rec> log = rpcit_log();
	size_t busy = 0;
	while (busy < log.size() && log[busy].result.cc != ZPCI_CC_BUSY)
		busy++;
	ASSERT_LE(busy + 4, log.size());
	for (size_t i = busy; i < busy + 3; i++)
		EXPECT_EQ(log[i].result.cc, ZPCI_CC_BUSY);
	EXPECT_EQ(log[busy + 3].result.cc, ZPCI_CC_OK);
	EXPECT_EQ(log[busy + 3].iova, log[busy].iova);
}

// "Insufficient resources" on a map: a global RPCIT over the aperture, then on.
TEST_P(RxRingTest, InsufficientResourcesOnMapFlushesGlobally)
{
	ASSERT_NO_FATAL_FAILURE(start(ZPCI_FLUSH_LAZY));
	if (!ring_.dev.refresh)
		GTEST_SKIP() << "without the refresh bit a map issues no RPCIT";
	size_t before = rpcit_log().size();
	ASSERT_EQ(zpci_harness_inject(h_, 0, ZPCI_HFAULT_RPCIT_INSUFF, 0, 1), 0);
	ASSERT_NO_FATAL_FAILURE(traffic(0, 1));
	std::vector<zpci_rpcit_rec> log = rpcit_log();
	ASSERT_GE(log.size(), before + 2);
	EXPECT_EQ(log[before].result.cc, ZPCI_CC_STATUS);
	EXPECT_EQ(log[before].result.status, ZPCI_RPCIT_ST_INSUFF_RES);
	EXPECT_EQ(log[before + 1].iova, ring_.dev.start_dma);
	EXPECT_EQ(log[before + 1].len, ring_.dev.end_dma - ring_.dev.start_dma + 1);
	EXPECT_EQ(log[before + 1].result.cc, ZPCI_CC_OK);
	EXPECT_EQ(ring_.dev.stats.global_rpcits, 1u);
	EXPECT_EQ(ring_.stats.map_errors, 0u);
}

// Pins refused: an intercepting hypervisor cannot shadow the map, so the map
// fails and the slot waits; the pinned designs pinned everything up front.
// Strict, so that the unmap unpins the buffer and its map needs a new pin.
TEST_P(RxRingTest, PinFailuresFailMapsOnlyWhereTheHypervisorPinsOnDemand)
{
	ASSERT_NO_FATAL_FAILURE(start(ZPCI_FLUSH_STRICT));
	ASSERT_EQ(zpci_harness_inject(h_, 0, ZPCI_HFAULT_PIN, 0, 1u << 20), 0);
	Packet p = packet(0);
	ASSERT_EQ(fake_nic_receive(&nic_, p.data(), p.size()), FAKE_NIC_DELIVERED);
	std::vector<Packet> got;
	ASSERT_EQ(rx_ring_poll(&ring_, kEntries, collect, &got), 1);
	struct zpci_harness_counters c = counters();
	if (intercepts()) {
		EXPECT_GE(ring_.stats.map_errors, 1u);
		EXPECT_GE(c.pins.failures, 1u);
		EXPECT_FALSE(ring_.slots[0].mapped);
	} else {
		EXPECT_EQ(ring_.stats.map_errors, 0u);
		EXPECT_EQ(c.pins.failures, 0u);
	}
	// Pins come back: the next poll refills the slot and traffic flows.
	ASSERT_EQ(zpci_harness_inject(h_, 0, ZPCI_HFAULT_PIN, 0, 0), 0);
	ASSERT_EQ(rx_ring_poll(&ring_, kEntries, collect, &got), 0);
	EXPECT_TRUE(ring_.slots[0].mapped);
	ASSERT_NO_FATAL_FAILURE(traffic(1, 2 * kEntries));
	expect_isolated();
	expect_pins_balanced_after_close();
}

TEST_P(RxRingTest, FunctionErrorMidTrafficIsRecovered)
{
	ASSERT_NO_FATAL_FAILURE(start(ZPCI_FLUSH_LAZY));
	// The NIC's fifth access (the second packet's buffer write) fails.
	ASSERT_EQ(zpci_harness_inject(h_, 0, ZPCI_HFAULT_FUNC_ERROR, 4, 1), 0);
	Packet p = packet(0);
	ASSERT_EQ(fake_nic_receive(&nic_, p.data(), p.size()), FAKE_NIC_DELIVERED);
	ASSERT_EQ(fake_nic_receive(&nic_, p.data(), p.size()), FAKE_NIC_DMA_ERROR);
	struct zpci_harness_counters c = counters();
	EXPECT_EQ(c.func.error_events, 1u);
	EXPECT_EQ(c.injected, 1u);
	EXPECT_EQ(rx_ring_check_health(&ring_), 1);
	EXPECT_EQ(rx_ring_check_health(&ring_), 0);
	nic_ = { h_, 0, ring_.desc_dma, kEntries, 0 };
	ASSERT_NO_FATAL_FAILURE(traffic(10, 2 * kEntries));
	expect_isolated();
	expect_pins_balanced_after_close();
}

TEST_P(RxRingTest, NoMemoryForTablesFailsOpenCleanly)
{
	ASSERT_NO_FATAL_FAILURE(make_harness());
	ASSERT_EQ(zpci_harness_inject(h_, 0, ZPCI_HFAULT_NOMEM, 0, 1), 0);
	int rc = open_ring(ZPCI_FLUSH_LAZY);
	if (!translates()) {
		EXPECT_EQ(rc, 0) << "the identity design needs no tables";
		return;
	}
	EXPECT_EQ(rc, -ENOMEM);
	EXPECT_EQ(counters().injected, 1u);
	ASSERT_EQ(open_ring(ZPCI_FLUSH_LAZY), 0);
	ASSERT_NO_FATAL_FAILURE(traffic(0, kEntries));
	expect_pins_balanced_after_close();
}

INSTANTIATE_TEST_SUITE_P(Designs, RxRingTest, testing::ValuesIn(all_params()), param_name);

}  // namespace
