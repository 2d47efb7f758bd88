// SPDX-License-Identifier: MIT
// The guest DMA layer on the functional function: attach, the exact RPCIT
// streams of each policy, fault paths, and long random runs checked for
// correctness and for the stale-translation window each policy allows.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <vector>

#include <zpci/dma.h>
#include <zpci/prng.h>
#include <ztrace/gen.h>
#include <ztrace/trace.h>

#include "support/bare_machine.h"
#include "support/temp_dir.h"

namespace zpcisim::test {
namespace {

constexpr uint64_t kSdma = 0x100000000ULL;
constexpr uint64_t kMs = 1000000;
constexpr uint64_t kPage = 4096;

struct Rpcit {
	uint64_t iova, len;
	bool operator==(const Rpcit &o) const { return iova == o.iova && len == o.len; }
};

std::ostream &operator<<(std::ostream &os, const Rpcit &r)
{
	return os << "{" << std::hex << r.iova << ", " << r.len << std::dec << "}";
}

// The DMA API calls of trace @path, replayed on the guest layer (linux-6.7,
// flush queues of @shape) over a bare machine with the refresh bit as
// @refresh: its global RPCITs, the detach's flush included.
uint64_t replay_calls(const std::string &path, zpci_fq_shape shape, bool refresh)
{
	BareMachineCfg mc;
	mc.refresh = refresh;
	BareMachine m(mc);
	ztrace_reader *r;
	ztrace_diag diag;
	if (ztrace_open(path.c_str(), &r, &diag)) {
		ADD_FAILURE() << diag.msg;
		return 0;
	}
	const ztrace_header *h = ztrace_reader_header(r);
	zpci_dma_cfg cfg = zpci_dma_default_cfg(BareMachine::kFid, ZPCI_FLUSH_QUEUE, h->guest_mem);
	cfg.gen = ZPCI_GUEST_LINUX_6_7;
	cfg.cpus = h->cpus;
	cfg.fq_shape = shape;
	zpci_dma_dev dev;
	struct Mapping {
		dma_addr_t handle;
		uint64_t len;
		dma_data_direction dir;
	};
	std::map<uint64_t, Mapping> live;	// by ID
	uint64_t globals = 0;
	ztrace_rec rec;
	while (ztrace_next(r, &rec, &diag) == 1) {
		if (rec.kind == ZTRACE_ATTACH) {
			EXPECT_EQ(m.attach(&dev, cfg), 0);
			continue;
		}
		zpci_dma_set_time(&dev, rec.time);
		if (rec.flags & ZTRACE_HAS_CPU)
			zpci_dma_set_cpu(&dev, rec.cpu);
		dma_addr_t handle;
		switch (rec.kind) {
		case ZTRACE_MAP:
			EXPECT_EQ(zpci_dma_map_page(&dev, rec.pa, rec.len, rec.dir, &handle), 0);
			live[rec.id] = { handle, rec.len, rec.dir };
			break;
		case ZTRACE_ALLOC:
			EXPECT_EQ(zpci_dma_alloc_coherent(&dev, rec.pa, rec.len, &handle), 0);
			live[rec.id] = { handle, rec.len, DMA_BIDIRECTIONAL };
			break;
		case ZTRACE_UNMAP:
			EXPECT_EQ(zpci_dma_unmap_page(&dev, live[rec.id].handle, live[rec.id].len,
						      live[rec.id].dir), 0);
			live.erase(rec.id);
			break;
		case ZTRACE_FREE:
			EXPECT_EQ(zpci_dma_free_coherent(&dev, live[rec.id].len, live[rec.id].handle),
				  0);
			live.erase(rec.id);
			break;
		case ZTRACE_DETACH:
			zpci_dma_detach(&dev);
			globals = dev.stats.global_rpcits;
			break;
		default:	/* the device's accesses issue no RPCIT */
			break;
		}
	}
	ztrace_close(r);
	return globals;
}

class GuestDma : public ::testing::Test {
protected:
	void attach(zpci_flush_policy policy, uint64_t aperture_pages, bool refresh = false,
		    zpci_guest_gen gen = ZPCI_GUEST_LINUX_6_1, uint64_t seg_boundary = 0)
	{
		BareMachineCfg mc;
		mc.refresh = refresh;
		m_ = std::make_unique<BareMachine>(mc);
		zpci_dma_cfg cfg = zpci_dma_default_cfg(BareMachine::kFid, policy, 1ULL << 30);
		cfg.aperture_cap = aperture_pages * kPage;
		cfg.fq = { 1, 2, ZPCI_FQ_PERCPU_TIMEOUT_NS };
		cfg.gen = gen;
		if (seg_boundary)
			cfg.seg_boundary = seg_boundary;
		ASSERT_EQ(m_->attach(&dev_, cfg), 0);
		attached_ = true;
	}

	// Where the device's access to @iova lands.
	uint64_t reaches(uint64_t iova)
	{
		zpci_func_xlate t;
		zpci_func_translate(&m_->func(), iova, ZPCI_DMA_READ, &t);
		EXPECT_EQ(t.x.fault, ZPCI_FAULT_NONE) << std::hex << iova;
		return t.x.addr;
	}

	~GuestDma() override
	{
		if (!attached_)
			return;
		zpci_dma_detach(&dev_);
		EXPECT_EQ(m_->pool().bytes_in_use, 0u) << "table memory leaked";
		EXPECT_FALSE(m_->func().enabled);
	}

	uint64_t map(uint64_t pa, uint64_t size, dma_data_direction dir = DMA_BIDIRECTIONAL)
	{
		dma_addr_t h = 0;
		EXPECT_EQ(zpci_dma_map_page(&dev_, pa, size, dir, &h), 0);
		return h;
	}

	void unmap(uint64_t h, uint64_t size)
	{
		EXPECT_EQ(zpci_dma_unmap_page(&dev_, h, size, DMA_BIDIRECTIONAL), 0);
	}

	std::vector<Rpcit> rpcits() const
	{
		std::vector<Rpcit> v;
		for (size_t i = 0; i < m_->watch().nr_log; i++)
			v.push_back({ m_->watch().log[i].iova, m_->watch().log[i].len });
		return v;
	}

