// SPDX-License-Identifier: MIT
// The zpcisim command line: one table of subcommands, each in its own
// cmd_<name>.cc, each taking its arguments and two streams so that tests
// can run it in-process.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace zpcisim {

// Exit statuses every command uses.
enum ExitCode {
	kExitOk = 0,
	kExitFailure = 1,	// a check failed, or the run could not start
	kExitUsage = 2,		// bad input: the command line, a trace, a config file
	kExitResource = 3,	// the machine failed the run: a full disk, an output it cannot
				// write, memory no input asked for, a missing program
};

struct CommandIo {
	std::ostream &out;
	std::ostream &err;
};

using Args = std::vector<std::string>;
using CommandFn = int (*)(const Args &args, CommandIo &io);

struct Command {
	const char *name;
	const char *summary;
	CommandFn run;		// given {"--help"}, prints its help and returns 0
};

// The command table; see cli.cc.
const std::vector<Command> &commands();

// Run "zpcisim ARGS..." (argv[0] excluded).  Returns the exit status, 0-255.
int run_cli(const Args &args, std::ostream &out, std::ostream &err);

int cmd_compare(const Args &args, CommandIo &io);
int cmd_config(const Args &args, CommandIo &io);
int cmd_monitor(const Args &args, CommandIo &io);
int cmd_replay(const Args &args, CommandIo &io);
int cmd_report(const Args &args, CommandIo &io);
int cmd_sensitivity(const Args &args, CommandIo &io);
int cmd_serve(const Args &args, CommandIo &io);
int cmd_sweep(const Args &args, CommandIo &io);
int cmd_trace(const Args &args, CommandIo &io);
int cmd_walk(const Args &args, CommandIo &io);

}  // namespace zpcisim
