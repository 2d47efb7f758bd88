// SPDX-License-Identifier: MIT
// One registry for every model counter: blocks register their counters
// under "<instance>.<name>" with a one-line description, and whatever
// reports (the summary, the JSON stats, telemetry) reads them from here.
// A counter's registration is its whole declaration: it names the views
// that show it besides the stats file, which has every one, as the C
// blocks' tables do (ZPCI_SHOW_* of <zpci/counter.h>), and the name they
// give it.  Views list counters in registration order.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <zpci/counter.h>

namespace zpcisim {

class StatsRegistry {
public:
	struct Counter {
		std::string name;	// "<instance>.<name>"
		const uint64_t *value;
		std::string description;
		unsigned show;		// ZPCI_SHOW_*: the views that show it
		std::string shown_as;	// the name those views give it
	};

	// @value must outlive the registry's use; names must be unique.  The
	// views in @show show it as @shown_as, or as @name when that is empty.
	void add(const std::string &block, const std::string &name, const uint64_t *value,
		 const std::string &description, unsigned show = 0,
		 const std::string &shown_as = "");
	uint64_t get(const std::string &full_name) const;
	// In registration order: the views' (the stats file sorts them by name).
	const std::vector<Counter> &all() const { return counters_; }

private:
	std::vector<Counter> counters_;
	std::map<std::string, size_t> index_;	// by full name, into counters_
};

}  // namespace zpcisim
