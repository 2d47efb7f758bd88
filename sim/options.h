// SPDX-License-Identifier: MIT
// Option parsing shared by every command: Boost.Program_options with the
// house rules (leftovers rejected, "--help" handled, errors on one line).
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "output.h"

// Whole-number options reject a sign: Boost's own conversion would take
// "-1" for an unsigned option as 2^32 - 1 or 2^64 - 1.  Declared in
// namespace boost, where the lookup from boost::any finds them; every command
// includes this header, so each unsigned option parses the same way.
namespace boost {
void validate(boost::any &v, const std::vector<std::string> &xs, unsigned int *, int);
void validate(boost::any &v, const std::vector<std::string> &xs, unsigned long *, int);
void validate(boost::any &v, const std::vector<std::string> &xs, unsigned long long *, int);
}  // namespace boost

namespace zpcisim {

namespace po = boost::program_options;

struct CommandSpec {
	const char *name;
	const char *usage;		// "walk IMAGE [IOVA[:read|write]]..."
	const char *description;	// a paragraph for --help
	std::string (*tables)() = nullptr;	// more help, from the tables it reads
};

// Parse @args against @opts/@pos into @vm.  On --help prints help and
// returns kExitOk; on a bad command line prints one line and returns
// kExitUsage; returns nullopt when the command should go on.
std::optional<int> parse_options(const CommandSpec &spec, const Args &args,
				 po::options_description &opts,
				 const po::positional_options_description &pos,
				 po::variables_map &vm, CommandIo &io);

// A ZeroMQ endpoint others can reach (not loopback, IPC or in-process)
// gets a one-line warning: whoever reaches it reads or drives the run.
void warn_if_reachable(const CommandSpec &spec, CommandIo &io, const std::string &endpoint);

// Open @f on the path option @name gives, when it is given ("" included:
// that is no path).  Done before the work, so a bad path is a one-line
// error at once; nullopt when the command should go on.
std::optional<int> open_output(const CommandSpec &spec, CommandIo &io,
			       const po::variables_map &vm, const char *name, OutputFile *f,
			       const std::vector<std::string> &inputs = {});

// "zpcisim NAME: MESSAGE" on stderr; returns @code.
int command_error(const CommandSpec &spec, CommandIo &io, const std::string &message,
		  int code = kExitFailure);

}  // namespace zpcisim
