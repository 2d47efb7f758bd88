// SPDX-License-Identifier: MIT
#include "output.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sys/stat.h>
#include <unistd.h>

namespace zpcisim {

bool write_file_atomic(const std::string &path, const std::string &content, std::string *err)
{
	std::string tmp = path + ".tmp-XXXXXX";
	int fd = mkstemp(tmp.data());

	if (fd < 0) {
		*err = path + ": cannot create: " + strerror(errno);
		return false;
	}
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);	// mkstemp makes 0600; an output file gets the usual mode
	FILE *f = fdopen(fd, "wb");
	bool ok = f && fwrite(content.data(), 1, content.size(), f) == content.size();
	if (f)
		ok = fclose(f) == 0 && ok;
	else
		close(fd);
	if (ok && rename(tmp.c_str(), path.c_str()) == 0)
		return true;
	*err = path + ": cannot write: " + strerror(errno);
	unlink(tmp.c_str());
	return false;
}

bool progress_wanted(const std::ostream &out)
{
	return &out == &std::cerr && isatty(STDERR_FILENO);
}

Progress::Progress(std::ostream &out, bool enabled, const char *what, uint64_t total,
		   const char *unit)
	: out_(out), enabled_(enabled), what_(what), total_(total), unit_(unit),
	  next_(std::chrono::steady_clock::now())
{
}

Progress::~Progress()
{
	if (drawn_)
		out_ << "\r\033[K" << std::flush;
}

void Progress::update(uint64_t done, uint64_t items)
{
	if (!enabled_)
		return;
	auto now = std::chrono::steady_clock::now();
	if (now < next_)
		return;
	next_ = now + std::chrono::milliseconds(200);
	out_ << '\r' << what_ << ": ";
	if (total_)
		out_ << (100 * done / total_) << "% ";
	out_ << items << ' ' << unit_ << std::flush;
	drawn_ = true;
}

}  // namespace zpcisim
