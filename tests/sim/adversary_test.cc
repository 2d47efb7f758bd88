// SPDX-License-Identifier: MIT
// The adversarial device (adversary.*): a device that DMAs again into the
// buffers the guest unmapped, on any trace's own mapping pattern.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "support/cli_run.h"
#include "support/temp_dir.h"

namespace zpcisim {
namespace {

using test::CliRun;
using test::line_of;
using test::run;

const std::string kSamples = ZPCISIM_SOURCE_DIR "/traces/samples/";

// A buffer unmapped at 300 and one unmapped at 6000; the guest's own
// access to the second at 5000.
const char kTwoBuffers[] =
	"zpci-trace 1\nguest memory=1G cpus=1\n"
	"function 0 fid=0x10 fh=0x100 pfgid=1 sdma=0x100000000 edma=0x1ffffffffffffff\n"
	"0    0 attach\n"
	"100  0 map 1 0x200000 4096 from-device\n"
	"200  0 dma 1 0 64 write\n"
	"300  0 unmap 1\n"
	"400  0 map 2 0x300000 4096 from-device\n"
	"5000 0 dma 2 0 64 write\n"
	"6000 0 unmap 2\n"
	"8000 0 detach\n";

CliRun replay(const std::string &trace, const std::vector<std::string> &extra)
{
	Args args = { "replay", trace };
	args.insert(args.end(), extra.begin(), extra.end());
	return run(args);
}

TEST(Adversary, StaleUnderLazyFromTheUnmapByTheDelay)
{
	test::TempDir d;
	std::ofstream(d.file("t.ztr")) << kTwoBuffers;
	for (const char *design : { "bare", "intercept-kvm", "nested-pinned" }) {
		CliRun r = replay(d.file("t.ztr"), { "--design", design, "--set", "adversary.every=1",
						      "--set", "adversary.delay_ns=1000" });
		ASSERT_EQ(r.rc, 0) << design << ": " << r.err;
		EXPECT_EQ(line_of(r.out, "adversary"),
			  "2 accesses 1000 ns after every unmap: 2 stale, 0 to a buffer mapped again, "
			  "0 faulted")
			<< design;
		// Each of its pages once; the window is the delay, to the ns.
		EXPECT_EQ(line_of(r.out, "stale_uses"), "2") << design;
		EXPECT_EQ(line_of(r.out, "stale_window_max_ns"), "1000") << design;
		// The trace's two, a touch before each unmap, a re-access after.
		EXPECT_EQ(line_of(r.out, "device_accesses"), "6") << design;
	}
}

TEST(Adversary, UnderStrictItFaultsAndTheFunctionIsRecoveredOrLeftBlocked)
{
	test::TempDir d;
	std::ofstream(d.file("t.ztr")) << kTwoBuffers;
	const std::vector<std::string> strict = { "--policy", "strict", "--set", "adversary.every=1",
						  "--set", "adversary.delay_ns=1000" };
	CliRun r = replay(d.file("t.ztr"), strict);
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_EQ(line_of(r.out, "adversary"),
		  "2 accesses 1000 ns after every unmap: 0 stale, 0 to a buffer mapped again, "
		  "2 faulted");
	// The guest's own access at 5000 went through: the function was reset.
	EXPECT_EQ(line_of(r.out, "dma_faults"), "2");
	EXPECT_EQ(line_of(r.out, "error_events"), "2");

	std::vector<std::string> fenced = strict;
	fenced.insert(fenced.end(), { "--set", "adversary.recover=false" });
	r = replay(d.file("t.ztr"), fenced);
	EXPECT_EQ(line_of(r.out, "adversary"),
		  "2 accesses 1000 ns after every unmap: 0 stale, 0 to a buffer mapped again, "
		  "1 faulted, 1 blocked (function in the error state)");
	// And the guest's own access at 5000 and the touch at 6000.
	EXPECT_EQ(line_of(r.out, "dma_faults"), "4");
	EXPECT_EQ(line_of(r.out, "error_events"), "1");
}

TEST(Adversary, EveryNthUnmapAndNothingPastTheTracesEnd)
{
	test::TempDir d;
	std::ofstream(d.file("t.ztr")) << kTwoBuffers;
	CliRun r = replay(d.file("t.ztr"),
			  { "--set", "adversary.every=2", "--set", "adversary.delay_ns=1000" });
	EXPECT_EQ(line_of(r.out, "adversary"),
		  "1 accesses 1000 ns after one unmap in 2: 1 stale, 0 to a buffer mapped again, "
		  "0 faulted");
	// Due at 6300 and 11000: the second after the last record.
	r = replay(d.file("t.ztr"),
		   { "--set", "adversary.every=1", "--set", "adversary.delay_ns=5000",
		     "--set", "adversary.bytes=16" });
	EXPECT_EQ(line_of(r.out, "adversary"),
		  "1 accesses 5000 ns after every unmap: 1 stale, 0 to a buffer mapped again, "
		  "0 faulted; 1 due after the trace's end, not made");
	EXPECT_EQ(line_of(r.out, "device_bytes"), "176");	// 2 x 64, 3 x 16
	r = replay(d.file("t.ztr"), {});
	EXPECT_EQ(line_of(r.out, "adversary"), "");
}

// @trace with the adversary's accesses written in as dma-iova records, by
// the trace's own iova= handles (a capture's, which the replayed guest
// returns too): a touch just before each unmap, and a re-access @delay
// later, before the first record after the unmap that is as late (none
// past the last record), in the order they fell due.
std::string with_reaccesses(const std::string &trace, uint64_t delay)
{
	struct Reaccess {
		size_t before;	// the record it comes before
		uint64_t due;
		size_t seq;
		std::string text;
	};
	std::istringstream in(trace);
	std::string out, line;
	std::vector<std::pair<uint64_t, std::string>> recs;	// time, line
	std::vector<std::pair<size_t, Reaccess>> planned;	// the unmap's index
	std::map<std::string, std::string> live;	// id: "IOVA LEN ACCESS"

	while (std::getline(in, line)) {
		std::istringstream f(line);
		uint64_t time;
		std::string fn, kind, id;
		if (!(f >> time >> fn >> kind)) {
			out += line + "\n";
			continue;
		}
		f >> id;
		if (kind == "map" || kind == "alloc") {
			std::string pa, len, dir, key, iova;
			f >> pa >> len;
			if (kind == "map")
				f >> dir;
			while (f >> key)
				if (key.rfind("iova=", 0) == 0)
					iova = key.substr(5);
			if (!iova.empty())
				live[id] = iova + " " + len + (dir == "to-device" ? " read" : " write");
		} else if ((kind == "unmap" || kind == "free") && live.count(id)) {
			std::string access = " " + fn + " dma-iova " + live[id];
			recs.push_back({ time, std::to_string(time) + access });
			planned.push_back({ recs.size(), { 0, time + delay, planned.size(),
							   std::to_string(time + delay) + access } });
			live.erase(id);
		}
		recs.push_back({ time, line });
	}
	std::vector<Reaccess> made;
	for (auto &[unmap, r] : planned) {
		r.before = unmap + 1;
		while (r.before < recs.size() && recs[r.before].first < r.due)
			r.before++;
		if (r.before < recs.size())
			made.push_back(r);
	}
	std::sort(made.begin(), made.end(), [](const Reaccess &a, const Reaccess &b) {
		return std::tie(a.before, a.due, a.seq) < std::tie(b.before, b.due, b.seq);
	});
	auto next = made.begin();
	for (size_t i = 0; i < recs.size(); i++) {
		for (; next != made.end() && next->before == i; ++next)
			out += next->text + "\n";
		out += recs[i].second + "\n";
	}
	return out;
}

// The reference: the same accesses written into the trace by hand give the
// same stale uses, faults, digest and checks against the kernel, under the
// lazy policies (where the re-accesses hit the stale IOTLB entries).
TEST(Adversary, EqualsItsAccessesWrittenIntoTheTrace)
{
	struct Case {
		const char *capture;
		std::vector<std::string> guest;
	};
	const Case cases[] = {
		{ "real/net-linux-6.1.ztr", { "--policy", "lazy" } },
		{ "real/net-linux-6.12.ztr", { "--guest", "linux-6.7", "--policy", "flush-queue" } },
	};
	test::TempDir d;
	for (const Case &c : cases)
		for (uint64_t delay : { 0, 2000, 5000000 }) {
			std::string capture = test::slurp(kSamples + c.capture);
			std::ofstream(d.file("ref.ztr")) << with_reaccesses(capture, delay);
			std::vector<std::string> adversary = c.guest;
			adversary.insert(adversary.end(),
					 { "--set", "adversary.every=1", "--set",
					   "adversary.delay_ns=" + std::to_string(delay) });
			CliRun adv = replay(kSamples + c.capture, adversary);
			CliRun ref = replay(d.file("ref.ztr"), c.guest);
			ASSERT_EQ(ref.rc, 0) << ref.err;
			ASSERT_EQ(adv.rc, 0) << adv.err;
			for (const char *key :
			     { "device_accesses", "device_bytes", "stale_uses", "stale_window_max_ns",
			       "dma_faults", "error_events", "translation_digest", "rpcit_check",
			       "iova_check" })
				EXPECT_EQ(line_of(adv.out, key), line_of(ref.out, key))
					<< c.capture << ", " << delay << " ns: " << key;
			EXPECT_NE(line_of(adv.out, "stale_uses"), "0") << c.capture;
		}
}

// Under strict every re-access faults, and with the function recovered
// each time the guest goes on as if there had been none: its RPCITs and
// IOVAs still agree with the kernel's.
TEST(Adversary, UnderStrictEveryReaccessFaultsAndTheGuestIsUnaffected)
{
	const std::string capture = kSamples + "real/net-linux-6.12-strict.ztr";
	const std::vector<std::string> strict = { "--guest", "linux-6.7", "--policy", "strict" };
	CliRun plain = replay(capture, strict);
	std::vector<std::string> adversary = strict;
	adversary.insert(adversary.end(), { "--set", "adversary.every=1", "--set",
					    "adversary.delay_ns=1000" });
	CliRun adv = replay(capture, adversary);
	ASSERT_EQ(adv.rc, 0) << adv.err;
	EXPECT_EQ(line_of(adv.out, "rpcit_check"), line_of(plain.out, "rpcit_check"));
	EXPECT_EQ(line_of(adv.out, "iova_check"), line_of(plain.out, "iova_check"));
	EXPECT_EQ(line_of(adv.out, "rpcit_check").rfind("ok, ", 0), 0u);
	std::string unmaps = line_of(adv.out, "adversary");
	uint64_t made = std::stoull(unmaps);
	EXPECT_GT(made, 0u);
	EXPECT_NE(unmaps.find(": 0 stale, 0 to a buffer mapped again, " + std::to_string(made) +
			      " faulted"),
		  std::string::npos)
		<< unmaps;
	EXPECT_EQ(line_of(adv.out, "stale_uses"), "0");
	EXPECT_EQ(line_of(adv.out, "error_events"), std::to_string(made));
}

}  // namespace
}  // namespace zpcisim
