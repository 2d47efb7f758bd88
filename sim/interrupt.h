// SPDX-License-Identifier: MIT
// SIGINT during a long run (replay, compare): the run stops before the next
// record and reports what it did, marked partial, rather than dying with
// nothing to show.  A second SIGINT is not caught: it ends the process.
#pragma once

namespace zpcisim {

// 128 + SIGINT, as a shell reports a process ended by it.
constexpr int kExitInterrupted = 130;

// While one exists, SIGINT sets the flag instead of ending the process;
// with @sigterm_too, so does SIGTERM (a service stopped by its supervisor
// still reports what it did).
class InterruptScope {
public:
	explicit InterruptScope(bool sigterm_too = false);
	~InterruptScope();
	InterruptScope(const InterruptScope &) = delete;
	InterruptScope &operator=(const InterruptScope &) = delete;
};

// A SIGINT (or a caught SIGTERM) arrived inside an InterruptScope.
bool interrupted();

// 128 + the signal that interrupted: 130 for SIGINT, 143 for SIGTERM.
int interrupted_exit_status();

}  // namespace zpcisim
