// SPDX-License-Identifier: MIT
// zpcisim replay and zpcisim trace, run in-process as a user would.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "cli.h"
#include "replay.h"
#include "support/cli_run.h"
#include "support/temp_dir.h"
#include "support/bad_records.h"
#include "support/heap.h"

namespace zpcisim {
namespace {

using test::CliRun;
using test::line_of;
using test::run;
using test::TempDir;
using test::slurp;

const std::string kSamples = ZPCISIM_SOURCE_DIR "/traces/samples/";
const std::string kGolden = ZPCISIM_SOURCE_DIR "/tests/golden/";

// The summary of each bundled sample, word for word.  A change here is a
// change in behaviour: regenerate the golden file only after explaining it.
class ReplayGolden : public ::testing::TestWithParam<const char *> {};

TEST_P(ReplayGolden, SummaryMatches)
{
	std::string sample = GetParam();
	CliRun r = run({ "replay", kSamples + sample });
	std::string golden = slurp(kGolden + "replay-" + sample.substr(0, sample.find('.')) + ".txt");
	ASSERT_EQ(r.rc, 0) << r.err;
	// The first line names the trace's path, which differs by where it runs.
	auto body = [](const std::string &s) { return s.substr(s.find('\n')); };
	ASSERT_FALSE(golden.empty());
	EXPECT_EQ(body(r.out), body(golden));
}

INSTANTIATE_TEST_SUITE_P(Samples, ReplayGolden,
			 ::testing::Values("net-small.ztr", "storage-small.ztb", "rpcit-log.ztr"));

// Without --policy, each guest generation runs its kernel's default; a
// policy chosen, in any order of the options, stays chosen.
TEST(Replay, EachGuestGenerationDefaultsToItsKernelsPolicy)
{
	CliRun r = run({ "replay", kSamples + "net-small.ztr", "--guest", "linux-6.7" });
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_EQ(line_of(r.out, "policy"), "flush-queue");
	r = run({ "replay", kSamples + "net-small.ztr", "--policy", "strict", "--set",
		  "replay.guest=linux-6.7" });
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_EQ(line_of(r.out, "policy"), "strict");
	r = run({ "replay", kSamples + "net-small.ztr", "--guest", "linux-6.7", "--policy", "lazy" });
	EXPECT_EQ(r.rc, 2);
	r = run({ "compare", kSamples + "net-small.ztr", "--guest", "linux-6.7", "--mode",
		  "functional" });
	EXPECT_EQ(r.rc, 0) << r.err;
	EXPECT_EQ(line_of(run({ "replay", kSamples + "net-small.ztr" }).out, "policy"), "lazy");
}

TEST(Replay, RecordedRpcitsCheckAgainstTheReplayedGuest)
{
	CliRun lazy = run({ "replay", kSamples + "rpcit-log.ztr", "--policy", "lazy" });
	EXPECT_EQ(lazy.rc, 0);
	EXPECT_NE(lazy.out.find("rpcit_check: ok, 5 matched\n"), std::string::npos);
	EXPECT_NE(lazy.out.find("iova_check: ok, 4 matched\n"), std::string::npos);

	// Strict issues an RPCIT on unmap that the recorded lazy guest did not.
	CliRun strict = run({ "replay", kSamples + "rpcit-log.ztr", "--policy", "strict" });
	EXPECT_EQ(strict.rc, 1);
	EXPECT_NE(strict.out.find("rpcit-log.ztr:20: the replayed guest issued rpcit 0x100000000 "
				  "+0x2000 that the trace does not record"),
		  std::string::npos)
		<< strict.out;
	EXPECT_NE(strict.out.find("result: check failed\n"), std::string::npos);
}

// Same trace, same options: byte-identical stats; the digest does not
// depend on the policy, only on which guest pages the device reached.
TEST(Replay, StatsAreDeterministicAndTheDigestPolicyIndependent)
{
	TempDir d;
	std::string a = d.file("a.json"), b = d.file("b.json"), c = d.file("c.json");
	ASSERT_EQ(run({ "replay", kSamples + "storage-small.ztb", "--stats-json", a }).rc, 0);
	ASSERT_EQ(run({ "replay", kSamples + "storage-small.ztb", "--stats-json", b }).rc, 0);
	ASSERT_EQ(run({ "replay", kSamples + "storage-small.ztb", "--policy", "flush-queue",
			"--stats-json", c })
			  .rc,
		  0);
	EXPECT_EQ(slurp(a), slurp(b));
	auto ja = nlohmann::json::parse(slurp(a)), jc = nlohmann::json::parse(slurp(c));
	EXPECT_EQ(ja["schema"], "zpcisim.replay.v2");
	EXPECT_EQ(ja["translation_digest"], jc["translation_digest"]);
	EXPECT_EQ(ja["functions"][0]["mapped_pages"], jc["functions"][0]["mapped_pages"]);
	EXPECT_NE(ja["functions"][0]["rpcits"], jc["functions"][0]["rpcits"]);
}

// The timed modes run the SystemC models; what is translated, and where to,
// must not depend on the mode: only the timing lines may differ.
TEST(Replay, ModesAgreeOnEverythingButTime)
{
	auto functional_lines = [](const std::string &out) {
		std::istringstream in(out);
		std::string line, kept;
		while (std::getline(in, line)) {
			bool timing = false;
			for (const char *t : { "mode:", "table_walks:", "walk_cache_hits:",
					       "memory_refs_per_walk:", "simulated_", "dma_latency" })
				timing |= line.rfind(t, 0) == 0;
			if (!timing)
				kept += line + "\n";
		}
		return kept;
	};
	for (const char *sample : { "net-small.ztr", "storage-small.ztb", "rpcit-log.ztr" }) {
		CliRun f = run({ "replay", kSamples + sample });
		CliRun fast = run({ "replay", kSamples + sample, "--mode", "fast" });
		CliRun cycle = run({ "replay", kSamples + sample, "--mode", "cycle" });
		ASSERT_EQ(f.rc, 0) << fast.err;
		ASSERT_EQ(fast.rc, 0) << fast.err;
		ASSERT_EQ(cycle.rc, 0) << cycle.err;
		EXPECT_EQ(functional_lines(fast.out), functional_lines(f.out)) << sample;
		EXPECT_EQ(functional_lines(cycle.out), functional_lines(f.out)) << sample;
		EXPECT_NE(cycle.out.find("dma_latency_ns_p99: "), std::string::npos);
		EXPECT_EQ(cycle.err, "");
	}
}

// Fast mode serves IOTLB hits without TLM; with a VCD every request takes
// the TLM path, to be drawn.  Both must give the same summary and stats,
// counters and latency histograms included, stale hits too.
TEST(Replay, FastModeHitsServedDirectlyMatchTheTlmPath)
{
	TempDir d;
	for (const char *sample : { "net-small.ztr", "storage-small.ztb", "stale-window.ztr" })
		for (const char *design : { "bare", "nested-pinned" }) {
			std::vector<std::string> args = { "replay", kSamples + sample, "--mode", "fast",
							  "--design", design, "--set",
							  "iotlb.entries=64" };
			auto direct = args, tlm = args;
			direct.insert(direct.end(), { "--stats-json", d.file("direct.json") });
			tlm.insert(tlm.end(), { "--stats-json", d.file("tlm.json"), "--vcd",
						d.file("w.vcd") });
			CliRun a = run(direct), b = run(tlm);
			ASSERT_EQ(a.rc, 0) << a.err;
			ASSERT_EQ(b.rc, 0) << b.err;
			EXPECT_EQ(a.out, b.out) << sample << " " << design;
			auto ja = nlohmann::json::parse(slurp(d.file("direct.json")));
			auto jb = nlohmann::json::parse(slurp(d.file("tlm.json")));
			EXPECT_GT(ja["models"]["counters"].size(), 0u);
			EXPECT_EQ(ja, jb) << sample << " " << design;
		}
}

// @functions functions attach, each maps 128 single pages (IOVAs from the
// same start: each has its own allocator) and its device reads them in 8
// rounds, every page once a round, the functions interleaved page by page.
std::string shared_iotlb_trace(unsigned functions)
{
	std::ostringstream t;
	uint64_t now = 0;

	t << "zpci-trace 1\nguest memory=1G\n";
	for (unsigned f = 0; f < functions; f++)
		t << "function " << f << " fid=" << 0x10 + f << " fh=" << 0x100 + f
		  << " sdma=0x100000000 edma=0x1ffffffffffffff\n";
	for (unsigned f = 0; f < functions; f++)
		t << now << " " << f << " attach\n";
	for (unsigned f = 0; f < functions; f++)
		for (unsigned i = 0; i < 128; i++)
			t << ++now << " " << f << " map " << i << " " << (f * 128 + i) * 4096
			  << " 4096 bidirectional\n";
	// A microsecond apart: no walk is still in flight when its page comes
	// round again, so cycle mode's misses are first uses too, not misses
	// that joined a walk under way (dtu.walk_merges).
	for (unsigned round = 0; round < 8; round++)
		for (unsigned i = 0; i < 128; i++)
			for (unsigned f = 0; f < functions; f++)
				t << (now += 1000) << " " << f << " dma " << (i * 37 + round * 11) % 128
				  << " 0 64 read\n";
	for (unsigned f = 0; f < functions; f++) {
		for (unsigned i = 0; i < 128; i++)
			t << ++now << " " << f << " unmap " << i << "\n";
		t << ++now << " " << f << " detach\n";
	}
	return t.str();
}

// The issue's bar in a replay: 16 functions' 2048 pages fit the default
// IOTLB, so every mode misses only on each page's first use (by hand:
// 128 per function), and 16 functions hit as often as one.  Indexed by
// the page alone, the 16 functions' copies of a page evict each other.
TEST(Replay, SixteenFunctionsSharingIovasHitAsOneDoes)
{
	TempDir d;
	for (unsigned functions : { 1u, 8u, 16u }) {
		std::string trace = d.file("shared-" + std::to_string(functions) + ".ztr");
		std::ofstream(trace) << shared_iotlb_trace(functions);
		for (const char *mode : { "functional", "fast", "cycle" }) {
			CliRun r = run({ "replay", trace, "--mode", mode });
			ASSERT_EQ(r.rc, 0) << r.err;
			EXPECT_EQ(line_of(r.out, "device_accesses"), std::to_string(functions * 1024));
			EXPECT_EQ(line_of(r.out, "iotlb_misses"), std::to_string(functions * 128))
				<< functions << " functions, " << mode;
			EXPECT_EQ(line_of(r.out, "iotlb_hit_rate"), "0.8750") << mode;
		}
	}
	CliRun page = run({ "replay", d.file("shared-16.ztr"), "--mode", "fast", "--set",
			    "iotlb.index=page" });
	ASSERT_EQ(page.rc, 0) << page.err;
	EXPECT_EQ(line_of(page.out, "iotlb_misses"), "16384");
}

// What Debian's 6.1 and 6.12 kernels did under QEMU (traces/samples/real):
// replayed on the bare design as the capture ran, every IOVA and every RPCIT
// is the kernel's, and so are the page counts its debugfs counters gave.
// 6.12's flush queue runs on the guest's timer ticks, which the trace has.
TEST(RealGuests, ReplayReturnsTheKernelsIovasAndIssuesItsRpcits)
{
	TempDir d;
	auto unpack = [&](const std::string &name) {
		std::string out = d.file(name);
		EXPECT_EQ(std::system(("xz -dc " + kSamples + "real/" + name + ".xz > " + out).c_str()), 0);
		return out;
	};
	const std::vector<std::string> k61 = {}, k612 = { "--guest", "linux-6.7", "--policy",
							   "flush-queue" },
					 k612_strict = { "--guest", "linux-6.7", "--policy", "strict" };
	struct {
		std::string trace;
		std::vector<std::string> args;
		const char *rpcits, *iovas, *mapped, *unmapped;
	} cases[] = {
		{ unpack("block-linux-6.1.ztb"), k61, "ok, 87846 matched", "ok, 87845 matched", "93158",
		  "93156" },
		{ kSamples + "real/net-linux-6.1.ztr", k61, "ok, 287 matched", "ok, 287 matched", "350",
		  "30" },
		{ unpack("block-linux-6.12.ztb"), k612, "ok, 86318 matched", "ok, 86309 matched",
		  "93206", "93204" },
		{ unpack("block-linux-6.12-strict.ztb"), k612_strict, "ok, 172425 matched",
		  "ok, 86213 matched", "93206", "93204" },
		{ kSamples + "real/net-linux-6.12.ztr", k612, "ok, 287 matched", "ok, 287 matched",
		  "350", "30" },
		{ kSamples + "real/net-linux-6.12-strict.ztr", k612_strict, "ok, 317 matched",
		  "ok, 287 matched", "352", "32" },
	};
	for (const auto &c : cases) {
		std::vector<std::string> args = { "replay", c.trace };
		args.insert(args.end(), c.args.begin(), c.args.end());
		CliRun r = run(args);
		ASSERT_EQ(r.rc, 0) << c.trace << r.err;
		EXPECT_EQ(line_of(r.out, "rpcit_check"), c.rpcits) << c.trace;
		EXPECT_EQ(line_of(r.out, "iova_check"), c.iovas) << c.trace;
		EXPECT_EQ(line_of(r.out, "mapped_pages"), c.mapped) << c.trace;
		EXPECT_EQ(line_of(r.out, "unmapped_pages"), c.unmapped) << c.trace;
	}
}

// Every design on every sample, under every guest generation and policy:
// the device reaches the same guest pages as on bare metal, never a page it
// must not, and the pins balance.
TEST(Designs, EveryDesignReachesTheSameGuestPagesAndNothingElse)
{
	const std::pair<const char *, const char *> guests[] = {
		{ "linux-6.1", "lazy" }, { "linux-6.1", "strict" }, { "linux-6.1", "flush-queue" },
		{ "linux-6.7", "strict" }, { "linux-6.7", "flush-queue" },
	};
	for (const char *sample : { "net-small.ztr", "storage-small.ztb", "rpcit-log.ztr" }) {
		for (const auto &[guest, policy] : guests) {
			CliRun bare = run({ "replay", kSamples + sample, "--guest", guest, "--policy", policy });
			std::string digest = line_of(bare.out, "translation_digest");
			ASSERT_FALSE(digest.empty());
			// rpcit-log has an 8-page aperture and records a lazy bare guest's
			// RPCITs: other setups may fail a map or differ from the record.
			bool small = std::string(sample) == "rpcit-log.ztr";
			for (const std::string &design : design_names()) {
				CliRun r = run({ "replay", kSamples + sample, "--design", design, "--guest",
						 guest, "--policy", policy });
				if (!small) {
					EXPECT_EQ(r.rc, 0) << design << " " << sample << " " << guest << " "
							   << policy << r.err;
					EXPECT_EQ(line_of(r.out, "map_failures"), "0") << design;
				}
				// Where both mapped everything, both reached the same guest pages.
				if (line_of(r.out, "map_failures") == "0" &&
				    line_of(bare.out, "map_failures") == "0") {
					EXPECT_EQ(line_of(r.out, "translation_digest"), digest)
						<< design << " " << sample << " " << guest << " " << policy;
				}
				EXPECT_EQ(line_of(r.out, "isolation_violations"), "0") << design;
				if (design != "bare") {
					EXPECT_EQ(line_of(r.out, "pins_balanced"), "yes") << design;
				}
			}
		}
	}
}

// Every generated workload through every design: the checkers stay clean
// and the device reaches the same guest pages as on bare metal.
TEST(Designs, GeneratedWorkloadsRunCleanInEveryDesign)
{
	TempDir d;
	for (const char *w : { "net", "storage", "coherent", "mixed", "churn" }) {
		std::string t = d.file(std::string(w) + ".ztb");
		ASSERT_EQ(run({ "trace", "gen", w, t, "--records", "4000", "--guest-memory", "1G" }).rc, 0);
		CliRun bare = run({ "replay", t });
		for (const std::string &design : design_names()) {
			CliRun r = run({ "replay", t, "--design", design, "--policy", "flush-queue" });
			EXPECT_EQ(r.rc, 0) << w << " " << design << ": " << r.err;
			EXPECT_EQ(line_of(r.out, "isolation_violations"), "0") << w << " " << design;
			if (line_of(r.out, "map_failures") == "0" && line_of(bare.out, "map_failures") == "0") {
				EXPECT_EQ(line_of(r.out, "translation_digest"),
					  line_of(bare.out, "translation_digest"))
					<< w << " " << design;
			}
		}
	}
}

// "And if pinning fails?"  The intercepting designs answer "insufficient
// resources"; the guest flushes and retries once, which rides out rare
// failures and fails the map cleanly otherwise; pins stay balanced.  The
// pinned designs: the guest cannot start.
TEST(Designs, PinFailureAtEveryRate)
{
	for (const char *permille : { "0", "10", "500", "1000" }) {
		for (const char *design : { "intercept-user", "intercept-kvm" }) {
			CliRun r = run({ "replay", kSamples + "net-small.ztr", "--design", design,
					 "--pin-fail-permille", permille });
			EXPECT_EQ(r.rc, 0) << design << " " << permille << ": " << r.err;
			EXPECT_EQ(line_of(r.out, "isolation_violations"), "0");
			EXPECT_EQ(line_of(r.out, "pins_balanced"), "yes");
			uint64_t pin_failures = std::stoull(line_of(r.out, "pin_failures"));
			uint64_t map_failures = std::stoull(line_of(r.out, "map_failures"));
			int rate = std::stoi(permille);
			EXPECT_EQ(pin_failures > 0, rate > 0) << design << " " << permille;
			if (rate == 0 || rate == 10) {
				EXPECT_EQ(map_failures, 0u) << design << " " << permille;	// retried
			} else {
				EXPECT_GT(map_failures, 0u) << design << " " << permille;
			}
		}
	}
	for (const char *design : { "nested-pinned", "identity-pinned" }) {
		CliRun r = run({ "replay", kSamples + "net-small.ztr", "--design", design,
				 "--pin-fail-every", "1000" });
		EXPECT_EQ(r.rc, 1);
		EXPECT_NE(r.err.find("pinning guest memory failed, the guest cannot start"),
			  std::string::npos)
			<< r.err;
		EXPECT_EQ(r.out, "");
	}
}

// The scripted guest that unmaps and then lets its device write (see the
// sample's comment): a stale use 4700 ns after the unmap under lazy
// flushing, a fault and an error event under strict, in every design that
// translates.
TEST(Designs, UnmapThenDmaIsAStaleUseUnderLazyAndAFaultUnderStrict)
{
	for (const char *design : { "bare", "intercept-user", "intercept-kvm", "nested-pinned" }) {
		CliRun lazy = run({ "replay", kSamples + "stale-window.ztr", "--design", design });
		EXPECT_EQ(line_of(lazy.out, "stale_uses"), "1") << design;
		EXPECT_EQ(line_of(lazy.out, "stale_window_max_ns"), "4700") << design;
		EXPECT_EQ(line_of(lazy.out, "dma_faults"), "0") << design;
		CliRun strict = run({ "replay", kSamples + "stale-window.ztr", "--design", design,
				      "--policy", "strict" });
		EXPECT_EQ(line_of(strict.out, "stale_uses"), "0") << design;
		EXPECT_EQ(line_of(strict.out, "dma_faults"), "1") << design;
		EXPECT_EQ(line_of(strict.out, "error_events"), "1") << design;
		EXPECT_EQ(line_of(strict.out, "isolation_violations"), "0") << design;
	}
}

// The same for a scatter-gather mapping: its elements' IOVAs abut (the
// middle one two pages long), and a write to any page of any element after
// the unmap is a stale use, timed from the unmap.
TEST(Designs, EveryPageOfAnUnmappedScatterListIsAStaleUse)
{
	test::TempDir d;
	std::ofstream(d.file("sg.ztr"))
		<< "zpci-trace 1\nguest memory=1G cpus=1\n"
		   "function 0 fid=0x10 fh=0x100 pfgid=1 sdma=0x100000000 edma=0x1ffffffffffffff\n"
		   "0    0 attach\n"
		   "100  0 map-sg 1 from-device 0x200000:4096,0x300000:8192,0x500000:4096\n"
		   "200  0 dma 1 0 16384 write\n"
		   "300  0 unmap-sg 1\n"
		   "1000 0 dma-iova 0x100000000 64 write\n"
		   "2000 0 dma-iova 0x100001800 64 write\n"
		   "3000 0 dma-iova 0x100002000 64 write\n"
		   "4000 0 dma-iova 0x100003fc0 64 write\n"
		   "5000 0 detach\n";
	for (const char *design : { "bare", "intercept-kvm", "nested-pinned" }) {
		CliRun r = run({ "replay", d.file("sg.ztr"), "--design", design });
		EXPECT_EQ(r.rc, 0) << design << ": " << r.err;
		EXPECT_EQ(line_of(r.out, "stale_uses"), "4") << design;
		EXPECT_EQ(line_of(r.out, "stale_window_max_ns"), "3700") << design;
		EXPECT_EQ(line_of(r.out, "dma_faults"), "0") << design;
	}
}

// The mapping limit: a small one makes the shadowing hypervisor say
// "insufficient resources"; the guest flushes and carries on.
TEST(Designs, SmallMappingLimitIsSurvivedByGlobalFlushes)
{
	CliRun r = run({ "replay", kSamples + "storage-small.ztb", "--design", "intercept-kvm",
			 "--mapping-limit", "1024" });
	EXPECT_EQ(r.rc, 0) << r.err;
	EXPECT_EQ(line_of(r.out, "isolation_violations"), "0");
	EXPECT_EQ(line_of(r.out, "pins_balanced"), "yes");
	EXPECT_EQ(line_of(r.out, "map_failures"), "0");
	EXPECT_LE(std::stoull(line_of(r.out, "peak_pinned_bytes")), 1024u * 4096);
}

// A capture made under a shadowing hypervisor (refresh bit on): the
// intercepting designs reproduce its RPCITs; the pinned ones offer the bit
// off, so their guest issues other RPCITs, and identity-pinned hands out
// guest-physical IOVAs: those are not compared, and a note says so.
TEST(Compare, ACaptureIsCheckedOnlyWhereItsEnvironmentHolds)
{
	CliRun r = run({ "compare", kSamples + "real/net-linux-6.1.ztr", "--mode", "functional" });
	ASSERT_EQ(r.rc, 0) << r.out << r.err;
	EXPECT_NE(r.out.find("\nguest: linux-6.1\npolicy: lazy\n"), std::string::npos) << r.out;
	EXPECT_NE(r.out.find("note: nested-pinned: RPCITs not compared: the traced guest saw the "
			     "refresh bit on, nested-pinned offers it off\n"),
		  std::string::npos) << r.out;
	EXPECT_NE(r.out.find("note: identity-pinned: IOVAs not compared: identity-pinned hands "
			     "out guest-physical addresses as IOVAs\n"),
		  std::string::npos) << r.out;
	EXPECT_EQ(r.out.find("note: intercept"), std::string::npos) << r.out;
	EXPECT_NE(r.out.find("note: the trace holds no device accesses"), std::string::npos);
	CliRun synthetic = run({ "compare", kSamples + "net-small.ztr", "--mode", "functional" });
	EXPECT_EQ(synthetic.out.find("note:"), std::string::npos) << synthetic.out;

	// Where the environment holds, the check still bites: every RPCIT matched.
	TempDir d;
	r = run({ "replay", kSamples + "real/net-linux-6.1.ztr", "--design", "intercept-kvm",
		  "--stats-json", d.file("s.json") });
	ASSERT_EQ(r.rc, 0) << r.err;
	auto j = nlohmann::json::parse(slurp(d.file("s.json")));
	EXPECT_EQ(j["rpcit_check"]["matched"], 287);
	EXPECT_EQ(j["rpcit_check"]["not_comparable"], "");
}

// The side-by-side table on the network sample, word for word (only the
// first line names the trace's path).
TEST(Compare, TableOnTheNetworkSampleMatchesTheGolden)
{
	TempDir d;
	CliRun r = run({ "compare", kSamples + "net-small.ztr", "--stats-json", d.file("c.json") });
	ASSERT_EQ(r.rc, 0) << r.err;
	std::string golden = slurp(kGolden + "compare-net-small.txt");
	ASSERT_FALSE(golden.empty());
	EXPECT_EQ(r.out.substr(r.out.find('\n')), golden.substr(golden.find('\n')));
	auto j = nlohmann::json::parse(slurp(d.file("c.json")));
	ASSERT_EQ(j.size(), 5u);
	EXPECT_EQ(j[3]["design"], "nested-pinned");
	EXPECT_EQ(j[3]["design_report"]["pins_balanced"], true);
	EXPECT_EQ(run({ "compare", kSamples + "net-small.ztr", "--designs", "bare,nope" }).rc, 2);
	CliRun two = run({ "compare", kSamples + "net-small.ztr", "--designs", "bare,intercept-kvm",
			   "--mode", "functional" });
	EXPECT_EQ(two.rc, 0);
	EXPECT_NE(two.out.find("intercept-kvm"), std::string::npos);
	EXPECT_EQ(two.out.find("nested-pinned"), std::string::npos);
}

// @sig (SIGINT unless told) mid-run, through the real handler: the trace
// comes through a FIFO, so the writer knows the run has started (its open
// returns once zpcisim opened the trace, inside the interrupt scope) and
// sends the signal before any record can be replayed.  The run ends
// partial, reports, writes its stats, and exits 128 + @sig.
CliRun run_interrupted(const TempDir &d, const Args &args, int sig = SIGINT)
{
	std::string fifo = d.file("trace.ztr"), text = slurp(kSamples + "net-small.ztr");
	EXPECT_EQ(mkfifo(fifo.c_str(), 0600), 0);
	Args full = args;
	full.insert(full.begin() + 1, fifo);
	CliRun r{};
	std::thread replay([&] { r = run(full); });
	int fd = open(fifo.c_str(), O_WRONLY);
	EXPECT_GE(fd, 0);
	raise(sig);
	EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
	close(fd);
	replay.join();
	return r;
}

TEST(Replay, InterruptStopsWithPartialStatsAndExit130)
{
	TempDir d;
	std::string json = d.file("s.json");
	CliRun r = run_interrupted(d, { "replay", "--stats-json", json });
	EXPECT_EQ(r.rc, 130) << r.err;
	EXPECT_NE(r.out.find("partial: yes, interrupted after 0 records\n"), std::string::npos) << r.out;
	EXPECT_NE(r.out.find("result: ok\n"), std::string::npos) << r.out;	// what it did was right
	auto j = nlohmann::json::parse(slurp(json));
	EXPECT_TRUE(j["partial"].get<bool>());
	EXPECT_EQ(j["records"].get<uint64_t>(), 0u);

	// Outside a run SIGINT is back to what it was: here, ignored.
	struct sigaction old, ign = {};
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old);
	TempDir d2;
	r = run_interrupted(d2, { "compare", "--designs", "bare,intercept-kvm" });
	EXPECT_EQ(r.rc, 130) << r.err;
	EXPECT_NE(r.out.find("partial: yes, interrupted in design bare\n"), std::string::npos) << r.out;
	EXPECT_EQ(r.out.find("intercept-kvm"), std::string::npos) << r.out;
	struct sigaction now;
	sigaction(SIGINT, &old, &now);
	EXPECT_EQ(now.sa_handler, SIG_IGN);
}

// 29.14: SIGTERM and SIGHUP killed a replay with no summary.
TEST(Replay, TermAndHangupStopLikeInterruptWithTheirExitStatus)
{
	for (auto [sig, status] : { std::pair{ SIGTERM, 143 }, std::pair{ SIGHUP, 129 } }) {
		TempDir d;
		std::string json = d.file("s.json");
		CliRun r = run_interrupted(d, { "replay", "--stats-json", json }, sig);
		EXPECT_EQ(r.rc, status) << r.err;
		EXPECT_NE(r.out.find("partial: yes, interrupted after 0 records\n"), std::string::npos)
			<< r.out;
		EXPECT_TRUE(nlohmann::json::parse(slurp(json))["partial"].get<bool>());
	}
}

TEST(Replay, BadInputIsExitTwoWithPositionAndNoStatsFile)
{
	TempDir d;
	std::ofstream(d.file("bad.ztr")) << "zpci-trace 1\nguest memory=1G\n"
					    "function 0 fid=1 fh=1 sdma=0x100000000 edma=0x1ffffffff\n"
					    "0 0 attach\n5 0 unmap 3\n";
	CliRun r = run({ "replay", d.file("bad.ztr"), "--stats-json", d.file("s.json") });
	EXPECT_EQ(r.rc, 2);
	EXPECT_EQ(r.err, "zpcisim replay: " + d.file("bad.ztr") + ":5: unmap: ID 3 is not live\n");
	EXPECT_EQ(r.out, "");
	EXPECT_FALSE(std::ifstream(d.file("s.json")).good());

	EXPECT_EQ(run({ "replay", kSamples + "net-small.ztr", "--policy", "eager" }).rc, 2);
	EXPECT_EQ(run({ "replay", kSamples + "net-small.ztr", "--design", "nested" }).err,
		  "zpcisim replay: --design: 'nested' is not one of bare, intercept-user, "
		  "intercept-kvm, nested-pinned, identity-pinned\n");
	EXPECT_EQ(run({ "replay", d.file("missing.ztr") }).rc, 2);
}

TEST(TraceCli, GenValidateStatsConvertHead)
{
	TempDir d;
	CliRun g = run({ "trace", "gen", "coherent", d.file("c.ztb"), "--records", "2000" });
	ASSERT_EQ(g.rc, 0) << g.err;
	CliRun v = run({ "trace", "validate", d.file("c.ztb") });
	EXPECT_EQ(v.rc, 0);
	EXPECT_NE(v.out.find("valid: yes"), std::string::npos);
	CliRun s = run({ "trace", "stats", d.file("c.ztb") });
	EXPECT_NE(s.out.find("records_alloc: "), std::string::npos);
	EXPECT_NE(s.out.find("encoding: binary"), std::string::npos);
	// Every record after the rings' allocations is a request of its own
	// (a poll, or a reset's alloc and free), at most one open at once.
	EXPECT_NE(s.out.find("\nfunction_0_queue_depth: 4\nfunction_0_peak_open_requests: 1\n"),
		  std::string::npos) << s.out;
	uint64_t records = std::stoull(line_of(s.out, "records"));
	uint64_t allocs = std::stoull(line_of(s.out, "records_alloc"));
	uint64_t frees = std::stoull(line_of(s.out, "records_free"));
	uint64_t requests = std::stoull(line_of(s.out, "requests"));
	// attach, 4 rings, 4 frees, detach outside; a reset's alloc and free are one.
	EXPECT_EQ(requests, records - 10 - (allocs - 4));
	EXPECT_EQ(line_of(s.out, "request_records"), std::to_string(records - 10));
	EXPECT_EQ(allocs - 4, frees - 4);
	ASSERT_EQ(run({ "trace", "convert", d.file("c.ztb"), d.file("c.ztr") }).rc, 0);
	CliRun h = run({ "trace", "head", d.file("c.ztr"), "-n", "6" });
	EXPECT_EQ(h.out.substr(0, 13), "zpci-trace 3\n");
	EXPECT_NE(h.out.find(" queue-depth=4\n"), std::string::npos) << h.out;
	EXPECT_NE(h.out.find(" req=1\n"), std::string::npos) << h.out;
	// A version-1 trace says nothing of requests.
	CliRun s1 = run({ "trace", "stats", kSamples + "net-small.ztr" });
	EXPECT_EQ(s1.out.find("requests"), std::string::npos);
	EXPECT_NE(h.out.find("0 0 attach\n"), std::string::npos);
	EXPECT_EQ(run({ "trace", "gen", "nope", d.file("x.ztr") }).rc, 2);
	EXPECT_EQ(run({ "trace", "frobnicate" }).rc, 2);
	EXPECT_EQ(run({ "help", "trace" }).out, run({ "trace", "--help" }).out);
}

// A trace zpcisim wrote, cut at a record boundary, is no shorter trace:
// validate and replay stop with exit 2 and say it was cut short; a copy by
// convert ends with the end marker too.
TEST(TraceCli, CutShortTraceIsExitTwo)
{
	TempDir d;
	ASSERT_EQ(run({ "trace", "gen", "storage", d.file("s.ztb"), "--records", "300" }).rc, 0);
	ASSERT_EQ(run({ "trace", "convert", d.file("s.ztb"), d.file("s.ztr") }).rc, 0);
	ASSERT_EQ(run({ "trace", "convert", kSamples + "storage-small.ztb", d.file("v1.ztb") }).rc, 0);
	for (const char *name : { "s.ztb", "s.ztr", "v1.ztb" }) {
		std::string whole = slurp(d.file(name));
		CliRun v = run({ "trace", "validate", d.file(name) });
		ASSERT_EQ(v.rc, 0) << name << ": " << v.err;
		uint64_t records = std::stoull(line_of("\n" + v.out, "records"));
		// The end marker: binary 0x0f, the count (2 bytes for 128 to 16383), CRC-32.
		std::string ext = std::string(name).substr(std::string(name).size() - 3);
		size_t boundary = ext == "ztb" ? whole.size() - (1 + 2 + 4)
					       : whole.size() - ("end records=" + std::to_string(records) +
								 "\n").size();
		ASSERT_GT(records, 127u);
		std::ofstream(d.file("cut." + ext), std::ios::binary) << whole.substr(0, boundary);
		for (const char *cmd : { "validate", "replay" }) {
			CliRun r = cmd == std::string("replay") ? run({ "replay", d.file("cut." + ext) })
							       : run({ "trace", "validate", d.file("cut." + ext) });
			EXPECT_EQ(r.rc, 2) << name << " " << cmd;
			EXPECT_NE(r.err.find("records): cut short?"), std::string::npos) << r.err;
		}
	}
}

// Every malformed record class: exit 2 and one line naming file:line, from
// both commands that read traces.
TEST(TraceCli, EveryMalformedRecordIsExitTwoWithItsPosition)
{
	TempDir d;
	for (const auto &corpus : test::bad_corpora()) {
		for (const auto &c : corpus.records) {
			std::ofstream(d.file("bad.ztr")) << corpus.header << c.line << "\n";
			for (const char *cmd : { "validate", "replay" }) {
				Args args = cmd == std::string("replay")
						    ? Args{ "replay", d.file("bad.ztr") }
						    : Args{ "trace", "validate", d.file("bad.ztr") };
				CliRun r = run(args);
				std::string prefix = cmd == std::string("replay")
							     ? "zpcisim replay: "
							     : "zpcisim trace validate: ";
				EXPECT_EQ(r.rc, 2) << cmd << ": " << c.line;
				EXPECT_EQ(r.err, prefix + d.file("bad.ztr") + ":5: " + c.error + "\n")
					<< cmd;
				EXPECT_EQ(r.out, "") << cmd;
			}
		}
	}
}

TEST(TraceCli, ValidateNamesTheFirstProblem)
{
	TempDir d;
	std::ofstream(d.file("v.ztr")) << "zpci-trace 1\nguest memory=1G\n"
					  "function 0 fid=1 fh=1 sdma=0 edma=0xffffffff\n"
					  "0 0 attach\n1 0 map 1 0x1000 100 to-device\n"
					  "2 0 dma 1 50 51 read\n";
	CliRun v = run({ "trace", "validate", d.file("v.ztr") });
	EXPECT_EQ(v.rc, 2);
	EXPECT_EQ(v.err, "zpcisim trace validate: " + d.file("v.ztr") +
				 ":6: dma: [50, +51) is outside ID 1 of 100 bytes\n");
	// A request's problem, at its line.
	std::ofstream(d.file("r.ztr")) << "zpci-trace 2\nguest memory=1G\n"
					  "function 0 fid=1 fh=1 sdma=0 edma=0xffffffff\n"
					  "0 0 attach\n1 0 map 1 0x1000 100 to-device req=5\n"
					  "2 0 dma 1 0 100 read req=5\n3 0 unmap 1\n";
	v = run({ "trace", "validate", d.file("r.ztr") });
	EXPECT_EQ(v.rc, 2);
	EXPECT_EQ(v.err, "zpcisim trace validate: " + d.file("r.ztr") +
				 ":7: unmap: ID 1 is held by request 5, which must end it\n");
}

// The zpcisim command line run in a child whose address space may grow by
// @headroom bytes only: what it said on stderr, and its exit status.
std::pair<std::string, int> run_with_headroom(const Args &args, size_t headroom)
{
	int fds[2];
	if (pipe(fds))
		return { "pipe failed", -1 };
	pid_t pid = fork();
	if (!pid) {
		close(fds[0]);
		long pages = 0;
		std::ifstream("/proc/self/statm") >> pages;
		rlimit lim;
		lim.rlim_cur = lim.rlim_max = pages * sysconf(_SC_PAGESIZE) + headroom;
		setrlimit(RLIMIT_AS, &lim);
		std::ostringstream out, err;
		int rc = run_cli(args, out, err);
		std::string text = err.str();
		if (write(fds[1], text.data(), text.size()) < 0)
			rc = 99;
		_exit(rc);
	}
	close(fds[1]);
	std::string text;
	char buf[512];
	for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;)
		text.append(buf, n);
	close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	return { text, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status) };
}

