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

// A VCD file's signals, each as its changes in time order, by its dotted
// name; times in the file's unit (ps here).
struct Vcd {
	std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> changes;
	uint64_t end = 0;	// the last time in the file

	static Vcd read(const std::string &path)
	{
		Vcd v;
		std::ifstream in(path);
		std::string word, line;
		std::vector<std::string> scope;
		std::map<std::string, std::string> name_of;	// by identifier
		uint64_t t = 0;
		while (in >> word) {
			if (word == "$scope") {
				in >> word >> word;
				scope.push_back(word);
			} else if (word == "$upscope") {
				scope.pop_back();
			} else if (word == "$var") {
				std::string type, width, code, name;
				in >> type >> width >> code >> name;
				for (auto it = scope.rbegin(); it != scope.rend(); ++it)
					name = *it + "." + name;
				name_of[code] = name;
				v.changes[name];
			} else if (word[0] == '#') {
				t = std::stoull(word.substr(1));
				EXPECT_GE(t, v.end) << "time goes back";
				v.end = t;
			} else if (word[0] == 'b') {
				std::string code;
				in >> code;
				v.changes[name_of.at(code)].push_back({ t, std::stoull(word.substr(1), nullptr, 2) });
			} else if ((word[0] == '0' || word[0] == '1') && name_of.count(word.substr(1))) {
				v.changes[name_of.at(word.substr(1))].push_back({ t, uint64_t(word[0] - '0') });
			}
			if (word[0] == '$' && word != "$end" && word != "$dumpvars")
				std::getline(in, line);	// the rest of a declaration
		}
		return v;
	}
	bool has(const std::string &s) const { return changes.count(s) != 0; }
	// Times @s went from zero to non-zero.
	uint64_t rises(const std::string &s) const
	{
		uint64_t n = 0, last = 0;
		for (auto [t, value] : changes.at(s)) {
			n += !last && value;
			last = value;
		}
		return n;
	}
	uint64_t falls(const std::string &s) const
	{
		uint64_t n = 0, last = 0;
		for (auto [t, value] : changes.at(s)) {
			n += last && !value;
			last = value;
		}
		return n;
	}
	uint64_t max(const std::string &s) const
	{
		uint64_t m = 0;
		for (auto [t, value] : changes.at(s))
			m = std::max(m, value);
		return m;
	}
	// The count times how long it held, over @unit: strobes of one unit
	// each add up to how many there were.
	uint64_t area(const std::string &s, uint64_t unit) const
	{
		uint64_t sum = 0;
		const auto &c = changes.at(s);
		for (size_t i = 0; i + 1 < c.size(); i++)
			sum += c[i].second * (c[i + 1].first - c[i].first);
		EXPECT_EQ(c.back().second, 0u) << s << " still set at the end";
		return sum / unit;
	}
	uint64_t first_rise(const std::string &s) const
	{
		for (auto [t, value] : changes.at(s))
			if (value)
				return t;
		return UINT64_MAX;
	}
};

constexpr uint64_t kCyclePs = 1000;	// the DTU's clock: 1 ns

