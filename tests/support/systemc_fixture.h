// SPDX-License-Identifier: MIT
// A fresh SystemC kernel per test, so each test elaborates its own modules.
#pragma once

#include <gtest/gtest.h>

#include <systemc>

namespace zpcisim::test {

class SystemCTest : public ::testing::Test {
protected:
	SystemCTest()
	{
		// SystemC keeps one global context; tests replace it rather than
		// share module names and simulation time between them.
		sc_core::sc_curr_simcontext = new sc_core::sc_simcontext;
		sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
	}

	// Runs after the derived fixture's modules are gone.
	~SystemCTest() override
	{
		delete sc_core::sc_curr_simcontext;
		sc_core::sc_curr_simcontext = nullptr;
		sc_core::sc_default_global_context = nullptr;
	}
};

}  // namespace zpcisim::test
