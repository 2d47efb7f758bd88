// SPDX-License-Identifier: MIT
// zpcisim's entry.  The SystemC library brings a main() that prints a
// banner and calls sc_main(); ours comes first, silences the banner before
// any SystemC kernel exists (scripts read our output), and runs the CLI.
// sc_main() exists because the library refers to it; it runs the same CLI.
#include <cstdlib>
#include <iostream>

#include <ztrace/out_file.h>

#include "cli.h"

namespace {

int run(int argc, char **argv)
{
	setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
	// A signal that ends the process takes its half-written outputs with it.
	ztrace_out_remove_on_signals();
	std::ios::sync_with_stdio(false);
	return zpcisim::run_cli(zpcisim::Args(argv + 1, argv + argc), std::cout, std::cerr);
}

}  // namespace

extern "C" int sc_main(int argc, char **argv);	// as SystemC declares it

int sc_main(int argc, char **argv)
{
	return run(argc, argv);
}

int main(int argc, char **argv)
{
	return run(argc, argv);
}
