// SPDX-License-Identifier: MIT
// zpcisim sweep, run in-process as a user would: the grid, the rows, the
// resumption of an interrupted results file, and determinism.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sweep.h"

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

// @row begins with @prefix (a point's number, its values and its status).
::testing::AssertionResult starts(const std::string &row, const std::string &prefix)
{
	if (row.rfind(prefix, 0) == 0)
		return ::testing::AssertionSuccess();
	return ::testing::AssertionFailure() << "row '" << row << "' does not begin '" << prefix << "'";
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
	EXPECT_NE(r.out.find("points: 6\nresumed: 0\nrerun_stale: 0\nrun: 6\nnot_ok: 0\n"), std::string::npos)
		<< r.out;
	std::vector<std::string> rows = lines(slurp(d.file("r.csv")));
	ASSERT_EQ(rows.size(), 7u);
	EXPECT_TRUE(starts(rows[0], "point,replay.design,iotlb.entries,status,records,"));
	const char *const want[] = { "0,bare,64,ok,", "1,bare,256,ok,", "2,bare,1024,ok,",
				     "3,intercept-kvm,64,ok,", "4,intercept-kvm,256,ok,",
				     "5,intercept-kvm,1024,ok," };
	for (int i = 0; i < 6; i++)
		EXPECT_TRUE(starts(rows[i + 1], want[i]));

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
	EXPECT_NE(r.out.find("points: 6\nresumed: 4\nrerun_stale: 0\nrun: 2\n"), std::string::npos) << r.out;
	EXPECT_EQ(slurp(d.file("r.csv")), full_csv);
	EXPECT_EQ(slurp(d.file("r.jsonl")), full_json);

	r = sweep(d);
	EXPECT_NE(r.out.find("resumed: 6\nrerun_stale: 0\nrun: 0\n"), std::string::npos) << r.out;
}

// A point is resumed only if it is the same point: a changed setting or
// another trace with the same columns runs it again.
TEST(Sweep, PointsFromOtherInputsRunAgain)
{
	TempDir d;
	ASSERT_EQ(sweep(d).rc, 0);
	std::string cheap = slurp(d.file("r.csv"));

	CliRun r = sweep(d, { "--set", "cost.pin_page_ns=2000" });
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_NE(r.out.find("resumed: 0\nrerun_stale: 6\nrun: 6\n"), std::string::npos) << r.out;
	EXPECT_NE(r.err.find("6 points of " + d.file("r.csv") + " were run from another"),
		  std::string::npos) << r.err;
	std::vector<std::string> before = lines(cheap), after = lines(slurp(d.file("r.csv")));
	ASSERT_EQ(after.size(), 7u);
	size_t cpu = 0;	// pinning at 40 times the cost moves the intercepting design's CPU time
	for (const std::string &f : csv_split(before[0])) {
		if (f == "cpu_total_ns")
			break;
		cpu++;
	}
	EXPECT_EQ(csv_split(after[1])[cpu], csv_split(before[1])[cpu]);	// bare pins nothing
	EXPECT_NE(csv_split(after[4])[cpu], csv_split(before[4])[cpu]);

	std::string other = d.file("other.ztr");
	std::string text = slurp(kTrace);	// the same records, another file
	std::ofstream(other) << text.insert(text.find('\n') + 1, "# a copy\n");
	std::vector<std::string> args = { "sweep", other, "--out", d.file("r.csv"), "--json",
					  d.file("r.jsonl"), "--designs", "bare,intercept-kvm", "--set",
					  "iotlb.entries=64,256,1024", "--set", "cost.pin_page_ns=2000",
					  "--mode", "fast" };
	r = run(args);
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_NE(r.out.find("resumed: 0\nrerun_stale: 6\nrun: 6\n"), std::string::npos) << r.out;
	r = run(args);
	EXPECT_NE(r.out.find("resumed: 6\nrerun_stale: 0\nrun: 0\n"), std::string::npos) << r.out;
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
}

