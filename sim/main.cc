// SPDX-License-Identifier: MIT
#include <iostream>

#include "cli.h"

int main(int argc, char **argv)
{
	std::ios::sync_with_stdio(false);
	return zpcisim::run_cli(zpcisim::Args(argv + 1, argv + argc), std::cout, std::cerr);
}
