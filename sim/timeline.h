// SPDX-License-Identifier: MIT
// A timeline of a replay in the Chrome trace-event JSON format, which
// ui.perfetto.dev and chrome://tracing open: per function, the guest's DMA
// API calls, the RPCITs that reached the function and their CPU cost, the
// hypervisor's intercept work, and the device's DMAs (with their latency
// and table walks in the timed modes); a counter of pinned memory.  Times
// are the trace's; events stop at a limit, and the file says so.
//
// The document goes to its stream as the events come, so a replay of any
// length takes the same memory.  Spans on one track may overlap (DMAs in
// flight together, an RPCIT that costs more than the gap to the next), and
// a viewer shows only properly nested slices on one thread: each track is
// split into lanes, threads of their own, a span taking the first lane
// free by its start, so that no two slices on a thread overlap.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace zpcisim {

class Timeline {
public:
	// Starts the document on @out; @process names the run in the viewer.
	Timeline(std::ostream &out, uint64_t limit, const std::string &process);

	// A span of @dur_ns from @ts_ns on function @fn's @track.
	void span(uint32_t fn, const char *track, const std::string &name, uint64_t ts_ns,
		  uint64_t dur_ns, const nlohmann::ordered_json &args);
	// An instant.
	void instant(uint32_t fn, const char *track, const std::string &name, uint64_t ts_ns,
		     const nlohmann::ordered_json &args);
	// A counter's value from @ts_ns on.
	void counter(const char *name, uint64_t ts_ns, uint64_t value);

	uint64_t events() const { return events_; }
	bool truncated() const { return truncated_; }
	// Ends the document, with @about (the run) in its metadata; nothing
	// may be added after.
	void finish(const nlohmann::ordered_json &about);

private:
	struct Lane {
		int tid;
		uint64_t end_ns;	// of its last span
	};
	struct Track {
		uint32_t fn;
		std::string name;
		std::vector<Lane> lanes;
	};

	bool room();
	Track &track(uint32_t fn, const char *name);
	int lane_for(Track &t, uint64_t ts_ns, uint64_t end_ns);
	int new_lane(Track &t, uint64_t end_ns);
	void begin_event(const std::string &name, char ph, uint64_t ts_ns);
	void end_event(int tid, const nlohmann::ordered_json &args);
	void metadata(const char *name, int tid, const nlohmann::ordered_json &args);

	std::ostream &out_;
	uint64_t limit_;
	uint64_t events_ = 0;
	bool truncated_ = false;
	bool first_ = true;		// no event written yet: no separator before it
	std::vector<Track> tracks_;	// in the order first used
	int next_tid_ = 1;
};

}  // namespace zpcisim
