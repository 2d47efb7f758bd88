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
	// order given, the last fastest.  @inputs: what else a point's result
	// rests on (sweep_inputs()), so that a results file made from other
	// inputs is never taken for this sweep's.
	Sweep(const Config &base, std::vector<SweepAxis> axes, std::string inputs);

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
	// rows, less those run from other inputs (counted in *@stale: they run
	// again).  false with *err if it is not this sweep's ("FILE:LINE: why").
	bool resume(const std::string &path, std::vector<std::string> *rows, size_t *stale,
		    std::string *err) const;

private:
	// Point @i's inputs: the trace, the zpcisim build and its whole
	// configuration, as a digest (the results file's last column).
	std::string inputs_digest(size_t i) const;

	Config base_;
	std::vector<SweepAxis> axes_;
	std::string inputs_;
	size_t points_;
};

// What every point of a sweep of @trace rests on besides its configuration:
// the trace's content and this program's, as digests.  false with *err if
// either cannot be read.
bool sweep_inputs(const std::string &trace, std::string *inputs, std::string *err);

// The fields of one line of a results file (quoted fields hold no newline).
std::vector<std::string> csv_split(const std::string &line);

// Parse "key=v1,v2,..." into an axis; false with *err.
bool parse_axis(const std::string &text, SweepAxis *axis, std::string *err);

}  // namespace zpcisim