// Memory the configuration asks for and the machine cannot give is bad
// input: one line naming what was being built and the keys that size it.
TEST(Replay, OutOfMemoryNamesWhatWasBuiltAndItsKeys)
{
	if (test::kSanitized)
		GTEST_SKIP() << "the sanitizer reserves more address space than the limit leaves";
	auto [err, rc] = run_with_headroom({ "replay", kSamples + "net-small.ztr", "--mode",
					     "cycle", "--set", "iotlb.entries=1048576" },
					   16 << 20);
	EXPECT_EQ(rc, 2);
	EXPECT_EQ(err, "zpcisim replay: " + kSamples + "net-small.ztr: out of memory building a "
		       "guest of 1024 MiB under bare, iotlb.entries=1048576, guest_walk_cache.sx=64, "
		       "host_walk_cache.sx=92, stage2_cache.entries=128, walker.concurrent_walks=16, "
		       "function.outstanding=8, guest.fq_entries=0\n");
}

}  // namespace
}  // namespace zpcisim

namespace zpcisim {
namespace {

// The distributions in the stats: bounded, consistent with the counters.
TEST(Replay, StatsCarryBoundedSeriesAndHistograms)
{
	test::TempDir d;
	std::string trace = d.file("net.ztb"), stats = d.file("s.json");
	ASSERT_EQ(test::run({ "trace", "gen", "net", trace, "--records", "200000" }).rc, 0);
	test::CliRun r = test::run({ "replay", trace, "--design", "intercept-kvm", "--mode", "fast",
				     "--stats-json", stats });
	ASSERT_EQ(r.rc, 0) << r.err;
	nlohmann::json j = nlohmann::json::parse(std::ifstream(stats));

	const auto &series = j["pinned_bytes_series"];
	ASSERT_GT(series.size(), kPinnedSamples / 2);
	ASSERT_LE(series.size(), kPinnedSamples + 1);
	uint64_t peak = 0;
	for (size_t i = 1; i < series.size(); i++) {
		EXPECT_GE(series[i][0].get<uint64_t>(), series[i - 1][0].get<uint64_t>());
		peak = std::max(peak, series[i][1].get<uint64_t>());
	}
	EXPECT_LE(peak, j["design_report"]["peak_pinned_bytes"].get<uint64_t>());
	EXPECT_GT(peak, 0u);

	uint64_t latencies = 0;
	for (const auto &b : j["models"]["dma_latency_histogram_ns"])
		latencies += b[1].get<uint64_t>();
	EXPECT_EQ(latencies, j["models"]["requests"].get<uint64_t>());
	uint64_t stale = 0;
	for (const auto &b : j["stale_window_histogram_ns"])
		stale += b[1].get<uint64_t>();
	EXPECT_EQ(stale, j["stale_uses"].get<uint64_t>());
}

}  // namespace
}  // namespace zpcisim

