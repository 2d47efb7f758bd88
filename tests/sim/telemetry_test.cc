// SPDX-License-Identifier: MIT
// Telemetry: a subscriber gets well-formed messages in order, ending with
// the final one; a subscriber that never reads costs the run nothing but
// dropped messages, which the run reports.  Functional checks only: the
// slowdown figure belongs to the benchmark.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <zmq.hpp>

#include "support/cli_run.h"
#include "support/temp_dir.h"
#include "telemetry.h"

namespace zpcisim {
namespace {

using test::CliRun;
using test::run;
using test::TempDir;

class TelemetryTest : public testing::Test {
protected:
	void SetUp() override
	{
		trace_ = dir_.file("net.ztb");
		ASSERT_EQ(run({ "trace", "gen", "net", trace_, "--records", "300000" }).rc, 0);
		endpoint_ = "ipc://" + dir_.file("telemetry");
	}

	// Replay in a thread, publishing as often as it can.
	std::thread replay(CliRun *out)
	{
		return std::thread([this, out] {
			*out = run({ "replay", trace_, "--design", "intercept-kvm", "--telemetry",
				     endpoint_, "--telemetry-interval-ms", "0", "--stats-json",
				     dir_.file("stats.json") });
		});
	}

	nlohmann::json stats() { return nlohmann::json::parse(std::ifstream(dir_.file("stats.json"))); }

	// A subscriber on the run's endpoint, there soon after the run binds
	// (ZeroMQ's "slow joiner" misses what was published before).  @stuck:
	// it will never read, and holds almost nothing.
	zmq::socket_t subscriber(bool stuck)
	{
		zmq::socket_t sub(ctx_, zmq::socket_type::sub);
		sub.set(zmq::sockopt::subscribe, "");
		sub.set(zmq::sockopt::reconnect_ivl, 1);
		if (stuck) {
			sub.set(zmq::sockopt::rcvhwm, 1);
			sub.set(zmq::sockopt::rcvbuf, 4096);
		} else {
			sub.set(zmq::sockopt::rcvtimeo, 10000);
		}
		sub.connect(endpoint_);
		return sub;
	}

	TempDir dir_;
	std::string trace_, endpoint_;
	zmq::context_t ctx_;
};

TEST_F(TelemetryTest, SubscriberGetsWellFormedMessagesInOrder)
{
	zmq::socket_t sub = subscriber(false);
	CliRun r;
	std::thread t = replay(&r);

	std::vector<nlohmann::json> got;
	for (;;) {
		zmq::message_t m;
		if (!sub.recv(m))
			break;
		got.push_back(nlohmann::json::parse(m.to_string()));
		if (got.back()["final"].get<bool>())
			break;
	}
	t.join();
	ASSERT_EQ(r.rc, 0) << r.err;
	ASSERT_GE(got.size(), 2u);
	for (size_t i = 0; i < got.size(); i++) {
		const auto &m = got[i];
		EXPECT_EQ(m["schema"], kTelemetrySchema);
		EXPECT_TRUE(m["source"].get<std::string>().find("intercept-kvm") != std::string::npos);
		if (i) {
			EXPECT_GT(m["seq"].get<uint64_t>(), got[i - 1]["seq"].get<uint64_t>());
			EXPECT_GE(m["stats"]["records"].get<uint64_t>(),
				  got[i - 1]["stats"]["records"].get<uint64_t>());
		}
		for (const char *k : { "records", "dma_accesses", "guest_rpcits", "pinned_bytes_at_end",
				       "isolation_violations" })
			EXPECT_TRUE(m["stats"][k].is_number_unsigned()) << k;
	}
	// The final message carries the run's own totals.
	nlohmann::json s = stats();
	EXPECT_TRUE(got.back()["final"].get<bool>());
	EXPECT_EQ(got.back()["stats"]["records"], s["records"]);
	EXPECT_EQ(got.back()["stats"]["dma_accesses"], s["dma_accesses"]);
	EXPECT_EQ(s["telemetry"]["messages_sent"].get<uint64_t>() +
			  s["telemetry"]["messages_dropped"].get<uint64_t>(),
		  got.back()["seq"].get<uint64_t>() + 1);
}

// A subscriber that never reads: the queue to it fills, and every message
// after that is dropped and counted, never waited for.
TEST_F(TelemetryTest, StuckSubscriberIsDroppedAndCounted)
{
	zmq::socket_t sub = subscriber(true);
	Telemetry t(endpoint_, "test");
	nlohmann::ordered_json stats = { { "records", 123456789 }, { "padding", std::string(400, 'x') } };
	const uint64_t n = 200000;
	for (uint64_t i = 0; i < n; i++)
		t.publish(stats, 0.5, false);
	EXPECT_GT(t.dropped(), 0u);
	EXPECT_EQ(t.sent() + t.dropped(), n);
}

// The same through a replay: it completes and reports what it dropped.
TEST_F(TelemetryTest, ReplayWithAStuckSubscriberCompletesAndReportsDrops)
{
	zmq::socket_t sub = subscriber(true);
	CliRun r;
	replay(&r).join();	// never reading
	ASSERT_EQ(r.rc, 0) << r.err;
	nlohmann::json s = stats();
	uint64_t sent = s["telemetry"]["messages_sent"], dropped = s["telemetry"]["messages_dropped"];
	EXPECT_GT(sent + dropped, 100u);
	EXPECT_NE(r.out.find("telemetry: " + endpoint_ + ", " + std::to_string(sent) +
			     " messages sent, " + std::to_string(dropped) + " dropped\n"),
		  std::string::npos)
		<< r.out;
}

TEST_F(TelemetryTest, NoSubscriberAtAllIsFine)
{
	CliRun r;
	replay(&r).join();
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_EQ(stats()["telemetry"]["messages_dropped"], 0);
}

TEST(Telemetry, BadEndpointIsExitTwo)
{
	CliRun r = run({ "replay", ZPCISIM_SOURCE_DIR "/traces/samples/net-small.ztr", "--telemetry",
			 "tcp://nowhere" });
	EXPECT_EQ(r.rc, 2);
	EXPECT_EQ(r.err.rfind("zpcisim replay: telemetry: cannot publish on tcp://nowhere: ", 0), 0u)
		<< r.err;
}

}  // namespace
}  // namespace zpcisim
