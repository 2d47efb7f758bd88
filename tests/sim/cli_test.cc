// SPDX-License-Identifier: MIT
// The zpcisim command line, run in-process.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <utility>
#include <vector>

#include "cli.h"
#include "support/cli_run.h"
#include "support/temp_dir.h"

namespace zpcisim {
namespace {

using test::CliRun;
using test::run;
using test::TempDir;

const std::string kDemo = ZPCISIM_SOURCE_DIR "/traces/samples/demo.zimg";

TEST(CliWalk, DemoImageShowsEachOutcome)
{
	CliRun r = run({ "walk", kDemo });
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_EQ(r.err, "");
	EXPECT_NE(r.out.find("iota: 0x0000000000010804 (region-third table at 0x10000)"),
		  std::string::npos);
	EXPECT_NE(r.out.find("result: 0x200abc\n"), std::string::npos);
	EXPECT_NE(r.out.find("result: 0x201000 (read-only)"), std::string::npos);
	EXPECT_NE(r.out.find("result: fault protection, error event 0x4"), std::string::npos);
	EXPECT_NE(r.out.find("result: fault table-type, error event 0x9"), std::string::npos);
	EXPECT_NE(r.out.find("result: fault aperture, error event 0x2"), std::string::npos);
	EXPECT_NE(r.out.find("probes: 9\ntranslated: 3\nfaulted: 6\n"), std::string::npos);
}

TEST(CliWalk, IovasOnTheCommandLineReplaceTheProbes)
{
	CliRun r = run({ "walk", kDemo, "0x100000010:write", "0x100001000" });
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_NE(r.out.find("probe 1: 0x100000010 write\n"), std::string::npos);
	EXPECT_NE(r.out.find("result: 0x200010\n"), std::string::npos);
	EXPECT_NE(r.out.find("probes: 2\ntranslated: 2\n"), std::string::npos);
}

TEST(CliWalk, BadArgumentsAreOneLineUsageErrors)
{
	CliRun r = run({ "walk", kDemo, "0x1000:exec" });
	EXPECT_EQ(r.rc, 2);
	EXPECT_EQ(r.err, "zpcisim walk: '0x1000:exec' is not IOVA[:read|write]\n");
	EXPECT_EQ(r.out, "");

	r = run({ "walk" });
	EXPECT_EQ(r.rc, 2);
	// Named as the usage line names it, not as an option nobody typed.
	EXPECT_EQ(r.err, "zpcisim walk: missing IMAGE (see 'zpcisim walk --help')\n");

	r = run({ "walk", kDemo, "--bogus" });
	EXPECT_EQ(r.rc, 2);
	EXPECT_NE(r.err.find("unrecognised option '--bogus'"), std::string::npos);
}

// A missing or malformed image is bad input, as a missing or malformed trace
// is to replay: exit 2, the place and what is wrong on one line.
TEST(CliWalk, MissingOrMalformedImageIsBadInput)
{
	CliRun r = run({ "walk", "/nonexistent.zimg" });
	EXPECT_EQ(r.rc, 2);
	EXPECT_EQ(r.err, "zpcisim walk: /nonexistent.zimg: cannot open: No such file or directory\n");
	EXPECT_EQ(r.out, "");

	TempDir d;
	std::string bad = d.file("bad.zimg");
	std::ofstream(bad) << "zpci-image 1\nmemory 0x10000\nentry 0x3 0x0\n";
	r = run({ "walk", bad });
	EXPECT_EQ(r.rc, 2);
	EXPECT_EQ(r.err, "zpcisim walk: " + bad + ":3: entry address 0x3 is not 8-byte aligned\n");
	EXPECT_EQ(r.out, "");
}

TEST(Cli, HelpCommandAndHelpFlagSayTheSame)
{
	CliRun a = run({ "help", "walk" }), b = run({ "walk", "--help" });
	EXPECT_EQ(a.rc, 0);
	EXPECT_EQ(a.out, b.out);
	EXPECT_NE(a.out.find("usage: zpcisim walk IMAGE"), std::string::npos);
}

// "help trace gen" is "trace gen --help"; help fits in 80 columns, a
// usage line breaking only between its [parts], a flag never split.
TEST(Cli, EveryHelpFitsATerminalAndSubcommandsHaveHelp)
{
	CliRun a = run({ "help", "trace", "gen" }), b = run({ "trace", "gen", "--help" });
	EXPECT_EQ(a.rc, 0) << a.err;
	EXPECT_EQ(a.out, b.out);
	EXPECT_NE(a.out.find("usage: zpcisim trace gen WORKLOAD OUT"), std::string::npos);

	std::vector<Args> pages;
	for (const Command &c : commands())
		pages.push_back({ c.name });
	for (const char *sub : { "gen", "convert", "import", "validate", "stats", "head" })
		pages.push_back({ "trace", sub });
	pages.push_back({ "sweep", "collect" });
	pages.push_back({ "config", "dump" });
	for (Args page : pages) {
		page.push_back("--help");
		CliRun r = run(page);
		EXPECT_EQ(r.rc, 0) << page[0];
		std::istringstream in(r.out);
		for (std::string line; std::getline(in, line);) {
			EXPECT_LE(line.size(), 80u) << page[0] << ": " << line;
			EXPECT_TRUE(line.empty() || line.back() != '-') << "a word split: " << line;
		}
	}
}

TEST(Cli, OverviewListsEveryCommand)
{
	CliRun r = run({ "help" });
	EXPECT_EQ(r.rc, 0);
	for (const Command &c : commands())
		EXPECT_NE(r.out.find(c.name), std::string::npos) << c.name;
	CliRun none = run({});
	EXPECT_EQ(none.rc, 2);
	EXPECT_EQ(none.err, r.out);
}

TEST(Cli, UnknownCommandIsAUsageError)
{
	CliRun r = run({ "replya" });
	EXPECT_EQ(r.rc, 2);
	EXPECT_EQ(r.err, "zpcisim: 'replya' is not a zpcisim command; see 'zpcisim help'\n");
}

TEST(Cli, FailedStdoutIsAnError)
{
	std::ostringstream out, err;
	out.setstate(std::ios::badbit);
	EXPECT_EQ(run_cli({ "walk", kDemo }, out, err), 1);
	EXPECT_NE(err.str().find("cannot write standard output"), std::string::npos);
}

// A sign on a whole-number option is refused where every command parses its
// options, before anything runs: Boost alone reads -1 as 2^64 - 1.
TEST(Cli, NegativeCountsAreUsageErrorsInEveryCommand)
{
	TempDir d;
	const std::string trace = ZPCISIM_SOURCE_DIR "/traces/samples/net-small.ztr";
	const std::vector<std::pair<Args, std::string>> cases = {
		{ { "trace", "gen", "net", d.file("g.ztb"), "--records=10", "--seed=-1" }, "--seed" },
		{ { "trace", "head", trace, "-n", "-3" }, "--lines" },
		{ { "replay", trace, "--timeline-limit=-1" }, "--timeline-limit" },
		{ { "replay", trace, "--telemetry-interval-ms", "-100" }, "--telemetry-interval-ms" },
		{ { "serve", "--idle-timeout=-5", "--sessions=0" }, "--idle-timeout" },
	};

	for (const auto &[args, option] : cases) {
		CliRun r = run(args);
		EXPECT_EQ(r.rc, 2) << args[0] << ' ' << option;
		EXPECT_NE(r.err.find("for option '" + option + "' is not a whole number from 0 to "),
			  std::string::npos) << r.err;
		EXPECT_EQ(r.out, "") << option;
	}
	struct stat st;
	EXPECT_NE(stat(d.file("g.ztb").c_str(), &st), 0) << "no output for a refused command line";
	CliRun r = run({ "trace", "head", trace, "-n", "99999999999999999999" });
	EXPECT_EQ(r.rc, 2);
	EXPECT_EQ(r.err, "zpcisim trace head: the argument ('99999999999999999999') for option "
			 "'--lines' is not a whole number from 0 to 18446744073709551615 (see "
			 "'zpcisim trace head --help')\n");
}

}  // namespace
}  // namespace zpcisim