namespace zpcisim {
namespace {

// Every block's own counters are in the stats, and they agree with each
// other and with the replay's summary: each walk fetch is a memory read,
// each translated request one timed access of its bytes.
// Every counter a block declares is described in the stats file, under the
// place it has there, and every description names a counter the file has.
TEST(Replay, StatsDescribeEveryBlocksCounters)
{
	test::TempDir d;
	std::string stats = d.file("s.json");
	test::CliRun r = test::run({ "replay", kSamples + "net-small.ztr", "--design",
				     "intercept-kvm", "--mode", "fast", "--stats-json", stats });
	ASSERT_EQ(r.rc, 0) << r.err;
	nlohmann::json j = nlohmann::json::parse(std::ifstream(stats));
	const nlohmann::json &described = j.at("descriptions");
	size_t functions = 0, design = 0, models = 0;
	for (const auto &[path, what] : described.items()) {
		EXPECT_FALSE(what.at("description").get<std::string>().empty()) << path;
		const nlohmann::json *v = nullptr;
		if (path.rfind("functions[].", 0) == 0) {
			v = &j["functions"][0].at(path.substr(12));
			functions++;
		} else if (path.rfind("design_report.", 0) == 0) {
			v = &j["design_report"].at(path.substr(14));
			design++;
			EXPECT_FALSE(what.at("unit").get<std::string>().empty()) << path;
		} else if (path.rfind("models.counters.", 0) == 0) {
			v = &j["models"]["counters"].at(path.substr(16));
			models++;
		}
		ASSERT_NE(v, nullptr) << path << " is not a place in the stats file";
		EXPECT_TRUE(v->is_number_unsigned()) << path;
	}
	// Every function counter is a block's, hence described.
	EXPECT_EQ(functions, j["functions"][0].size());
	EXPECT_EQ(models, j["models"]["counters"].size());
	// The design report adds three figures of its own to its blocks' counters.
	EXPECT_EQ(design + 3, j["design_report"].size());
}

TEST(Replay, StatsCarryEveryBlocksCounters)
{
	for (const char *design : { "bare", "nested-pinned" }) {
		test::TempDir d;
		std::string stats = d.file("s.json");
		test::CliRun r = test::run({ "replay", kSamples + "storage-small.ztb", "--design",
					     design, "--mode", "cycle", "--policy", "strict",
					     "--stats-json", stats });
		ASSERT_EQ(r.rc, 0) << r.err;
		nlohmann::json j = nlohmann::json::parse(std::ifstream(stats));
		const nlohmann::json &m = j["models"], &c = m["counters"];
		auto n = [&](const char *name) { return c.at(name).get<uint64_t>(); };

		EXPECT_EQ(n("dtu.requests"), m["requests"].get<uint64_t>()) << design;
		EXPECT_EQ(n("dtu.iotlb.hits"), m["iotlb_hits"].get<uint64_t>()) << design;
		EXPECT_EQ(n("dtu.walker.walks"), m["table_walks"].get<uint64_t>()) << design;
		EXPECT_GT(n("dtu.walker.walks"), 0u) << design;
		EXPECT_EQ(n("memory.reads"), n("dtu.walker.memory_refs")) << design;
		EXPECT_EQ(n("memory.bytes_read"), 8 * n("memory.reads")) << design;
		EXPECT_EQ(n("memory.writes"), 0u) << design;
		EXPECT_EQ(n("memory.timed_only"), n("dtu.translations")) << design;
		EXPECT_EQ(n("memory.bytes_timed_only"), j["dma_bytes"].get<uint64_t>()) << design;
		EXPECT_EQ(n("function0.dma_read_bytes") + n("function0.dma_write_bytes"),
			  j["dma_bytes"].get<uint64_t>())
			<< design;
		// A scatter list's access is one per element it touches.
		EXPECT_GT(n("function0.accesses"), j["dma_accesses"].get<uint64_t>()) << design;
		EXPECT_EQ(n("function0.requests"), n("dtu.requests")) << design;
		EXPECT_EQ(n("cpu.rpcit_ns"), j["cpu_rpcit_ns"].get<uint64_t>()) << design;
		EXPECT_GT(n("cpu.rpcits"), 0u) << design;
	}
}

// Faults injected from the configuration: each one fires, the recovery
// path that answers it counts it, and nothing leaks or breaks isolation.
TEST(Replay, InjectedFaultsAreRecoveredWithoutLeaksOrViolations)
{
	test::TempDir d;
	std::string stats = d.file("s.json");
	for (const char *design : { "bare", "intercept-kvm", "nested-pinned", "identity-pinned" }) {
		for (const char *set : { "inject.rpcit_busy_every=3", "inject.rpcit_fail_every=5",
					 "inject.table_nomem_every=2", "inject.function_error_at_ns=100000" }) {
			SCOPED_TRACE(std::string(design) + " " + set);
			test::CliRun r = test::run({ "replay", kSamples + "net-small.ztr", "--policy",
						     "strict", "--design", design, "--set", set,
						     "--stats-json", stats });
			ASSERT_EQ(r.rc, 0) << r.err;
			nlohmann::json j = nlohmann::json::parse(std::ifstream(stats));
			const auto &f = j["functions"][0];
			const auto &dr = j["design_report"];
			uint64_t injected = j["injected_faults"];
			bool identity = std::string(design) == "identity-pinned";
			EXPECT_EQ(j["isolation_violations"], 0);
			EXPECT_TRUE(dr["pins_balanced"].get<bool>());
			std::string s = set;
			if (s.find("function_error") != std::string::npos) {
				EXPECT_EQ(injected, 1u);
				EXPECT_GT(j["dma_faults"].get<uint64_t>(), 0u);
				EXPECT_EQ(f["error_events"], 1);
				continue;
			}
			if (identity) {
				EXPECT_EQ(injected, 0u) << "no RPCIT, no table";
				continue;
			}
			ASSERT_GT(injected, 0u);
			if (s.find("busy") != std::string::npos)
				EXPECT_EQ(f["busy_retries"], injected) << "the guest retries, the host not";
			else if (s.find("fail") != std::string::npos)
				EXPECT_EQ(f["insufficient_resources"], injected);
			else
				EXPECT_EQ(j["map_failures"], injected);
		}
	}
}

// A one-function trace of @records after its header, in @d.
std::string small_trace(const test::TempDir &d, const std::string &guest_memory,
			const std::string &function, const std::string &records)
{
	std::string path = d.file("t.ztr");
	std::ofstream(path) << "zpci-trace 1\nguest memory=" << guest_memory << " cpus=1\n"
			    << "function 0 fid=0x10 fh=0x100 pfgid=1 " << function << " refresh=0\n"
			    << records;
	return path;
}

const std::string kFunction = "sdma=0x100000000 edma=0x1ffffffff";

// A guest the machine cannot hold is bad input, refused before a record runs
// and before anything is allocated: a machine that tried (a pinned terabyte
// took 173 s and 12 GB) finds no room in the child's few spare megabytes.
TEST(Replay, GuestMemoryTheMachineCannotHoldIsBadInput)
{
	if (test::kSanitized)
		GTEST_SKIP() << "the sanitizer reserves more address space than the limit leaves";
	test::TempDir d;
	const struct {
		const char *memory, *design, *why;
	} cases[] = {
		{ "64M", "bare", "guest memory of 64 MiB: must be more than the 64 MiB its DMA tables "
				 "come from, in whole 2 MiB chunks, and below 4 PiB" },
		{ "32T", "identity-pinned", "guest memory of 32 TiB: identity-pinned maps all of it "
					    "up front in 262160 KiB of host tables for 1 function(s), "
					    "more than the hypervisor's 192 MiB table pool" },
		{ "1024T", "intercept-kvm", "guest memory of 1 PiB: intercept-kvm would keep 24576 "
					    "MiB of simulator state for it, more than the 2048 MiB "
					    "a machine may" },
	};
	for (const auto &c : cases) {
		std::string t = small_trace(d, c.memory, kFunction, "0 0 attach\n");
		auto [err, rc] = run_with_headroom({ "replay", t, "--design", c.design }, 32 << 20);
		EXPECT_EQ(rc, 2) << c.memory;
		EXPECT_EQ(err, "zpcisim replay: " + t + ": header: " + c.why + "\n");
	}
}

// An attach the function's values make impossible names the record and the
// value: "attach failed: Invalid argument" said neither.
TEST(Replay, AttachRefusalNamesTheRecordAndTheValue)
{
	test::TempDir d;
	const struct {
		const char *function, *why;
	} cases[] = {
		{ "sdma=0x40000000000 edma=0x50000000000",
		  "sdma 0x40000000000: the guest's region-third table spans only IOVAs below "
		  "0x40000000000" },
		{ "sdma=0x100000000 edma=0x100000fff", "" },
		{ "sdma=0x100000000 edma=0x1000007ff",
		  "sdma 0x100000000 to edma 0x1000007ff: an aperture of 2048 bytes, less than a page" },
		{ "sdma=0x100000001 edma=0x100000fff",
		  "sdma 0x100000001 to edma 0x100000fff: no whole page (the first starts at "
		  "0x100001000)" },
	};
	for (const auto &c : cases) {
		std::string t = small_trace(d, "256M", c.function, "0 0 attach\n");
		test::CliRun r = test::run({ "replay", t });
		if (!*c.why) {
			EXPECT_EQ(r.rc, 0) << r.err;
			continue;
		}
		EXPECT_EQ(r.rc, 2);
		EXPECT_EQ(r.err, "zpcisim replay: " + t + ":4: function 0 attach failed: " + c.why +
					 "\n");
	}
}

// A record of no bytes says so, not that it lies outside guest memory.
TEST(Replay, ZeroLengthMapIsNamed)
{
	test::TempDir d;
	std::string t = small_trace(d, "256M", kFunction, "0 0 attach\n0 0 map 1 0x1000 0 to-device\n");
	test::CliRun r = test::run({ "replay", t });
	EXPECT_EQ(r.rc, 2);
	EXPECT_EQ(r.err, "zpcisim replay: " + t + ":5: map: zero-length map\n");
}

// An injected fault the guest cannot get past is a failed check (exit 1),
// and the message says it was injected; the same trace without it is fine.
TEST(Replay, InjectedFaultThatStopsTheGuestIsACheckFailure)
{
	for (const char *timing : { "trace", "closed" }) {
		test::CliRun r = test::run({ "replay", kSamples + "net-small.ztr", "--timing", timing,
					     "--set", "inject.table_nomem_every=1" });
		EXPECT_EQ(r.rc, 1) << timing;
		EXPECT_EQ(r.err.rfind("zpcisim replay: " + kSamples + "net-small.ztr", 0), 0u) << r.err;
		EXPECT_NE(r.err.find("function 0 attach failed: Cannot allocate memory after an "
				     "injected fault; the guest cannot use the function\n"),
			  std::string::npos)
			<< r.err;
		EXPECT_EQ(test::run({ "replay", kSamples + "net-small.ztr", "--timing", timing }).rc, 0);
	}
}

// A function that always answers busy: every guest RPCIT is tried the
// guest's busy_retries + 1 times and no more, whoever intercepts it (a
// host retrying inside the guest's loop made it a million per RPCIT).
TEST(Replay, BusyRetriesAreBoundedByTheGuestUnderEveryDesign)
{
	test::TempDir d;
	std::string stats = d.file("s.json");
	for (const char *design : { "bare", "intercept-kvm", "intercept-user", "nested-pinned" }) {
		for (const char *mode : { "functional", "cycle" }) {
			SCOPED_TRACE(std::string(design) + " " + mode);
			test::CliRun r = test::run({ "replay", kSamples + "net-small.ztr", "--design",
						     design, "--mode", mode, "--policy", "strict", "--set",
						     "inject.rpcit_busy_every=1", "--stats-json", stats });
			ASSERT_EQ(r.rc, 0) << r.err;
			nlohmann::json j = nlohmann::json::parse(std::ifstream(stats));
			const auto &f = j["functions"][0];
			uint64_t issued = f["global_rpcits"].get<uint64_t>() +
					  f["sync_map_rpcits"].get<uint64_t>() +
					  f["sync_rpcits"].get<uint64_t>();
			ASSERT_GT(issued, 0u);
			EXPECT_EQ(f["rpcits"], issued * (ZPCI_DMA_BUSY_RETRIES_DEFAULT + 1));
			EXPECT_EQ(f["busy_retries"], issued * ZPCI_DMA_BUSY_RETRIES_DEFAULT);
		}
	}
}

}  // namespace
}  // namespace zpcisim
