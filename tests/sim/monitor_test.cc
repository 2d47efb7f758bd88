// SPDX-License-Identifier: MIT
// zpcisim monitor against hostile publishers (issue 29.4): a message with
// the schema's name but fields missing or mistyped, or not JSON at all, is
// counted and skipped; the monitor goes on to the run's final message.
#include <gtest/gtest.h>

#include <thread>
#include <zmq.hpp>

#include "support/cli_run.h"
#include "support/temp_dir.h"
#include "telemetry.h"

namespace zpcisim {
namespace {

using test::CliRun;
using test::line_of;
using test::run;
using test::TempDir;

const std::string kGood = R"({"schema": "zpcisim.telemetry.v2", "seq": 7, "final": true,
	"elapsed_s": 1.5, "source": "replay t.ztb", "progress": null,
	"stats": {"records": 18446744073709551615, "rate": 1e308, "hit_rate": null},
	"dropped": 2})";

// kGood with @field's value replaced by @value (JSON text), or @field
// left out when @value is empty.
std::string with(const std::string &field, const std::string &value)
{
	auto j = nlohmann::ordered_json::parse(kGood);
	if (value.empty())
		j.erase(field);
	else
		j[field] = nlohmann::ordered_json::parse(value);
	return j.dump();
}

// Each the schema's name on something that is not its message.
std::vector<std::string> hostile()
{
	std::vector<std::string> bad = {
		"", "not json", "[1, 2]", "\"zpcisim.telemetry.v2\"", R"({"schema": 2})",
		R"({"schema": "zpcisim.telemetry.v1"})",
		// Not UTF-8, inside a string the parser would otherwise take.
		R"({"schema": "zpcisim.telemetry.v2", "source": ")" "\xff\xfe" R"("})",
		// A number too big for a double.
		R"({"schema": "zpcisim.telemetry.v2", "seq": 7, "final": true, "elapsed_s": 1e400,
		    "source": "s", "progress": null, "stats": {}, "dropped": 0})",
	};
	for (const char *field : { "seq", "final", "elapsed_s", "source", "progress", "stats", "dropped" })
		bad.push_back(with(field, ""));
	for (const auto &[field, value] : std::vector<std::pair<const char *, const char *>>{
		     { "seq", "\"7\"" }, { "seq", "-1" }, { "seq", "7.5" },
		     { "seq", "123456789012345678901234567890" }, { "final", "1" },
		     { "elapsed_s", "\"1.5\"" }, { "elapsed_s", "-1" }, { "source", "7" },
		     { "source", "\"\\u001b[2Jgone\"" }, { "progress", "\"half\"" },
		     { "stats", "[1, 2]" }, { "stats", "{\"records\": \"many\"}" },
		     { "stats", "{\"records\": [1]}" }, { "stats", "{\"\\u001b[2J\": 1}" },
		     { "dropped", "1.5" }, { "dropped", "{}" } })
		bad.push_back(with(field, value));
	return bad;
}

TEST(TelemetryMessage, EveryFieldIsCheckedBeforeItIsRead)
{
	TelemetryMessage m;
	std::string why;

	ASSERT_TRUE(parse_telemetry(kGood, &m, &why)) << why;
	EXPECT_EQ(m.seq, 7u);
	EXPECT_TRUE(m.final);
	EXPECT_EQ(m.elapsed_s, 1.5);
	EXPECT_EQ(m.source, "replay t.ztb");
	EXPECT_FALSE(m.progress);
	EXPECT_EQ(m.stats["records"].get<uint64_t>(), UINT64_MAX);
	EXPECT_EQ(m.dropped, 2u);
	for (const std::string &text : hostile()) {
		why.clear();
		EXPECT_FALSE(parse_telemetry(text, &m, &why)) << text;
		EXPECT_FALSE(why.empty()) << text;
		EXPECT_EQ(why.find('\n'), std::string::npos) << why;
	}
	EXPECT_TRUE(parse_telemetry(with("progress", "0.25"), &m, &why));
	EXPECT_EQ(m.progress, 0.25);
}

// `zpcisim monitor ENDPOINT --timeout SECONDS` in a thread, and the
// publisher it subscribes to: an XPUB socket, which hears the subscription,
// so that what is sent once subscribed() reaches the monitor.
class MonitorRun {
public:
	explicit MonitorRun(const char *timeout_s) : endpoint_("ipc://" + dir_.file("telemetry"))
	{
		pub_.set(zmq::sockopt::linger, 0);
		pub_.set(zmq::sockopt::rcvtimeo, 10000);
		pub_.bind(endpoint_);
		thread_ = std::thread([this, timeout_s] {
			result_ = run({ "monitor", endpoint_, "--timeout", timeout_s });
		});
	}
	~MonitorRun()
	{
		if (thread_.joinable())
			thread_.join();
	}

	bool subscribed()
	{
		zmq::message_t subscription;
		return pub_.recv(subscription).has_value();
	}
	void send(const std::string &text) { pub_.send(zmq::buffer(text)); }
	CliRun result()
	{
		thread_.join();
		return result_;
	}

	const std::string &endpoint() const { return endpoint_; }

private:
	TempDir dir_;
	const std::string endpoint_;
	zmq::context_t ctx_;
	zmq::socket_t pub_{ ctx_, zmq::socket_type::xpub };
	std::thread thread_;
	CliRun result_;
};

// Every hostile message, then a good final one: the bad are counted, the
// good one shown and the run's end.
TEST(Monitor, HostileMessagesAreCountedAndSkipped)
{
	MonitorRun m("20");
	ASSERT_TRUE(m.subscribed());
	auto bad = hostile();
	for (const std::string &text : bad)
		m.send(text);
	m.send(kGood);
	CliRun r = m.result();

	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_EQ(line_of("\n" + r.out, "messages"), "1");
	EXPECT_EQ(line_of("\n" + r.out, "bad"), std::to_string(bad.size()));
	EXPECT_EQ(r.out.rfind("seq 7 elapsed_s 1.5 records 18446744073709551615 ", 0), 0u) << r.out;
}

// Nothing but bad messages: the monitor times out saying what it got.
TEST(Monitor, OnlyBadMessagesTimeOutSayingSo)
{
	MonitorRun m("1");
	ASSERT_TRUE(m.subscribed());
	m.send(with("seq", "\"7\""));
	CliRun r = m.result();

	EXPECT_EQ(r.rc, 1);
	EXPECT_EQ(r.err, "zpcisim monitor: no telemetry from " + m.endpoint() +
				 " for 1 s (1 bad messages; the last: 'seq' is not a count)\n");
}

}  // namespace
}  // namespace zpcisim
