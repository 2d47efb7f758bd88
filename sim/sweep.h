// SPDX-License-Identifier: MIT
// A sweep: one trace replayed at every point of a cartesian product of
// configuration values, one row per point.  The points, their rows and the
// resumption of a results file live here; running the points in parallel
// processes is `zpcisim sweep`'s business.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config.h"

namespace zpcisim {

// One swept key and its values, in the order given.
struct SweepAxis {
	std::string key;
	std::vector<std::string> values;
};

class Sweep {
public:
	// @base: the configuration every point starts from.  Axes vary in the
	// order given, the last fastest.
	Sweep(const Config &base, std::vector<SweepAxis> axes);

	size_t points() const { return points_; }
	// Point @i's value of each axis, in axis order.
	std::vector<std::string> values(size_t i) const;
	// The same as {key: value}, for its full stats.
	nlohmann::ordered_json point_json(size_t i) const;
	// Point @i's configuration.  false with *err if a value is bad.
	bool config(size_t i, Config *c, std::string *err) const;

	// The CSV header line (no newline) and point @i's row from its replay's
	// JSON (replay_json) or, for a point that could not run, its error.
	std::string csv_header() const;
	std::string csv_row(size_t i, const nlohmann::ordered_json &result) const;

	// Read an earlier results file: the points it has, by index, as their
	// rows.  false with *err if it is not this sweep's ("FILE:LINE: why").
	bool resume(const std::string &path, std::vector<std::string> *rows,
		    std::string *err) const;

private:
	Config base_;
	std::vector<SweepAxis> axes_;
	size_t points_;
};

// The fields of one line of a results file (quoted fields hold no newline).
std::vector<std::string> csv_split(const std::string &line);

// Parse "key=v1,v2,..." into an axis; false with *err.
bool parse_axis(const std::string &text, SweepAxis *axis, std::string *err);

}  // namespace zpcisim
