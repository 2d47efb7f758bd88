// SPDX-License-Identifier: MIT
// SIGINT, SIGTERM or SIGHUP during a long run (replay, compare): the run
// stops before the next record and reports what it did, marked partial,
// rather than dying with nothing to show.  A second one of the same signal
// is not caught: it ends the process.
#pragma once

namespace zpcisim {

// 128 + SIGINT, as a shell reports a process ended by it.
constexpr int kExitInterrupted = 130;

// While one exists, those signals set the flag instead of ending the
// process.  A SIGHUP the process ignores (nohup) stays ignored.
class InterruptScope {
public:
	InterruptScope();
	~InterruptScope();
	InterruptScope(const InterruptScope &) = delete;
	InterruptScope &operator=(const InterruptScope &) = delete;
};

// One of them arrived inside an InterruptScope.
bool interrupted();

// 128 + the signal that interrupted the run (130 SIGINT, 143 SIGTERM, 129
// SIGHUP), as a shell reports a process that signal ended.
int interrupted_exit_code();

}  // namespace zpcisim
