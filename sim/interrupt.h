// SPDX-License-Identifier: MIT
// SIGINT during a long run (replay, compare): the run stops before the next
// record and reports what it did, marked partial, rather than dying with
// nothing to show.  A second SIGINT is not caught: it ends the process.
#pragma once

namespace zpcisim {

// 128 + SIGINT, as a shell reports a process ended by it.
constexpr int kExitInterrupted = 130;

// While one exists, SIGINT sets the flag instead of ending the process.
class InterruptScope {
public:
	InterruptScope();
	~InterruptScope();
	InterruptScope(const InterruptScope &) = delete;
	InterruptScope &operator=(const InterruptScope &) = delete;
};

// A SIGINT arrived inside an InterruptScope.
bool interrupted();

}  // namespace zpcisim