// Values that are each good but do not go together make their point a row
// saying so; the fixed settings alone need not go together, the axes may
// complete them.
TEST(Sweep, PointsWhoseValuesDoNotGoTogetherAreRowsWithTheReason)
{
	TempDir d;
	CliRun r = run({ "sweep", kTrace, "--out", d.file("x.csv"), "--designs", "bare", "--set",
			 "guest_walk_cache.sx=60,62" });
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_NE(r.out.find("not_ok: 1\n"), std::string::npos) << r.out;
	std::vector<std::string> rows = lines(slurp(d.file("x.csv")));
	ASSERT_EQ(rows.size(), 3u);
	EXPECT_TRUE(starts(rows[1], "0,bare,60,ok,"));
	EXPECT_TRUE(starts(rows[2], "1,bare,62,invalid: guest_walk_cache.sx (62) must be a "
				    "multiple of guest_walk_cache.assoc (4),,,"));

	r = run({ "sweep", kTrace, "--out", d.file("g.csv"), "--designs", "bare", "--guest",
		  "linux-6.7", "--set", "replay.policy=lazy,flush-queue" });
	ASSERT_EQ(r.rc, 0) << r.err;
	rows = lines(slurp(d.file("g.csv")));
	ASSERT_EQ(rows.size(), 3u);
	EXPECT_TRUE(starts(rows[1], "0,bare,lazy,invalid: --guest: replay.guest linux-6.7 has no "
				    "lazy policy: its lazy mode is flush-queue,"));
	EXPECT_TRUE(starts(rows[2], "1,bare,flush-queue,ok,"));
}

// A guest generation brings its kernel's default policy, in a sweep as in a
// replay; a grid whose every point is invalid is an error, not results.
TEST(Sweep, EachGuestRunsItsDefaultPolicyAndAllInvalidIsExitTwo)
{
	TempDir d;
	CliRun r = run({ "sweep", kTrace, "--out", d.file("g.csv"), "--designs", "bare", "--set",
			 "replay.guest=linux-6.1,linux-6.7" });
	ASSERT_EQ(r.rc, 0) << r.err;
	std::vector<std::string> rows = lines(slurp(d.file("g.csv")));
	ASSERT_EQ(rows.size(), 3u);
	EXPECT_TRUE(starts(rows[1], "0,bare,linux-6.1,ok,")) << rows[1];
	EXPECT_TRUE(starts(rows[2], "1,bare,linux-6.7,ok,")) << rows[2];

	r = run({ "sweep", kTrace, "--out", d.file("bad.csv"), "--designs", "bare,intercept-kvm",
		  "--guest", "linux-6.7", "--policy", "lazy" });
	EXPECT_EQ(r.rc, 2);
	EXPECT_NE(r.err.find("every point is invalid; point 0: "), std::string::npos) << r.err;
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
	EXPECT_TRUE(starts(rows[3], "2,nested-pinned,1048576,\"cannot_start: nested-pinned: pinning "
				    "guest memory failed, the guest cannot start\",,,"));
	EXPECT_TRUE(starts(rows[4], "3,nested-pinned,8589934592,ok,"));
}

// --points runs a slice of the grid (a Slurm task's chunk): exactly the
// rows the whole sweep has for it.
TEST(Sweep, PointsRunOnlyTheirSliceWithTheWholeSweepsRows)
{
	TempDir whole, part;
	ASSERT_EQ(sweep(whole).rc, 0);
	CliRun r = sweep(part, { "--points", "2-3" });
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_NE(r.out.find("points: 2\nresumed: 0\nrerun_stale: 0\nrun: 2\n"), std::string::npos) << r.out;
	std::vector<std::string> all = lines(slurp(whole.file("r.csv"))),
				 some = lines(slurp(part.file("r.csv")));
	ASSERT_EQ(some.size(), 3u);
	EXPECT_EQ(some[0], all[0]);
	EXPECT_EQ(some[1], all[3]);
	EXPECT_EQ(some[2], all[4]);
	std::vector<std::string> all_json = lines(slurp(whole.file("r.jsonl"))),
				 some_json = lines(slurp(part.file("r.jsonl")));
	ASSERT_EQ(some_json.size(), 2u);
	EXPECT_EQ(some_json[0], all_json[2]);
	EXPECT_EQ(some_json[1], all_json[3]);
}

// The Slurm backend's command line: one line, exit 2, before anything is
// submitted; collect refuses a directory that holds no submitted sweep.
TEST(Sweep, SlurmArgumentsAndCollectAreCheckedFirst)
{
	TempDir d;
	struct {
		std::vector<std::string> extra;
		const char *says;
	} cases[] = {
		{ { "--points", "3" }, "--points '3' is not FIRST-LAST" },
		{ { "--points", "4-2" }, "--points '4-2' is not FIRST-LAST" },
		{ { "--points", "6-9" }, "--points 6-9: the sweep has 6 points" },
		{ { "--backend", "cloud" }, "--backend 'cloud' is not local or slurm" },
		{ { "--backend", "slurm" }, "--backend slurm needs --slurm-dir" },
		{ { "--backend", "slurm", "--slurm-dir", d.file("j"), "--chunk", "0" },
		  "--backend slurm needs --slurm-dir and a --chunk of 1 or more" },
	};
	for (const auto &c : cases) {
		CliRun r = sweep(d, c.extra);
		EXPECT_EQ(r.rc, 2) << c.says;
		EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
		EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
	}
	CliRun r = run({ "sweep", "collect", d.file("nothing") });
	EXPECT_EQ(r.rc, 2);
	EXPECT_NE(r.err.find(d.file("nothing/sweep.json") + ": not a sweep submitted to Slurm"),
		  std::string::npos)
		<< r.err;
}

