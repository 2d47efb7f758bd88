// SPDX-License-Identifier: MIT
// The models' counters in the views: each view shows what the counters'
// registrations name it for, in registration order, at the models' place,
// so that a new counter is its registration and nothing else.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include <ztrace/trace.h>

#include "counters.h"
#include "replay_cli.h"

namespace zpcisim {
namespace {

const std::string kTrace = ZPCISIM_SOURCE_DIR "/traces/samples/net-small.ztr";

// The position of @key among @j's keys, or -1.
int key_index(const nlohmann::ordered_json &j, const std::string &key)
{
	int i = 0;

	for (auto it = j.begin(); it != j.end(); ++it, i++)
		if (it.key() == key)
			return i;
	return -1;
}

// A toy block's counters, registered beside the models' after they were
// built: the one shown in the summary appears there and in the models
// object under the name it asks for, after the counters registered before
// it; the one no view shows is in the stats file's counters alone.
TEST(ModelCounters, ANewCounterReachesTheViewsItsRegistrationNames)
{
	ztrace_reader *rd;
	ztrace_diag diag;
	ReplayRun run;
	uint64_t widgets = 42, gadgets = 7;

	ASSERT_EQ(ztrace_open(kTrace.c_str(), &rd, &diag), 0) << diag.msg;
	run.trace = kTrace;
	run.opts.mode = ReplayMode::Fast;
	Replay r(*ztrace_reader_header(rd), run.opts);
	ztrace_close(rd);
	ASSERT_NE(r.model_stats(), nullptr);
	r.model_stats()->add("toy", "widgets", &widgets, "widgets made", ZPCI_SHOW_SUMMARY,
			     "toy_widgets");
	r.model_stats()->add("toy", "gadgets", &gadgets, "gadgets made");
	r.finish();

	std::ostringstream out;
	print_replay_summary(out, run, r);
	EXPECT_NE(out.str().find("walk_cache_hits: 0\ntoy_widgets: 42\nmemory_refs_per_walk: "),
		  std::string::npos)
		<< out.str();
	EXPECT_EQ(out.str().find("gadgets"), std::string::npos);

	nlohmann::ordered_json m = replay_json(run, r)["models"];
	EXPECT_EQ(m["toy_widgets"], 42u);
	EXPECT_EQ(key_index(m, "toy_widgets"), key_index(m, "faults") + 1);
	EXPECT_FALSE(m.contains("gadgets"));
	EXPECT_EQ(m["counters"]["toy.widgets"], 42u);
	EXPECT_EQ(m["counters"]["toy.gadgets"], 7u);
}

// Blocks instantiated per function register their counters per function:
// a view shows them once, summed, at the first one's place.
TEST(ModelCounters, CountersOfOneShownNameAreShownSummed)
{
	ModelReport m;

	m.counters = {
		{ "function0.accesses", 3, "", ZPCI_SHOW_SWEEP, "accesses" },
		{ "dtu.walker.walks", 5, "", ZPCI_SHOW_SWEEP | ZPCI_SHOW_SUMMARY, "table_walks" },
		{ "function1.accesses", 4, "", ZPCI_SHOW_SWEEP, "accesses" },
		{ "memory.reads", 9, "", 0, "reads" },
	};
	std::vector<ModelShown> sweep = shown(m, ZPCI_SHOW_SWEEP);
	ASSERT_EQ(sweep.size(), 2u);
	EXPECT_EQ(sweep[0].name, "accesses");
	EXPECT_EQ(sweep[0].value, 7u);
	EXPECT_EQ(sweep[1].name, "table_walks");
	ASSERT_EQ(shown(m, ZPCI_SHOW_SUMMARY).size(), 1u);
	EXPECT_TRUE(shown(m, ZPCI_SHOW_LIVE).empty());
}

// Sweep's header and compare's columns are laid out before any run: from
// the counters every timed run registers, in registration order.
TEST(ModelCounters, ColumnsBeforeAnyRunAreTheRegisteredOnes)
{
	EXPECT_EQ(model_columns(ZPCI_SHOW_SWEEP),
		  (std::vector<std::string>{ "table_walks", "memory_refs" }));
	EXPECT_EQ(model_columns(ZPCI_SHOW_SUMMARY),
		  (std::vector<std::string>{ "table_walks", "walk_cache_hits" }));
	EXPECT_TRUE(model_columns(ZPCI_SHOW_COMPARE).empty());
}

}  // namespace
}  // namespace zpcisim
