// SPDX-License-Identifier: MIT
#include "stats/histogram.h"

#include <algorithm>

namespace zpcisim {

// The largest value bucket() puts in @b.
uint64_t Histogram::upper(unsigned int b)
{
	if (b < kSub)
		return b;
	int msb = b / kSub + 3;
	uint64_t sub = b % kSub;
	uint64_t lo = (1ULL << msb) | (sub << (msb - 4));
	return lo + (1ULL << (msb - 4)) - 1;
}

void Histogram::merge(const Histogram &other)
{
	for (size_t b = 0; b < buckets_.size(); b++)
		buckets_[b] += other.buckets_[b];
	count_ += other.count_;
	max_ = std::max(max_, other.max_);
}

uint64_t Histogram::percentile(double p) const
{
	if (!count_)
		return 0;
	uint64_t want = static_cast<uint64_t>(p * count_ + 0.5), seen = 0;
	want = std::max<uint64_t>(want, 1);
	for (unsigned int b = 0; b < buckets_.size(); b++) {
		seen += buckets_[b];
		if (seen >= want)
			return std::min(upper(b), max_);
	}
	return max_;
}

std::vector<std::pair<uint64_t, uint64_t>> Histogram::buckets() const
{
	std::vector<std::pair<uint64_t, uint64_t>> v;

	for (unsigned int b = 0; b < buckets_.size(); b++)
		if (buckets_[b])
			v.push_back({ std::min(upper(b), max_), buckets_[b] });
	return v;
}

}  // namespace zpcisim
