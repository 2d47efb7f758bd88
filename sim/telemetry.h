// SPDX-License-Identifier: MIT
// Live telemetry of a run over ZeroMQ: a PUB socket that publishes the
// run's counters as JSON (schema "zpcisim.telemetry.v2") at most every
// interval, for `zpcisim monitor` or any SUB socket.  Sending never waits:
// a slow subscriber's queue is bounded (the high-water mark) and what does
// not fit is dropped and counted, so the run goes as fast with a stuck
// subscriber as with none.
//
// Message: {"schema", "seq" (from 0; a gap is a message lost), "final"
// (the run's last), "elapsed_s", "source" (what runs), "progress" (0..1 of
// the input read, when known), "stats": {counters}, "dropped" (messages
// dropped before this one)}.  The counters are the replay's own and those
// the blocks' tables show live (ZPCI_SHOW_LIVE), under the names the stats
// file gives them (one "at_end" there is "now" here); v2 took those names.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace zpcisim {

class Socket;

constexpr const char *kTelemetrySchema = "zpcisim.telemetry.v2";

struct TelemetryParams {
	std::chrono::milliseconds interval{ 100 };
	int high_water_mark = 64;	// messages queued per subscriber
	// Bytes of socket buffer: small, so that a stuck subscriber costs little
	// memory and its drops show soon.
	int kernel_buffer = 64 << 10;
};

class Telemetry {
public:
	// Bind @endpoint; throws std::runtime_error with the reason, PluginError
	// when the sockets' plugin cannot be loaded (net.h).
	Telemetry(const std::string &endpoint, const std::string &source,
		  const TelemetryParams &p = {});
	~Telemetry();
	Telemetry(const Telemetry &) = delete;
	Telemetry &operator=(const Telemetry &) = delete;

	const std::string &endpoint() const { return endpoint_; }
	// Whether a periodic message is due.
	bool due() const { return std::chrono::steady_clock::now() >= next_; }
	// Publish @stats now (progress < 0: unknown).
	void publish(const nlohmann::ordered_json &stats, double progress, bool final);

	uint64_t sent() const { return sent_; }
	uint64_t dropped() const { return dropped_; }

private:
	std::unique_ptr<Socket> socket_;
	std::string endpoint_, source_;
	TelemetryParams p_;
	std::chrono::steady_clock::time_point start_, next_;
	uint64_t seq_ = 0, sent_ = 0, dropped_ = 0;
};

// A message as a subscriber takes it: every field there, in its type.
struct TelemetryMessage {
	uint64_t seq = 0;
	bool final = false;
	double elapsed_s = 0;
	std::string source;
	std::optional<double> progress;	// 0..1 of the input read, when known
	nlohmann::ordered_json stats;	// counter: a number, or null (no value yet)
	uint64_t dropped = 0;
};

// @bytes as a message of kTelemetrySchema; false with what is wrong with
// it in @why (one line).  Any bytes: a publisher need not be zpcisim.
bool parse_telemetry(const std::string &bytes, TelemetryMessage *msg, std::string *why);

}  // namespace zpcisim
