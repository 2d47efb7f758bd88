// SPDX-License-Identifier: MIT
// Test entry for binaries that link SystemC: the SystemC library owns
// main() and calls sc_main(), which hands over to GoogleTest.
#include <gtest/gtest.h>

#include <systemc>

int sc_main(int argc, char **argv)
{
	::testing::InitGoogleTest(&argc, argv);
	return RUN_ALL_TESTS();
}
