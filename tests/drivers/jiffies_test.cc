// SPDX-License-Identifier: MIT
// The guest's jiffies and timer wheel, against expiries worked out by hand
// from the wheel's rules: 64 buckets a level, level n's buckets 8^n
// jiffies wide, level n taking delays from 63 * 8^(n-1), and a timer
// filed at the bucket boundary strictly past its expiry.
#include <gtest/gtest.h>

#include <zpci/jiffies.h>

namespace {

TEST(Jiffies, DelaysRoundUpAsMsecsToJiffies)
{
	EXPECT_EQ(zpci_jiffies_delay(250, 1000000000), 250u);
	EXPECT_EQ(zpci_jiffies_delay(250, 100000000), 25u);	// the IOVA depot's trim
	EXPECT_EQ(zpci_jiffies_delay(250, 10000000), 3u);	// 10 ms: 2.5 ticks
	EXPECT_EQ(zpci_jiffies_delay(250, 1), 1u);
	EXPECT_EQ(zpci_jiffies_delay(250, 0), 0u);
	EXPECT_EQ(zpci_jiffies_delay(100, 10000000), 1u);
	EXPECT_EQ(zpci_jiffies_delay(300, 1000000000), 300u);
	EXPECT_EQ(zpci_jiffies_delay(1000, 3000000001ULL), 3001u);
}

TEST(Jiffies, TimeCountsTicksFromZero)
{
	EXPECT_EQ(zpci_jiffies_at(250, 0), 0u);
	EXPECT_EQ(zpci_jiffies_at(250, 3999999), 0u);
	EXPECT_EQ(zpci_jiffies_at(250, 4000000), 1u);
	EXPECT_EQ(zpci_jiffies_at(300, 1000000000), 300u);
	EXPECT_EQ(zpci_jiffies_time(250, 1), 4000000u);
	EXPECT_EQ(zpci_jiffies_time(300, 1), 3333334u);	// rounded up: jiffies_at() of it is 1
	EXPECT_EQ(zpci_jiffies_at(300, 3333334), 1u);
	EXPECT_EQ(zpci_jiffies_at(300, 3333333), 0u);
	EXPECT_EQ(zpci_jiffies_time(300, 301), 1003333334u);
	// A year of ns at HZ=1000 does not overflow.
	EXPECT_EQ(zpci_jiffies_at(1000, 31536000ULL * 1000000000), 31536000000ULL);
}

TEST(Jiffies, TimersRunAtTheirLevelsNextBucketBoundary)
{
	EXPECT_EQ(zpci_timer_expiry(0, 1), 2u);		// level 0: the tick after
	EXPECT_EQ(zpci_timer_expiry(3, 25), 29u);
	EXPECT_EQ(zpci_timer_expiry(100, 62), 163u);
	EXPECT_EQ(zpci_timer_expiry(100, 63), 168u);	// level 1: 163 -> 168
	EXPECT_EQ(zpci_timer_expiry(5000, 250), 5256u);
	EXPECT_EQ(zpci_timer_expiry(5000, 503), 5504u);
	EXPECT_EQ(zpci_timer_expiry(5000, 504), 5568u);	// level 2: 5504 -> 87 * 64
	EXPECT_EQ(zpci_timer_expiry(0, 4032), 4096u);	// level 3: 512 wide
}

// The flush queue's 1 s timer, re-armed as it runs, runs every 256 ticks
// at HZ=250: every 1.024 s, as a captured 6.12 guest's global flushes came.
TEST(Jiffies, AOneSecondTimerReArmedFromItselfRunsEvery1024Ms)
{
	uint64_t j = zpci_timer_expiry(1234, zpci_jiffies_delay(250, 1000000000));
	for (int i = 0; i < 5; i++) {
		uint64_t next = zpci_timer_expiry(j, 250);
		EXPECT_EQ(next - j, 256u);
		j = next;
	}
}

}  // namespace
