// SPDX-License-Identifier: MIT
#include "progress.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace zpcisim {

namespace {

constexpr unsigned kBarWidth = 20;

Progress *drawn_last;	// the one whose line is on the terminal, if any

// 4194304 as "4.19M": a count a person reads at a glance.
std::string short_count(double v)
{
	const char *const suffix[] = { "", "k", "M", "G", "T" };
	unsigned k = 0;
	char s[32];

	while (v >= 1000 && k + 1 < sizeof(suffix) / sizeof(*suffix))
		v /= 1000, k++;
	snprintf(s, sizeof(s), !k && v == std::floor(v) ? "%.0f%s" : "%.3g%s", v, suffix[k]);
	return s;
}

// Seconds as "7s", "3m05s" or "2h10m".
std::string short_duration(double s)
{
	long t = std::lround(s);
	char buf[32];

	if (t < 60)
		snprintf(buf, sizeof(buf), "%lds", t);
	else if (t < 3600)
		snprintf(buf, sizeof(buf), "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, sizeof(buf), "%ldh%02ldm", t / 3600, t / 60 % 60);
	return buf;
}

}  // namespace

bool progress_wanted(const std::ostream &out)
{
	return &out == &std::cerr && isatty(STDERR_FILENO);
}

Progress::Progress(std::ostream &out, bool enabled, const char *what, uint64_t total,
		   const char *unit)
	: out_(out), enabled_(enabled), what_(what), total_(total), unit_(unit),
	  start_(std::chrono::steady_clock::now()), next_(start_)
{
}

Progress::~Progress()
{
	finish();
}

std::string Progress::line(uint64_t done, uint64_t items, double elapsed_s) const
{
	std::string s = std::string(what_) + ": ";

	if (total_) {
		uint64_t shown = std::min(done, total_);
		unsigned filled = unsigned(kBarWidth * shown / total_);
		s += "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "] " +
		     std::to_string(100 * shown / total_) + "% ";
	}
	s += short_count(double(items)) + " " + unit_;
	// A rate and an estimate need some time behind them to mean anything.
	if (elapsed_s >= 1 && items)
		s += ", " + short_count(items / elapsed_s) + "/s";
	if (total_ && done && done < total_ && elapsed_s >= 1)
		s += ", " + short_duration(elapsed_s * double(total_ - done) / double(done)) + " left";
	else
		s += ", " + short_duration(elapsed_s);
	return s;
}

void Progress::update(uint64_t done, uint64_t items)
{
	if (!enabled_)
		return;
	auto now = std::chrono::steady_clock::now();
	if (now < next_)
		return;
	next_ = now + std::chrono::milliseconds(200);
	out_ << '\r' << line(done, items, std::chrono::duration<double>(now - start_).count())
	     << "\033[K" << std::flush;
	drawn_ = true;
	drawn_last = this;
}

void Progress::finish()
{
	if (drawn_)
		out_ << "\r\033[K" << std::flush;
	drawn_ = false;
	if (drawn_last == this)
		drawn_last = nullptr;
}

void progress_clear()
{
	if (drawn_last)
		drawn_last->finish();
}

}  // namespace zpcisim
