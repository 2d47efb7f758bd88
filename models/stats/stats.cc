// SPDX-License-Identifier: MIT
#include "stats/stats.h"

#include <stdexcept>

namespace zpcisim {

void StatsRegistry::add(const std::string &block, const std::string &name, const uint64_t *value,
			const std::string &description, unsigned show, const std::string &shown_as)
{
	std::string full = block + "." + name;

	if (!index_.emplace(full, counters_.size()).second)
		throw std::logic_error("counter " + full + " registered twice");
	counters_.push_back({ full, value, description, show, shown_as.empty() ? name : shown_as });
}

uint64_t StatsRegistry::get(const std::string &full_name) const
{
	auto it = index_.find(full_name);

	if (it == index_.end())
		throw std::out_of_range("no counter " + full_name);
	return *counters_[it->second].value;
}

}  // namespace zpcisim
