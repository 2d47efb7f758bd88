// SPDX-License-Identifier: MIT
// The counter registry: a registration declares a counter whole (its
// views and the name they give it), and views list counters in
// registration order.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "stats/stats.h"

namespace zpcisim::test {
namespace {

std::vector<std::string> names(const std::vector<StatsRegistry::Counter> &all)
{
	std::vector<std::string> v;

	for (const auto &c : all)
		v.push_back(c.name);
	return v;
}

TEST(StatsRegistry, KeepsRegistrationOrder)
{
	StatsRegistry reg;
	uint64_t a = 0, b = 0, c = 0;

	reg.add("walker", "walks", &a, "walks");
	reg.add("dtu", "faults", &b, "faults");
	reg.add("walker", "hits", &c, "hits");
	EXPECT_EQ(names(reg.all()),
		  (std::vector<std::string>{ "walker.walks", "dtu.faults", "walker.hits" }));
}

// Without a name of their own, views use the counter's, not its full name.
TEST(StatsRegistry, ViewsNameACounterAsItsRegistrationSays)
{
	StatsRegistry reg;
	uint64_t walks = 0, refs = 0, queued = 0;

	reg.add("dtu.walker", "walks", &walks, "walks", ZPCI_SHOW_SUMMARY | ZPCI_SHOW_SWEEP,
		"table_walks");
	reg.add("dtu.walker", "memory_refs", &refs, "refs", ZPCI_SHOW_SWEEP);
	reg.add("dtu.walker", "queued", &queued, "queued");
	const auto &all = reg.all();
	ASSERT_EQ(all.size(), 3u);
	EXPECT_EQ(all[0].shown_as, "table_walks");
	EXPECT_EQ(all[0].show, unsigned(ZPCI_SHOW_SUMMARY | ZPCI_SHOW_SWEEP));
	EXPECT_EQ(all[1].shown_as, "memory_refs");
	EXPECT_EQ(all[1].show, unsigned(ZPCI_SHOW_SWEEP));
	EXPECT_EQ(all[2].show, 0u);	// the stats file alone
}

TEST(StatsRegistry, ReadsTheLiveValue)
{
	StatsRegistry reg;
	uint64_t v = 1;

	reg.add("memory", "reads", &v, "reads");
	v = 7;
	EXPECT_EQ(reg.get("memory.reads"), 7u);
	EXPECT_EQ(*reg.all()[0].value, 7u);
	EXPECT_THROW(reg.get("memory.writes"), std::out_of_range);
}

TEST(StatsRegistry, RefusesANameRegisteredTwice)
{
	StatsRegistry reg;
	uint64_t a = 0, b = 0;

	reg.add("dtu", "faults", &a, "faults");
	EXPECT_THROW(reg.add("dtu", "faults", &b, "again"), std::logic_error);
	EXPECT_EQ(reg.all().size(), 1u);
}

}  // namespace
}  // namespace zpcisim::test
