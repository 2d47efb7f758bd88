// SPDX-License-Identifier: MIT
// What `replay` and `compare` share: their common options, running a trace
// through a replay, and reporting it (summary lines, JSON).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "closed_loop.h"
#include "config.h"
#include "telemetry.h"
#include "options.h"
#include "replay.h"

namespace zpcisim {

struct ReplayRun {
	std::string trace;
	ReplayOptions opts;
	bool binary = false;
	bool partial = false;	// interrupted: the stats cover the records before it
	Telemetry *telemetry = nullptr;	// live counters, when asked for
	Timeline *timeline = nullptr;	// events, when asked for
	std::optional<ClosedLoopReport> closed;	// closed-loop timing's results
};

// The counters a live view shows, as telemetry publishes them.
nlohmann::ordered_json live_json(const Replay &r);

// The configuration options of every command that runs replays:
// --config FILE, --set KEY=VALUE (repeatable), and shorthand flags that
// set one key each (--policy is --set replay.policy=...).  Later wins:
// defaults, the file, the shorthands, then the --set options in order.
struct ConfigArgs {
	std::string file;
	std::vector<std::string> sets;

	// @with_design: the command takes --design (replay and config do;
	// compare and sweep choose designs their own way).
	void add_to(po::options_description &opts, bool with_design);
	// Build @c, and @check the keys that go together; an exit status
	// after a one-line error, or nullopt.
	std::optional<int> apply(const CommandSpec &spec, const po::variables_map &vm,
				 CommandIo &io, Config *c, bool check = true) const;
};

// The arguments of a command that replays one trace through several
// designs (compare, sensitivity): the trace, --designs, the configuration.
struct DesignsArgs {
	std::string trace;
	std::string designs;	// comma-separated; every design by default
	ConfigArgs config_args;
	// What apply() makes of them; @config holds the command's defaults
	// until then.
	Config config;
	std::vector<Design> list;

	DesignsArgs();
	void add_to(po::options_description &opts, po::positional_options_description &pos);
	// After parse_options(); an exit status after a one-line error, or
	// nullopt.
	std::optional<int> apply(const CommandSpec &spec, const po::variables_map &vm,
				 CommandIo &io);
	// A run of the trace with the configuration, its design to be chosen.
	ReplayRun base() const;
};

// Replay @run.trace; on success (0) *out holds the finished replay.  Bad
// input is reported (exit 2); a design that cannot start is exit 1.  A
// SIGINT stops it before the next record, finished and marked partial.
int run_replay(const CommandSpec &spec, ReplayRun &run, CommandIo &io,
	       std::unique_ptr<Replay> *out);

void print_replay_summary(std::ostream &out, const ReplayRun &run, const Replay &r);
nlohmann::ordered_json replay_json(const ReplayRun &run, const Replay &r);

}  // namespace zpcisim
