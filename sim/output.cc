// SPDX-License-Identifier: MIT
#include "output.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
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

}  // namespace zpcisim
