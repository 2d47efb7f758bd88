// SPDX-License-Identifier: MIT
// zpcisim sweep, run in-process as a user would: the grid, the rows, the
// resumption of an interrupted results file, and determinism.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/cli_run.h"
#include "support/temp_dir.h"

namespace zpcisim {
namespace {

using test::CliRun;
using test::run;
using test::TempDir;
using test::slurp;

const std::string kTrace = ZPCISIM_SOURCE_DIR "/traces/samples/net-small.ztr";

std::vector<std::string> lines(const std::string &text)
{
	std::vector<std::string> v;
	std::istringstream in(text);
	for (std::string l; std::getline(in, l);)
		v.push_back(l);
	return v;
}

CliRun sweep(const TempDir &d, std::vector<std::string> extra = {})
{
	std::vector<std::string> args = { "sweep", kTrace, "--out", d.file("r.csv"), "--json",
					  d.file("r.jsonl"), "--designs", "bare,intercept-kvm", "--set",
					  "iotlb.entries=64,256,1024", "--set", "cost.pin_page_ns=50",
					  "--mode", "fast" };
	args.insert(args.end(), extra.begin(), extra.end());
	return run(args);
}

TEST(Sweep, OneRowPerPointLastAxisFastest)
{
	TempDir d;
	CliRun r = sweep(d);
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_NE(r.out.find("points: 6\nresumed: 0\nrun: 6\nnot_ok: 0\n"), std::string::npos)
		<< r.out;
	std::vector<std::string> rows = lines(slurp(d.file("r.csv")));
	ASSERT_EQ(rows.size(), 7u);
	EXPECT_EQ(rows[0].rfind("point,replay.design,iotlb.entries,status,records,", 0), 0u);
	const char *const want[] = { "0,bare,64,ok,", "1,bare,256,ok,", "2,bare,1024,ok,",
				     "3,intercept-kvm,64,ok,", "4,intercept-kvm,256,ok,",
				     "5,intercept-kvm,1024,ok," };
	for (int i = 0; i < 6; i++)
		EXPECT_EQ(rows[i + 1].rfind(want[i], 0), 0u) << rows[i + 1];

	// The single value reached every point; each JSON line is its point's full stats.
	std::vector<std::string> json = lines(slurp(d.file("r.jsonl")));
	ASSERT_EQ(json.size(), 6u);
	const int entries[] = { 64, 256, 1024 };
	for (int i = 0; i < 6; i++) {
		auto j = nlohmann::json::parse(json[i]);
		EXPECT_EQ(j["point"], i);
		EXPECT_EQ(j["config"]["cost.pin_page_ns"].get<double>(), 50.0);
		EXPECT_EQ(j["config"]["iotlb.entries"].get<int>(), entries[i % 3]);
	}
}

TEST(Sweep, SameInputsGiveTheSameBytes)
{
	TempDir a, b;
	ASSERT_EQ(sweep(a, { "--jobs", "2" }).rc, 0);
	ASSERT_EQ(sweep(b, { "--jobs", "1" }).rc, 0);
	EXPECT_EQ(slurp(a.file("r.csv")), slurp(b.file("r.csv")));
	EXPECT_EQ(slurp(a.file("r.jsonl")), slurp(b.file("r.jsonl")));
}

// As if interrupted after four points: the rest run, the file ends as if not.
TEST(Sweep, ResumesWhereAnEarlierRunStopped)
{
	TempDir d;
	ASSERT_EQ(sweep(d).rc, 0);
	std::string full_csv = slurp(d.file("r.csv")), full_json = slurp(d.file("r.jsonl"));
	std::vector<std::string> csv = lines(full_csv), json = lines(full_json);
	std::ofstream(d.file("r.csv")) << csv[0] << '\n' << csv[1] << '\n' << csv[2] << '\n'
				       << csv[4] << '\n' << csv[5] << '\n';
	std::ofstream(d.file("r.jsonl")) << json[0] << '\n' << json[1] << '\n' << json[3] << '\n'
					 << json[4] << '\n';

	CliRun r = sweep(d);
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_NE(r.out.find("points: 6\nresumed: 4\nrun: 2\n"), std::string::npos) << r.out;
	EXPECT_EQ(slurp(d.file("r.csv")), full_csv);
	EXPECT_EQ(slurp(d.file("r.jsonl")), full_json);

	r = sweep(d);
	EXPECT_NE(r.out.find("resumed: 6\nrun: 0\n"), std::string::npos) << r.out;
}

TEST(Sweep, AnotherSweepsFileIsRefusedAndLeftAlone)
{
	TempDir d;
	std::ofstream(d.file("r.csv")) << "point,iotlb.assoc,status\n0,4,ok\n";
	CliRun r = sweep(d);
	EXPECT_EQ(r.rc, 2);
	EXPECT_EQ(r.err, "zpcisim sweep: " + d.file("r.csv") +
				 ":1: not the results of this sweep (the columns differ); use another "
				 "output file\n");
	EXPECT_EQ(slurp(d.file("r.csv")), "point,iotlb.assoc,status\n0,4,ok\n");
}

TEST(Sweep, BadAxesAreExitTwoNamingTheKey)
{
	TempDir d;
	CliRun r = sweep(d, { "--set", "iotlb.entries=64,0" });
	EXPECT_EQ(r.rc, 2);
	r = sweep(d, { "--set", "iotlb.entrys=1,2" });
	EXPECT_EQ(r.rc, 2);
	EXPECT_NE(r.err.find("did you mean 'iotlb.entries'"), std::string::npos) << r.err;
	r = run({ "sweep", kTrace, "--out", d.file("x.csv"), "--set", "walk_cache.entries=60,62" });
	EXPECT_EQ(r.rc, 2);
	EXPECT_NE(r.err.find("point 1: walk_cache.entries (62) must be a multiple"),
		  std::string::npos)
		<< r.err;
}

// A point whose design cannot start is a row saying so, not the sweep's end.
TEST(Sweep, PointsThatCannotStartAreRowsWithTheReason)
{
	TempDir d;
	CliRun r = run({ "sweep", kTrace, "--out", d.file("p.csv"), "--designs",
			 "bare,nested-pinned", "--set", "hypervisor.pin_limit=1M,8G" });
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_NE(r.out.find("not_ok: 1\n"), std::string::npos) << r.out;
	std::vector<std::string> rows = lines(slurp(d.file("p.csv")));
	ASSERT_EQ(rows.size(), 5u);
	EXPECT_EQ(rows[3].rfind("2,nested-pinned,1048576,\"cannot_start: nested-pinned: pinning guest "
				"memory failed, the guest cannot start\",,,", 0),
		  0u)
		<< rows[3];
	EXPECT_EQ(rows[4].rfind("3,nested-pinned,8589934592,ok,", 0), 0u) << rows[4];
}

}  // namespace
}  // namespace zpcisim
