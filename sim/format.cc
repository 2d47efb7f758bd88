// SPDX-License-Identifier: MIT
#include "format.h"

#include <cstdio>

namespace zpcisim {

std::string hex(uint64_t v, int width)
{
	char buf[32];

	std::snprintf(buf, sizeof(buf), "0x%0*llx", width, static_cast<unsigned long long>(v));
	return buf;
}

std::string bytes(uint64_t v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	int u = 0;

	while (v && v % 1024 == 0 && u < 6) {
		v /= 1024;
		u++;
	}
	return std::to_string(v) + " " + units[u];
}

std::string join(const std::vector<std::string> &names, const char *sep)
{
	std::string s;

	for (const std::string &n : names)
		s += (s.empty() ? "" : sep) + n;
	return s;
}

}  // namespace zpcisim
