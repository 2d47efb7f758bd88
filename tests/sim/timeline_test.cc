// SPDX-License-Identifier: MIT
// replay --timeline: a trace-event file whose events add up to the run's own
// counters, truncated at its limit and saying so.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "support/cli_run.h"
#include "support/temp_dir.h"
#include "timeline.h"

namespace zpcisim {
namespace {

using test::CliRun;
using test::run;
using test::TempDir;

const std::string kTrace = ZPCISIM_SOURCE_DIR "/traces/samples/net-small.ztr";

// Microseconds, the format's unit, to integer nanoseconds.
int64_t ns(const nlohmann::json &us)
{
	return std::llround(us.get<double>() * 1000.0);
}

// What the trace-event format (and a viewer that shows every slice) asks
// of a document, one line per breach: complete (X) slices on one thread
// nest or are disjoint; B/E pairs on one thread match in stack order, in
// time order; async b/e pairs match by category and id; every thread that
// has events is named.
std::vector<std::string> format_breaches(const nlohmann::json &doc)
{
	struct Slice {
		int64_t begin, end;
	};
	std::map<std::pair<int, int>, std::vector<Slice>> complete;
	std::map<std::pair<int, int>, std::vector<std::pair<std::string, int64_t>>> open;
	std::map<std::pair<std::string, std::string>, int> async_open;
	std::set<std::pair<int, int>> named, used;
	std::vector<std::string> out;

	for (const auto &e : doc.at("traceEvents")) {
		std::string ph = e.at("ph");
		auto thread = std::make_pair(e.at("pid").get<int>(), e.value("tid", 0));
		if (ph == "M") {
			if (e.at("name") == "thread_name")
				named.insert(thread);
			continue;
		}
		int64_t ts = ns(e.at("ts"));
		if (e.contains("tid"))
			used.insert(thread);
		if (ph == "X") {
			complete[thread].push_back({ ts, ts + ns(e.at("dur")) });
		} else if (ph == "B") {
			auto &stack = open[thread];
			if (!stack.empty() && ts < stack.back().second)
				out.push_back("B before its thread's last B");
			stack.push_back({ e.at("name"), ts });
		} else if (ph == "E") {
			auto &stack = open[thread];
			if (stack.empty() || ts < stack.back().second ||
			    (e.contains("name") && e.at("name") != stack.back().first))
				out.push_back("E without its B");
			else
				stack.pop_back();
		} else if (ph == "b" || ph == "e") {
			auto key = std::make_pair(e.value("cat", std::string()), e.at("id").dump());
			if (ph == "b")
				async_open[key]++;
			else if (async_open[key]-- <= 0)
				out.push_back("e without its b: id " + key.second);
		}
	}
	for (auto &[thread, slices] : complete) {
		// By start, the longer first: a parent comes before what it holds.
		std::sort(slices.begin(), slices.end(), [](const Slice &a, const Slice &b) {
			return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
		});
		std::vector<int64_t> ends;
		size_t overlaps = 0;
		for (const Slice &s : slices) {
			while (!ends.empty() && ends.back() <= s.begin)
				ends.pop_back();
			if (!ends.empty() && s.end > ends.back())
				overlaps++;
			else
				ends.push_back(s.end);
		}
		if (overlaps)
			out.push_back("tid " + std::to_string(thread.second) + ": " +
				      std::to_string(overlaps) + " of " + std::to_string(slices.size()) +
				      " slices overlap one they do not nest in");
	}
	for (const auto &[thread, stack] : open)
		if (!stack.empty())
			out.push_back("B without its E on tid " + std::to_string(thread.second));
	for (const auto &[key, n] : async_open)
		if (n > 0)
			out.push_back("b without its e: id " + key.second);
	for (const auto &thread : used)
		if (!named.count(thread))
			out.push_back("tid " + std::to_string(thread.second) + " has no name");
	return out;
}

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
	// On the terminal too: few read a file's metadata.
	EXPECT_NE(r.err.find("t.json: the timeline stops at 100 events"), std::string::npos)
		<< r.err;
	EXPECT_FALSE(std::ifstream(d.file("t.json.part")).good());
}

// Every slice shows: in the timed modes DMAs overlap in flight, RPCITs and
// intercepts cost more than the gap to the next record; each must still
// nest on its thread, whatever the design.
TEST(Timeline, EverySliceNestsOnItsThread)
{
	for (const char *design : { "bare", "intercept-kvm" }) {
		for (const char *mode : { "functional", "cycle" }) {
			TempDir d;
			CliRun r = run({ "replay", kTrace, "--design", design, "--mode", mode,
					 "--timeline", d.file("t.json") });
			ASSERT_EQ(r.rc, 0) << r.err;
			auto t = nlohmann::json::parse(std::ifstream(d.file("t.json")));
			EXPECT_EQ(format_breaches(t), std::vector<std::string>{}) << design << " " << mode;
		}
	}
}

// The checker itself: it finds what it looks for.
TEST(Timeline, FormatCheckFindsBreaches)
{
	auto doc = nlohmann::json::parse(R"({"traceEvents":[
		{"name":"thread_name","ph":"M","pid":1,"tid":1,"args":{"name":"a"}},
		{"name":"x","ph":"X","ts":1.0,"dur":2.0,"pid":1,"tid":1},
		{"name":"y","ph":"X","ts":2.0,"dur":2.0,"pid":1,"tid":1},
		{"name":"z","ph":"X","ts":2.0,"dur":0.5,"pid":1,"tid":1},
		{"name":"b","ph":"B","ts":5.0,"pid":1,"tid":2},
		{"name":"a","ph":"e","ts":5.0,"pid":1,"cat":"c","id":7}]})");
	EXPECT_EQ(format_breaches(doc),
		  (std::vector<std::string>{ "e without its b: id 7",
					     "tid 1: 1 of 3 slices overlap one they do not nest in",
					     "B without its E on tid 2", "tid 2 has no name" }));
}

// The document goes to its stream as events come, not at the end: a long
// replay takes no more memory than a short one.
TEST(Timeline, WritesEventsAsTheyCome)
{
	std::ostringstream out;
	Timeline t(out, 1000, "zpcisim test");

	for (uint64_t i = 0; i < 100; i++)
		t.span(0, "device", "dma read", i * 10, 25, { { "i", i } });
	std::string so_far = out.str();
	EXPECT_EQ(std::count(so_far.begin(), so_far.end(), '\n'), 100 + 1 + 2 * 3);
	t.finish({ { "design", "bare" } });
	auto doc = nlohmann::json::parse(out.str());
	EXPECT_EQ(format_breaches(doc), std::vector<std::string>{});
	// 25 ns spans every 10 ns: three in flight, three lanes.
	std::set<int> tids;
	for (const auto &e : doc["traceEvents"])
		if (e["ph"] == "X")
			tids.insert(e["tid"].get<int>());
	EXPECT_EQ(tids.size(), 3u);
	EXPECT_EQ(doc["otherData"]["events"], 100);
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
