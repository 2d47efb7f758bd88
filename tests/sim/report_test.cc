// SPDX-License-Identifier: MIT
// zpcisim report draws its plots without a display, from a sweep's CSV and
// full stats, and refuses what it cannot read.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>
#include <vector>

#include "report.h"
#include "support/cli_run.h"
#include "support/temp_dir.h"

namespace zpcisim {
namespace {

using test::CliRun;
using test::run;
using test::slurp;
using test::TempDir;

std::string head(const std::string &path, size_t n)
{
	std::ifstream in(path, std::ios::binary);
	std::string s(n, '\0');
	in.read(&s[0], n);
	s.resize(in.gcount());
	return s;
}

TEST(Report, DrawsEveryPlotAsPngAndSvgWithoutADisplay)
{
	TempDir d;
	unsetenv("DISPLAY");
	std::string trace = d.file("rings.ztb"), csv = d.file("r.csv"), jsonl = d.file("r.jsonl");
	ASSERT_EQ(run({ "trace", "gen", "coherent", trace, "--records", "3000" }).rc, 0);
	CliRun s = run({ "sweep", trace, "--out", csv, "--json", jsonl, "--designs",
			 "bare,intercept-kvm", "--set", "iotlb.entries=16,64", "--mode", "fast" });
	ASSERT_EQ(s.rc, 0) << s.err;
	CliRun r = run({ "report", csv, jsonl, "--out", d.file("plots") });
	ASSERT_EQ(r.rc, 0) << r.err;
	for (const char *name : { "cost_per_design", "iotlb_hit_rate", "pinned_memory", "dma_latency" }) {
		std::string base = d.file("plots") + "/" + name;
		EXPECT_NE(r.out.find("wrote: " + base + ".png\n"), std::string::npos) << r.out;
		EXPECT_EQ(head(base + ".png", 4), "\x89PNG") << name;
		EXPECT_NE(head(base + ".svg", 200).find("<svg"), std::string::npos) << name;
	}
	// The data behind each plot is kept beside it, one block per series.
	std::ifstream dat(d.file("plots") + "/iotlb_hit_rate.dat");
	std::stringstream ss;
	ss << dat.rdbuf();
	EXPECT_NE(ss.str().find("# bare\n16 "), std::string::npos) << ss.str();
	EXPECT_NE(ss.str().find("# intercept-kvm\n16 "), std::string::npos) << ss.str();
}

// A closed-loop sweep over two keys besides the design: throughput and p99
// latency are drawn along the numeric key, a line per design and value of
// the other key, each point once; linear axes start at 0; histograms over
// decades of nanoseconds are drawn on log scales with readable tics.
TEST(Report, ClosedLoopSweepsDrawOneLinePerSeriesOnHonestAxes)
{
	TempDir d;
	std::string trace = d.file("st.ztb"), csv = d.file("r.csv"), jsonl = d.file("r.jsonl");
	ASSERT_EQ(run({ "trace", "gen", "storage", trace, "--records", "3000" }).rc, 0);
	CliRun s = run({ "sweep", trace, "--out", csv, "--json", jsonl, "--designs",
			 "bare,intercept-kvm", "--set", "replay.timing=closed", "--set",
			 "guest.flush_queue=per-cpu,single", "--set", "device.queue_depth=1,4,16",
			 "--set", "replay.guest=linux-6.7" });
	ASSERT_EQ(s.rc, 0) << s.err;
	CliRun r = run({ "report", csv, jsonl, "--out", d.file("plots") });
	ASSERT_EQ(r.rc, 0) << r.err;
	std::string plots = d.file("plots") + "/";
	for (const char *name : { "throughput", "request_latency_p99", "cost_per_design" }) {
		std::string dat = slurp(plots + name + ".dat");
		for (const char *series : { "# bare, per-cpu\n1 ", "# bare, single\n1 ",
					    "# intercept-kvm, per-cpu\n1 ", "# intercept-kvm, single\n1 " })
			EXPECT_NE(dat.find(series), std::string::npos) << name << "\n" << dat;
		// Each line has its point at queue depth 4 once.
		size_t points = 0;
		for (size_t at = 0; (at = dat.find("\n4 ", at)) != std::string::npos; at++)
			points++;
		EXPECT_EQ(points, 4u) << name << "\n" << dat;
		std::string gp = slurp(plots + name + ".gp");
		// From 0, or over decades a log scale.
		EXPECT_TRUE(gp.find("set yrange [0:*]") != std::string::npos ||
			    gp.find("set logscale y 10") != std::string::npos)
			<< gp;
		EXPECT_NE(gp.find("set xrange [0:*]"), std::string::npos) << gp;
	}
	std::string gp = slurp(plots + "dma_latency.gp");
	if (gp.empty())
		gp = slurp(plots + "exposure_windows.gp");
	EXPECT_NE(gp.find("set logscale x 10"), std::string::npos) << gp;
	EXPECT_NE(gp.find("set format x \"%.0s%c\""), std::string::npos) << gp;
}

TEST(Report, UnreadableResultsAreExitTwoWithThePlace)
{
	TempDir d;
	std::ofstream(d.file("x.csv")) << "a,b\n1,2\n";
	std::ofstream(d.file("x.jsonl")) << "{\"design\": \"bare\"}\nnot json\n";
	CliRun r = run({ "report", d.file("x.csv"), "--out", d.file("p") });
	EXPECT_EQ(r.rc, 2);
	EXPECT_EQ(r.err, "zpcisim report: " + d.file("x.csv") +
				 ":1: not sweep results (no 'point' column)\n");
	r = run({ "report", d.file("x.jsonl"), "--out", d.file("p") });
	EXPECT_EQ(r.rc, 2);
	EXPECT_EQ(r.err, "zpcisim report: " + d.file("x.jsonl") + ":2: not JSON stats\n");
	r = run({ "report", d.file("missing.json") });
	EXPECT_EQ(r.rc, 2);
}

// Good results on a machine without gnuplot: the environment's fault (3),
// named, not a failed check (1).
TEST(Report, NoGnuplotIsAnEnvironmentFault)
{
	TempDir d;
	std::ofstream(d.file("r.csv")) << "point,replay.design,status,cpu_total_ns\n"
				       << "0,bare,ok,10\n1,intercept-kvm,ok,20\n";
	std::string path = getenv("PATH") ? getenv("PATH") : "";
	setenv("PATH", d.file("nothing-here").c_str(), 1);
	CliRun r = run({ "report", d.file("r.csv"), "--out", d.file("p") });
	setenv("PATH", path.c_str(), 1);
	EXPECT_EQ(r.rc, 3);
	EXPECT_NE(r.err.find("gnuplot not found"), std::string::npos) << r.err;
}

// Whether gnuplot is on PATH: the tests that draw skip without it, saying so.
bool have_gnuplot()
{
	std::istringstream path(getenv("PATH") ? getenv("PATH") : "");
	for (std::string dir; std::getline(path, dir, ':');)
		if (!access((dir + "/gnuplot").c_str(), X_OK))
			return true;
	return false;
}

// The files under @dir whose names start with @prefix.
std::vector<std::string> files_named(const std::string &dir, const std::string &prefix)
{
	std::vector<std::string> found;
	for (const auto &e : std::filesystem::recursive_directory_iterator(dir))
		if (e.path().filename().string().rfind(prefix, 0) == 0)
			found.push_back(e.path().string());
	return found;
}

// The process in @dir while it lives: relative --out paths are what
// gnuplot would have piped through a shell.
class InDir {
public:
	explicit InDir(const std::string &dir) : back_(std::filesystem::current_path())
	{
		std::filesystem::current_path(dir);
	}
	~InDir() { std::filesystem::current_path(back_); }

private:
	std::filesystem::path back_;
};

// What gnuplot gets for a string: letters, digits and plain marks as they
// are, everything else an octal escape, so that no backquote, @, quote or
// backslash is in the line gnuplot reads; what it cannot draw (control
// characters, bytes not UTF-8) U+FFFD.
TEST(Report, GnuplotStringsHoldOnlyPlainCharactersAndEscapes)
{
	EXPECT_EQ(gnuplot_string("it's `x` @m \"q\" \\"),
		  "\"it\\047s \\140x\\140 \\100m \\042q\\042 \\134\"");
	EXPECT_EQ(gnuplot_string("a-b (c), 5.0%=/:_+"), "\"a-b (c), 5.0%=/:_+\"");
	EXPECT_EQ(gnuplot_string("a\nb\x7f\xc3\xa9"),
		  "\"a\\357\\277\\275b\\357\\277\\275\\303\\251\"");
	EXPECT_EQ(gnuplot_string("\xff\xed\xa0\x80"), std::string("\"") + std::string(
		  "\\357\\277\\275\\357\\277\\275\\357\\277\\275\\357\\277\\275") + "\"");
}

// Labels from the results and --out paths that once ran commands (issue
// 29.1): backquotes, quotes that close gnuplot's strings, newlines that end
// its command, paths starting with '<' or '|'.  Each is drawn as text, and
// nothing runs: no file named "pwned" appears.
TEST(Report, HostileLabelsAndPathsAreDrawnNotRun)
{
	if (!have_gnuplot())
		GTEST_SKIP() << "gnuplot is not installed (scripts/setup.sh installs gnuplot-nox)";
	TempDir d;
	InDir here(d.file(""));
	const std::vector<std::string> labels = {
		"`touch pwned_bq`", "it's", "''it''''s", "say \"\"hi\"\"", "system(\"\"touch pwned_sys\"\")",
		"'.system('touch pwned_concat').'", "@macro", "x\x01\x7fy", "\xff\xfe", "back\\",
	};
	std::ofstream csv("r.csv");
	csv << "point,replay.design,cost.pin_page_ns,status,cpu_total_ns\n";
	for (size_t i = 0; i < labels.size(); i++)
		for (int x : { 100, 300 })
			csv << 2 * i + (x == 300) << ",\"" << labels[i] << "\"," << x << ",ok,"
			    << 1000000 * (i + 1) + x << "\n";
	csv.close();
	nlohmann::json stats = { { "design", "nl\n!touch pwned_nl\n" },
				 { "pinned_bytes_series", { { 0, 0 }, { 1000000, 1 << 20 } } } };
	std::ofstream("s.json") << stats.dump();

	for (const std::string out : { "plain", "it's", "q'`touch pwned_out1`'", "<touch pwned_out2;",
				       "|touch pwned_out3;", "nl\n!touch pwned_out4\n" }) {
		SCOPED_TRACE(out);
		CliRun r = run({ "report", "r.csv", "s.json", "--out", out });
		ASSERT_EQ(r.rc, 0) << r.err;
		for (const char *name : { "cost_per_design", "pinned_memory" }) {
			EXPECT_EQ(head(out + "/" + name + ".png", 4), "\x89PNG") << name;
			EXPECT_NE(slurp(out + "/" + name + ".svg").find("</svg>"), std::string::npos) << name;
		}
		std::string svg = slurp(out + "/cost_per_design.svg");
		for (const char *text : { "`touch pwned_bq`", "it's", "''it''''s", "say \"hi\"", "system(\"touch pwned_sys\")",
					  "'.system('touch pwned_concat').'", "@macro",
					  "x\xef\xbf\xbd\xef\xbf\xbdy", "back\\" })
			EXPECT_NE(svg.find(text), std::string::npos) << text;
		EXPECT_NE(slurp(out + "/pinned_memory.svg").find("nl\xef\xbf\xbd!touch pwned_nl"),
			  std::string::npos);
	}
	EXPECT_EQ(files_named(d.file(""), "pwned"), std::vector<std::string>());
}

// The points of each series in a plot's data, by series label.
std::map<std::string, std::vector<std::pair<double, double>>> series_of(const std::string &dat)
{
	std::map<std::string, std::vector<std::pair<double, double>>> s;
	std::istringstream in(dat);
	std::string label;
	for (std::string line; std::getline(in, line);) {
		if (line.rfind("# ", 0) == 0) {
			label = line.substr(2);
			EXPECT_EQ(s.count(label), 0u) << "two series named " << label;
			s[label];
		} else if (!line.empty()) {
			double x, y;
			std::istringstream(line) >> x >> y;
			s[label].push_back({ x, y });
		}
	}
	return s;
}

// A sweep over the design and four keys (issue 27.2: a second swept cost
// key zigzagged within one line): every plot draws one series per
// combination of the keys it does not run along, each with one point per x.
TEST(Report, EverySweptCombinationIsItsOwnSeries)
{
	if (!have_gnuplot())
		GTEST_SKIP() << "gnuplot is not installed (scripts/setup.sh installs gnuplot-nox)";
	TempDir d;
	std::ofstream csv(d.file("r.csv"));
	csv << "point,replay.design,cost.pin_page_ns,cost.sie_exit_ns,iotlb.entries,replay.policy,"
	       "status,cpu_total_ns,requests_per_s,request_latency_ns_p99,iotlb_hit_rate,"
	       "dma_latency_ns_p99,guest_rpcits,exposure_window_ns_p50\n";
	int point = 0;
	for (const char *design : { "bare", "intercept-kvm" })
		for (int pin : { 100, 300 })
			for (int sie : { 1000, 5000 })
				for (int entries : { 16, 64 })
					for (const char *policy : { "lazy", "strict" }) {
						int v = point + 1;	// every row's values differ
						csv << point++ << ',' << design << ',' << pin << ',' << sie << ','
						    << entries << ',' << policy << ",ok," << v * 1000000 << ','
						    << v * 1000 << ',' << v * 1000 << ',' << 0.01 * v << ','
						    << v << ',' << 10 * v << ',' << 100 * v << '\n';
					}
	csv.close();
	CliRun r = run({ "report", d.file("r.csv"), "--out", d.file("p") });
	ASSERT_EQ(r.rc, 0) << r.err;
	// Along cost.pin_page_ns (the first numeric key) or iotlb.entries: 16
	// combinations of the other four, two points each; exposure against
	// RPCITs runs along no key: 32 combinations, a point each.
	const std::map<std::string, std::pair<size_t, size_t>> expect = {
		{ "cost_per_design", { 16, 2 } },   { "throughput", { 16, 2 } },
		{ "request_latency_p99", { 16, 2 } }, { "iotlb_hit_rate", { 16, 2 } },
		{ "dma_latency_by_iotlb", { 16, 2 } }, { "exposure_vs_rpcits", { 32, 1 } },
	};
	for (const auto &[name, shape] : expect) {
		SCOPED_TRACE(name);
		std::string dat = slurp(d.file("p/" + name + ".dat"));
		auto series = series_of(dat);
		EXPECT_EQ(series.size(), shape.first) << dat;
		for (const auto &[label, points] : series) {
			ASSERT_EQ(points.size(), shape.second) << label;
			if (points.size() == 2) {
				EXPECT_LT(points[0].first, points[1].first) << label;
			}
		}
	}
	// The labels name the other keys' values, the design's first.
	EXPECT_EQ(series_of(slurp(d.file("p/cost_per_design.dat"))).count("intercept-kvm, 5000, 64, strict"),
		  1u);
}

// Values with commas in them are still values: ("a, b", "c") and ("a",
// "b, c") are two series, though their labels read alike.
TEST(Report, SeriesOfValuesWithCommasStayApart)
{
	std::vector<Plot> plots;
	std::string err;
	ASSERT_TRUE(sweep_plots("point,k1,k2,n,status,cpu_total_ns\n"
				"0,\"a, b\",c,1,ok,1000000\n1,a,\"b, c\",1,ok,2000000\n"
				"2,\"a, b\",c,2,ok,3000000\n3,a,\"b, c\",2,ok,4000000\n",
				"r.csv", &plots, &err))
		<< err;
	ASSERT_EQ(plots.size(), 1u);
	ASSERT_EQ(plots[0].series.size(), 2u);
	EXPECT_EQ(plots[0].series[0].points, (std::vector<std::pair<double, double>>{ { 1, 1 }, { 2, 3 } }));
	EXPECT_EQ(plots[0].series[1].points, (std::vector<std::pair<double, double>>{ { 1, 2 }, { 2, 4 } }));
}

// Results that lack what the plots read, or hold it in other types: one
// line with the place, exit 2, never a crash.
TEST(Report, MalformedResultsAreExitTwoWithThePlace)
{
	TempDir d;
	const std::vector<std::pair<std::string, std::string>> cases = {
		{ "point,a\n0,1\n", "r.csv:1: no 'status' column" },
		{ "point,a,status\n0,1,ok\n", "r.csv:1: no 'cpu_total_ns' column" },
		{ "point,replay.policy,status,cpu_total_ns\n0,lazy,ok,1\n", "r.csv:1: no 'guest_rpcits' column" },
	};
	for (const auto &[text, message] : cases) {
		std::ofstream(d.file("r.csv")) << text;
		CliRun r = run({ "report", d.file("r.csv"), "--out", d.file("p") });
		EXPECT_EQ(r.rc, 2) << text;
		EXPECT_EQ(r.err, "zpcisim report: " + d.file(message) + "\n");
	}
	const std::vector<std::pair<std::string, std::string>> stats = {
		{ "[1, 2]", "s.json: run 1: not a run's stats (a JSON object)" },
		{ "{\"design\": 7}", "s.json: run 1: 'design' is not a string" },
		{ "{\"models\": 7}", "s.json: run 1: 'models' is not an object" },
		{ "{\"pinned_bytes_series\": [[1]]}",
		  "s.json: run 1: 'pinned_bytes_series' is not [[number, number], ...]" },
		{ "{\"sweep_values\": []}", "s.json: run 1: 'sweep_values' is not an object" },
		{ "{}\n{\"models\": {\"dma_latency_histogram_ns\": [[\"a\", 1]]}}\n",
		  "s.json:2: 'models/dma_latency_histogram_ns' is not [[number, number], ...]" },
	};
	for (const auto &[text, message] : stats) {
		std::ofstream(d.file("s.json")) << text;
		CliRun r = run({ "report", d.file("s.json"), "--out", d.file("p") });
		EXPECT_EQ(r.rc, 2) << text;
		EXPECT_EQ(r.err, "zpcisim report: " + d.file(message) + "\n");
	}
}

}  // namespace
}  // namespace zpcisim
