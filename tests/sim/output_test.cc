// SPDX-License-Identifier: MIT
// Output files as a user meets them: through symlinks and FIFOs, checked
// before the run, never over the input, failing after the summary, and no
// temporaries left by a signal.  Signals and standard output need the
// real program: those tests run it as a child.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "support/cli_run.h"
#include "support/temp_dir.h"

namespace zpcisim {
namespace {

using test::CliRun;
using test::run;
using test::slurp;
using test::TempDir;

const std::string kSamples = ZPCISIM_SOURCE_DIR "/traces/samples/";

// A copy of a small sample, to be overwritten or not.
std::string sample_copy(const TempDir &d)
{
	std::string t = d.file("t.ztr");
	std::ofstream(t) << slurp(kSamples + "stale-window.ztr");
	return t;
}

// The temporaries output files leave in @dir.
std::vector<std::string> temporaries(const std::string &dir)
{
	std::vector<std::string> names;
	DIR *d = opendir(dir.c_str());
	while (dirent *e = d ? readdir(d) : nullptr)
		if (std::string(e->d_name).find("zpcisim-tmp") != std::string::npos)
			names.push_back(e->d_name);
	if (d)
		closedir(d);
	return names;
}

// `zpcisim ARGS` as a child in @dir, its output discarded.
pid_t spawn(const std::string &dir, const std::vector<std::string> &args)
{
	pid_t pid = fork();
	if (!pid) {
		std::vector<char *> argv{ const_cast<char *>(ZPCISIM_BIN) };
		for (const std::string &a : args)
			argv.push_back(const_cast<char *>(a.c_str()));
		argv.push_back(nullptr);
		freopen("/dev/null", "w", stdout);
		if (chdir(dir.c_str()) == 0)
			execv(ZPCISIM_BIN, argv.data());
		_exit(127);
	}
	return pid;
}

// Wait (at most 20 s) until @dir holds an output's temporary.
bool temporary_appears(const std::string &dir)
{
	auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
	while (temporaries(dir).empty() && std::chrono::steady_clock::now() < until)
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	return !temporaries(dir).empty();
}

const std::vector<std::string> kLongGen = { "trace", "gen", "storage", "out.ztb", "--records",
					    "1000000000" };

// 27.4: the symlink became a regular file and its target kept the old bytes.
TEST(OutputCli, StatsThroughASymlinkReplaceItsTarget)
{
	TempDir d;
	std::ofstream(d.file("real.json")) << "old";
	ASSERT_EQ(symlink("real.json", d.file("link.json").c_str()), 0);
	CliRun r = run({ "replay", sample_copy(d), "--stats-json", d.file("link.json") });
	ASSERT_EQ(r.rc, 0) << r.err;
	struct stat st;
	ASSERT_EQ(lstat(d.file("link.json").c_str(), &st), 0);
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_EQ(nlohmann::json::parse(slurp(d.file("real.json")))["records"], 6);
}

// 27.4: "--stats-json -" wrote a file named "-".
TEST(OutputCli, DashIsStandardOutputAfterTheSummary)
{
	TempDir d;
	std::string cmd = "cd '" + d.file("") + "' && '" ZPCISIM_BIN "' replay '" + sample_copy(d) +
			  "' --stats-json -";
	FILE *p = popen(cmd.c_str(), "r");
	ASSERT_NE(p, nullptr);
	std::string out;
	char buf[4096];
	for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;)
		out.append(buf, n);
	EXPECT_EQ(pclose(p), 0);
	size_t json = out.find("result: ok\n{\n");
	ASSERT_NE(json, std::string::npos) << out;
	EXPECT_EQ(nlohmann::json::parse(out.substr(json + 11))["records"], 6);
	EXPECT_NE(access(d.file("-").c_str(), F_OK), 0);
}

// 27.5: a cycle replay ran 52.8 s before failing on its --timeline path.
// The trace here fails on its last record: the path's error must come first.
TEST(OutputCli, ABadOutputPathFailsBeforeTheRun)
{
	TempDir d;
	std::ofstream(d.file("bad.ztr")) << "zpci-trace 1\nguest memory=1G\n"
					    "function 0 fid=1 fh=1 sdma=0x100000000 edma=0x1ffffffff\n"
					    "0 0 attach\n5 0 unmap 3\n";
	for (const char *option : { "--timeline", "--stats-json", "--vcd" }) {
		CliRun r = run({ "replay", d.file("bad.ztr"), "--mode", "cycle", option,
				 "/nonexistent/dir/t.vcd" });
		EXPECT_EQ(r.rc, 2);
		EXPECT_EQ(r.err, std::string("zpcisim replay: ") + option +
					 ": /nonexistent/dir/t.vcd: cannot create: No such file or directory\n");
		EXPECT_EQ(r.out, "");
	}
	CliRun c = run({ "trace", "convert", d.file("bad.ztr"), "/nonexistent/dir/t.ztb" });
	EXPECT_EQ(c.rc, 2);
	EXPECT_EQ(c.err, "zpcisim trace convert: /nonexistent/dir/t.ztb: cannot create: "
			 "No such file or directory\n");
}

// 27.5: a sweep wrote its results only after its first point had run,
// and compare its stats after every design.
TEST(OutputCli, SweepAndCompareCheckTheirOutputsBeforeRunning)
{
	TempDir d;
	std::string bad = "/nonexistent/dir/r.csv";
	CliRun s = run({ "sweep", kSamples + "net-small.ztr", "--out", bad, "--set",
			 "iotlb.entries=64,256", "--mode", "fast" });
	EXPECT_EQ(s.rc, 2);
	EXPECT_EQ(s.err, "zpcisim sweep: " + bad + ": cannot create: No such file or directory\n");
	EXPECT_EQ(s.out, "");
	CliRun c = run({ "compare", kSamples + "net-small.ztr", "--stats-json", bad });
	EXPECT_EQ(c.rc, 2);
	EXPECT_EQ(c.err, "zpcisim compare: --stats-json: " + bad +
				 ": cannot create: No such file or directory\n");
	EXPECT_EQ(c.out, "");
}

// 29.12: the trace became JSON and the replay exited 0.
TEST(OutputCli, AnOutputThatIsTheInputIsRefused)
{
	TempDir d;
	std::string t = sample_copy(d), before = slurp(t);
	for (const char *option : { "--stats-json", "--timeline" }) {
		CliRun r = run({ "replay", t, option, t });
		EXPECT_EQ(r.rc, 2);
		EXPECT_EQ(r.err, std::string("zpcisim replay: ") + option + ": " + t + ": is the input " +
					 t + ": refusing to overwrite it\n");
	}
	EXPECT_EQ(run({ "trace", "convert", t, t }).rc, 2);
	EXPECT_EQ(slurp(t), before);
}

// 29.23: '' exited 0 and wrote nothing.
TEST(OutputCli, AnEmptyPathIsExitTwo)
{
	TempDir d;
	CliRun r = run({ "replay", sample_copy(d), "--stats-json", "" });
	EXPECT_EQ(r.rc, 2);
	EXPECT_EQ(r.err, "zpcisim replay: --stats-json: '': an empty path names no file\n");
	EXPECT_EQ(run({ "replay", sample_copy(d), "--timeline", "" }).rc, 2);
}

// A full disk: /dev/full, through a symlink, so that code which replaces
// what it is given (as main once did, running as root) replaces the link
// and not the device.
std::string full_disk(const TempDir &d)
{
	std::string link = d.file("full");
	EXPECT_EQ(symlink("/dev/full", link.c_str()), 0);
	return link;
}

// 29.13: a full disk lost the summary and exited 1.
TEST(OutputCli, AFullDiskPrintsTheSummaryThenExitsThree)
{
	TempDir d;
	std::string full = full_disk(d);
	CliRun r = run({ "replay", sample_copy(d), "--stats-json", full });
	EXPECT_EQ(r.rc, 3);
	EXPECT_NE(r.out.find("\nresult: ok\n"), std::string::npos) << r.out;
	EXPECT_EQ(r.err, "zpcisim replay: " + full + ": cannot write: No space left on device\n");
}

// 29.24: a full disk was exit 2 from gen and 1 from convert.
TEST(OutputCli, AFullDiskIsExitThreeFromTraceGenAndConvert)
{
	TempDir d;
	std::string full = full_disk(d);
	CliRun g = run({ "trace", "gen", "net", full, "--records", "1000" });
	EXPECT_EQ(g.rc, 3);
	EXPECT_EQ(g.err, "zpcisim trace gen: " + full + ": cannot write: No space left on device\n");
	CliRun c = run({ "trace", "convert", kSamples + "net-small.ztr", full });
	EXPECT_EQ(c.rc, 3);
	EXPECT_EQ(c.err,
		  "zpcisim trace convert: " + full + ": cannot write: No space left on device\n");
}

// 29.15: an interrupted or killed gen left its temporary (56 MB to 3.3 GB).
TEST(OutputCli, ASignalTakesTheTemporaryWithIt)
{
	for (int sig : { SIGINT, SIGTERM, SIGHUP }) {
		TempDir d;
		pid_t pid = spawn(d.file(""), kLongGen);
		ASSERT_TRUE(temporary_appears(d.file("")));
		kill(pid, sig);
		int status;
		waitpid(pid, &status, 0);
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << status;
		EXPECT_EQ(temporaries(d.file("")), std::vector<std::string>{}) << strsignal(sig);
	}
}

TEST(OutputCli, AKilledRunsTemporaryIsRemovedByTheNextRun)
{
	TempDir d;
	pid_t pid = spawn(d.file(""), kLongGen);
	ASSERT_TRUE(temporary_appears(d.file("")));
	kill(pid, SIGKILL);
	waitpid(pid, nullptr, 0);
	ASSERT_EQ(temporaries(d.file("")).size(), 1u);
	CliRun r = run({ "trace", "gen", "storage", d.file("out.ztb"), "--records", "10" });
	EXPECT_EQ(r.rc, 0) << r.err;
	EXPECT_EQ(temporaries(d.file("")), std::vector<std::string>{});
}

// 29.26: SystemC's "Info: (I703) tracing timescale unit set" was in the summary.
TEST(OutputCli, AWaveformAddsNothingToStandardOutput)
{
	TempDir d;
	std::ostringstream systemc;
	std::streambuf *was = std::cout.rdbuf(systemc.rdbuf());
	CliRun r = run({ "replay", kSamples + "net-small.ztr", "--mode", "cycle", "--vcd",
			 d.file("w.vcd") });
	std::cout.rdbuf(was);
	EXPECT_EQ(r.rc, 0) << r.err;
	EXPECT_EQ(systemc.str(), "");
	EXPECT_EQ(r.out.find("Info"), std::string::npos);
	EXPECT_NE(slurp(d.file("w.vcd")).find("$enddefinitions"), std::string::npos);
}

}  // namespace
}  // namespace zpcisim
