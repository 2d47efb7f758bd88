// SPDX-License-Identifier: MIT
#include "interrupt.h"

#include <csignal>

namespace zpcisim {

namespace {

volatile std::sig_atomic_t g_signal = 0;	// the first one caught, or 0
struct sigaction g_previous_int, g_previous_term;
bool g_term_caught = false;
int g_depth = 0;

extern "C" void on_signal(int sig)
{
	if (!g_signal)
		g_signal = sig;
	// The next one ends the process, should the run not stop.
	sigaction(sig, sig == SIGTERM ? &g_previous_term : &g_previous_int, nullptr);
}

}  // namespace

InterruptScope::InterruptScope(bool sigterm_too)
{
	if (g_depth++)
		return;
	struct sigaction sa = {};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;	// reads in progress carry on; the loop checks the flag
	g_signal = 0;
	sigaction(SIGINT, &sa, &g_previous_int);
	g_term_caught = sigterm_too;
	if (sigterm_too)
		sigaction(SIGTERM, &sa, &g_previous_term);
}

InterruptScope::~InterruptScope()
{
	if (--g_depth)
		return;
	sigaction(SIGINT, &g_previous_int, nullptr);
	if (g_term_caught)
		sigaction(SIGTERM, &g_previous_term, nullptr);
}

bool interrupted()
{
	return g_signal;
}

int interrupted_exit_status()
{
	return 128 + (g_signal ? g_signal : SIGINT);
}

}  // namespace zpcisim
