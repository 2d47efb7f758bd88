// SPDX-License-Identifier: MIT
// The guest kernel generations' table: names both ways, complete ops, and
// flush-policy facts each generation's DMA layer relies on.
#include <gtest/gtest.h>

#include <string>

#include <zpci/dma.h>

namespace {

zpci_guest_gen gen_at(int i)
{
	return static_cast<zpci_guest_gen>(i);
}

TEST(GuestGen, EveryNameParsesBackToItsGeneration)
{
	ASSERT_GT(ZPCI_NR_GUEST_GENS, 0);
	for (int i = 0; i < ZPCI_NR_GUEST_GENS; i++) {
		const zpci_guest_gen_ops *ops = zpci_guest_gen_get(gen_at(i));
		ASSERT_NE(ops, nullptr) << i;
		ASSERT_NE(ops->name, nullptr) << i;
		EXPECT_STREQ(zpci_guest_gen_name(gen_at(i)), ops->name);
		zpci_guest_gen back = ZPCI_NR_GUEST_GENS;
		EXPECT_EQ(zpci_guest_gen_parse(ops->name, &back), 0) << ops->name;
		EXPECT_EQ(back, gen_at(i)) << ops->name;
	}
	EXPECT_STREQ(zpci_guest_gen_name(ZPCI_GUEST_LINUX_6_1), "linux-6.1");
	EXPECT_STREQ(zpci_guest_gen_name(ZPCI_GUEST_LINUX_6_7), "linux-6.7");
}

TEST(GuestGen, UnknownNamesAndValuesAreRefused)
{
	for (const char *name : { "", "linux", "linux-6.2", "Linux-6.1", "linux-6.1 ", "6.7" }) {
		zpci_guest_gen g = ZPCI_NR_GUEST_GENS;
		EXPECT_EQ(zpci_guest_gen_parse(name, &g), -EINVAL) << '"' << name << '"';
		EXPECT_EQ(g, ZPCI_NR_GUEST_GENS) << "a refused name changed the result";
	}
	EXPECT_EQ(zpci_guest_gen_get(ZPCI_NR_GUEST_GENS), nullptr);
	EXPECT_STREQ(zpci_guest_gen_name(ZPCI_NR_GUEST_GENS), "?");
	EXPECT_FALSE(zpci_guest_gen_has_policy(ZPCI_NR_GUEST_GENS, ZPCI_FLUSH_STRICT));
}

// The DMA path calls every op without looking: none may be missing.
TEST(GuestGen, EveryGenerationHasEveryOp)
{
	for (int i = 0; i < ZPCI_NR_GUEST_GENS; i++) {
		const zpci_guest_gen_ops *ops = zpci_guest_gen_get(gen_at(i));
		ASSERT_NE(ops, nullptr) << i;
		SCOPED_TRACE(ops->name);
		ASSERT_NE(ops->desc, nullptr);
		EXPECT_NE(std::string(ops->desc), "");
		EXPECT_NE(ops->iova_init, nullptr);
		EXPECT_NE(ops->iova_destroy, nullptr);
		EXPECT_NE(ops->iova_alloc, nullptr);
		EXPECT_NE(ops->iova_free, nullptr);
		EXPECT_NE(ops->iova_reclaim, nullptr);
		EXPECT_NE(ops->iova_advance, nullptr);
		EXPECT_NE(ops->map_sg, nullptr);
		EXPECT_NE(ops->unmap_sg, nullptr);
		// Every kernel has strict mode, and its lazy mode is one of its policies.
		EXPECT_TRUE(zpci_guest_gen_has_policy(gen_at(i), ZPCI_FLUSH_STRICT));
		EXPECT_TRUE(zpci_guest_gen_has_policy(gen_at(i), ops->lazy_policy));
	}
}

TEST(GuestGen, PolicyFactsAreTheKernels)
{
	const zpci_guest_gen_ops *g61 = zpci_guest_gen_get(ZPCI_GUEST_LINUX_6_1);
	const zpci_guest_gen_ops *g67 = zpci_guest_gen_get(ZPCI_GUEST_LINUX_6_7);

	ASSERT_NE(g61, nullptr);
	ASSERT_NE(g67, nullptr);
	EXPECT_TRUE(zpci_guest_gen_has_policy(ZPCI_GUEST_LINUX_6_1, ZPCI_FLUSH_LAZY));
	EXPECT_EQ(g61->lazy_policy, ZPCI_FLUSH_LAZY);
	EXPECT_FALSE(g61->strict_recovers);
	EXPECT_FALSE(zpci_guest_gen_has_policy(ZPCI_GUEST_LINUX_6_7, ZPCI_FLUSH_LAZY));
	EXPECT_EQ(g67->lazy_policy, ZPCI_FLUSH_QUEUE);
	EXPECT_TRUE(g67->strict_recovers);
}

}  // namespace
