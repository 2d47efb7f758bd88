// SPDX-License-Identifier: MIT
// zpcisim's entry.  The program links no SystemC (the models are a plugin,
// sim/plugin.h); SC_COPYRIGHT_MESSAGE silences the banner the library would
// print when a timed run loads it (scripts read our output).
#include <cstdlib>
#include <iostream>

#include <ztrace/out_file.h>

#include "cli.h"

int main(int argc, char **argv)
{
	setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
	// A signal that ends the process takes its half-written outputs with it.
	ztrace_out_remove_on_signals();
	std::ios::sync_with_stdio(false);
	return zpcisim::run_cli(zpcisim::Args(argv + 1, argv + argc), std::cout, std::cerr);
}
