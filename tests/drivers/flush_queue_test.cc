// SPDX-License-Identifier: MIT
// Flush queues on their own, with a recording fake for flush and release.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <zpci/flush_queue.h>

namespace {

struct Recorder {
	std::vector<std::string> events;
	int flush_rc = 0;
};

int rec_flush(void *priv)
{
	auto *r = static_cast<Recorder *>(priv);
	r->events.push_back("flush");
	return r->flush_rc;
}

void rec_release(void *priv, dma_addr_t iova, u64 npages)
{
	static_cast<Recorder *>(priv)->events.push_back("release " + std::to_string(iova) + "+" +
							 std::to_string(npages));
}

const zpci_fq_ops kOps = { rec_flush, rec_release };
constexpr uint32_t kHz = 250;	// times below are jiffies
constexpr uint64_t kSecond = 1000000000;

class FlushQueue : public ::testing::Test {
protected:
	void init(uint32_t queues, uint32_t entries, uint64_t timeout_ns)
	{
		zpci_fq_cfg cfg{ queues, entries, timeout_ns };
		ASSERT_EQ(zpci_fq_init(&fq_, &cfg, kHz, &kOps, &rec_), 0);
	}
	~FlushQueue() override { zpci_fq_destroy(&fq_); }

	using Events = std::vector<std::string>;
	zpci_flush_queue fq_{};
	Recorder rec_;
};

// A full queue flushes once and frees its own entries; the other CPU's
// entries, covered by the same flush, are freed at that CPU's next use.
TEST_F(FlushQueue, FullQueueFreesItsOwnEntriesOthersFollowLater)
{
	init(2, 2, 1000);
	zpci_fq_queue(&fq_, 1, 900, 1, 0);
	zpci_fq_queue(&fq_, 0, 100, 1, 0);
	zpci_fq_queue(&fq_, 0, 200, 2, 0);
	EXPECT_TRUE(rec_.events.empty());
	zpci_fq_queue(&fq_, 0, 300, 1, 0);
	EXPECT_EQ(rec_.events, (Events{ "flush", "release 100+1", "release 200+2" }));
	EXPECT_EQ(zpci_fq_pending(&fq_), 2u);	// 900 on cpu 1, 300 on cpu 0
	zpci_fq_queue(&fq_, 1, 1000, 1, 0);
	EXPECT_EQ(rec_.events.back(), "release 900+1");
	EXPECT_EQ(fq_.stats.full_flushes, 1u);
}

// The timer starts with the first entry and, when it runs, frees
// everything.  1 s is 250 jiffies, filed in the wheel's 8-jiffy buckets:
// armed at 5000 it runs at 5256, the first multiple of 8 past 5250.
TEST_F(FlushQueue, TimeoutFlushesAllQueues)
{
	init(2, 8, kSecond);
	zpci_fq_advance(&fq_, 5000);	// nothing queued: no timer
	EXPECT_TRUE(rec_.events.empty());
	zpci_fq_queue(&fq_, 0, 100, 1, 5000);
	zpci_fq_queue(&fq_, 1, 200, 1, 5100);	// does not move the expiry
	zpci_fq_advance(&fq_, 5255);
	EXPECT_TRUE(rec_.events.empty());
	zpci_fq_advance(&fq_, 5256);
	EXPECT_EQ(rec_.events, (Events{ "flush", "release 100+1", "release 200+1" }));
	EXPECT_EQ(fq_.stats.timeout_flushes, 1u);
	EXPECT_FALSE(fq_.timer_armed);
	// Queueing runs no timer: only the timer softirq does.
	zpci_fq_queue(&fq_, 0, 300, 1, 6000);	// runs at 6256
	zpci_fq_queue(&fq_, 0, 400, 1, 6256);
	EXPECT_EQ(rec_.events.size(), 3u);
	zpci_fq_advance(&fq_, 6256);
	zpci_fq_queue(&fq_, 0, 500, 1, 6256);
	EXPECT_EQ(rec_.events, (Events{ "flush", "release 100+1", "release 200+1", "flush",
					 "release 300+1", "release 400+1" }));
	EXPECT_EQ(zpci_fq_pending(&fq_), 1u);
	EXPECT_EQ(fq_.expiry, 6256u + 256);
}

// Linux ignores a failed flush-all; the entries are freed regardless.
TEST_F(FlushQueue, FailedFlushIsCountedAndIgnored)
{
	init(1, 1, 1000);
	rec_.flush_rc = -EIO;
	zpci_fq_queue(&fq_, 0, 100, 1, 0);
	zpci_fq_queue(&fq_, 0, 200, 1, 0);
	EXPECT_EQ(fq_.stats.flush_errors, 1u);
	EXPECT_EQ(rec_.events, (Events{ "flush", "release 100+1" }));
}

TEST_F(FlushQueue, DrainFlushesOnlyWhenSomethingWaits)
{
	init(1, 4, 1000);
	zpci_fq_drain(&fq_);
	EXPECT_TRUE(rec_.events.empty());
	zpci_fq_queue(&fq_, 0, 100, 3, 0);
	zpci_fq_drain(&fq_);
	EXPECT_EQ(rec_.events, (Events{ "flush", "release 100+3" }));
	EXPECT_EQ(zpci_fq_pending(&fq_), 0u);
}

TEST(FlushQueueInit, RejectsEmptyShapes)
{
	zpci_flush_queue fq;
	Recorder rec;
	for (zpci_fq_cfg cfg : { zpci_fq_cfg{ 0, 1, 1 }, zpci_fq_cfg{ 1, 0, 1 }, zpci_fq_cfg{ 1, 1, 0 } })
		EXPECT_EQ(zpci_fq_init(&fq, &cfg, kHz, &kOps, &rec), -EINVAL);
	zpci_fq_cfg good{ 1, 1, 1 };
	EXPECT_EQ(zpci_fq_init(&fq, &good, 0, &kOps, &rec), -EINVAL);
	EXPECT_EQ(zpci_fq_init(&fq, &good, ZPCI_HZ_MAX + 1, &kOps, &rec), -EINVAL);
}

}  // namespace
