// SPDX-License-Identifier: MIT
#include "telemetry.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "net.h"

namespace zpcisim {

Telemetry::Telemetry(const std::string &endpoint, const std::string &source,
		     const TelemetryParams &p)
	: source_(source), p_(p), start_(std::chrono::steady_clock::now()), next_(start_)
{
	SocketOptions o;

	o.send_hwm = p.high_water_mark;
	// A full queue says so (EAGAIN) instead of dropping in silence.
	o.no_drop = true;
	o.send_buffer = p.kernel_buffer;
	try {
		socket_ = open_socket(SocketRole::Publish, o);
		socket_->bind(endpoint);
		endpoint_ = socket_->endpoint();
	} catch (const NetError &e) {
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
		if (socket_->send(text.data(), text.size(), false, true))
			sent_++;
		else
			dropped_++;
	} catch (const NetError &) {
		dropped_++;	// telemetry never stops the run
	}
}

namespace {

using Json = nlohmann::ordered_json;

bool is_count(const Json &v) { return v.is_number_unsigned(); }
bool is_flag(const Json &v) { return v.is_boolean(); }
bool is_seconds(const Json &v) { return v.is_number() && std::isfinite(v.get<double>()) && v >= 0; }
bool is_text(const Json &v) { return v.is_string(); }
bool is_fraction(const Json &v) { return v.is_null() || is_seconds(v); }
bool is_object(const Json &v) { return v.is_object(); }

// Field @key of @msg when it is there and @is of its type (@type, for @why).
const Json *field(const Json &msg, const char *key, bool (*is)(const Json &), const char *type,
		  std::string *why)
{
	auto it = msg.find(key);

	if (it != msg.end() && is(*it))
		return &*it;
	*why = it == msg.end() ? std::string("no '") + key + "'"
			       : std::string("'") + key + "' is not " + type;
	return nullptr;
}

// Names are shown on a terminal: none may carry its control sequences.
bool has_control(const std::string &s)
{
	return std::any_of(s.begin(), s.end(),
			   [](char c) { return (unsigned char)c < 0x20 || c == 0x7f; });
}

}  // namespace

bool parse_telemetry(const std::string &bytes, TelemetryMessage *msg, std::string *why)
{
	const Json j = Json::parse(bytes, nullptr, false);
	const Json *seq, *final, *elapsed, *source, *progress, *stats, *dropped;

	if (j.is_discarded() || !j.is_object()) {
		*why = "not a JSON object";
		return false;
	}
	auto schema = j.find("schema");
	if (schema == j.end() || *schema != kTelemetrySchema) {
		*why = std::string("not ") + kTelemetrySchema;
		return false;
	}
	if (!(seq = field(j, "seq", is_count, "a count", why)) ||
	    !(final = field(j, "final", is_flag, "true or false", why)) ||
	    !(elapsed = field(j, "elapsed_s", is_seconds, "seconds", why)) ||
	    !(source = field(j, "source", is_text, "a string", why)) ||
	    !(progress = field(j, "progress", is_fraction, "a fraction or null", why)) ||
	    !(stats = field(j, "stats", is_object, "an object", why)) ||
	    !(dropped = field(j, "dropped", is_count, "a count", why)))
		return false;
	if (has_control(source->get<std::string>())) {
		*why = "'source' holds control characters";
		return false;
	}
	for (const auto &[k, v] : stats->items())
		if (has_control(k) || !(v.is_null() || (v.is_number() && std::isfinite(v.get<double>())))) {
			*why = "a counter in 'stats' is not a number or null under a plain name";
			return false;
		}
	msg->seq = seq->get<uint64_t>();
	msg->final = final->get<bool>();
	msg->elapsed_s = elapsed->get<double>();
	msg->source = source->get<std::string>();
	msg->progress = progress->is_null() ? std::nullopt : std::optional<double>(progress->get<double>());
	msg->stats = *stats;
	msg->dropped = dropped->get<uint64_t>();
	return true;
}

}  // namespace zpcisim
