// SPDX-License-Identifier: MIT
// The configuration: every key reads back what it printed, every bad file or
// value is one line naming its place, and keys reach the run they configure.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include <zpci/prng.h>

#include "config.h"
#include "support/cli_run.h"
#include "support/temp_dir.h"

namespace zpcisim {
namespace {

using test::CliRun;
using test::run;
using test::TempDir;

const std::string kSamples = ZPCISIM_SOURCE_DIR "/traces/samples/";

std::string write(const TempDir &d, const std::string &name, const std::string &text)
{
	std::string path = d.file(name);
	std::ofstream(path) << text;
	return path;
}

TEST(Config, DumpReadsBackToTheSameConfiguration)
{
	TempDir d;
	Config a, b;
	std::string err;

	ASSERT_TRUE(a.set("iotlb.entries=512", &err)) << err;
	ASSERT_TRUE(a.set("cost.pin_page_ns", "123.5", &err)) << err;
	ASSERT_TRUE(a.set("replay.design", "nested-pinned", &err)) << err;
	ASSERT_TRUE(a.set("hypervisor.pin_limit", "1G", &err)) << err;
	ASSERT_TRUE(b.load(write(d, "c.toml", a.dump()), &err)) << err;
	EXPECT_EQ(a.dump(), b.dump());
	EXPECT_EQ(b.get("iotlb.entries"), "512");
	EXPECT_EQ(b.get("cost.pin_page_ns"), "123.5");
	EXPECT_EQ(b.get("hypervisor.pin_limit"), "1073741824");
	EXPECT_EQ(b.opts.design, Design::NestedPinned);
	EXPECT_EQ(b.opts.system.dtu.iotlb.entries, 512u);
}

TEST(Config, EveryKeyIsInTheDumpOnce)
{
	std::string dump = Config().dump();
	for (const std::string &key : config_keys()) {
		std::string name = key.substr(key.find('.') + 1) + " = ";
		std::string section = "[" + key.substr(0, key.find('.')) + "]";
		size_t at = dump.find(section);
		ASSERT_NE(at, std::string::npos) << key;
		EXPECT_NE(dump.find("\n" + name, at), std::string::npos) << key;
	}
}

struct BadFile {
	const char *name;
	const char *text;
	const char *error;	// after "PATH:"
};

const BadFile kBadFiles[] = {
	{ "UnknownKeySuggestsTheNearest", "[iotlb]\nentries = 64\nentriez = 64\n",
	  "3: unknown key 'iotlb.entriez' (did you mean 'iotlb.entries'?); 'zpcisim config dump' "
	  "lists every key" },
	{ "UnknownSection", "[tlb]\nsize = 1\n",
	  "2: unknown key 'tlb.size'; 'zpcisim config dump' lists every key" },
	{ "OutOfRange", "[hypervisor]\n\npin_fail_permille = 1001\n",
	  "3: hypervisor.pin_fail_permille: '1001' is not a whole number in 0..1000" },
	{ "ZeroEntries", "[iotlb]\nentries = 0\n",
	  "2: iotlb.entries: '0' is not a whole number in 1..4294967295" },
	{ "NegativeCost", "[cost]\nsie_exit_ns = -1.0\n",
	  "2: cost.sie_exit_ns: '-1.0' is not a number in 0.0..1e+12" },
	{ "WordForNumber", "[memory]\nlatency_cycles = \"many\"\n",
	  "2: memory.latency_cycles: 'many' is not a whole number in 0..4294967295" },
	{ "BadChoice", "[replay]\nmode = \"slow\"\n",
	  "2: replay.mode: 'slow' is not one of functional, fast, cycle" },
	{ "BadBool", "[dtu]\ncheck_stale = 1\n", "2: dtu.check_stale: '1' is not true or false" },
	{ "ArrayValue", "[iotlb]\nentries = [1, 2]\n",
	  "2: iotlb.entries: a string, number or boolean is expected" },
	{ "KeyOutsideASection", "entries = 1\n", "1: 'entries' must be a [section] of keys" },
	{ "NotToml", "[iotlb\nentries = 1\n", "1: " },
	{ "DuplicateKey", "[iotlb]\nentries = 1\nentries = 2\n", "3: " },
};

class ConfigBadFile : public testing::TestWithParam<BadFile> {};

TEST_P(ConfigBadFile, IsOneLineNamingFileAndLine)
{
	TempDir d;
	Config c;
	std::string err, path = write(d, "bad.toml", GetParam().text);

	EXPECT_FALSE(c.load(path, &err));
	EXPECT_EQ(err.rfind(path + ":" + GetParam().error, 0), 0u) << err;
	EXPECT_EQ(err.find('\n'), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(Cases, ConfigBadFile, testing::ValuesIn(kBadFiles),
			 [](const testing::TestParamInfo<BadFile> &i) { return i.param.name; });

// A cross-key refusal names both keys and where the one that broke it was set.
TEST(Config, CrossKeyCheckNamesBothKeysAndWhereOneWasSet)
{
	Config c;
	std::string err;

	ASSERT_TRUE(c.set("walk_cache.entries=62", &err));
	EXPECT_FALSE(c.check(&err));
	EXPECT_EQ(err, "--set walk_cache.entries=62: walk_cache.entries (62) must be a multiple of "
		       "walk_cache.assoc (4)");
	ASSERT_TRUE(c.set("walk_cache.assoc=0", &err));
	EXPECT_TRUE(c.check(&err));

	TempDir d;
	std::string f = write(d, "c.toml", "[iotlb]\nentries = 64\n\n[replay]\nguest = \"linux-6.7\"\n");
	Config g;
	ASSERT_TRUE(g.load(f, &err)) << err;
	EXPECT_FALSE(g.check(&err));
	EXPECT_EQ(err, f + ":5: replay.guest linux-6.7 has no lazy policy: its lazy mode is "
			   "flush-queue");
	ASSERT_TRUE(g.set("replay.policy", "lazy", &err, "--policy"));
	EXPECT_FALSE(g.check(&err));
	EXPECT_EQ(err.rfind("--policy: ", 0), 0u) << err;
}

TEST(Config, CommandLineOrderIsFileThenShorthandThenSet)
{
	TempDir d;
	std::string f = write(d, "c.toml", "[replay]\npolicy = \"strict\"\nmode = \"fast\"\n"
					   "[iotlb]\nentries = 64\n");
	CliRun r = run({ "config", "dump", "--config", f, "--mode", "cycle", "--set",
			 "iotlb.entries=128", "--set", "iotlb.entries=256" });
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_NE(r.out.find("policy = \"strict\""), std::string::npos);
	EXPECT_NE(r.out.find("mode = \"cycle\""), std::string::npos);
	EXPECT_NE(r.out.find("\nentries = 256"), std::string::npos);
}

TEST(Config, BadCommandLineIsExitTwo)
{
	TempDir d;
	CliRun r = run({ "config", "dump", "--set", "iotlb.entries" });
	EXPECT_EQ(r.rc, 2);
	EXPECT_EQ(r.err, "zpcisim config: --set 'iotlb.entries' is not KEY=VALUE\n");
	r = run({ "replay", kSamples + "net-small.ztr", "--config", d.file("missing.toml") });
	EXPECT_EQ(r.rc, 2);
	EXPECT_NE(r.err.find("missing.toml"), std::string::npos) << r.err;
	r = run({ "config", "show" });
	EXPECT_EQ(r.rc, 2);
}

// The keys reach the run: the cost table priced by hand, and a small IOTLB
// missing where a large one hits.
TEST(Config, KeysReachTheRunTheyConfigure)
{
	TempDir d;
	std::string stats = d.file("s.json");
	CliRun r = run({ "replay", kSamples + "net-small.ztr", "--policy", "strict", "--set",
			 "cost.rpcit_base_ns=1000",
			 "--set", "cost.rpcit_per_page_ns=0", "--stats-json", stats });
	ASSERT_EQ(r.rc, 0) << r.err;
	nlohmann::json j = nlohmann::json::parse(std::ifstream(stats));
	uint64_t rpcits = 0;
	for (const auto &f : j["functions"])
		rpcits += f["rpcits"].get<uint64_t>();
	ASSERT_GT(rpcits, 0u);
	EXPECT_EQ(j["cpu_rpcit_ns"].get<uint64_t>(), 1000 * rpcits);
	EXPECT_EQ(j["config"]["cost.rpcit_base_ns"].get<double>(), 1000.0);
	EXPECT_EQ(j["config"]["iotlb.entries"].get<uint64_t>(), 2048u);

	// Coherent rings: the device polls the same pages again and again.
	std::string rings = d.file("rings.ztb");
	ASSERT_EQ(run({ "trace", "gen", "coherent", rings, "--records", "3000" }).rc, 0);
	auto hits = [&](const char *entries) {
		CliRun t = run({ "replay", rings, "--mode", "fast", "--set",
				 std::string("iotlb.entries=") + entries, "--set", "iotlb.assoc=0",
				 "--stats-json", stats });
		EXPECT_EQ(t.rc, 0) << t.err;
		return nlohmann::json::parse(std::ifstream(stats))["models"]["iotlb_hits"]
			.get<uint64_t>();
	};
	EXPECT_LT(hits("1"), hits("4096"));
}

}  // namespace
}  // namespace zpcisim

namespace zpcisim {
namespace {

}  // namespace
}  // namespace zpcisim

namespace zpcisim {
namespace {

// The config reader on damaged files, as a fuzzer would feed it (seeded,
// the same every run): every file either reads or is refused in one line
// that names the file and a line of it.
TEST(Config, DamagedFilesReadOrGiveOneLineWithTheirPlace)
{
	test::TempDir d;
	std::string good = Config().dump(), path = d.file("c.toml");
	zpci_prng r;
	int refused = 0;
	const char pieces[] = "[]=\"#.\n0123456789abcxyz_-+e";

	zpci_prng_seed(&r, 11);
	for (int i = 0; i < 3000; i++) {
		std::string text = good;
		for (int k = 0, n = 1 + zpci_prng_below(&r, 6); k < n && !text.empty(); k++) {
			size_t at = zpci_prng_below(&r, text.size());
			switch (zpci_prng_below(&r, 3)) {
			case 0:
				text[at] = pieces[zpci_prng_below(&r, sizeof(pieces) - 1)];
				break;
			case 1:
				text.erase(at, 1 + zpci_prng_below(&r, 8));
				break;
			default:
				text.insert(at, 1, pieces[zpci_prng_below(&r, sizeof(pieces) - 1)]);
				break;
			}
		}
		std::ofstream(path, std::ios::trunc) << text;
		Config c;
		std::string err;
		if (c.load(path, &err))
			continue;
		refused++;
		ASSERT_EQ(err.rfind(path + ":", 0), 0u) << err;
		ASSERT_TRUE(isdigit(static_cast<unsigned char>(err[path.size() + 1]))) << err;
		ASSERT_EQ(err.find('\n'), std::string::npos) << err;
	}
	EXPECT_GT(refused, 1000);
}

}  // namespace
}  // namespace zpcisim
