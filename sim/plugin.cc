// SPDX-License-Identifier: MIT
#include "plugin.h"

#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

namespace zpcisim {

namespace {

// What the dynamic loader calls $ORIGIN for the program: the directory of
// its file, links resolved.  Not left to the loader (a "$ORIGIN/..." name
// to dlopen): under AddressSanitizer its dlopen is the caller, and $ORIGIN
// would be the sanitizer library's directory.
std::string origin()
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		throw PluginError("cannot find the program's own file (/proc/self/exe)");
	std::string exe(buf, n);
	return exe.substr(0, exe.rfind('/'));
}

}  // namespace

void *plugin_entry(const char *file, const char *symbol)
{
	std::string path = origin() + "/" ZPCISIM_PLUGIN_DIR "/" + file;
	// RTLD_NOW: a plugin that does not fit this program fails here, with
	// the symbol it misses, not in the middle of a run.  RTLD_LOCAL: what
	// it links stays its own.  Never closed: SystemC keeps state until exit.
	void *h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
	void *entry;

	if (!h)
		throw PluginError(std::string("cannot load plugin: ") + dlerror());
	entry = dlsym(h, symbol);
	if (!entry)
		throw PluginError("plugin " + path + " has no " + symbol);
	return entry;
}

}  // namespace zpcisim
