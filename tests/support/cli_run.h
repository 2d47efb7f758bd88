// SPDX-License-Identifier: MIT
// Running zpcisim in-process, and a scratch directory, for CLI tests.
#pragma once

#include <cstdlib>
#include <sstream>
#include <string>

#include "cli.h"

namespace zpcisim::test {

struct CliRun {
	int rc;
	std::string out, err;
};

inline CliRun run(const Args &args)
{
	std::ostringstream out, err;
	int rc = run_cli(args, out, err);
	return { rc, out.str(), err.str() };
}

}  // namespace zpcisim::test
