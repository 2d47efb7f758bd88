// SPDX-License-Identifier: MIT
// One registry for every model counter: blocks register their counters
// under "<instance>.<name>" with a one-line description, and whatever
// reports (the summary, the JSON stats, telemetry) reads them from here.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace zpcisim {

class StatsRegistry {
public:
	struct Counter {
		const uint64_t *value;
		std::string description;
	};

	// @value must outlive the registry's use; names must be unique.
	void add(const std::string &block, const std::string &name, const uint64_t *value,
		 const std::string &description);
	uint64_t get(const std::string &full_name) const;
	const std::map<std::string, Counter> &all() const { return counters_; }

private:
	std::map<std::string, Counter> counters_;	// sorted: stable output
};

}  // namespace zpcisim
