// SPDX-License-Identifier: MIT
#include "telemetry.h"

#include <stdexcept>
#include <zmq.hpp>

namespace zpcisim {

struct Telemetry::Socket {
	zmq::context_t ctx{ 1 };
	zmq::socket_t pub{ ctx, zmq::socket_type::pub };
};

Telemetry::Telemetry(const std::string &endpoint, const std::string &source,
		     const TelemetryParams &p)
	: socket_(std::make_unique<Socket>()), source_(source), p_(p),
	  start_(std::chrono::steady_clock::now()), next_(start_)
{
	zmq::socket_t &s = socket_->pub;
	try {
		s.set(zmq::sockopt::linger, 0);
		s.set(zmq::sockopt::sndhwm, p.high_water_mark);
		// A full queue says so (EAGAIN) instead of dropping in silence.
		s.set(zmq::sockopt::xpub_nodrop, 1);
		s.set(zmq::sockopt::sndbuf, p.kernel_buffer);
		s.bind(endpoint);
		endpoint_ = s.get(zmq::sockopt::last_endpoint);
	} catch (const zmq::error_t &e) {
		throw std::runtime_error("telemetry: cannot publish on " + endpoint + ": " + e.what());
	}
}

Telemetry::~Telemetry() = default;

void Telemetry::publish(const nlohmann::ordered_json &stats, double progress, bool final)
{
	auto now = std::chrono::steady_clock::now();
	nlohmann::ordered_json msg = {
		{ "schema", kTelemetrySchema },
		{ "seq", seq_++ },
		{ "final", final },
		{ "elapsed_s", std::chrono::duration<double>(now - start_).count() },
		{ "source", source_ },
		{ "progress", progress < 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(progress) },
		{ "stats", stats },
		{ "dropped", dropped_ },
	};
	std::string text = msg.dump();

	next_ = now + p_.interval;
	try {
		if (socket_->pub.send(zmq::buffer(text), zmq::send_flags::dontwait))
			sent_++;
		else
			dropped_++;
	} catch (const zmq::error_t &) {
		dropped_++;	// telemetry never stops the run
	}
}

}  // namespace zpcisim
