// SPDX-License-Identifier: MIT
#include "cli.h"

#include <algorithm>
#include <new>
#include <ostream>

#include "help_docs.h"
#include "plugin.h"
#include "version.h"

namespace zpcisim {

namespace {

int cmd_help(const Args &args, CommandIo &io);
int cmd_version(const Args &args, CommandIo &io);

const std::vector<Command> kCommands = {
	{ "replay", "replay a trace through a design and report", cmd_replay },
	{ "compare", "replay a trace through every design, side by side", cmd_compare },
	{ "sensitivity", "which cost and timing assumptions move a closed-loop result",
	  cmd_sensitivity },
	{ "sweep", "replay a trace over a grid of configurations, in parallel", cmd_sweep },
	{ "report", "plot results: cost, IOTLB hit rate, pinned memory, stale windows", cmd_report },
	{ "config", "print the effective configuration: every key, default and unit", cmd_config },
	{ "trace", "generate, convert, validate and measure traces", cmd_trace },
	{ "walk", "translate IOVAs through a table image, entry by entry", cmd_walk },
	{ "serve", "serve simulated machines to driver code over ZeroMQ", cmd_serve },
	{ "monitor", "show a run's live telemetry", cmd_monitor },
	{ "help", "show help for a command; --man: the man page; --completion bash",
	  cmd_help },
	{ "version", "print the zpcisim version", cmd_version },
};

const Command *find_command(const std::string &name)
{
	auto it = std::find_if(kCommands.begin(), kCommands.end(),
			       [&](const Command &c) { return name == c.name; });
	return it == kCommands.end() ? nullptr : &*it;
}

void print_overview(std::ostream &out)
{
	out << "usage: zpcisim <command> [<args>]\n\n"
	    << "A cycle-level simulator of the s390 zPCI DMA translation path.\n\n"
	    << "commands:\n";
	for (const Command &c : kCommands) {
		std::string name = c.name;
		name.resize(std::max<size_t>(name.size(), 10), ' ');
		out << "   " << name << c.summary << '\n';
	}
	out << "\nSee 'zpcisim help <command>' for one command's options.\n";
}

int cmd_help(const Args &args, CommandIo &io)
{
	if (args.empty() || args[0] == "--help" || args[0] == "-h") {
		print_overview(io.out);
		return kExitOk;
	}
	if (args == Args{ "--man" }) {
		print_man_page(io.out);
		return kExitOk;
	}
	if (args == Args{ "--completion", "bash" }) {
		print_bash_completion(io.out);
		return kExitOk;
	}
	const Command *c = find_command(args[0]);
	if (!c) {
		io.err << "zpcisim help: '" << args[0] << "' is not a zpcisim command\n";
		return kExitUsage;
	}
	// "help trace gen" is "trace gen --help".
	Args sub(args.begin() + 1, args.end());
	sub.push_back("--help");
	return c->run(sub, io);
}

int cmd_version(const Args &args, CommandIo &io)
{
	if (!args.empty() && args[0] != "--help" && args[0] != "-h") {
		io.err << "zpcisim version: takes no arguments\n";
		return kExitUsage;
	}
	io.out << "zpcisim " << kVersion << '\n';
	return kExitOk;
}

}  // namespace

const std::vector<Command> &commands()
{
	return kCommands;
}

int run_cli(const Args &args, std::ostream &out, std::ostream &err)
{
	CommandIo io{ out, err };
	int rc;

	if (args.empty() || args[0] == "--help" || args[0] == "-h") {
		print_overview(args.empty() ? err : out);
		return args.empty() ? kExitUsage : kExitOk;
	}
	if (args[0] == "--version")
		return cmd_version({}, io);
	const Command *c = find_command(args[0]);
	if (!c) {
		err << "zpcisim: '" << args[0]
		    << "' is not a zpcisim command; see 'zpcisim help'\n";
		return kExitUsage;
	}
	try {
		rc = c->run(Args(args.begin() + 1, args.end()), io);
	} catch (const std::bad_alloc &) {
		// What an input asked for is refused where it is read (exit 2).
		err << "zpcisim " << c->name << ": out of memory\n";
		return kExitResource;
	} catch (const PluginError &e) {
		err << "zpcisim " << c->name << ": " << e.what() << '\n';
		return kExitResource;
	}
	out.flush();
	if (!out) {
		err << "zpcisim " << c->name << ": cannot write standard output\n";
		rc = kExitFailure;
	}
	return rc < 0 ? kExitFailure : std::min(rc, 255);
}

}  // namespace zpcisim
