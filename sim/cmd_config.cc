// SPDX-License-Identifier: MIT
// zpcisim config: what a run would be configured with.
#include <ostream>

#include "replay_cli.h"

namespace zpcisim {

namespace {

const CommandSpec kSpec = {
	"config",
	"config dump [--config FILE] [--set KEY=VALUE]... [shorthand flags]",
	"Print the effective configuration, every key with its value, unit and\n"
	"meaning, as a TOML file that --config reads back.  With --config and --set,\n"
	"what they make of the defaults; a bad file or value is reported as\n"
	"FILE:LINE: what is wrong (exit 2).",
};

}  // namespace

int cmd_config(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::positional_options_description pos;
	po::variables_map vm;
	ConfigArgs config_args;
	Config config;
	std::string action;

	opts.add_options()("action", po::value(&action)->required(), "dump");
	config_args.add_to(opts, true);
	pos.add("action", 1);
	if (auto rc = parse_options(kSpec, args, opts, pos, vm, io))
		return *rc;
	if (action != "dump")
		return command_error(kSpec, io, "'" + action + "' is not an action: dump",
				     kExitUsage);
	if (auto rc = config_args.apply(kSpec, vm, io, &config))
		return *rc;
	io.out << config.dump();
	return kExitOk;
}

}  // namespace zpcisim
