// SPDX-License-Identifier: MIT
#include "timeline.h"

namespace zpcisim {

namespace {

constexpr int kPid = 1;

double us(uint64_t ns)
{
	return double(ns) / 1000.0;
}

}  // namespace

bool Timeline::room()
{
	if (events_.size() < limit_)
		return true;
	truncated_ = true;
	return false;
}

// One thread per function and track, named once, in the order first used.
int Timeline::tid(uint32_t fn, const char *track)
{
	std::string name = "fn " + std::to_string(fn) + " " + track;

	for (const auto &[n, t] : tracks_)
		if (n == name)
			return t;
	int t = int(tracks_.size()) + 1;
	tracks_.push_back({ name, t });
	return t;
}

void Timeline::span(uint32_t fn, const char *track, const std::string &name, uint64_t ts_ns,
		    uint64_t dur_ns, nlohmann::ordered_json args)
{
	if (!room())
		return;
	events_.push_back({ { "name", name }, { "ph", "X" }, { "ts", us(ts_ns) },
			    { "dur", us(dur_ns) }, { "pid", kPid }, { "tid", tid(fn, track) },
			    { "args", std::move(args) } });
}

void Timeline::instant(uint32_t fn, const char *track, const std::string &name, uint64_t ts_ns,
		       nlohmann::ordered_json args)
{
	if (!room())
		return;
	events_.push_back({ { "name", name }, { "ph", "i" }, { "s", "t" }, { "ts", us(ts_ns) },
			    { "pid", kPid }, { "tid", tid(fn, track) }, { "args", std::move(args) } });
}

void Timeline::counter(const char *name, uint64_t ts_ns, uint64_t value)
{
	if (!room())
		return;
	events_.push_back({ { "name", name }, { "ph", "C" }, { "ts", us(ts_ns) }, { "pid", kPid },
			    { "args", { { "bytes", value } } } });
}

std::string Timeline::json(const nlohmann::ordered_json &about) const
{
	nlohmann::ordered_json all = nlohmann::ordered_json::array();

	all.push_back({ { "name", "process_name" }, { "ph", "M" }, { "pid", kPid },
			{ "args", { { "name", "zpcisim " + about.value("design", std::string()) } } } });
	for (const auto &[name, t] : tracks_)
		all.push_back({ { "name", "thread_name" }, { "ph", "M" }, { "pid", kPid },
				{ "tid", t }, { "args", { { "name", name } } } });
	for (const auto &e : events_)
		all.push_back(e);
	nlohmann::ordered_json other = about;
	other["schema"] = "zpcisim.timeline.v1";
	other["events"] = events_.size();
	other["truncated"] = truncated_;
	return nlohmann::ordered_json{ { "traceEvents", all }, { "displayTimeUnit", "ns" },
				       { "otherData", other } }
		.dump() + "\n";
}

}  // namespace zpcisim
