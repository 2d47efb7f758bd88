// SPDX-License-Identifier: MIT
#include "timeline.h"

#include <cstring>
#include <ostream>

namespace zpcisim {

namespace {

constexpr int kPid = 1;
// thread_sort_index: a track's lanes side by side, tracks in the order first used.
constexpr int kLanesPerTrack = 1000;

// Microseconds, the format's unit, written exactly: a double would round
// one slice's end past the next one's start.
std::string us(uint64_t ns)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%llu.%03llu", (unsigned long long)(ns / 1000),
		 (unsigned long long)(ns % 1000));
	return buf;
}

}  // namespace

Timeline::Timeline(std::ostream &out, uint64_t limit, const std::string &process)
	: out_(out), limit_(limit)
{
	out_ << "{\"traceEvents\":[";
	metadata("process_name", 0, { { "name", process } });
}

bool Timeline::room()
{
	if (events_ < limit_)
		return true;
	truncated_ = true;
	return false;
}

Timeline::Track &Timeline::track(uint32_t fn, const char *name)
{
	for (Track &t : tracks_)
		if (t.fn == fn && t.name == name)
			return t;
	tracks_.push_back({ fn, name, {} });
	return tracks_.back();
}

// The first lane whose last span ended before @ts_ns; strictly before, so
// that a viewer rounding microseconds to its own unit still sees them apart.
int Timeline::lane_for(Track &t, uint64_t ts_ns, uint64_t end_ns)
{
	for (Lane &l : t.lanes)
		if (l.end_ns < ts_ns) {
			l.end_ns = end_ns;
			return l.tid;
		}
	return new_lane(t, end_ns);
}

// A thread, named for its track (and lane after the first), announced where
// it first appears.
int Timeline::new_lane(Track &t, uint64_t end_ns)
{
	size_t index = &t - tracks_.data();
	size_t lane = t.lanes.size();
	std::string name = "fn " + std::to_string(t.fn) + " " + t.name;
	int tid = next_tid_++;

	if (lane)
		name += " " + std::to_string(lane + 1);
	t.lanes.push_back({ tid, end_ns });
	metadata("thread_name", tid, { { "name", name } });
	metadata("thread_sort_index", tid, { { "sort_index", index * kLanesPerTrack + lane } });
	return tid;
}

void Timeline::metadata(const char *name, int tid, const nlohmann::ordered_json &args)
{
	out_ << (first_ ? "\n" : ",\n") << "{\"name\":\"" << name << "\",\"ph\":\"M\",\"pid\":" << kPid;
	if (tid)
		out_ << ",\"tid\":" << tid;
	out_ << ",\"args\":" << args.dump() << '}';
	first_ = false;
}

void Timeline::begin_event(const std::string &name, char ph, uint64_t ts_ns)
{
	events_++;
	out_ << (first_ ? "\n" : ",\n") << "{\"name\":" << nlohmann::json(name).dump()
	     << ",\"ph\":\"" << ph << "\",\"ts\":" << us(ts_ns);
	first_ = false;
}

void Timeline::end_event(int tid, const nlohmann::ordered_json &args)
{
	out_ << ",\"pid\":" << kPid;
	if (tid)
		out_ << ",\"tid\":" << tid;
	out_ << ",\"args\":" << args.dump() << '}';
}

void Timeline::span(uint32_t fn, const char *track_name, const std::string &name, uint64_t ts_ns,
		    uint64_t dur_ns, const nlohmann::ordered_json &args)
{
	if (!room())
		return;
	int tid = lane_for(track(fn, track_name), ts_ns, ts_ns + dur_ns);
	begin_event(name, 'X', ts_ns);
	out_ << ",\"dur\":" << us(dur_ns);
	end_event(tid, args);
}

// On the track's first lane: an instant overlaps nothing.
void Timeline::instant(uint32_t fn, const char *track_name, const std::string &name,
		       uint64_t ts_ns, const nlohmann::ordered_json &args)
{
	if (!room())
		return;
	Track &t = track(fn, track_name);
	int tid = t.lanes.empty() ? new_lane(t, 0) : t.lanes[0].tid;
	begin_event(name, 'i', ts_ns);
	out_ << ",\"s\":\"t\"";
	end_event(tid, args);
}

void Timeline::counter(const char *name, uint64_t ts_ns, uint64_t value)
{
	if (!room())
		return;
	begin_event(name, 'C', ts_ns);
	end_event(0, { { "bytes", value } });
}

void Timeline::finish(const nlohmann::ordered_json &about)
{
	nlohmann::ordered_json other = about;

	other["schema"] = "zpcisim.timeline.v1";
	other["events"] = events_;
	other["truncated"] = truncated_;
	out_ << "\n],\"displayTimeUnit\":\"ns\",\"otherData\":" << other.dump() << "}\n";
}

}  // namespace zpcisim
