// SPDX-License-Identifier: MIT
// Output files and terminal progress, the same way for every command.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace zpcisim {

// Write @content to @path through a temporary file renamed into place, so
// that a failure leaves no half-written file.  false with @err set.
bool write_file_atomic(const std::string &path, const std::string &content, std::string *err);

// A one-line progress report, redrawn at most five times a second, on a
// terminal only: scripts and CI logs stay quiet.
class Progress {
public:
	// @total: of what update() counts as done (0: unknown); @unit: what it counts as items.
	Progress(std::ostream &out, bool enabled, const char *what, uint64_t total,
		 const char *unit = "records");
	~Progress();
	void update(uint64_t done, uint64_t items);

private:
	std::ostream &out_;
	bool enabled_;
	const char *what_;
	uint64_t total_;
	const char *unit_;
	bool drawn_ = false;
	std::chrono::steady_clock::time_point next_;
};

// Whether progress belongs on @out: it is the process's stderr, and a terminal.
bool progress_wanted(const std::ostream &out);

}  // namespace zpcisim
