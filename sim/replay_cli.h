// SPDX-License-Identifier: MIT
// What `replay` and `compare` share: their common options, running a trace
// through a replay, and reporting it (summary lines, JSON).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "options.h"
#include "replay.h"

namespace zpcisim {

struct ReplayRun {
	std::string trace;
	ReplayOptions opts;
	bool binary = false;
	bool partial = false;	// interrupted: the stats cover the records before it
};

// Options both commands take, as typed, before checking.
struct ReplayArgs {
	std::string policy = "lazy";
	std::string mode = "functional";
	uint32_t mapping_limit = ZPCI_SHADOW_MAPPING_LIMIT_DEFAULT;
	std::string pin_limit;
	uint32_t pin_fail_every = 0;
	uint32_t pin_fail_permille = 0;
	uint64_t seed = 1;

	void add_to(po::options_description &opts);
	// Check and set @o; an exit status after a one-line error, or nullopt.
	std::optional<int> apply(const CommandSpec &spec, CommandIo &io, ReplayOptions *o) const;
};

// Replay @run.trace; on success (0) *out holds the finished replay.  Bad
// input is reported (exit 2); a design that cannot start is exit 1.  A
// SIGINT stops it before the next record, finished and marked partial.
int run_replay(const CommandSpec &spec, ReplayRun &run, CommandIo &io,
	       std::unique_ptr<Replay> *out);

void print_replay_summary(std::ostream &out, const ReplayRun &run, const Replay &r);
nlohmann::ordered_json replay_json(const ReplayRun &run, const Replay &r);

}  // namespace zpcisim