	uint64_t page(uint64_t i) const { return kSdma + i * kPage; }
	Rpcit global(uint64_t pages) const { return { kSdma, pages * kPage }; }

	std::unique_ptr<BareMachine> m_;
	zpci_dma_dev dev_{};
	bool attached_ = false;
};

TEST_F(GuestDma, AttachSizesTheApertureAndRegistersTheTable)
{
	attach(ZPCI_FLUSH_LAZY, 0);	// cap 0: the guest memory size
	EXPECT_EQ(dev_.start_dma, kSdma);
	EXPECT_EQ(dev_.end_dma, kSdma + (1ULL << 30) - 1);
	zpci_fib fib;
	ASSERT_EQ(m_->func().cfg.fh | ZPCI_FH_ENABLED, dev_.fh);
	zpci_hw hw = zpci_func_hw(&m_->func());
	ASSERT_EQ(hw.ops->stpcifc(hw.priv, dev_.fh, &fib).cc, 0);
	EXPECT_EQ(fib.pba, kSdma);
	EXPECT_EQ(fib.pal, dev_.end_dma);
	EXPECT_EQ(fib.iota, zpci_dma_table_iota(&dev_.table));
	EXPECT_EQ(fib.iota & ~ZPCI_IOTA_ORIGIN_MASK, ZPCI_IOTA_RTTO_FLAG);
	EXPECT_FALSE(dev_.refresh);
}

// The aperture is the smallest of the cap, the 4 TiB table span and edma.
TEST_F(GuestDma, ApertureIsCappedByEdmaAndTheTableSpan)
{
	struct {
		uint64_t sdma, edma, cap, want_start, want_end;
	} cases[] = {
		{ 0x1001, 0x1fffff, 1ULL << 40, 0x2000, 0x1fffff },
		{ 0, (1ULL << 57) - 1, 1ULL << 50, 0, ZPCI_TABLE_SIZE_RT - 1 },
		{ 0x100000000ULL, (1ULL << 57) - 1, 0x12345678, 0x100000000ULL, 0x100000000ULL + 0x12345000 - 1 },
	};
	for (const auto &c : cases) {
		BareMachineCfg mc;
		mc.sdma = c.sdma;
		mc.edma = c.edma;
		BareMachine m(mc);
		zpci_dma_cfg cfg = zpci_dma_default_cfg(BareMachine::kFid, ZPCI_FLUSH_STRICT, 1 << 30);
		cfg.aperture_cap = c.cap;
		zpci_dma_dev dev;
		ASSERT_EQ(m.attach(&dev, cfg), 0);
		EXPECT_EQ(dev.start_dma, c.want_start);
		EXPECT_EQ(dev.end_dma, c.want_end);
		zpci_dma_detach(&dev);
		EXPECT_EQ(m.pool().bytes_in_use, 0u);
	}
}

TEST_F(GuestDma, AttachFailuresLeaveTheFunctionAsTheyFoundIt)
{
	BareMachine m;
	zpci_dma_dev dev;
	zpci_dma_cfg cfg = zpci_dma_default_cfg(0x99, ZPCI_FLUSH_LAZY, 1 << 30);
	EXPECT_EQ(m.attach(&dev, cfg), -ENODEV);
	cfg.fid = BareMachine::kFid;
	zpci_frame_pool_fail_after(&m.pool(), 0, 1);	// no memory for the region table
	EXPECT_EQ(m.attach(&dev, cfg), -ENOMEM);
	EXPECT_FALSE(m.func().enabled);
	EXPECT_EQ(m.pool().bytes_in_use, 0u);
	cfg.hz = ZPCI_HZ_MAX + 1;	// no timer wheel for the flush queue's timeout
	cfg.policy = ZPCI_FLUSH_QUEUE;
	EXPECT_EQ(m.attach(&dev, cfg), -EINVAL);
	EXPECT_FALSE(m.func().enabled);
	EXPECT_EQ(m.pool().bytes_in_use, 0u);
}

// Hand-derived, 8-page aperture, bare metal (no refresh bit):
// lazy issues no RPCIT until the allocator wraps, then exactly one global.
TEST_F(GuestDma, LazyStreamIsOneGlobalFlushPerWrap)
{
	attach(ZPCI_FLUSH_LAZY, 8);
	uint64_t a = map(0x200000, 2 * kPage), b = map(0x300000, 4 * kPage);
	EXPECT_EQ(a, page(0));
	EXPECT_EQ(b, page(2));
	unmap(a, 2 * kPage);
	EXPECT_EQ(map(0x400000, kPage), page(6));
	EXPECT_TRUE(rpcits().empty());
	EXPECT_EQ(map(0x500000, 2 * kPage), page(0));	// wrap: flush, reuse
	EXPECT_EQ(rpcits(), std::vector<Rpcit>{ global(8) });
	EXPECT_EQ(dev_.stats.global_rpcits, 1u);
	EXPECT_EQ(dev_.stats.sync_rpcits + dev_.stats.sync_map_rpcits, 0u);
	EXPECT_EQ(dev_.stats.mapped_pages, 9u);
	EXPECT_EQ(dev_.stats.unmapped_pages, 2u);
}

// With the refresh bit every map is followed by an RPCIT of its range.
TEST_F(GuestDma, RefreshBitAddsASyncMapRpcitPerMap)
{
	attach(ZPCI_FLUSH_LAZY, 8, true);
	uint64_t a = map(0x200123, 2 * kPage);	// offset 0x123: spans 3 pages
	EXPECT_EQ(a, page(0) + 0x123);
	unmap(a, 2 * kPage);
	map(0x300000, kPage);
	EXPECT_EQ(rpcits(), (std::vector<Rpcit>{ { page(0), 3 * kPage }, { page(3), kPage } }));
	EXPECT_EQ(dev_.stats.sync_map_rpcits, 2u);
}

TEST_F(GuestDma, StrictStreamIsOneRpcitPerUnmap)
{
	attach(ZPCI_FLUSH_STRICT, 9);
	uint64_t a = map(0x200000, 4 * kPage), b = map(0x300000, 4 * kPage);
	unmap(a, 4 * kPage);
	EXPECT_EQ(map(0x400000, kPage), page(0));	// wrap: reusable at once, no flush
	unmap(b + 0x10, 3 * kPage);	// 0x10 + 3 pages spans 4 pages
	EXPECT_EQ(rpcits(), (std::vector<Rpcit>{ { page(0), 4 * kPage }, { page(4), 4 * kPage } }));
	EXPECT_EQ(dev_.stats.sync_rpcits, 2u);
	EXPECT_EQ(dev_.stats.global_rpcits, 0u);
}

// Queue of 2: the third unmap finds it full, flushes once and frees the two;
// the timer flushes whatever is left.  10 ms is 3 jiffies at HZ=250 (2.5
// rounded up): armed at jiffies 0, the timer runs on the tick after, 4, at 16 ms.
TEST_F(GuestDma, FlushQueueFlushesWhenFullAndOnTimeout)
{
	attach(ZPCI_FLUSH_QUEUE, 8);
	zpci_dma_set_time(&dev_, 1000);
	uint64_t h[3];
	for (auto &x : h)
		x = map(0x200000, kPage);
	unmap(h[0], kPage);
	unmap(h[1], kPage);
	EXPECT_TRUE(rpcits().empty());
	unmap(h[2], kPage);
	EXPECT_EQ(rpcits(), std::vector<Rpcit>{ global(8) });
	EXPECT_EQ(zpci_fq_pending(&dev_.fq), 1u);
	zpci_dma_set_time(&dev_, 16 * kMs - 1);
	EXPECT_EQ(rpcits().size(), 1u);
	zpci_dma_set_time(&dev_, 16 * kMs);
	EXPECT_EQ(rpcits(), (std::vector<Rpcit>{ global(8), global(8) }));
	EXPECT_EQ(zpci_fq_pending(&dev_.fq), 0u);
	EXPECT_EQ(dev_.fq.stats.full_flushes, 1u);
	EXPECT_EQ(dev_.fq.stats.timeout_flushes, 1u);
	EXPECT_EQ(dev_.stats.global_rpcits, 2u);
}

// Left to choose, the guest takes Linux's shapes: per-CPU queues on bare
// metal, one large queue when the refresh bit says it is shadowed.
TEST_F(GuestDma, FlushQueueShapeFollowsTheRefreshBit)
{
	for (bool refresh : { false, true }) {
		BareMachineCfg mc;
		mc.refresh = refresh;
		BareMachine m(mc);
		zpci_dma_cfg cfg = zpci_dma_default_cfg(BareMachine::kFid, ZPCI_FLUSH_QUEUE, 1 << 30);
		cfg.cpus = 4;
		zpci_dma_dev dev;
		ASSERT_EQ(m.attach(&dev, cfg), 0);
		EXPECT_EQ(dev.fq.cfg.nr_queues, refresh ? 1u : 4u);
		EXPECT_EQ(dev.fq.cfg.entries, refresh ? ZPCI_FQ_SINGLE_ENTRIES : ZPCI_FQ_PERCPU_ENTRIES);
		EXPECT_EQ(dev.fq.cfg.timeout_ns,
			  refresh ? ZPCI_FQ_SINGLE_TIMEOUT_NS : ZPCI_FQ_PERCPU_TIMEOUT_NS);
		zpci_dma_detach(&dev);
	}
}

// The shape as a setting: per-cpu or single whatever the refresh bit says,
// auto as the kernel picks, and custom sizes in place of the shape's.
TEST_F(GuestDma, FlushQueueShapeIsASetting)
{
	const struct {
		zpci_fq_shape shape;
		bool refresh;
		zpci_fq_cfg custom, want;
	} cases[] = {
		{ ZPCI_FQ_AUTO, false, {}, { 4, 256, 10 * kMs } },
		{ ZPCI_FQ_AUTO, true, {}, { 1, 32768, 1000 * kMs } },
		{ ZPCI_FQ_PER_CPU, false, {}, { 4, 256, 10 * kMs } },
		{ ZPCI_FQ_PER_CPU, true, {}, { 4, 256, 10 * kMs } },
		{ ZPCI_FQ_SINGLE, false, {}, { 1, 32768, 1000 * kMs } },
		{ ZPCI_FQ_SINGLE, true, {}, { 1, 32768, 1000 * kMs } },
		{ ZPCI_FQ_SINGLE, false, { 0, 1000, 0 }, { 1, 1000, 1000 * kMs } },
		{ ZPCI_FQ_PER_CPU, true, { 0, 0, 3 * kMs }, { 4, 256, 3 * kMs } },
		{ ZPCI_FQ_AUTO, true, { 0, 64, 50 * kMs }, { 1, 64, 50 * kMs } },
	};
	for (const auto &c : cases) {
		BareMachineCfg mc;
		mc.refresh = c.refresh;
		BareMachine m(mc);
		zpci_dma_cfg cfg = zpci_dma_default_cfg(BareMachine::kFid, ZPCI_FLUSH_QUEUE, 1 << 30);
		cfg.cpus = 4;
		cfg.fq_shape = c.shape;
		cfg.fq = c.custom;
		zpci_dma_dev dev;
		ASSERT_EQ(m.attach(&dev, cfg), 0);
		EXPECT_EQ(dev.fq.cfg.nr_queues, c.want.nr_queues) << c.shape << " " << c.refresh;
		EXPECT_EQ(dev.fq.cfg.entries, c.want.entries) << c.shape << " " << c.refresh;
		EXPECT_EQ(dev.fq.cfg.timeout_ns, c.want.timeout_ns) << c.shape << " " << c.refresh;
		zpci_dma_detach(&dev);
	}
}

// The global RPCITs of each shape on a generated net trace (its DMA API
// calls replayed on the guest layer, linux-6.7): per-CPU queues of 256
// entries and 10 ms flush far more often than one queue of 32768 and 1 s,
// as the kernel's numbers say; auto is per-CPU without the refresh bit and
// single with it.
TEST(GuestDmaShapes, SingleQueueFlushesGloballyFarLessThanPerCpuOnANetTrace)
{
	TempDir d;
	ztrace_gen_cfg gc{ 100000, 1, 1ULL << 30, false };
	ztrace_diag diag;
	ASSERT_EQ(ztrace_generate("net", &gc, d.file("net.ztb").c_str(), ZTRACE_BINARY, &diag), 0)
		<< diag.msg;
	auto global_rpcits = [&](zpci_fq_shape shape, bool refresh) {
		return replay_calls(d.file("net.ztb"), shape, refresh);
	};
	uint64_t per_cpu = global_rpcits(ZPCI_FQ_PER_CPU, false);
	uint64_t single = global_rpcits(ZPCI_FQ_SINGLE, false);
	// 20,000-odd unmaps in 0.13 s of trace: about one flush per 256 unmaps
	// or per 10 ms, against none but the detach's.
	EXPECT_GT(per_cpu, 50u);
	EXPECT_LE(single, 1u);
	EXPECT_EQ(global_rpcits(ZPCI_FQ_AUTO, false), per_cpu);
	EXPECT_EQ(global_rpcits(ZPCI_FQ_AUTO, true), global_rpcits(ZPCI_FQ_SINGLE, true));
	EXPECT_EQ(global_rpcits(ZPCI_FQ_PER_CPU, true), per_cpu);
	EXPECT_EQ(global_rpcits(ZPCI_FQ_SINGLE, true), single);
}

// Queued IOVAs are not reusable: a small aperture runs dry until a flush.
TEST_F(GuestDma, FlushQueueHoldsIovasUntilTheFlush)
{
	attach(ZPCI_FLUSH_QUEUE, 3);
	uint64_t a = map(0x200000, kPage), b = map(0x300000, kPage);
	unmap(a, kPage);
	unmap(b, kPage);
	dma_addr_t h;
	EXPECT_EQ(zpci_dma_map_page(&dev_, 0x400000, kPage, DMA_TO_DEVICE, &h), -ENOSPC);
	EXPECT_EQ(dev_.stats.map_errors, 1u);
	zpci_dma_set_time(&dev_, 16 * kMs);	// the timer's tick, as above
	EXPECT_EQ(map(0x400000, kPage), page(0));
}

TEST_F(GuestDma, BusyIsRetriedAndCounted)
{
	attach(ZPCI_FLUSH_STRICT, 9);
	uint64_t a = map(0x200000, kPage);
	zpci_fault_window_arm(m_->window(ZPCI_INJECT_RPCIT_BUSY), 0, 3);
	unmap(a, kPage);
	EXPECT_EQ(dev_.stats.busy_retries, 3u);
	EXPECT_EQ(rpcits().size(), 4u);
	EXPECT_EQ(dev_.stats.sync_rpcits, 1u);
}

// Busy forever: the unmap fails cleanly and its IOVA is never handed out again.
TEST_F(GuestDma, EndlessBusyFailsTheUnmapAndKeepsItsIova)
{
	attach(ZPCI_FLUSH_STRICT, 3);
	uint64_t a = map(0x200000, kPage);
	zpci_fault_window_arm(m_->window(ZPCI_INJECT_RPCIT_BUSY), 0, ZPCI_DMA_BUSY_RETRIES_DEFAULT + 1);
	EXPECT_EQ(zpci_dma_unmap_page(&dev_, a, kPage, DMA_BIDIRECTIONAL), -EBUSY);
	EXPECT_EQ(dev_.stats.unmap_errors, 1u);
	zpci_fault_window_arm(m_->window(ZPCI_INJECT_RPCIT_BUSY), 0, 0);
	EXPECT_EQ(map(0x300000, kPage), page(1));
	dma_addr_t h;
	EXPECT_EQ(zpci_dma_map_page(&dev_, 0x400000, kPage, DMA_TO_DEVICE, &h), -ENOSPC);
}

// A shadowing hypervisor out of resources once: a global flush, and the
// map succeeds; lazily freed IOVAs come back with it.
TEST_F(GuestDma, InsufficientResourcesOnceRecoversWithAGlobalFlush)
{
	attach(ZPCI_FLUSH_LAZY, 9, true);
	uint64_t a = map(0x200000, 4 * kPage);
	unmap(a, 4 * kPage);
	zpci_fault_window_arm(m_->window(ZPCI_INJECT_RPCIT_INSUFF), 0, 1);
	uint64_t b = map(0x300000, kPage);
	EXPECT_EQ(b, page(4));
	EXPECT_EQ(rpcits(), (std::vector<Rpcit>{ { page(0), 4 * kPage }, { page(4), kPage }, global(9) }));
	EXPECT_EQ(dev_.stats.insufficient_resources, 1u);
	EXPECT_EQ(dev_.stats.global_rpcits, 1u);
	// Next-fit goes on at page 5; the wrap after it flushes again, even
	// though the insufficient-resources flush already reclaimed pages 0-3.
	EXPECT_EQ(map(0x400000, 3 * kPage), page(5));
	EXPECT_EQ(map(0x500000, 4 * kPage), page(0));
	EXPECT_EQ(dev_.stats.global_rpcits, 2u);
	zpci_func_xlate t;
	zpci_func_translate(&m_->func(), b, ZPCI_DMA_WRITE, &t);
	EXPECT_EQ(t.x.fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(t.x.addr, 0x300000u);
}

// Out of resources for good: the map fails, nothing stays mapped, the IOVA
// is not lost and the tables are freed at detach.
TEST_F(GuestDma, InsufficientResourcesAlwaysIsACleanError)
{
	for (zpci_flush_policy p : { ZPCI_FLUSH_LAZY, ZPCI_FLUSH_STRICT, ZPCI_FLUSH_QUEUE }) {
		attach(p, 5, true);	// 4 usable: the last page is never handed out
		zpci_fault_window_arm(m_->window(ZPCI_INJECT_RPCIT_INSUFF), 0, UINT64_MAX);
		dma_addr_t h;
		EXPECT_EQ(zpci_dma_map_page(&dev_, 0x200000, kPage, DMA_FROM_DEVICE, &h), -ENOMEM);
		EXPECT_EQ(dev_.stats.map_errors, 1u);
		EXPECT_EQ(dev_.stats.mapped_pages, 0u);
		zpci_xlate x;
		zpci_mem mem = m_->mem();
		zpci_translate(&mem, &m_->func().space, page(0), ZPCI_DMA_READ, &x);
		EXPECT_EQ(x.fault, ZPCI_FAULT_INVALID_ENTRY) << "policy " << p;
		zpci_fault_window_arm(m_->window(ZPCI_INJECT_RPCIT_INSUFF), 0, 0);
		// All four pages can still be had (lazy: after the wrap's flush).
		EXPECT_EQ(zpci_dma_map_page(&dev_, 0x200000, 4 * kPage, DMA_FROM_DEVICE, &h), 0)
			<< "policy " << p;
		zpci_dma_detach(&dev_);
		EXPECT_EQ(m_->pool().bytes_in_use, 0u);
		attached_ = false;
	}
}

TEST_F(GuestDma, StrictTreatsInsufficientResourcesAsAnError)
{
	attach(ZPCI_FLUSH_STRICT, 9, true);
	zpci_fault_window_arm(m_->window(ZPCI_INJECT_RPCIT_INSUFF), 0, 1);
	dma_addr_t h;
	EXPECT_EQ(zpci_dma_map_page(&dev_, 0x200000, kPage, DMA_FROM_DEVICE, &h), -ENOMEM);
	EXPECT_EQ(dev_.stats.global_rpcits, 0u);
	// Freed at once (strict), but next-fit goes on after it.
	EXPECT_EQ(map(0x200000, kPage), page(1));
}

TEST_F(GuestDma, TableAllocationFailureFailsTheMapCleanly)
{
	attach(ZPCI_FLUSH_STRICT, 1024);
	zpci_frame_pool_fail_after(&m_->pool(), 0, 1);
	dma_addr_t h;
	EXPECT_EQ(zpci_dma_map_page(&dev_, 0x200000, kPage, DMA_FROM_DEVICE, &h), -ENOMEM);
	EXPECT_EQ(dev_.stats.map_errors, 1u);
	EXPECT_EQ(map(0x200000, kPage), page(1));	// next-fit goes on after the freed page
	EXPECT_EQ(map(0x200000, 1021 * kPage), page(2));	// up to the last, which is kept
	EXPECT_EQ(map(0x200000, kPage), page(0));	// the wrap finds page 0 free again
}

TEST_F(GuestDma, DirectionsSetProtection)
{
	attach(ZPCI_FLUSH_STRICT, 16);
	uint64_t to = map(0x200000, kPage, DMA_TO_DEVICE);
	uint64_t from = map(0x300000, kPage, DMA_FROM_DEVICE);
	uint8_t buf[8] = { 1, 2, 3 };
	EXPECT_EQ(zpci_func_dma(&m_->func(), from, buf, 8, ZPCI_DMA_WRITE), 0);
	EXPECT_EQ(zpci_func_dma(&m_->func(), to, buf, 8, ZPCI_DMA_READ), 0);
	EXPECT_EQ(zpci_func_dma(&m_->func(), to, buf, 8, ZPCI_DMA_WRITE), -EIO);
	ASSERT_EQ(m_->func().nr_events, 1u);
	EXPECT_EQ(m_->func().events[0].pec, ZPCI_PEC_TRANSLATION_PROT);
}

// Elements merge while page aligned and within max_seg_size; one sync-map
// RPCIT per DMA segment.
TEST_F(GuestDma, MapSgMergesAlignedElements)
{
	attach(ZPCI_FLUSH_STRICT, 64, true);
	std::vector<zpci_sg> sg = {
		{ 0x210000, 4096, 0, 0 }, { 0x220000, 4096, 0, 0 }, { 0x230800, 100, 0, 0 },
		{ 0x240000, 8192, 0, 0 },
	};
	// 2: offset 0x800 starts a segment; 3: the segment so far is not page aligned.
	ASSERT_EQ(zpci_dma_map_sg(&dev_, sg.data(), 4, DMA_FROM_DEVICE), 3);
	EXPECT_EQ(sg[0].dma_address, page(0));
	EXPECT_EQ(sg[0].dma_length, 8192u);
	EXPECT_EQ(sg[1].dma_address, page(2) + 0x800);
	EXPECT_EQ(sg[1].dma_length, 100u);
	EXPECT_EQ(sg[2].dma_address, page(3));
	EXPECT_EQ(sg[2].dma_length, 8192u);
	EXPECT_EQ(sg[3].dma_length, 0u);
	EXPECT_EQ(rpcits(), (std::vector<Rpcit>{ { page(0), 2 * kPage }, { page(2), kPage },
						 { page(3), 2 * kPage } }));
	zpci_func_xlate t;
	zpci_func_translate(&m_->func(), page(1) + 5, ZPCI_DMA_WRITE, &t);
	EXPECT_EQ(t.x.addr, 0x220005u);
	zpci_func_translate(&m_->func(), page(4), ZPCI_DMA_WRITE, &t);
	EXPECT_EQ(t.x.addr, 0x241000u);

	ASSERT_EQ(zpci_dma_unmap_sg(&dev_, sg.data(), 4, DMA_FROM_DEVICE), 0);
	EXPECT_EQ(dev_.stats.unmapped_pages, 5u);
	EXPECT_EQ(dev_.stats.sync_rpcits, 3u);
}

TEST_F(GuestDma, MapSgSplitsAtMaxSegmentSize)
{
	attach(ZPCI_FLUSH_STRICT, 64);
	std::vector<zpci_sg> sg(20);
	for (size_t i = 0; i < sg.size(); i++)
		sg[i] = { 0x1000000 + i * 0x10000, 4096, 0, 0 };
	ASSERT_EQ(zpci_dma_map_sg(&dev_, sg.data(), 20, DMA_TO_DEVICE), 2);
	EXPECT_EQ(sg[0].dma_length, 16u * 4096);
	EXPECT_EQ(sg[1].dma_length, 4u * 4096);
	EXPECT_EQ(sg[1].dma_address, page(16));
	ASSERT_EQ(zpci_dma_unmap_sg(&dev_, sg.data(), 20, DMA_TO_DEVICE), 0);
}

// The second segment cannot be mapped: the first is unmapped again.
TEST_F(GuestDma, MapSgFailureUnmapsWhatItMapped)
{
	attach(ZPCI_FLUSH_STRICT, 4);
	std::vector<zpci_sg> sg = { { 0x210000, 8192, 0, 0 }, { 0x220800, 8192, 0, 0 } };
	EXPECT_EQ(zpci_dma_map_sg(&dev_, sg.data(), 2, DMA_TO_DEVICE), -ENOSPC);
	EXPECT_EQ(sg[0].dma_length, 0u);
	EXPECT_EQ(dev_.stats.mapped_pages, dev_.stats.unmapped_pages);
	EXPECT_EQ(map(0x200000, 3 * kPage), page(0));
}

TEST_F(GuestDma, CoherentMemoryIsMappedBothWaysAndCounted)
{
	attach(ZPCI_FLUSH_LAZY, 64);
	dma_addr_t h;
	ASSERT_EQ(zpci_dma_alloc_coherent(&dev_, 0x800000, 10000, &h), 0);
	EXPECT_EQ(dev_.stats.allocated_pages, 3u);
	uint8_t buf[4] = { 9, 9, 9, 9 };
	EXPECT_EQ(zpci_func_dma(&m_->func(), h + 3 * kPage - 4, buf, 4, ZPCI_DMA_WRITE), 0);
	EXPECT_EQ(zpci_dma_alloc_coherent(&dev_, 0x800001, 100, &h), -EINVAL);
	ASSERT_EQ(zpci_dma_free_coherent(&dev_, 10000, page(0)), 0);
	EXPECT_EQ(dev_.stats.allocated_pages, 0u);
}

// Linux 6.7+ (DMA-IOMMU), on a 64-page aperture, pages 0..63.  Top-down:
// the first map takes the last page; 3 pages are allocated as 4, aligned to
// 4, below it, leaving 60..62 as a hole.  With the refresh bit each map's
// RPCIT covers its own pages, not the rounded allocation; a strict unmap
// frees at once and the same size gets the same range back (LIFO cache).
TEST_F(GuestDma, Linux67MapsTopDownRoundedAndAligned)
{
	attach(ZPCI_FLUSH_STRICT, 64, true, ZPCI_GUEST_LINUX_6_7);
	EXPECT_EQ(map(0x200000, kPage), page(63));
	uint64_t b = map(0x300000, 3 * kPage);
	EXPECT_EQ(b, page(56));
	unmap(b, 3 * kPage);
	EXPECT_EQ(map(0x400000, 3 * kPage), page(56));
	EXPECT_EQ(rpcits(), (std::vector<Rpcit>{ { page(63), kPage }, { page(56), 3 * kPage },
						 { page(56), 3 * kPage }, { page(56), 3 * kPage } }));
	EXPECT_EQ(reaches(page(58) + 8), 0x402008u);
}

// 6.7 has no lazy mode without its flush queues.
TEST_F(GuestDma, Linux67RefusesLazy)
{
	BareMachine m{ BareMachineCfg{} };
	zpci_dma_cfg cfg = zpci_dma_default_cfg(BareMachine::kFid, ZPCI_FLUSH_LAZY, 1ULL << 30);
	cfg.gen = ZPCI_GUEST_LINUX_6_7;
	zpci_dma_dev dev{};
	EXPECT_EQ(m.attach(&dev, cfg), -EINVAL);
	EXPECT_FALSE(m.func().enabled);
}

// The exhaustion a shadowing hypervisor invites: with the refresh bit the
// guest uses one 32768-entry queue flushed after 1 s, so on a small
// aperture a burst of large maps runs out while the freed ranges wait.
// 16-page maps go top-down (48, 32, 16, 0); the fifth fails although
// everything was unmapped, without flushing the queue; once the timer has
// run, its flush frees them in queue order and the next map gets the last
// one freed (LIFO).  1 s is 250 jiffies at HZ=250, filed in the wheel's
// 8-jiffy buckets: armed at jiffies 0, it runs at tick 256, 1.024 s.
TEST_F(GuestDma, Linux67FlushQueueExhaustsASmallApertureUntilItsTimeout)
{
	BareMachineCfg mc;
	mc.refresh = true;
	m_ = std::make_unique<BareMachine>(mc);
	zpci_dma_cfg cfg = zpci_dma_default_cfg(BareMachine::kFid, ZPCI_FLUSH_QUEUE, 1ULL << 30);
	cfg.gen = ZPCI_GUEST_LINUX_6_7;
	cfg.aperture_cap = 64 * kPage;
	ASSERT_EQ(m_->attach(&dev_, cfg), 0);
	attached_ = true;
	for (uint64_t i = 0; i < 4; i++) {
		zpci_dma_set_time(&dev_, i * 1000000);
		uint64_t h = map(0x1000000 + i * 0x100000, 16 * kPage);
		EXPECT_EQ(h, page(48 - 16 * i));
		unmap(h, 16 * kPage);
	}
	dma_addr_t h;
	zpci_dma_set_time(&dev_, 1024 * kMs - 1);
	EXPECT_EQ(zpci_dma_map_page(&dev_, 0x2000000, 16 * kPage, DMA_TO_DEVICE, &h), -ENOSPC);
	EXPECT_EQ(dev_.stats.global_rpcits, 0u);
	zpci_dma_set_time(&dev_, 1024 * kMs);
	EXPECT_EQ(dev_.stats.global_rpcits, 1u);
	EXPECT_EQ(map(0x2000000, 16 * kPage), page(0));
}

// One IOVA range for the whole list, each element from its own page offset,
// one RPCIT for all of it; elements that fill their pages join one segment,
// one that does not ends its segment.  The unmap is the one range again.
TEST_F(GuestDma, Linux67MapSgTakesOneRangeForTheList)
{
	attach(ZPCI_FLUSH_STRICT, 64, true, ZPCI_GUEST_LINUX_6_7);
	std::vector<zpci_sg> sg = {
		{ 0x210800, 0x800, 0, 0 }, { 0x220000, 0x1000, 0, 0 }, { 0x230000, 0x2000, 0, 0 },
		{ 0x240000, 100, 0, 0 }, { 0x250000, 0x1000, 0, 0 },
	};
	// 1 + 1 + 2 + 1 + 1 pages: 6, allocated as 8 (aligned 8): pages 56..63.
	ASSERT_EQ(zpci_dma_map_sg(&dev_, sg.data(), 5, DMA_FROM_DEVICE), 2);
	EXPECT_EQ(sg[0].dma_address, page(56) + 0x800);
	EXPECT_EQ(sg[0].dma_length, 0x800u + 0x1000 + 0x2000 + 100);
	EXPECT_EQ(sg[1].dma_address, page(61));
	EXPECT_EQ(sg[1].dma_length, 0x1000u);
	EXPECT_EQ(sg[2].dma_length, 0u);
	EXPECT_EQ(rpcits(), (std::vector<Rpcit>{ { page(56), 6 * kPage } }));
	EXPECT_EQ(reaches(page(56) + 0x900), 0x210900u);
	EXPECT_EQ(reaches(page(57) + 5), 0x220005u);
	EXPECT_EQ(reaches(page(59)), 0x231000u);
	EXPECT_EQ(reaches(page(60) + 99), 0x240063u);
	EXPECT_EQ(reaches(page(61)), 0x250000u);

	ASSERT_EQ(zpci_dma_unmap_sg(&dev_, sg.data(), 5, DMA_FROM_DEVICE), 0);
	EXPECT_EQ(rpcits().back(), (Rpcit{ page(56), 6 * kPage }));
	EXPECT_EQ(dev_.stats.unmapped_pages, 6u);
	EXPECT_EQ(dev_.stats.mapped_pages, 6u);
}

// An element that would cross a segment boundary starts at it: the gap goes
// to the element before, which then maps the guest pages after its buffer.
TEST_F(GuestDma, Linux67MapSgPadsToTheSegmentBoundary)
{
	attach(ZPCI_FLUSH_STRICT, 64, true, ZPCI_GUEST_LINUX_6_7, 4 * kPage);
	std::vector<zpci_sg> sg = { { 0x300000, 0x1000, 0, 0 }, { 0x400000, 0x4000, 0, 0 } };
	// 1 page, 3 of padding, then 4: 8 pages at 56..63.
	ASSERT_EQ(zpci_dma_map_sg(&dev_, sg.data(), 2, DMA_TO_DEVICE), 2);
	EXPECT_EQ(sg[0].dma_address, page(56));
	EXPECT_EQ(sg[0].dma_length, 0x1000u);
	EXPECT_EQ(sg[1].dma_address, page(60));
	EXPECT_EQ(sg[1].dma_length, 0x4000u);
	EXPECT_EQ(rpcits(), (std::vector<Rpcit>{ { page(56), 8 * kPage } }));
	EXPECT_EQ(reaches(page(57)), 0x301000u);	// the padding
	EXPECT_EQ(reaches(page(63) + 1), 0x403001u);
	ASSERT_EQ(zpci_dma_unmap_sg(&dev_, sg.data(), 2, DMA_TO_DEVICE), 0);
	EXPECT_EQ(rpcits().back(), (Rpcit{ page(56), 8 * kPage }));
}

}  // namespace
}  // namespace zpcisim::test

namespace zpcisim::test {
namespace {

struct LiveMap {
	uint64_t handle, pa, size;
	dma_data_direction dir;
};

// (policy, refresh bit, guest generation)
class DmaPolicyRun
	: public ::testing::TestWithParam<std::tuple<zpci_flush_policy, bool, zpci_guest_gen>> {
protected:
	static constexpr uint64_t kPages = 256;

	void SetUp() override
	{
		BareMachineCfg mc;
		mc.refresh = std::get<1>(GetParam());
		m_ = std::make_unique<BareMachine>(mc);
		zpci_dma_cfg cfg =
			zpci_dma_default_cfg(BareMachine::kFid, std::get<0>(GetParam()), 1ULL << 30);
		cfg.aperture_cap = kPages * kPage;
		cfg.fq = { 2, 16, ZPCI_FQ_PERCPU_TIMEOUT_NS };
		cfg.gen = std::get<2>(GetParam());
		cfg.cpus = 2;
		ASSERT_EQ(m_->attach(&dev_, cfg), 0);
	}

	// Drop from the stale window every page an RPCIT has covered since last
	// time; with @globals_only, only what whole-aperture flushes covered.
	void absorb_rpcits(bool globals_only = false)
	{
		const zpci_monitor_fn &f = m_->watch();
		for (size_t i = seen_; i < f.nr_log; i++) {
			const zpci_rpcit_rec &r = f.log[i];
			if (r.result.cc != ZPCI_CC_OK ||
			    (globals_only && r.len != kPages * kPage))
				continue;
			for (auto it = pending_.lower_bound(r.iova & ZPCI_PAGE_MASK);
			     it != pending_.end() && it->first < r.iova + r.len;)
				it = pending_.erase(it);
		}
		if (!globals_only)
			seen_ = f.nr_log;
	}

	// What the device would get at @iova must agree with the model.
	void check_page(uint64_t iova)
	{
		zpci_func_xlate t;
		zpci_func_peek(&m_->func(), iova, ZPCI_DMA_READ, &t);
		auto live = page_owner_.find(iova);
		if (live != page_owner_.end()) {
			ASSERT_EQ(t.x.fault, ZPCI_FAULT_NONE) << std::hex << iova;
			ASSERT_FALSE(t.stale) << "live page served stale " << std::hex << iova;
			ASSERT_EQ(t.x.addr, live->second) << std::hex << iova;
			return;
		}
		auto stale = pending_.find(iova);
		if (stale != pending_.end() && t.x.fault == ZPCI_FAULT_NONE) {
			ASSERT_TRUE(t.hit && t.stale) << std::hex << iova;
			ASSERT_EQ(t.x.addr, stale->second) << std::hex << iova;
			return;
		}
		ASSERT_EQ(t.x.fault, ZPCI_FAULT_INVALID_ENTRY)
			<< "unmapped, flushed page still translates " << std::hex << iova;
	}

	void check_all()
	{
		for (uint64_t p = 0; p < kPages; p++)
			check_page(kSdma + p * kPage);
	}

	void do_map(zpci_prng &r)
	{
		static const dma_data_direction dirs[] = { DMA_BIDIRECTIONAL, DMA_TO_DEVICE,
							   DMA_FROM_DEVICE };
		uint64_t pa = (0x1000000 + zpci_prng_below(&r, 4096) * kPage) + zpci_prng_below(&r, kPage);
		uint64_t size = 1 + zpci_prng_below(&r, 4 * kPage);
		dma_data_direction dir = dirs[zpci_prng_below(&r, 3)];
		dma_addr_t h;
		int rc = zpci_dma_map_page(&dev_, pa, size, dir, &h);
		if (rc == -ENOSPC)
			return;	// aperture full for now: legal
		ASSERT_EQ(rc, 0);
		ASSERT_EQ(h & ~ZPCI_PAGE_MASK, pa & ~ZPCI_PAGE_MASK);
		// A flush the call issued before reusing counts; the new range's own
		// sync-map RPCIT does not excuse a reuse.
		absorb_rpcits(true);
		for (uint64_t off = 0; off < (pa & ~ZPCI_PAGE_MASK) + size; off += kPage) {
			uint64_t page = (h & ZPCI_PAGE_MASK) + off;
			ASSERT_FALSE(pending_.count(page))
				<< "IOVA reused while a stale translation may be cached " << std::hex << page;
			ASSERT_FALSE(page_owner_.count(page));
			page_owner_[page] = (pa & ZPCI_PAGE_MASK) + off;
		}
		live_.push_back({ h, pa, size, dir });
	}

	void do_unmap(zpci_prng &r)
	{
		size_t k = zpci_prng_below(&r, live_.size());
		LiveMap l = live_[k];
		live_.erase(live_.begin() + k);
		ASSERT_EQ(zpci_dma_unmap_page(&dev_, l.handle, l.size, l.dir), 0);
		for (uint64_t off = 0; off < (l.pa & ~ZPCI_PAGE_MASK) + l.size; off += kPage) {
			uint64_t page = (l.handle & ZPCI_PAGE_MASK) + off;
			pending_[page] = page_owner_[page];
			page_owner_.erase(page);
		}
	}

	// The device moves data through a live mapping; it must land at pa.
	void do_device_dma(zpci_prng &r)
	{
		const LiveMap &l = live_[zpci_prng_below(&r, live_.size())];
		uint64_t off = zpci_prng_below(&r, l.size), len = 1 + zpci_prng_below(&r, l.size - off);
		std::vector<uint8_t> buf(len), mem(len);
		zpci_mem gm = m_->mem();
		if (l.dir == DMA_TO_DEVICE) {
			ASSERT_EQ(zpci_func_dma(&m_->func(), l.handle + off, buf.data(), len, ZPCI_DMA_READ), 0);
			ASSERT_EQ(zpci_mem_read(&gm, l.pa + off, mem.data(), len), 0);
		} else {
			for (auto &b : buf)
				b = static_cast<uint8_t>(zpci_prng_next(&r));
			ASSERT_EQ(zpci_func_dma(&m_->func(), l.handle + off, buf.data(), len, ZPCI_DMA_WRITE), 0);
			ASSERT_EQ(zpci_mem_read(&gm, l.pa + off, mem.data(), len), 0);
		}
		ASSERT_EQ(buf, mem);
	}

	std::unique_ptr<BareMachine> m_;
	zpci_dma_dev dev_{};
	std::vector<LiveMap> live_;
	std::map<uint64_t, uint64_t> page_owner_;	// live IOVA page -> frame
	std::map<uint64_t, uint64_t> pending_;		// unmapped, maybe cached -> old frame
	size_t seen_ = 0;
};

TEST_P(DmaPolicyRun, LiveMappingsTranslateAndStaleOnesStayInTheirWindow)
{
	const zpci_flush_policy policy = std::get<0>(GetParam());
	zpci_prng r;
	zpci_prng_seed(&r, 100 + policy * 2 + std::get<1>(GetParam()));
	uint64_t now = 0;

	for (int op = 0; op < 20000; op++) {
		now += zpci_prng_below(&r, 100000);	// up to 100 us between calls
		zpci_dma_set_time(&dev_, now);
		zpci_dma_set_cpu(&dev_, zpci_prng_below(&r, 2));
		unsigned int what = zpci_prng_below(&r, 10);
		if (what < 4 || live_.empty())
			ASSERT_NO_FATAL_FAILURE(do_map(r));
		else if (what < 7)
			ASSERT_NO_FATAL_FAILURE(do_unmap(r));
		else
			ASSERT_NO_FATAL_FAILURE(do_device_dma(r));
		absorb_rpcits();
		if (policy == ZPCI_FLUSH_STRICT) {
			ASSERT_TRUE(pending_.empty()) << "strict left an unmap unflushed";
		}
		if (op % 16 == 0) {
			ASSERT_NO_FATAL_FAILURE(check_all());
		}
	}
	check_all();
	EXPECT_EQ(m_->func().stats.error_events, 0u);
	EXPECT_EQ(dev_.stats.unmap_errors, 0u);
	if (policy != ZPCI_FLUSH_STRICT) {
		EXPECT_GT(dev_.stats.global_rpcits, 10u);
	}
	zpci_dma_detach(&dev_);
	EXPECT_EQ(m_->pool().bytes_in_use, 0u);
}

std::string run_name(const ::testing::TestParamInfo<DmaPolicyRun::ParamType> &info)
{
	static const char *const names[] = { "Lazy", "Strict", "Queue" };
	return std::string(names[std::get<0>(info.param)]) +
	       (std::get<1>(info.param) ? "Refresh" : "Bare") +
	       (std::get<2>(info.param) == ZPCI_GUEST_LINUX_6_7 ? "Linux67" : "Linux61");
}

INSTANTIATE_TEST_SUITE_P(
	Policies, DmaPolicyRun,
	::testing::Combine(::testing::Values(ZPCI_FLUSH_LAZY, ZPCI_FLUSH_STRICT, ZPCI_FLUSH_QUEUE),
			   ::testing::Bool(), ::testing::Values(ZPCI_GUEST_LINUX_6_1)),
	run_name);
// 6.7 has no lazy mode without its queues.
INSTANTIATE_TEST_SUITE_P(
	Linux67, DmaPolicyRun,
	::testing::Combine(::testing::Values(ZPCI_FLUSH_STRICT, ZPCI_FLUSH_QUEUE), ::testing::Bool(),
			   ::testing::Values(ZPCI_GUEST_LINUX_6_7)),
	run_name);

}  // namespace
}  // namespace zpcisim::test
