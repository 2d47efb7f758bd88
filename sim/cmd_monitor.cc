// SPDX-License-Identifier: MIT
// zpcisim monitor: subscribe to a run's telemetry and show it live.
#include <chrono>
#include <cmath>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>
#include <zmq.hpp>

#include "interrupt.h"
#include "options.h"
#include "progress.h"
#include "telemetry.h"

namespace zpcisim {

namespace {

const CommandSpec kSpec = {
	"monitor",
	"monitor ENDPOINT [--count N] [--timeout SECONDS]",
	"Subscribe to the telemetry a run publishes (replay --telemetry ENDPOINT)\n"
	"and show every counter it carries: on a terminal, a live view redrawn in\n"
	"place, with rates; otherwise one line per message.  Ends at the run's\n"
	"final message, after --count\n"
	"messages, when nothing arrives for --timeout seconds (exit 1), or on\n"
	"SIGINT.  Reports messages the subscription missed (gaps in the sequence).",
};

std::string rate(double per_s)
{
	std::ostringstream s;
	s << std::fixed << std::setprecision(std::fabs(per_s) < 100 ? 1 : 0) << per_s << "/s";
	return s.str();
}

// A counter's value as shown: a count as it is, a ratio to four places.
std::string text_of(const nlohmann::ordered_json &v)
{
	std::ostringstream s;

	if (v.is_null())
		return "n/a";
	if (v.is_number_float())
		s << std::fixed << std::setprecision(4) << v.get<double>();
	else
		s << v;
	return s.str();
}

// One view of @msg; @prev the message before it, for rates.  Every counter
// the run sends is shown, in its order: a counter the run's tables add
// shows up here as it is.
void show(std::ostream &out, bool live, const nlohmann::ordered_json &msg,
	  const nlohmann::ordered_json &prev, uint64_t missed)
{
	const nlohmann::ordered_json &st = msg["stats"];
	double dt = prev.is_null() ? 0 : msg["elapsed_s"].get<double>() - prev["elapsed_s"].get<double>();
	auto per_s = [&](const std::string &k) {
		if (dt <= 0 || !prev["stats"].contains(k))
			return std::string("-");
		return rate((st[k].get<double>() - prev["stats"][k].get<double>()) / dt);
	};

	if (!live) {
		out << "seq " << msg["seq"] << " elapsed_s " << msg["elapsed_s"];
		for (const auto &[k, v] : st.items())
			out << ' ' << k << ' ' << text_of(v);
		out << " dropped " << msg["dropped"] << " missed " << missed
		    << (msg["final"].get<bool>() ? " final" : "") << '\n';
		return;
	}
	out << "\033[H\033[J" << "zpcisim monitor: " << msg["source"].get<std::string>() << '\n';
	if (!msg["progress"].is_null())
		out << std::left << std::setw(24) << "progress:" << std::fixed << std::setprecision(1)
		    << 100 * msg["progress"].get<double>() << " %\n";
	out << std::left << std::setw(24) << "elapsed:" << std::fixed << std::setprecision(1)
	    << msg["elapsed_s"].get<double>() << " s\n";
	for (const auto &[k, v] : st.items()) {
		out << std::setw(24) << k + ":" << text_of(v);
		if (v.is_number_unsigned())
			out << "  (" << per_s(k) << ")";
		out << '\n';
	}
	out << std::setw(24) << "dropped by run:" << msg["dropped"] << "   missed here: " << missed
	    << '\n' << std::flush;
}

}  // namespace

int cmd_monitor(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::positional_options_description pos;
	po::variables_map vm;
	std::string endpoint;
	uint64_t count = 0;
	unsigned timeout_s = 30;

	opts.add_options()
		("endpoint", po::value(&endpoint)->required(), "where the run publishes")
		("count", po::value(&count), "stop after this many messages")
		("timeout", po::value(&timeout_s)->default_value(timeout_s),
		 "give up after this many seconds without a message");
	pos.add("endpoint", 1);
	if (auto rc = parse_options(kSpec, args, opts, pos, vm, io))
		return *rc;

	zmq::context_t ctx;
	zmq::socket_t sub(ctx, zmq::socket_type::sub);
	try {
		sub.set(zmq::sockopt::linger, 0);
		sub.set(zmq::sockopt::subscribe, "");
		sub.connect(endpoint);
	} catch (const zmq::error_t &e) {
		return command_error(kSpec, io, "cannot subscribe to " + endpoint + ": " + e.what(),
				     kExitUsage);
	}
	bool live = progress_wanted(io.err);
	std::ostream &view = live ? io.err : io.out;
	InterruptScope interrupt;
	nlohmann::ordered_json prev;
	uint64_t received = 0, missed = 0;
	auto last = std::chrono::steady_clock::now();
	while (!interrupted()) {
		zmq::pollitem_t item = { sub.handle(), 0, ZMQ_POLLIN, 0 };
		zmq::message_t m;
		try {
			if (zmq::poll(&item, 1, std::chrono::milliseconds(200)) <= 0 ||
			    !sub.recv(m, zmq::recv_flags::dontwait)) {
				if (std::chrono::steady_clock::now() - last > std::chrono::seconds(timeout_s))
					return command_error(kSpec, io, "no telemetry from " + endpoint + " for " +
									std::to_string(timeout_s) + " s");
				continue;
			}
		} catch (const zmq::error_t &e) {
			if (e.num() == EINTR)
				continue;
			return command_error(kSpec, io, std::string("socket: ") + e.what());
		}
		last = std::chrono::steady_clock::now();
		auto msg = nlohmann::ordered_json::parse(m.to_string(), nullptr, false);
		if (msg.is_discarded() || !msg.is_object() || msg.value("schema", "") != kTelemetrySchema)
			return command_error(kSpec, io, endpoint + ": not zpcisim telemetry (" +
							   std::string(kTelemetrySchema) + ")");
		if (!prev.is_null() && msg["seq"].get<uint64_t>() > prev["seq"].get<uint64_t>())
			missed += msg["seq"].get<uint64_t>() - prev["seq"].get<uint64_t>() - 1;
		show(view, live, msg, prev, missed);
		prev = msg;
		received++;
		if (msg["final"].get<bool>() || (count && received >= count))
			break;
	}
	io.out << "messages: " << received << '\n' << "missed: " << missed << '\n';
	return interrupted() ? interrupted_exit_code() : kExitOk;
}

}  // namespace zpcisim