// A trace whose every signal can be told ahead: one page read at 1 us
// (an IOTLB miss, a walk), again at 2 us (a hit), then 12 pages written at
// once at 3 us: 8 issued (the function's window), 4 waiting for a slot,
// every one a miss; with 2 walkers, 6 of the first 8 walks wait for one.
TEST(Vcd, SignalsFollowTheRequests)
{
	test::TempDir d;
	std::ofstream(d.file("w.ztr"))
		<< "zpci-trace 1\nguest memory=1G cpus=1\n"
		   "function 0 fid=0x10 fh=0x100 pfgid=1 sdma=0x100000000 edma=0x1ffffffffffffff\n"
		   "0    0 attach\n"
		   "100  0 map 1 0x200000 4096 to-device\n"
		   "200  0 map 2 0x400000 49152 from-device\n"
		   "1000 0 dma 1 0 64 read\n"
		   "2000 0 dma 1 0 64 read\n"
		   "3000 0 dma 2 0 49152 write\n"
		   "9000 0 unmap 1\n"
		   "9100 0 unmap 2\n"
		   "9200 0 detach\n";
	std::string vcd = d.file("w.vcd"), stats = d.file("s.json");
	test::CliRun r = test::run({ "replay", d.file("w.ztr"), "--mode", "cycle", "--set",
				     "walker.concurrent_walks=2", "--vcd", vcd, "--stats-json",
				     stats });
	ASSERT_EQ(r.rc, 0) << r.err;
	Vcd v = Vcd::read(vcd);

	EXPECT_EQ(v.area("dtu.iotlb.miss", kCyclePs), 13u);
	EXPECT_EQ(v.area("dtu.iotlb.hit", kCyclePs), 1u);
	EXPECT_EQ(v.area("function0.rsp_valid", kCyclePs), 14u);
	// Lookups take 2 cycles from the request's arrival.
	EXPECT_EQ(v.first_rise("function0.req_valid"), 1000000u);
	EXPECT_EQ(v.first_rise("dtu.iotlb.miss"), 1002000u);
	EXPECT_EQ(v.first_rise("dtu.iotlb.hit"), 2002000u);
	EXPECT_EQ(v.rises("function0.req_valid"), 3u);
	EXPECT_EQ(v.max("function0.inflight"), 8u);
	EXPECT_EQ(v.max("function0.waiting"), 4u);
	EXPECT_EQ(v.first_rise("function0.waiting"), 3000000u);
	EXPECT_EQ(v.falls("function0.req_ready"), 1u);
	EXPECT_EQ(v.max("dtu.walker.walking"), 2u);
	EXPECT_EQ(v.max("dtu.walker.waiting"), 6u);
	EXPECT_TRUE(v.has("dtu.walker.busy1"));
	EXPECT_FALSE(v.has("dtu.walker.busy2"));
	EXPECT_EQ(v.first_rise("dtu.walker.busy0"), 1002000u);
	EXPECT_EQ(v.first_rise("dtu.walker.busy1"), 3002000u);
	EXPECT_EQ(v.rises("dtu.fault"), 0u);
	auto s = nlohmann::json::parse(std::ifstream(stats));
	EXPECT_EQ(s["models"]["table_walks"].get<uint64_t>(), 13u);
	EXPECT_EQ(s["models"]["requests"].get<uint64_t>(), 14u);
	EXPECT_FALSE(std::ifstream(vcd + ".part").good());
}

// On a real trace the strobes add up to what the run counted.
TEST(Vcd, StrobesAddUpToTheRunsCounters)
{
	test::TempDir d;
	std::string vcd = d.file("w.vcd"), stats = d.file("s.json");
	test::CliRun r = test::run({ "replay", ZPCISIM_SOURCE_DIR "/traces/samples/net-small.ztr",
				     "--mode", "cycle", "--vcd", vcd, "--stats-json", stats });
	ASSERT_EQ(r.rc, 0) << r.err;
	Vcd v = Vcd::read(vcd);
	auto s = nlohmann::json::parse(std::ifstream(stats));
	uint64_t walks = s["models"]["table_walks"], requests = s["models"]["requests"];

	EXPECT_GT(walks, 0u);
	EXPECT_EQ(v.area("dtu.iotlb.miss", kCyclePs), walks);
	EXPECT_EQ(v.area("dtu.iotlb.miss", kCyclePs) + v.area("dtu.iotlb.hit", kCyclePs), requests);
	EXPECT_EQ(v.area("function0.rsp_valid", kCyclePs), requests);
	EXPECT_GT(v.rises("function0.req_valid"), 100u);
	EXPECT_FALSE(std::ifstream(vcd + ".part").good());
}

}  // namespace
}  // namespace zpcisim
