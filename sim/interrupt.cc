// SPDX-License-Identifier: MIT
#include "interrupt.h"

#include <csignal>
#include <iterator>

namespace zpcisim {

namespace {

const int kSignals[] = { SIGINT, SIGTERM, SIGHUP };

volatile std::sig_atomic_t g_signal = 0;	// the first one caught; 0: none
struct sigaction g_previous[std::size(kSignals)];
bool g_caught[std::size(kSignals)];
int g_depth = 0;

extern "C" void on_signal(int sig)
{
	if (!g_signal)
		g_signal = sig;
	// The next one ends the process, should the run not stop.
	for (size_t i = 0; i < std::size(kSignals); i++)
		if (kSignals[i] == sig)
			sigaction(sig, &g_previous[i], nullptr);
}

}  // namespace

InterruptScope::InterruptScope()
{
	if (g_depth++)
		return;
	struct sigaction sa = {};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;	// reads in progress carry on; the loop checks the flag
	g_signal = 0;
	for (size_t i = 0; i < std::size(kSignals); i++) {
		sigaction(kSignals[i], nullptr, &g_previous[i]);
		g_caught[i] = kSignals[i] != SIGHUP || g_previous[i].sa_handler != SIG_IGN;
		if (g_caught[i])
			sigaction(kSignals[i], &sa, nullptr);
	}
}

InterruptScope::~InterruptScope()
{
	if (--g_depth)
		return;
	for (size_t i = 0; i < std::size(kSignals); i++)
		if (g_caught[i])
			sigaction(kSignals[i], &g_previous[i], nullptr);
}

bool interrupted()
{
	return g_signal != 0;
}

int interrupted_exit_code()
{
	return 128 + (g_signal ? g_signal : SIGINT);
}

}  // namespace zpcisim
