// SPDX-License-Identifier: MIT
// replay --timeline: a trace-event file whose events add up to the run's own
// counters, truncated at its limit and saying so.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "support/cli_run.h"
#include "support/temp_dir.h"

namespace zpcisim {
namespace {

using test::CliRun;
using test::run;
using test::TempDir;

const std::string kTrace = ZPCISIM_SOURCE_DIR "/traces/samples/net-small.ztr";

TEST(Timeline, EventsAddUpToTheRunsCounters)
{
	TempDir d;
	CliRun r = run({ "replay", kTrace, "--design", "intercept-kvm", "--mode", "cycle",
			 "--timeline", d.file("t.json"), "--stats-json", d.file("s.json") });
	ASSERT_EQ(r.rc, 0) << r.err;
	auto t = nlohmann::json::parse(std::ifstream(d.file("t.json")));
	auto s = nlohmann::json::parse(std::ifstream(d.file("s.json")));

	std::map<std::string, uint64_t> n;
	uint64_t intercepts = 0, walks = 0;
	double last_ts = 0;
	for (const auto &e : t["traceEvents"]) {
		n[e["ph"].get<std::string>() + " " + e["name"].get<std::string>()]++;
		if (e["name"] == "intercept")
			intercepts += e["args"]["intercepts"].get<uint64_t>();
		if (e["ph"] == "X" && e["name"].get<std::string>().rfind("dma", 0) == 0)
			walks += e["args"]["walks"].get<uint64_t>();
		if (e["ph"] != "M") {
			EXPECT_GE(e["ts"].get<double>(), 0.0);
			last_ts = std::max(last_ts, e["ts"].get<double>());
		}
	}
	uint64_t rpcits = 0;
	for (const auto &f : s["functions"])
		rpcits += f["rpcits"].get<uint64_t>();
	EXPECT_EQ(n["X rpcit"], rpcits);
	EXPECT_EQ(n["X dma read"] + n["X dma write"], s["dma_accesses"].get<uint64_t>());
	EXPECT_EQ(n["i map"], s["records_by_kind"]["map"].get<uint64_t>());
	EXPECT_EQ(n["i unmap"], s["records_by_kind"]["unmap"].get<uint64_t>());
	EXPECT_EQ(intercepts, s["design_report"]["intercepts"].get<uint64_t>());
	EXPECT_EQ(walks, s["models"]["table_walks"].get<uint64_t>());
	EXPECT_EQ(t["otherData"]["schema"], "zpcisim.timeline.v1");
	EXPECT_FALSE(t["otherData"]["truncated"].get<bool>());
	EXPECT_GT(last_ts, 0.0);
}

TEST(Timeline, StopsAtItsLimitAndSaysSo)
{
	TempDir d;
	CliRun r = run({ "replay", kTrace, "--timeline", d.file("t.json"), "--timeline-limit", "100" });
	ASSERT_EQ(r.rc, 0) << r.err;
	auto t = nlohmann::json::parse(std::ifstream(d.file("t.json")));
	EXPECT_TRUE(t["otherData"]["truncated"].get<bool>());
	EXPECT_EQ(t["otherData"]["events"].get<uint64_t>(), 100u);
}

}  // namespace
}  // namespace zpcisim

namespace zpcisim {
namespace {

// The waveform: the DTU's signals change at the requests' times, and the
// request counter climbs to what the run counted.
TEST(Vcd, DtuSignalsFollowTheRequests)
{
	test::TempDir d;
	std::string vcd = d.file("w.vcd"), stats = d.file("s.json");
	test::CliRun r = test::run({ "replay", ZPCISIM_SOURCE_DIR "/traces/samples/net-small.ztr",
				     "--mode", "cycle", "--vcd", vcd, "--stats-json", stats });
	ASSERT_EQ(r.rc, 0) << r.err;
	std::ifstream in(vcd);
	std::string line, requests_id;
	uint64_t times = 0, last_requests = 0, last_time = 0;
	bool defined = false;
	while (std::getline(in, line)) {
		if (line.find(" requests [63:0]") != std::string::npos)
			requests_id = line.substr(line.find("64") + 2, 7);
		if (line.rfind("$enddefinitions", 0) == 0)
			defined = true;
		if (line.size() > 1 && line[0] == '#') {
			uint64_t t = std::stoull(line.substr(1));
			EXPECT_GE(t, last_time);
			last_time = t;
			times++;
		}
		size_t sp = line.find(' ');
		if (line[0] == 'b' && sp != std::string::npos && !requests_id.empty() &&
		    line.find(requests_id.substr(requests_id.find_first_not_of(' '))) == sp + 1)
			last_requests = std::stoull(line.substr(1, sp - 1), nullptr, 2);
	}
	ASSERT_TRUE(defined);
	EXPECT_GT(times, 100u);
	auto s = nlohmann::json::parse(std::ifstream(stats));
	uint64_t requests = s["models"]["requests"];
	EXPECT_GT(last_requests, 0u);
	EXPECT_LE(last_requests, requests);
	EXPECT_FALSE(std::ifstream(vcd + ".part.vcd").good());
}

}  // namespace
}  // namespace zpcisim
