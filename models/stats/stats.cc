// SPDX-License-Identifier: MIT
#include "stats/stats.h"

#include <stdexcept>

namespace zpcisim {

void StatsRegistry::add(const std::string &block, const std::string &name, const uint64_t *value,
			const std::string &description)
{
	std::string full = block + "." + name;

	if (!counters_.emplace(full, Counter{ value, description }).second)
		throw std::logic_error("counter " + full + " registered twice");
}

uint64_t StatsRegistry::get(const std::string &full_name) const
{
	auto it = counters_.find(full_name);

	if (it == counters_.end())
		throw std::out_of_range("no counter " + full_name);
	return *it->second.value;
}

}  // namespace zpcisim
