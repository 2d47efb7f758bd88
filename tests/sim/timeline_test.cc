// SPDX-License-Identifier: MIT
// replay --timeline: a trace-event file whose events add up to the run's own
// counters, truncated at its limit and saying so.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

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

// A map's event gives its IOVA (a scatter list's: its first element's),
// the one the device's first access to it then uses.
TEST(Timeline, MapEventsGiveTheIovaTheDeviceUses)
{
	TempDir d;
	std::ofstream(d.file("m.ztr"))
		<< "zpci-trace 1\nguest memory=1G cpus=1\n"
		   "function 0 fid=0x10 fh=0x100 pfgid=1 sdma=0x100000000 edma=0x1ffffffffffffff\n"
		   "0   0 attach\n"
		   "100 0 map 1 0x200000 4096 to-device\n"
		   "200 0 dma 1 0 64 read\n"
		   "300 0 map-sg 2 from-device 0x300000:4096,0x500000:8192\n"
		   "400 0 dma 2 0 64 write\n"
		   "500 0 unmap 1\n"
		   "600 0 unmap-sg 2\n"
		   "700 0 detach\n";
	CliRun r = run({ "replay", d.file("m.ztr"), "--timeline", d.file("t.json") });
	ASSERT_EQ(r.rc, 0) << r.err;
	auto t = nlohmann::json::parse(std::ifstream(d.file("t.json")));
	std::vector<std::string> mapped, used;
	for (const auto &e : t["traceEvents"]) {
		if (e["name"] == "map" || e["name"] == "map-sg")
			mapped.push_back(e["args"]["iova"]);
		if (e["ph"] == "X" && e["name"].get<std::string>().rfind("dma", 0) == 0)
			used.push_back(e["args"]["iova"]);
	}
	ASSERT_EQ(mapped.size(), 2u);
	EXPECT_EQ(mapped, used);
	EXPECT_NE(mapped[0], mapped[1]);
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
