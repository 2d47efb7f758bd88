// SPDX-License-Identifier: MIT
// Closed-loop timing: the scheduler against schedules worked out by hand,
// its conservation laws, and whole replays whose throughput must follow
// the bottleneck.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <random>
#include <sstream>
#include <map>
#include <nlohmann/json.hpp>

#include "schedule.h"
#include "support/cli_run.h"
#include "support/temp_dir.h"

namespace zpcisim {
namespace {

using test::run;
using test::slurp;
using test::TempDir;

// Jobs given up front, and a runner whose costs are given per phase.
struct Script : JobSource, Runner {
	struct Work {
		std::vector<Segment> segs;	// CPU phases
		uint64_t link_ns = 0;		// transfers
	};
	std::vector<std::deque<Job>> queued;
	std::map<std::pair<uint64_t, size_t>, Work> work;	// (handle, phase)
	std::map<uint64_t, uint64_t> done_at;
	std::map<uint64_t, int> done_count;
	std::map<uint64_t, int> retries;	// runs that end "could not start"
	std::vector<std::pair<uint64_t, uint64_t>> started;	// (handle, time), CPU phases

	explicit Script(uint32_t fns) : queued(fns) {}

	void add(Job j, std::vector<Work> phases)
	{
		for (size_t i = 0; i < phases.size(); i++)
			work[{ j.handle, i }] = phases[i];
		queued[j.fn].push_back(std::move(j));
	}
	bool next(uint32_t fn, Job *job) override
	{
		if (queued[fn].empty())
			return false;
		*job = queued[fn].front();
		queued[fn].pop_front();
		return true;
	}
	void cpu(const Job &job, size_t phase, uint64_t now, std::vector<Segment> *out) override
	{
		started.push_back({ job.handle, now });
		*out = work.at({ job.handle, phase }).segs;
	}
	uint64_t transfer(const Job &job, size_t phase, uint64_t) override
	{
		return work.at({ job.handle, phase }).link_ns;
	}
	Outcome done(const Job &job, uint64_t now) override
	{
		done_at[job.handle] = now;
		done_count[job.handle]++;
		if (retries[job.handle] > 0) {
			retries[job.handle]--;
			return Outcome::Retry;
		}
		return Outcome::Done;
	}
};

Job request(uint64_t handle, uint32_t cpu, uint64_t bytes, uint32_t fn = 0)
{
	Job j;
	j.handle = handle;
	j.fn = fn;
	j.phases = { { false, cpu, 0, 0 }, { true, 0, 0, 0 }, { false, cpu, 0, 0 } };
	j.bytes = bytes;
	return j;
}

Segment guest(uint64_t ns)
{
	return { ns, CpuRole::Guest, kNoLock };
}

// Three requests, queue depth 2, one vCPU: submit 100, transfer 1000,
// device latency 500, complete 200.
//   r0: submit 0-100, link 100-1100, done 1600, complete 1600-1800
//   r1: submit 100-200, link 1100-2100 (waits for r0's), done 2600,
//       complete 2600-2800
//   r2: enters when r0 completes (1800): submit 1800-1900, link 2100-3100,
//       done 3600, complete 3600-3800
TEST(Schedule, ThreeRequestsAtDepthTwoByHand)
{
	Script s(1);
	for (uint64_t h = 0; h < 3; h++)
		s.add(request(h, 0, 4096), { { { guest(100) } }, { {}, 1000 }, { { guest(200) } } });
	ScheduleParams p;
	p.queue_depth = { 2 };
	p.device_latency_ns = 500;
	Scheduler sched(p, s, s);
	const ScheduleResult &r = sched.run();

	EXPECT_EQ(s.done_at[0], 1800u);
	EXPECT_EQ(s.done_at[1], 2800u);
	EXPECT_EQ(s.done_at[2], 3800u);
	EXPECT_EQ(r.end_ns, 3800u);
	EXPECT_EQ(r.latency_ns.max(), 2800u);	// r1: 0 to 2800
	EXPECT_EQ(r.vcpu_busy_ns[0], 900u);
	EXPECT_EQ(r.link_busy_ns[0], 3000u);
	EXPECT_EQ(r.requests, 3u);
	EXPECT_EQ(r.bytes, 3u * 4096);
}

// Requests of 100 submit, 1000 transfer, 100 complete at depth 2, no device
// latency; r1 could not start the first time.  r0 0-100, link 100-1100,
// 1100-1200 done; r1 100-200, link 1100-2100, 2100-2200: retry, and r2 is
// in flight (entered at 1200: 1200-1300, link 2100-3100), so r1 waits for
// its completion, 3100-3200; then r1 again 3200-3300, link 3300-4300,
// 4300-4400.
TEST(Schedule, ARetryRunsAgainWhenAnotherRequestCompletes)
{
	Script s(1);
	for (uint64_t h = 0; h < 3; h++)
		s.add(request(h, 0, 4096), { { { guest(100) } }, { {}, 1000 }, { { guest(100) } } });
	s.retries[1] = 1;
	ScheduleParams p;
	p.queue_depth = { 2 };
	p.retry_delay_ns = 5000;
	Scheduler sched(p, s, s);
	const ScheduleResult &r = sched.run();

	EXPECT_EQ(s.done_at[0], 1200u);
	EXPECT_EQ(s.done_at[2], 3200u);
	EXPECT_EQ(s.done_at[1], 4400u);
	EXPECT_EQ(s.done_count[1], 2);
	EXPECT_EQ(r.latency_ns.max(), 4400u);	// r1, from its first admission
	EXPECT_EQ(r.vcpu_busy_ns[0], 800u);
	EXPECT_EQ(r.link_busy_ns[0], 4000u);
	EXPECT_EQ(r.requests, 3u);
	EXPECT_EQ(r.retries, 1u);
	EXPECT_EQ(r.bytes, 3u * 4096);
}

// Alone in flight, a retry waits for the delay: r0 0-100, link 100-1100,
// 1100-1200, again at 6200: 6200-6300, link 6300-7300, 7300-7400; r1
// enters then and is done at 8600.  With no retries allowed r0 fails.
TEST(Schedule, ARetryAloneWaitsForTheDelayAndTheBoundFailsIt)
{
	for (uint32_t bound : { 1000u, 0u }) {
		Script s(1);
		for (uint64_t h = 0; h < 2; h++)
			s.add(request(h, 0, 4096),
			      { { { guest(100) } }, { {}, 1000 }, { { guest(100) } } });
		s.retries[0] = 1;
		ScheduleParams p;
		p.queue_depth = { 1 };
		p.retry_delay_ns = 5000;
		p.max_idle_retries = bound;
		Scheduler sched(p, s, s);
		const ScheduleResult &r = sched.run();

		if (bound) {
			EXPECT_EQ(s.done_at[0], 7400u);
			EXPECT_EQ(r.end_ns, 8600u);
			EXPECT_EQ(r.requests, 2u);
			EXPECT_EQ(r.failed, 0u);
		} else {
			EXPECT_EQ(s.done_at[0], 1200u);
			EXPECT_EQ(r.end_ns, 2400u);
			EXPECT_EQ(r.requests, 1u);
			EXPECT_EQ(r.failed, 1u);
			EXPECT_EQ(r.bytes, 4096u);
		}
	}
}

// Two vCPUs, one lock: both requests need it for 300 after 100 of guest
// work.  vCPU 1 waits for vCPU 0's hold (100-400), then holds 400-700.
TEST(Schedule, ALockSerialisesTheHandlersAndBlocksTheWaiter)
{
	Script s(1);
	for (uint64_t h = 0; h < 2; h++) {
		Job j;
		j.handle = h;
		j.fn = 0;
		j.phases = { { false, (uint32_t)h, 0, 0 } };
		s.add(j, { { { guest(100), { 300, CpuRole::Hypervisor, 0 } } } });
	}
	ScheduleParams p;
	p.cpus = 2;
	p.locks = 1;
	p.queue_depth = { 2 };
	Scheduler sched(p, s, s);
	const ScheduleResult &r = sched.run();

	EXPECT_EQ(s.done_at[0], 400u);
	EXPECT_EQ(s.done_at[1], 700u);
	EXPECT_EQ(r.vcpu_blocked_ns[1], 300u);
	EXPECT_EQ(r.vcpu_blocked_ns[0], 0u);
	EXPECT_EQ(r.lock_held_ns[0], 600u);
	EXPECT_EQ(r.cpu_ns[static_cast<int>(CpuRole::Hypervisor)], 600u);
}

// A fence waits for what is in flight and holds back what comes after.
TEST(Schedule, AFenceRunsAlone)
{
	Script s(1);
	Job fence;
	fence.handle = 1;
	fence.fn = 0;
	fence.fence = true;
	fence.phases = { { false, 0, 0, 0 } };
	s.add(request(0, 0, 0), { { { guest(100) } }, { {}, 1000 }, { { guest(100) } } });
	s.add(fence, { { { guest(50) } } });
	s.add(request(2, 0, 0), { { { guest(100) } }, { {}, 10 }, { { guest(100) } } });
	ScheduleParams p;
	p.queue_depth = { 8 };
	Scheduler sched(p, s, s);
	const ScheduleResult &r = sched.run();

	EXPECT_EQ(s.done_at[0], 1200u);
	EXPECT_EQ(s.done_at[1], 1250u);
	EXPECT_EQ(s.started.back(), std::make_pair(uint64_t(2), uint64_t(1360)));
	EXPECT_EQ(r.requests, 2u);
	EXPECT_EQ(r.fences, 1u);
}

// A job that uses a mapping another made waits for that one to complete,
// holding its slot: r1 (100 of CPU) after r0 (CPU 100, link 1000).
TEST(Schedule, AJobWaitsForTheJobWhoseMappingItUses)
{
	Script s(1);
	s.add(request(0, 0, 0), { { { guest(100) } }, { {}, 1000 }, { { guest(100) } } });
	Job j;
	j.handle = 1;
	j.fn = 0;
	j.phases = { { false, 0, 0, 0 } };
	j.after = { 0 };
	s.add(j, { { { guest(100) } } });
	ScheduleParams p;
	p.queue_depth = { 8 };
	Scheduler sched(p, s, s);
	sched.run();

	EXPECT_EQ(s.done_at[0], 1200u);
	EXPECT_EQ(s.done_at[1], 1300u);
}

// Conservation on a random mix of functions, vCPUs, locks, depths and
// retries: every job completes once plus once per retry, the busy time is
// the cost handed out (a retry's phases cost again), the bytes are the
// requests'.
TEST(Schedule, ConservesWorkOnRandomJobs)
{
	for (uint32_t seed = 1; seed <= 20; seed++) {
		std::mt19937_64 rng(seed);
		Script s(3);
		uint64_t bytes = 0, cost = 0, jobs = 120, retries = 0;
		std::map<uint64_t, int> runs;
		for (uint64_t h = 0; h < jobs; h++) {
			Job j = request(h, rng() % 4, rng() % 65536, rng() % 3);
			j.fence = rng() % 17 == 0;
			int again = !j.fence && rng() % 4 == 0 ? 1 + rng() % 2 : 0;
			s.retries[h] = again;
			retries += again;
			runs[h] = 1 + again;
			std::vector<Script::Work> w(3);
			for (size_t ph : { 0, 2 }) {
				for (int k = rng() % 4; k >= 0; k--) {
					int lock = rng() % 3 == 0 ? (int)(rng() % 2) : kNoLock;
					w[ph].segs.push_back({ rng() % 1000, CpuRole(rng() % 3), lock });
					cost += w[ph].segs.back().ns * (1 + again);
				}
			}
			w[1].link_ns = rng() % 5000;
			bytes += j.fence ? 0 : j.bytes;
			s.add(j, w);
		}
		ScheduleParams p;
		p.cpus = 4;
		p.locks = 2;
		p.queue_depth = { 1, 4, 16 };
		p.device_latency_ns = rng() % 3000;
		Scheduler sched(p, s, s);
		const ScheduleResult &r = sched.run();

		EXPECT_EQ(s.done_count.size(), jobs) << "seed " << seed;
		for (const auto &[h, n] : s.done_count)
			EXPECT_EQ(n, runs[h]) << "job " << h << ", seed " << seed;
		EXPECT_EQ(r.retries, retries) << "seed " << seed;
		EXPECT_EQ(r.failed, 0u) << "seed " << seed;
		uint64_t busy = 0, by_role = 0;
		for (uint64_t b : r.vcpu_busy_ns)
			busy += b;
		for (uint64_t b : r.cpu_ns)
			by_role += b;
		EXPECT_EQ(busy, cost) << "seed " << seed;
		EXPECT_EQ(by_role, cost) << "seed " << seed;
		EXPECT_EQ(r.cost_ns, cost) << "seed " << seed;
		EXPECT_EQ(r.bytes, bytes) << "seed " << seed;
		EXPECT_EQ(r.requests + r.fences, jobs) << "seed " << seed;
	}
}

// Whole replays.

const char kThree[] = "zpci-trace 1\n"
		      "guest memory=128M cpus=1\n"
		      "function 0 fid=0x10 fh=0x100 sdma=0x100000000 edma=0x1ffffffff\n"
		      "0 0 attach\n"
		      "10 0 map 1 0x10000 4096 to-device\n"
		      "20 0 dma 1 0 4096 read\n"
		      "30 0 unmap 1\n"
		      "40 0 map 2 0x20000 4096 to-device\n"
		      "50 0 dma 2 0 4096 read\n"
		      "60 0 unmap 2\n"
		      "70 0 map 3 0x30000 4096 to-device\n"
		      "80 0 dma 3 0 4096 read\n"
		      "90 0 unmap 3\n"
		      "100 0 detach\n";

// Round costs, so that the schedule can be worked out by hand: a DMA-API
// call 100, an RPCIT 1000, a SIE exit 500, a 4 KiB transfer 1000 (4096
// MB/s), the device's latency 1000; nothing else costs.
const std::vector<std::string> kRoundCosts = {
	"--timing", "closed", "--policy", "strict",
	"--set", "device.queue_depth=2", "--set", "device.latency_ns=1000",
	"--set", "device.bandwidth_mb_s=4096", "--set", "cost.dma_call_ns=100",
	"--set", "cost.table_entry_ns=0", "--set", "cost.rpcit_base_ns=1000",
	"--set", "cost.rpcit_per_page_ns=0", "--set", "cost.sie_exit_ns=500",
	"--set", "cost.walk_entry_ns=0", "--set", "cost.pin_page_ns=0",
	"--set", "cost.unpin_page_ns=0",
};

nlohmann::json replay_closed(const std::string &trace, const std::string &design,
			     std::vector<std::string> extra, std::string *summary = nullptr)
{
	TempDir dir;
	std::vector<std::string> args = { "replay", trace, "--design", design,
					  "--stats-json", dir.file("s.json") };
	args.insert(args.end(), extra.begin(), extra.end());
	test::CliRun r = run(args);
	EXPECT_EQ(r.rc, 0) << r.err;
	if (summary)
		*summary = r.out;
	nlohmann::json j = nlohmann::json::parse(slurp(dir.file("s.json")));
	// Conservation, on every closed-loop replay here.
	const nlohmann::json &c = j["closed_loop"];
	uint64_t busy = 0, roles = 0;
	for (uint64_t b : c["vcpu_busy_ns"])
		busy += b;
	for (const auto &[role, ns] : c["cpu_ns"].items())
		roles += ns.get<uint64_t>();
	EXPECT_EQ(busy, roles);
	EXPECT_EQ(c["bytes"], j["dma_bytes"]);
	EXPECT_NEAR(c["bytes_per_s"].get<double>() * c["run_ns"].get<double>() / 1e9,
		    c["bytes"].get<double>(), 1e-6 * c["bytes"].get<double>() + 1e-9);
	return j;
}

std::string write(const TempDir &dir, const std::string &name, const std::string &text)
{
	std::ofstream(dir.file(name)) << text;
	return dir.file(name);
}

// Bare: each map 100; each unmap 100 + its RPCIT 1000; attach and detach
// 100 each.  r1 and r2 enter after attach (100):
//   r1 map 100-200, link 200-1200, done 2200; r2 map 200-300, link
//   1200-2200, done 3200; r1 unmap 2200-3300 (done: r3 enters);
//   r2 unmap 3300-4400 (queued at 3200, before r3's map at 3300);
//   r3 map 4400-4500, link 4500-5500, done 6500, unmap 6500-7600;
//   detach 7600-7700.  Latencies 3200, 4300, 4300.
TEST(ClosedLoop, BareScheduleMatchesTheHandWorkedOne)
{
	TempDir dir;
	nlohmann::json j = replay_closed(write(dir, "t.ztr", kThree), "bare", kRoundCosts);
	const nlohmann::json &c = j["closed_loop"];

	EXPECT_EQ(c["run_ns"], 7700);
	EXPECT_EQ(c["requests"], 3);
	EXPECT_EQ(c["latency_ns"]["p50"], 4300);
	EXPECT_EQ(c["latency_ns"]["max"], 4300);
	EXPECT_EQ(c["cpu_ns"]["guest"], 8 * 100 + 3 * 1000);
	EXPECT_EQ(c["link_busy_ns"][0], 3000);
}

// A request whose buffer the guest could not map moves nothing.  A driver
// that drops it (no retries) fails it, outside the throughput; blk-mq's
// requeue runs it again until its map succeeds.  With every third new pin
// failing, two maps fail.
TEST(ClosedLoop, RequestsWhoseMappingFailedFailOrRunAgain)
{
	TempDir dir;
	std::string trace = write(dir, "t.ztr", kThree);
	std::vector<std::string> extra = kRoundCosts;
	extra.insert(extra.end(), { "--set", "hypervisor.pin_fail_every=3" });
	std::vector<std::string> drop = extra;
	drop.insert(drop.end(), { "--set", "device.idle_retries=0" });
	nlohmann::json j = replay_closed(trace, "intercept-kvm", drop);
	const nlohmann::json &c = j["closed_loop"];

	EXPECT_EQ(j["map_failures"], 2);
	EXPECT_EQ(c["requests"], 1);
	EXPECT_EQ(c["failed_requests"], 2);
	EXPECT_EQ(c["retries"], 0);
	EXPECT_EQ(c["bytes"], 4096);
	EXPECT_EQ(c["link_busy_ns"][0], 1000);

	j = replay_closed(trace, "intercept-kvm", extra);
	const nlohmann::json &again = j["closed_loop"];
	EXPECT_EQ(j["map_failures"], 2);
	EXPECT_EQ(again["requests"], 3);
	EXPECT_EQ(again["failed_requests"], 0);
	EXPECT_EQ(again["retries"], 2);
	EXPECT_EQ(again["bytes"], 3 * 4096);
}

// intercept-kvm: the guest sees the refresh bit, so maps RPCIT too; each
// map and unmap is 100 of guest work, a 500 SIE exit, and the handler's
// host RPCIT, 1000, under the function's lock: 1600.
//   r1 map 100-1700, link 1700-2700, done 3700; r2 map 1700-3300, link
//   3300-4300, done 5300; r1 unmap 3700-5300; at 5300 r2's transfer is
//   done (posted at 4300) before r1 completes, so r2's unmap 5300-6900
//   runs before r3's map 6900-8500; r3 link 8500-9500, done 10500, unmap
//   10500-12100; detach 12100-12200.  Latencies 5200, 6800, 6800.
TEST(ClosedLoop, InterceptKvmScheduleMatchesTheHandWorkedOne)
{
	TempDir dir;
	nlohmann::json j = replay_closed(write(dir, "t.ztr", kThree), "intercept-kvm", kRoundCosts);
	const nlohmann::json &c = j["closed_loop"];

	EXPECT_EQ(c["run_ns"], 12200);
	EXPECT_EQ(c["latency_ns"]["p50"], 6800);
	EXPECT_EQ(c["latency_ns"]["max"], 6800);
	EXPECT_EQ(c["cpu_ns"]["guest"], 8 * 100);
	EXPECT_EQ(c["cpu_ns"]["hypervisor"], 6 * (500 + 1000));
	EXPECT_EQ(c["locks"][0]["held_ns"], 6 * 1000);
	EXPECT_EQ(c["bottleneck"], "vcpu 0");
}

// A design's extra CPU work costs throughput when the CPU is the
// bottleneck, and none when the device's link is.
TEST(ClosedLoop, ExtraCpuWorkCostsThroughputOnlyWhenTheCpuIsTheBottleneck)
{
	TempDir dir;
	std::string trace = dir.file("storage.ztb");
	ASSERT_EQ(run({ "trace", "gen", "storage", trace, "--records", "3000" }).rc, 0);
	auto throughput = [&](const std::string &design, const std::string &bw,
			      std::string *bottleneck) {
		nlohmann::json j = replay_closed(trace, design,
						 { "--timing", "closed", "--set",
						   "device.bandwidth_mb_s=" + bw, "--set",
						   "device.latency_ns=1000" });
		*bottleneck = j["closed_loop"]["bottleneck"];
		return j["closed_loop"]["requests_per_s"].get<double>();
	};
	std::string b_bare, b_user;
	// A link this fast leaves the vCPU as the bottleneck.
	double bare = throughput("bare", "1000000", &b_bare);
	double user = throughput("intercept-user", "1000000", &b_user);
	EXPECT_EQ(b_user, "vcpu 0");
	EXPECT_LT(user, 0.8 * bare);
	// A slow link is the bottleneck of both: the same throughput.
	bare = throughput("bare", "100", &b_bare);
	user = throughput("intercept-user", "100", &b_user);
	EXPECT_EQ(b_bare, "transfers of function 0");
	EXPECT_EQ(b_user, "transfers of function 0");
	EXPECT_NEAR(user / bare, 1.0, 0.01);
}

TEST(ClosedLoop, CompareShowsEachDesignsThroughputAgainstTheFirst)
{
	TempDir dir;
	nlohmann::json stats;
	std::vector<std::string> args = { "compare", write(dir, "t.ztr", kThree), "--designs",
					  "bare,intercept-kvm", "--mode", "functional",
					  "--stats-json", dir.file("c.json") };
	args.insert(args.end(), kRoundCosts.begin(), kRoundCosts.end());
	test::CliRun r = run(args);
	ASSERT_EQ(r.rc, 0) << r.err;
	stats = nlohmann::json::parse(slurp(dir.file("c.json")));
	// The hand-worked runs above: 3 requests in 7700 and 12200 ns.
	EXPECT_EQ(stats[0]["closed_loop"]["run_ns"], 7700);
	EXPECT_EQ(stats[1]["closed_loop"]["run_ns"], 12200);
	std::istringstream table(r.out.substr(r.out.find("closed loop:\n")));
	std::string line, design, rps, vs;
	std::getline(table, line);
	std::getline(table, line);
	table >> design >> rps >> vs;
	EXPECT_EQ(design + " " + rps + " " + vs, "bare 389610 1.000");	// 3 in 7700 ns
	std::getline(table, line);
	table >> design >> rps >> vs;
	EXPECT_EQ(design + " " + rps + " " + vs, "intercept-kvm 245902 0.631");	// in 12200
}

// A format-2 trace declares its requests and queue depth: closed loop
// runs exactly those, at that depth.
TEST(ClosedLoop, RunsTheRequestsATraceDeclares)
{
	TempDir dir;
	std::string trace = dir.file("storage.ztb");
	ASSERT_EQ(run({ "trace", "gen", "storage", trace, "--records", "3000" }).rc, 0);
	test::CliRun stats = run({ "trace", "stats", trace });
	ASSERT_EQ(stats.rc, 0) << stats.err;
	std::string declared = test::line_of(stats.out, "requests");
	ASSERT_FALSE(declared.empty()) << stats.out;
	nlohmann::json j = replay_closed(trace, "bare", { "--timing", "closed" });
	EXPECT_EQ(std::to_string(j["closed_loop"]["requests"].get<uint64_t>()), declared);
	EXPECT_EQ(j["closed_loop"]["queue_depth"][0], 32);
}

TEST(ClosedLoop, SameInputsGiveTheSameBytes)
{
	TempDir dir;
	std::string trace = dir.file("net.ztb");
	ASSERT_EQ(run({ "trace", "gen", "net", trace, "--records", "2000" }).rc, 0);
	for (const char *mode : { "functional", "cycle" }) {
		std::vector<std::string> args = { "replay", trace, "--design", "intercept-user",
						  "--timing", "closed", "--mode", mode,
						  "--stats-json", dir.file("a.json") };
		ASSERT_EQ(run(args).rc, 0);
		args.back() = dir.file("b.json");
		ASSERT_EQ(run(args).rc, 0);
		EXPECT_EQ(slurp(dir.file("a.json")), slurp(dir.file("b.json"))) << mode;
	}
}

TEST(ClosedLoop, ABadRecordIsNamedByItsLine)
{
	TempDir dir;
	std::string bad = kThree;
	bad.replace(bad.find("50 0 dma 2 0 4096"), 17, "50 0 dma 9 0 4096");
	test::CliRun r = run({ "replay", write(dir, "bad.ztr", bad), "--timing", "closed",
			       "--stats-json", dir.file("s.json") });
	EXPECT_EQ(r.rc, 2);
	EXPECT_NE(r.err.find("bad.ztr:9:"), std::string::npos) << r.err;
	EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
	EXPECT_TRUE(slurp(dir.file("s.json")).empty());
}

}  // namespace
}  // namespace zpcisim
