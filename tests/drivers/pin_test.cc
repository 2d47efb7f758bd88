// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <zpci/arch.h>
#include <zpci/pin.h>

namespace {

class Pinner : public ::testing::Test {
protected:
	void init(zpci_pin_cfg cfg) { ASSERT_EQ(zpci_pin_init(&p_, &cfg), 0); }
	~Pinner() override { zpci_pin_destroy(&p_); }
	zpci_pinner p_{};
};

// A page mapped twice is pinned once and stays until both unpin.
TEST_F(Pinner, PinsAreCountedPerPage)
{
	init({});
	ASSERT_EQ(zpci_pin(&p_, 0x5000), 0);
	ASSERT_EQ(zpci_pin(&p_, 0x5fff), 0);
	EXPECT_EQ(p_.stats.pinned_pages, 1u);
	EXPECT_EQ(zpci_unpin(&p_, 0x5000), 0);
	EXPECT_TRUE(zpci_is_pinned(&p_, 0x5800));
	EXPECT_EQ(zpci_unpin(&p_, 0x5000), 0);
	EXPECT_FALSE(zpci_is_pinned(&p_, 0x5800));
	EXPECT_EQ(zpci_unpin(&p_, 0x5000), -EINVAL);
	EXPECT_EQ(p_.stats.pins, 2u);
	EXPECT_EQ(p_.stats.unpins, 2u);
	EXPECT_EQ(p_.stats.peak_pinned_pages, 1u);
}

TEST_F(Pinner, TheLimitCountsDistinctPages)
{
	zpci_pin_cfg cfg{};
	cfg.limit_bytes = 3 * ZPCI_PAGE_SIZE;
	init(cfg);
	for (uint64_t i = 0; i < 3; i++)
		ASSERT_EQ(zpci_pin(&p_, i << 12), 0);
	EXPECT_EQ(zpci_pin(&p_, 0x10000), -ENOMEM);
	EXPECT_EQ(zpci_pin(&p_, 0x1000), 0);	// already pinned: no new page
	ASSERT_EQ(zpci_unpin(&p_, 0x2000), 0);
	EXPECT_EQ(zpci_pin(&p_, 0x10000), 0);
	EXPECT_EQ(p_.stats.failures, 1u);
}

TEST_F(Pinner, EveryNthFirstPinFailsAndRatesAreSeeded)
{
	zpci_pin_cfg cfg{};
	cfg.fail_every = 3;
	init(cfg);
	int failed = 0;
	for (uint64_t i = 0; i < 30; i++)
		failed += zpci_pin(&p_, i << 12) != 0;
	EXPECT_EQ(failed, 10);

	zpci_pinner a, b;
	zpci_pin_cfg rate{};
	rate.fail_permille = 250;
	rate.seed = 9;
	ASSERT_EQ(zpci_pin_init(&a, &rate), 0);
	ASSERT_EQ(zpci_pin_init(&b, &rate), 0);
	int fa = 0;
	for (uint64_t i = 0; i < 4000; i++) {
		int ra = zpci_pin(&a, i << 12), rb = zpci_pin(&b, i << 12);
		ASSERT_EQ(ra, rb);
		fa += ra != 0;
	}
	EXPECT_GT(fa, 850);	// about a quarter
	EXPECT_LT(fa, 1150);
	zpci_pin_destroy(&a);
	zpci_pin_destroy(&b);
	zpci_pin_cfg bad{};
	bad.fail_permille = 1001;
	EXPECT_EQ(zpci_pin_init(&a, &bad), -EINVAL);
}

}  // namespace
