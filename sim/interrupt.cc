// SPDX-License-Identifier: MIT
#include "interrupt.h"

#include <csignal>

namespace zpcisim {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
struct sigaction g_previous;
int g_depth = 0;

extern "C" void on_sigint(int)
{
	g_interrupted = 1;
	// The next one ends the process, should the run not stop.
	sigaction(SIGINT, &g_previous, nullptr);
}

}  // namespace

InterruptScope::InterruptScope()
{
	if (g_depth++)
		return;
	struct sigaction sa = {};
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;	// reads in progress carry on; the loop checks the flag
	g_interrupted = 0;
	sigaction(SIGINT, &sa, &g_previous);
}

InterruptScope::~InterruptScope()
{
	if (--g_depth)
		return;
	sigaction(SIGINT, &g_previous, nullptr);
}

bool interrupted()
{
	return g_interrupted;
}

}  // namespace zpcisim
