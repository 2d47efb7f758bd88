// SPDX-License-Identifier: MIT
// zpcisim report draws its plots without a display, from a sweep's CSV and
// full stats, and refuses what it cannot read.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support/cli_run.h"
#include "support/temp_dir.h"

namespace zpcisim {
namespace {

using test::CliRun;
using test::run;
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

std::string slurp(const std::string &path)
{
	std::ifstream in(path);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
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

}  // namespace
}  // namespace zpcisim
