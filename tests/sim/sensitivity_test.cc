// SPDX-License-Identifier: MIT
// zpcisim sensitivity: a parameter shows up under a result exactly when
// the design's work or the bottleneck involves it.
#include <gtest/gtest.h>

#include <sstream>

#include "support/cli_run.h"
#include "support/temp_dir.h"

namespace zpcisim {
namespace {

using test::run;
using test::slurp;
using test::TempDir;

// The CSV's rows for @result and @design, as "key" lines.
std::string keys_of(const std::string &csv, const std::string &result, const std::string &design)
{
	std::string keys, line;
	std::istringstream in(csv);
	std::string prefix = result + "," + design + ",";
	while (std::getline(in, line))
		if (line.compare(0, prefix.size(), prefix) == 0)
			keys += line.substr(prefix.size(), line.find(',', prefix.size()) - prefix.size()) +
				"\n";
	return keys;
}

TEST(Sensitivity, NamesWhatEachDesignsResultRestsOn)
{
	TempDir dir;
	std::string trace = dir.file("storage.ztb");
	ASSERT_EQ(run({ "trace", "gen", "storage", trace, "--records", "2000" }).rc, 0);
	test::CliRun r = run({ "sensitivity", trace, "--designs", "bare,intercept-user",
			       "--keys", "cost.user_exit_ns,cost.dma_call_ns,device.bandwidth_mb_s",
			       "--out", dir.file("s.csv") });
	ASSERT_EQ(r.rc, 0) << r.err;
	std::string csv = slurp(dir.file("s.csv"));
	// Bare never exits to user space: the exit's cost cannot move it.
	EXPECT_EQ(keys_of(csv, "cpu_ns_per_request", "bare").find("cost.user_exit_ns"),
		  std::string::npos) << csv;
	EXPECT_NE(keys_of(csv, "cpu_ns_per_request", "bare").find("cost.dma_call_ns"),
		  std::string::npos) << csv;
	// intercept-user's vCPU is its bottleneck: its exits move its throughput.
	EXPECT_NE(keys_of(csv, "throughput", "intercept-user").find("cost.user_exit_ns"),
		  std::string::npos) << csv;
	// Bare is link-bound at the default bandwidth: the link moves it, by
	// as much as the bandwidth moves (less the run's tail going up).
	EXPECT_EQ(keys_of(csv, "throughput", "bare"), "device.bandwidth_mb_s\n") << csv;
	EXPECT_NE(r.out.find("throughput          bare             device.bandwidth_mb_s       "
			     "-50.0%    +49."),
		  std::string::npos) << r.out;
}

TEST(Sensitivity, BadKeysAreUsageErrors)
{
	TempDir dir;
	std::string trace = dir.file("net.ztb");
	ASSERT_EQ(run({ "trace", "gen", "net", trace, "--records", "200" }).rc, 0);
	test::CliRun r = run({ "sensitivity", trace, "--keys", "cost.nope", "--out", dir.file("o") });
	EXPECT_EQ(r.rc, 2);
	EXPECT_NE(r.err.find("'cost.nope' is not a number key"), std::string::npos) << r.err;
	EXPECT_TRUE(slurp(dir.file("o")).empty());
	EXPECT_EQ(run({ "sensitivity", trace, "--swing", "1.5" }).rc, 2);
}

}  // namespace
}  // namespace zpcisim
