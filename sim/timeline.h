// SPDX-License-Identifier: MIT
// A timeline of a replay in the Chrome trace-event JSON format, which
// ui.perfetto.dev and chrome://tracing open: per function, the guest's DMA
// API calls, the RPCITs that reached the function and their CPU cost, the
// hypervisor's intercept work, and the device's DMAs (with their latency
// and table walks in the timed modes); a counter of pinned memory.  Times
// are the trace's; events stop at a limit, and the file says so.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace zpcisim {

class Timeline {
public:
	explicit Timeline(uint64_t limit) : limit_(limit) {}

	// A span of @dur_ns from @ts_ns on function @fn's @track.
	void span(uint32_t fn, const char *track, const std::string &name, uint64_t ts_ns,
		  uint64_t dur_ns, nlohmann::ordered_json args);
	// An instant.
	void instant(uint32_t fn, const char *track, const std::string &name, uint64_t ts_ns,
		     nlohmann::ordered_json args);
	// A counter's value from @ts_ns on.
	void counter(const char *name, uint64_t ts_ns, uint64_t value);

	uint64_t events() const { return events_.size(); }
	bool truncated() const { return truncated_; }
	// The whole file, with @about (the run) in its metadata.
	std::string json(const nlohmann::ordered_json &about) const;

private:
	bool room();
	int tid(uint32_t fn, const char *track);

	uint64_t limit_;
	bool truncated_ = false;
	nlohmann::ordered_json events_ = nlohmann::ordered_json::array();
	std::vector<std::pair<std::string, int>> tracks_;	// "fn 0 guest" -> tid
};

}  // namespace zpcisim
