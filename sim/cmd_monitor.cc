// SPDX-License-Identifier: MIT
// zpcisim monitor: subscribe to a run's telemetry and show it live.
#include <chrono>
#include <cmath>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "interrupt.h"
#include "net.h"
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
	"final message, after --count messages, when no good message arrives for\n"
	"--timeout seconds (exit 1), or on SIGINT.  Reports messages the\n"
	"subscription missed (gaps in the sequence), and counts and skips bad ones\n"
	"(not the telemetry's schema, or fields missing or mistyped).",
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

// What the subscription brought: messages shown, lost on the way (gaps in
// the sequence) and refused (not telemetry, or fields missing or mistyped).
struct Tally {
	uint64_t received = 0, missed = 0, bad = 0;
	std::string last_bad;	// what was wrong with the last one refused
};

// One view of @msg; @prev the message before it, for rates.  Every counter
// the run sends is shown, in its order: a counter the run's tables add
// shows up here as it is.
void show(std::ostream &out, bool live, const TelemetryMessage &msg,
	  const std::optional<TelemetryMessage> &prev, const Tally &tally)
{
	const nlohmann::ordered_json &st = msg.stats;
	double dt = prev ? msg.elapsed_s - prev->elapsed_s : 0;
	auto per_s = [&](const std::string &k) {
		if (dt <= 0)	// also: no message before
			return std::string("-");
		auto before = prev->stats.find(k);
		if (before == prev->stats.end() || !before->is_number())
			return std::string("-");
		return rate((st[k].get<double>() - before->get<double>()) / dt);
	};

	if (!live) {
		out << "seq " << msg.seq << " elapsed_s " << msg.elapsed_s;
		for (const auto &[k, v] : st.items())
			out << ' ' << k << ' ' << text_of(v);
		out << " dropped " << msg.dropped << " missed " << tally.missed << " bad " << tally.bad
		    << (msg.final ? " final" : "") << '\n';
		return;
	}
	out << "\033[H\033[J" << "zpcisim monitor: " << msg.source << '\n';
	if (msg.progress)
		out << std::left << std::setw(24) << "progress:" << std::fixed << std::setprecision(1)
		    << 100 * *msg.progress << " %\n";
	out << std::left << std::setw(24) << "elapsed:" << std::fixed << std::setprecision(1)
	    << msg.elapsed_s << " s\n";
	for (const auto &[k, v] : st.items()) {
		out << std::setw(24) << k + ":" << text_of(v);
		if (v.is_number_unsigned())
			out << "  (" << per_s(k) << ")";
		out << '\n';
	}
	out << std::setw(24) << "dropped by run:" << msg.dropped << "   missed here: " << tally.missed
	    << "   bad: " << tally.bad << '\n' << std::flush;
}

std::string no_telemetry(const std::string &endpoint, unsigned timeout_s, const Tally &tally)
{
	std::string s = "no telemetry from " + endpoint + " for " + std::to_string(timeout_s) + " s";
	if (tally.bad)
		s += " (" + std::to_string(tally.bad) + " bad messages; the last: " + tally.last_bad + ")";
	return s;
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

	std::unique_ptr<Socket> sub;
	try {
		sub = open_socket(SocketRole::Subscribe);
		sub->connect(endpoint);
	} catch (const NetError &e) {
		return command_error(kSpec, io, "cannot subscribe to " + endpoint + ": " + e.what(),
				     kExitUsage);
	}
	bool live = progress_wanted(io.err);
	std::ostream &view = live ? io.err : io.out;
	InterruptScope interrupt;
	std::optional<TelemetryMessage> prev;
	Tally tally;
	auto last = std::chrono::steady_clock::now();
	while (!interrupted()) {
		std::string m;
		bool more;
		try {
			if (!sub->readable(200) || !sub->receive(m, more, true)) {
				if (std::chrono::steady_clock::now() - last > std::chrono::seconds(timeout_s))
					return command_error(kSpec, io, no_telemetry(endpoint, timeout_s, tally));
				continue;
			}
		} catch (const NetError &e) {
			if (e.num == EINTR)
				continue;
			return command_error(kSpec, io, std::string("socket: ") + e.what());
		}
		TelemetryMessage msg;
		if (!parse_telemetry(m, &msg, &tally.last_bad)) {
			tally.bad++;	// and the wait for a good one goes on
			continue;
		}
		last = std::chrono::steady_clock::now();
		if (prev && msg.seq > prev->seq)
			tally.missed += msg.seq - prev->seq - 1;
		show(view, live, msg, prev, tally);
		prev = std::move(msg);
		tally.received++;
		if (prev->final || (count && tally.received >= count))
			break;
	}
	io.out << "messages: " << tally.received << '\n'
	       << "missed: " << tally.missed << '\n'
	       << "bad: " << tally.bad << '\n';
	return interrupted() ? interrupted_exit_code() : kExitOk;
}

}  // namespace zpcisim
