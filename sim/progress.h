// SPDX-License-Identifier: MIT
// Terminal progress, the same way for every long command: a bar, the rate
// and the time left, redrawn on one line of a terminal; nothing elsewhere,
// so that scripts and CI logs stay quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace zpcisim {

class Progress {
public:
	// @total: of what update() counts as done (0: unknown); @unit: what it
	// counts as items.
	Progress(std::ostream &out, bool enabled, const char *what, uint64_t total,
		 const char *unit = "records");
	~Progress();
	// Redraw, at most five times a second: @done of the total so far, and
	// @items (the rate is in items per second).
	void update(uint64_t done, uint64_t items);
	// Clear the line, so that what is printed next starts on a clean one.
	void finish();

	// The line update() draws after @elapsed_s seconds (no carriage return).
	std::string line(uint64_t done, uint64_t items, double elapsed_s) const;

private:
	std::ostream &out_;
	bool enabled_;
	const char *what_;
	uint64_t total_;
	const char *unit_;
	bool drawn_ = false;
	std::chrono::steady_clock::time_point start_, next_;
};

// Whether progress belongs on @out: it is the process's stderr, and a terminal.
bool progress_wanted(const std::ostream &out);

// Clear whichever progress line is drawn, before a message goes to the
// terminal (command_error() does), so that the message has its own line.
void progress_clear();

}  // namespace zpcisim
