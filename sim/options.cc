// SPDX-License-Identifier: MIT
#include "options.h"

#include <ostream>

namespace zpcisim {

std::optional<int> parse_options(const CommandSpec &spec, const Args &args,
				 po::options_description &opts,
				 const po::positional_options_description &pos,
				 po::variables_map &vm, CommandIo &io)
{
	opts.add_options()("help,h", "show this help");
	try {
		po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
		if (vm.count("help")) {
			io.out << "usage: zpcisim " << spec.usage << "\n\n"
			       << spec.description << "\n\n";
			if (spec.tables)
				io.out << spec.tables() << '\n';
			io.out << opts;
			return kExitOk;
		}
		po::notify(vm);
	} catch (const po::error &e) {
		io.err << "zpcisim " << spec.name << ": " << e.what()
		       << " (see 'zpcisim " << spec.name << " --help')\n";
		return kExitUsage;
	}
	return std::nullopt;
}

void warn_if_reachable(const CommandSpec &spec, CommandIo &io, const std::string &endpoint)
{
	for (const char *local : { "tcp://127.", "tcp://[::1]", "tcp://localhost:", "ipc://",
				   "inproc://" })
		if (endpoint.rfind(local, 0) == 0)
			return;
	io.err << "zpcisim " << spec.name << ": " << endpoint
	       << " is reachable beyond this machine: whoever reaches it sees or drives the run\n";
}

int command_error(const CommandSpec &spec, CommandIo &io, const std::string &message,
		  int code)
{
	io.err << "zpcisim " << spec.name << ": " << message << '\n';
	return code;
}

}  // namespace zpcisim
