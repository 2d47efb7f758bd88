// SPDX-License-Identifier: MIT
#include "stats/histogram.h"

#include <algorithm>

namespace zpcisim {

std::vector<std::pair<uint64_t, uint64_t>> Histogram::buckets() const
{
	std::vector<std::pair<uint64_t, uint64_t>> v;

	for (unsigned int b = 0; b < ZPCI_HIST_BUCKETS; b++)
		if (h_.bucket[b])
			v.push_back({ std::min(zpci_hist_upper(b), h_.max), h_.bucket[b] });
	return v;
}

}  // namespace zpcisim
