// SPDX-License-Identifier: MIT
// A latency histogram with a fixed relative resolution: each power of two
// is split into 16 buckets, so a percentile is within 1/16 (6%) of the
// true value, in constant memory whatever the number of samples.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace zpcisim {

class Histogram {
public:
	// Inline: every device access adds its latency.
	void add(uint64_t v)
	{
		buckets_[bucket(v)]++;
		count_++;
		max_ = std::max(max_, v);
	}
	void merge(const Histogram &other);
	uint64_t count() const { return count_; }
	uint64_t max() const { return max_; }
	// The value below which @p (0..1) of the samples lie, to the bucket's
	// upper bound; 0 when empty.
	uint64_t percentile(double p) const;
	// The non-empty buckets, lowest first: (upper bound, samples).
	std::vector<std::pair<uint64_t, uint64_t>> buckets() const;

private:
	static constexpr int kSub = 16;
	// Values below kSub have a bucket each; above, the top 5 bits choose
	// one of kSub buckets within their power of two.
	static unsigned int bucket(uint64_t v)
	{
		if (v < kSub)
			return v;
		int msb = 63 - __builtin_clzll(v);
		unsigned int sub = (v >> (msb - 4)) & (kSub - 1);
		return (msb - 3) * kSub + sub;
	}
	static uint64_t upper(unsigned int b);

	std::array<uint64_t, 64 * kSub> buckets_{};
	uint64_t count_ = 0, max_ = 0;
};

}  // namespace zpcisim
