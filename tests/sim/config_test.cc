// SPDX-License-Identifier: MIT
// The configuration: every key reads back what it printed, every bad file or
// value is one line naming its place, and keys reach the run they configure.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <zpci/prng.h>

#include "config.h"
#include "replay.h"
#include "format.h"
#include "support/cli_run.h"
#include "support/heap.h"
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
	EXPECT_EQ(b.opts.design, static_cast<Design>(ZPCI_DESIGN_NESTED_PINNED));
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

// The dump's comment on each key, by key; a key twice is a failure.
std::map<std::string, std::string> dump_comments(const std::string &dump)
{
	std::map<std::string, std::string> comments;
	std::istringstream in(dump);
	std::string line, section;

	while (std::getline(in, line)) {
		size_t eq = line.find(" = "), hash = line.find("  # ");
		if (line.rfind('[', 0) == 0) {
			section = line.substr(1, line.size() - 2);
		} else if (eq != std::string::npos && hash != std::string::npos) {
			EXPECT_TRUE(comments.emplace(section + "." + line.substr(0, eq),
						     line.substr(hash + 4))
					    .second)
				<< line;
		}
	}
	return comments;
}

bool ends_with(const std::string &s, const std::string &end)
{
	return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

std::string number_text(double v)
{
	std::ostringstream s;
	s.precision(17);
	s << v;
	return s.str();
}

// Each key @keys declare, in @section, against the dump's @comments: its unit,
// its enum's names and its doc (or its block's) are the ones declared, and
// its range is the one enforced.  Counts them into @seen, by section.
void expect_declared(const std::map<std::string, std::string> &comments, const ParamDecl *keys,
		     size_t n, const std::string &section, const char *block_doc,
		     std::map<std::string, int> &seen)
{
	for (const ParamDecl *d = keys; d != keys + n; d++) {
		if (d->kind == ParamKind::Block) {
			expect_declared(comments, d->keys, d->nkeys, d->name, d->doc, seen);
			continue;
		}
		std::string key = section + "." + d->name, err;
		const char *doc = d->doc ? d->doc : block_doc;
		auto it = comments.find(key);
		seen[section]++;
		ASSERT_NE(it, comments.end()) << key;
		ASSERT_NE(doc, nullptr) << key << ": no doc, nor one from its block";
		EXPECT_TRUE(ends_with(it->second, std::string("; ") + doc) || it->second == doc)
			<< key << ": " << it->second;
		EXPECT_EQ(it->second.rfind(*d->unit ? std::string(d->unit) + "; " : "", 0), 0u)
			<< key << ": " << it->second;
		EXPECT_EQ(config_key_doc(key), it->second);
		if (d->kind == ParamKind::Choice) {
			EXPECT_NE(it->second.find(join(d->names(), ", ") + "; "), std::string::npos)
				<< key << ": " << it->second;
		}
		if (d->kind != ParamKind::U32 && d->kind != ParamKind::U64 &&
		    d->kind != ParamKind::Double)
			continue;
		Config c;
		EXPECT_TRUE(c.set(key, number_text(d->min), &err)) << err;
		EXPECT_TRUE(c.set(key, number_text(d->max), &err) || d->max >= 1.8e19) << err;
		double below = d->kind == ParamKind::Double ? d->min / 2 : d->min - 1;
		if (d->min > 0) {
			EXPECT_FALSE(c.set(key, number_text(below), &err)) << key;
		}
		if (d->max < (d->kind == ParamKind::U32 ? 4294967295.0 : 1.8e19)) {
			EXPECT_FALSE(c.set(key, number_text(d->max * 2), &err)) << key;
		}
	}
}

// Every key a model block declares is in the dump once, as declared there:
// config.cc says nothing of them itself.
TEST(Config, ModelKeysAreAsTheirBlocksDeclareThem)
{
	std::map<std::string, std::string> comments = dump_comments(Config().dump());
	std::map<std::string, int> seen, in_dump;

	expect_declared(comments, param_keys<SystemParams>, std::size(param_keys<SystemParams>),
			"system", nullptr, seen);
	expect_declared(comments, param_keys<CpuCostParams>, std::size(param_keys<CpuCostParams>),
			"cost", nullptr, seen);
	EXPECT_EQ(seen.count("system"), 0u) << "SystemParams holds only blocks";
	for (const auto &[key, comment] : comments)
		if (seen.count(key.substr(0, key.find('.'))))
			in_dump[key.substr(0, key.find('.'))]++;
	EXPECT_EQ(in_dump, seen);
	// memory dtu iotlb walker guest_walk_cache host_walk_cache stage2_cache function cost
	EXPECT_EQ(seen.size(), 9u);
}

// Every default of the cost table, the device and the model blocks says,
// in config dump, where it comes from: exactly one of "source: " (a public
// measurement or document), "derived: " (worked out from those) or
// "assumption: " (and why), after a "; " or opening the comment.  Only the
// run's own sections are exempt: what to run, not what it costs.
TEST(Config, EveryCostAndTimingDefaultSaysWhereItComesFrom)
{
	const std::set<std::string> run_sections = { "replay", "hypervisor", "inject", "adversary" };
	const std::regex marker("(^|; )(source|derived|assumption): [^ ]");
	std::map<std::string, std::string> comments = dump_comments(Config().dump());
	std::set<std::string> sections;

	for (const auto &[key, comment] : comments) {
		std::string section = key.substr(0, key.find('.'));
		if (run_sections.count(section))
			continue;
		sections.insert(section);
		auto found = std::sregex_iterator(comment.begin(), comment.end(), marker);
		EXPECT_EQ(std::distance(found, std::sregex_iterator()), 1)
			<< key << ": '" << comment << "'";
	}
	// memory dtu iotlb walker guest_walk_cache host_walk_cache stage2_cache function cost
	// device guest
	EXPECT_EQ(sections.size(), 11u);
	EXPECT_TRUE(sections.count("cost") && sections.count("device") && sections.count("guest"));
}

// A name table and its enum agree both ways, value by value.
template <typename E, typename Parse, typename Name>
void expect_names(const std::vector<std::string> &names, Parse parse, Name name)
{
	for (size_t i = 0; i < names.size(); i++) {
		E e;
		EXPECT_EQ(name(static_cast<E>(i)), names[i]);
		ASSERT_TRUE(parse(names[i], &e)) << names[i];
		EXPECT_EQ(static_cast<size_t>(e), i);
	}
}

// A choice key lists its enum's names, from the table that names them
// everywhere, and takes every one of them.
TEST(Config, ChoicesAreTheirEnumsNameTables)
{
	std::map<std::string, std::string> comments = dump_comments(Config().dump());
	const std::pair<const char *, const std::vector<std::string> &> tables[] = {
		{ "replay.design", design_names() },
		{ "replay.policy", policy_names() },
		{ "replay.mode", mode_names() },
		{ "iotlb.replacement", replacement_names() },
		{ "guest_walk_cache.replacement", replacement_names() },
		{ "host_walk_cache.replacement", replacement_names() },
		{ "stage2_cache.replacement", replacement_names() },
		{ "iotlb.index", cache_index_names() },
		{ "guest_walk_cache.index", cache_index_names() },
		{ "host_walk_cache.index", cache_index_names() },
		{ "stage2_cache.index", cache_index_names() },
	};
	std::string err;

	expect_names<Design>(design_names(), parse_design, design_name);
	expect_names<zpci_flush_policy>(policy_names(), parse_policy, policy_name);
	expect_names<ReplayMode>(mode_names(), parse_mode, mode_name);
	expect_names<Replacement>(replacement_names(), parse_replacement, replacement_name);
	EXPECT_EQ(design_names().size(), size_t(ZPCI_NR_DESIGNS));
	// replay.guest's, from the generations' table.
	std::vector<std::string> guests;
	std::string guest = comments["replay.guest"];
	std::istringstream in(guest.substr(0, guest.find(';')));
	for (std::string g; std::getline(in >> std::ws, g, ',');)
		guests.push_back(g);
	EXPECT_EQ(guests.size(), 2u);
	expect_names<zpci_guest_gen>(guests, parse_guest, guest_name);
	for (const auto &[key, names] : tables) {
		EXPECT_EQ(comments[key].rfind(join(names, ", ") + "; ", 0), 0u) << comments[key];
		for (const std::string &name : names) {
			Config c;
			ASSERT_TRUE(c.set(key, name, &err)) << err;
			EXPECT_EQ(c.get(key), name);
		}
	}
}

// Each shorthand flag's --help is its key's doc, as the dump has it.
TEST(Config, ShorthandHelpIsTheKeysDoc)
{
	auto words = [](const std::string &s) {
		std::istringstream in(s);
		std::string w, out;
		while (in >> w)
			out += w + " ";
		return out;
	};
	std::string help = words(run({ "replay", "--help" }).out);
	for (const char *key : { "replay.design", "replay.policy", "replay.mode",
				 "hypervisor.pin_limit", "hypervisor.seed" })
		EXPECT_NE(help.find(words(std::string(key) + ": " + config_key_doc(key))),
			  std::string::npos)
			<< key;
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
	  "2: iotlb.entries: '0' is not a whole number in 1..1048576" },
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

// A configuration is a small regular file: a device or an endless stream is
// refused before it is read, a large file after at most its bound.
TEST(Config, OnlyRegularFilesOfBoundedSizeAreRead)
{
	TempDir d;
	Config c;
	std::string err;

	for (const char *dev : { "/dev/zero", "/dev/urandom", "/dev/null" }) {
		EXPECT_FALSE(c.load(dev, &err)) << dev;
		EXPECT_EQ(err, std::string(dev) + ": not a regular file; a configuration is a TOML file");
	}
	std::string big = write(d, "big.toml", std::string(kConfigFileMax + 1, '#'));
	EXPECT_FALSE(c.load(big, &err));
	EXPECT_EQ(err, big + ": larger than 1 MiB; a configuration has a few hundred keys");
	std::string fits = write(d, "fits.toml",
				 "[iotlb]\nentries = 64\n" + std::string(kConfigFileMax - 30, '#'));
	EXPECT_TRUE(c.load(fits, &err)) << err;
	EXPECT_EQ(c.get("iotlb.entries"), "64");
	CliRun r = run({ "replay", kSamples + "net-small.ztr", "--config", "/dev/zero" });
	EXPECT_EQ(r.rc, 2);
	EXPECT_EQ(r.err, "zpcisim replay: /dev/zero: not a regular file; a configuration is a TOML "
			 "file\n");
}

// What building a cycle-mode replay with flush queues and attaching its
// function holds, with @key at @value: every allocation a key can size.
size_t built_bytes(const std::string &key, const std::string &value)
{
	ztrace_header h{};
	h.version = 1;
	h.guest_mem = 1ULL << 30;
	h.cpus = 2;
	h.nr_fns = 1;
	h.fn[0] = { 0x10, 0x100, 1, 0x100000000, 0x1ffffffffffffff, false, 0 };
	Config c;
	std::string err;
	EXPECT_TRUE(c.set("replay.mode", "cycle", &err) && c.set("replay.policy", "flush-queue", &err));
	if (!c.set(key, value, &err) || !c.check(&err))
		return 0;	// a value that needs another key's: not this key's cost
	size_t before = test::heap_in_use();
	try {
		Replay r(h, c.opts);
		ztrace_rec attach{};
		attach.kind = ZTRACE_ATTACH;
		EXPECT_TRUE(r.step(attach, nullptr, &err)) << key << "=" << value << ": " << err;
		size_t after = test::heap_in_use();
		return after > before ? after - before : 0;
	} catch (const std::bad_alloc &) {
		ADD_FAILURE() << key << "=" << value << " could not be built";
	} catch (const std::exception &) {
		// Refused by the block it configures: allocates nothing.
	}
	return 0;
}

// Every number key's maximum fits in memory.  Each key is built at two
// probe values; what it allocates per unit, at its maximum, stays under a
// bound.  Differences under the noise of the allocator count as none.
TEST(Config, EveryKeyAtItsMaximumFitsInMemory)
{
	const double kProbe[2] = { 1 << 14, 1 << 17 };
	const size_t kNoise = 256 << 10, kBound = 64 << 20;
	int allocating = 0;

	if (!test::kHeapCounted)
		GTEST_SKIP() << "the sanitizer's allocator is not counted";
	built_bytes("iotlb.entries", "2048");	// the first build's one-time allocations
	for (const std::string &key : config_number_keys()) {
		auto [min, max] = config_key_range(key);
		double a = std::clamp(kProbe[0], min, max), b = std::clamp(kProbe[1], min, max);
		if (a == b)
			continue;
		size_t at_a = built_bytes(key, number_text(a)), at_b = built_bytes(key, number_text(b));
		if (at_b < at_a + kNoise)
			continue;
		double per_unit = double(at_b - at_a) / (b - a);
		allocating++;
		EXPECT_LE(per_unit * max, double(kBound))
			<< key << ": " << per_unit << " bytes each, up to " << number_text(max);
	}
	// The IOTLB, the walk cache, walks and requests in flight, flush queues.
	EXPECT_GE(allocating, 4);
}

// A cross-key refusal names both keys and where the one that broke it was set.
TEST(Config, CrossKeyCheckNamesBothKeysAndWhereOneWasSet)
{
	Config c;
	std::string err;

	ASSERT_TRUE(c.set("host_walk_cache.rtx=30", &err));
	EXPECT_FALSE(c.check(&err));
	EXPECT_EQ(err, "--set host_walk_cache.rtx=30: host_walk_cache.rtx (30) must be a multiple "
		       "of host_walk_cache.assoc (4)");
	ASSERT_TRUE(c.set("host_walk_cache.assoc=0", &err));
	EXPECT_TRUE(c.check(&err));
	// No cache at a level: nothing to divide into ways.
	ASSERT_TRUE(c.set("guest_walk_cache.sx=0", &err));
	EXPECT_TRUE(c.check(&err));
	ASSERT_TRUE(c.set("stage2_cache.entries=130", &err));
	EXPECT_FALSE(c.check(&err));
	EXPECT_EQ(err, "--set stage2_cache.entries=130: stage2_cache.entries (130) must be a "
		       "multiple of stage2_cache.assoc (4)");

	TempDir d;
	std::string f = write(d, "c.toml", "[iotlb]\nentries = 64\n\n[replay]\nguest = \"linux-6.7\"\n");
	Config g;
	ASSERT_TRUE(g.load(f, &err)) << err;
	EXPECT_TRUE(g.check(&err)) << err;	// 6.7 brings its own default policy
	EXPECT_EQ(g.get("replay.policy"), "flush-queue");
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

// The guest's flush-queue shape: its keys as GuestFqParams declares them,
// each default with its source; names both ways; and into the guest's DMA
// config as set, the defaults leaving it as zpci_dma_default_cfg() made it
// (so every existing run is the same).
TEST(Config, GuestFlushQueueKeysReachTheDmaConfig)
{
	std::map<std::string, std::string> comments = dump_comments(Config().dump());
	std::map<std::string, int> seen;
	std::string err;

	expect_declared(comments, param_keys<GuestFqParams>, std::size(param_keys<GuestFqParams>),
			"guest", nullptr, seen);
	EXPECT_EQ(seen["guest"], 3);
	for (const auto &[key, comment] : comments)
		if (key.rfind("guest.", 0) == 0) {
			EXPECT_NE(comment.find("source: Linux 6.7+"), std::string::npos) << key;
		}
	expect_names<zpci_fq_shape>(fq_shape_names(), parse_fq_shape, fq_shape_name);
	EXPECT_EQ(fq_shape_names().size(), size_t(ZPCI_NR_FQ_SHAPES));

	zpci_dma_cfg made = zpci_dma_default_cfg(0x10, ZPCI_FLUSH_QUEUE, 1 << 30), cfg = made;
	apply_guest_fq(Config().opts.guest_fq, &cfg);
	EXPECT_EQ(memcmp(&made, &cfg, sizeof(cfg)), 0);

	Config c;
	ASSERT_TRUE(c.set("guest.flush_queue=single", &err)) << err;
	ASSERT_TRUE(c.set("guest.fq_entries=1000", &err)) << err;
	ASSERT_TRUE(c.set("guest.fq_timeout_ms=2.5", &err)) << err;
	apply_guest_fq(c.opts.guest_fq, &cfg);
	EXPECT_EQ(cfg.fq_shape, ZPCI_FQ_SINGLE);
	EXPECT_EQ(cfg.fq.nr_queues, 0u);	// the shape's
	EXPECT_EQ(cfg.fq.entries, 1000u);
	EXPECT_EQ(cfg.fq.timeout_ns, 2500000u);
	EXPECT_FALSE(c.set("guest.flush_queue=percpu", &err));
	EXPECT_NE(err.find("auto, per-cpu, single"), std::string::npos) << err;
}

}  // namespace
}  // namespace zpcisim
