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

// The value of a summary's "key: value" line, or "" when it has none.
inline std::string line_of(const std::string &out, const std::string &key)
{
	auto at = out.find("\n" + key + ": ");
	if (at == std::string::npos)
		return "";
	at += key.size() + 3;
	return out.substr(at, out.find('\n', at) - at);
}

}  // namespace zpcisim::test