// Without sbatch (no Slurm here), submission fails in one line naming it,
// after writing the job script a user can submit by hand.
TEST(Sweep, SlurmSubmissionWithoutSbatchSaysSo)
{
	TempDir d;
	std::string path = getenv("PATH") ? getenv("PATH") : "";
	setenv("PATH", d.file("no-programs-here").c_str(), 1);
	CliRun r = sweep(d, { "--backend", "slurm", "--slurm-dir", d.file("job"), "--chunk", "4" });
	setenv("PATH", path.c_str(), 1);
	EXPECT_EQ(r.rc, 1);
	EXPECT_NE(r.err.find("zpcisim sweep: sbatch: "), std::string::npos) << r.err;
	std::string script = slurp(d.file("job/sweep.sh"));
	EXPECT_NE(script.find("#SBATCH --array=0-1\n"), std::string::npos) << script;
	EXPECT_NE(script.find(" --points \"$first-$last\" --jobs 1\n"), std::string::npos) << script;
	EXPECT_EQ(script.find("--backend"), std::string::npos) << script;
	EXPECT_EQ(script.find(d.file("r.csv")), std::string::npos) << script;

	// Nothing ran, and the plan says what to submit: collect names every
	// task as missing rather than refusing the directory.
	EXPECT_NE(r.err.find("nothing was submitted: `zpcisim sweep collect " + d.file("job") +
			     " --resume` submits it"),
		  std::string::npos) << r.err;
	r = run({ "sweep", "collect", d.file("job") });
	EXPECT_EQ(r.rc, 1) << r.err;
	EXPECT_NE(r.err.find("2 of 2 tasks incomplete; --resume submits them again"),
		  std::string::npos) << r.err;
}

// A stand-in sbatch that logs its arguments and answers job ids 41, 42, ...
// --then-collect submits the collect job after the array, whatever its
// tasks' outcome, and a failed collect submission still records the array.
TEST(Sweep, SlurmThenCollectSubmitsADependentCollectJob)
{
	TempDir d;
	std::string bin = d.file("bin");
	ASSERT_EQ(system(("mkdir -p " + bin).c_str()), 0);
	std::ofstream(bin + "/sbatch")
		<< "#!/bin/sh\n"
		<< "echo \"$*\" >> " << d.file("sbatch.log") << "\n"
		<< "n=$(wc -l < " << d.file("sbatch.log") << ")\n"
		<< "case \"$*\" in *collect.sh) [ -e " << d.file("refuse") << " ] && exit 1;; esac\n"
		<< "echo $((40 + n))\n";
	ASSERT_EQ(system(("chmod +x " + bin + "/sbatch").c_str()), 0);
	std::string path = getenv("PATH") ? getenv("PATH") : "";
	setenv("PATH", (bin + ":" + path).c_str(), 1);
	CliRun r = sweep(d, { "--backend", "slurm", "--slurm-dir", d.file("job"), "--chunk", "4",
			      "--then-collect" });
	std::ofstream(d.file("refuse")) << "";
	CliRun refused = sweep(d, { "--backend", "slurm", "--slurm-dir", d.file("job2"),
				    "--chunk", "4", "--then-collect" });
	setenv("PATH", path.c_str(), 1);

	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_NE(r.out.find("tasks: 2 (up to 4 points each)\njob: 41\n"), std::string::npos)
		<< r.out;
	std::vector<std::string> calls = lines(slurp(d.file("sbatch.log")));
	ASSERT_EQ(calls.size(), 4u);
	EXPECT_EQ(calls[0], "--parsable --array=0-1 " + d.file("job") + "/sweep.sh");
	EXPECT_EQ(calls[1], "--parsable --dependency=afterany:41 " + d.file("job") + "/collect.sh");
	std::string collect = slurp(d.file("job/collect.sh"));
	EXPECT_NE(collect.find(" sweep collect '" + d.file("job") + "'\n"), std::string::npos)
		<< collect;
	EXPECT_NE(slurp(d.file("job/sweep.json")).find("\"jobs\": [\n    \"41\"\n  ]"),
		  std::string::npos);

	EXPECT_EQ(refused.rc, 1);
	EXPECT_NE(refused.err.find("job 43 submitted, but not its collect job: sbatch: exit 1"),
		  std::string::npos) << refused.err;
	EXPECT_NE(slurp(d.file("job2/sweep.json")).find("\"43\""), std::string::npos);
}

}  // namespace
}  // namespace zpcisim
