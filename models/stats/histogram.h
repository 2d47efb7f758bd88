// SPDX-License-Identifier: MIT
// The fixed-resolution histogram of zpci/hist.h, for C++ callers: the
// models' latencies and the reports that print any zpci_hist.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <zpci/hist.h>

namespace zpcisim {

class Histogram {
public:
	Histogram() : h_{} {}
	explicit Histogram(const zpci_hist &h) : h_(h) {}

	void add(uint64_t v) { zpci_hist_add(&h_, v); }
	void merge(const Histogram &other) { zpci_hist_merge(&h_, &other.h_); }
	uint64_t count() const { return h_.count; }
	uint64_t max() const { return h_.max; }
	uint64_t percentile(double p) const { return zpci_hist_percentile(&h_, p); }
	// The non-empty buckets, lowest first: (upper bound, samples).
	std::vector<std::pair<uint64_t, uint64_t>> buckets() const;

private:
	zpci_hist h_;
};

}  // namespace zpcisim
