// SPDX-License-Identifier: MIT
#include "plugin.h"

#include <dlfcn.h>

namespace zpcisim {

void *plugin_entry(const char *file, const char *symbol)
{
	// RTLD_NOW: a plugin that does not fit this program fails here, with
	// the symbol it misses, not in the middle of a run.  RTLD_LOCAL: what
	// it links stays its own.  Never closed: SystemC keeps state until exit.
	std::string path = std::string(ZPCISIM_PLUGIN_PATH "/") + file;
	void *h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
	void *entry;

	if (!h)
		throw PluginError(std::string("cannot load plugin: ") + dlerror());
	entry = dlsym(h, symbol);
	if (!entry)
		throw PluginError(std::string("plugin ") + file + " has no " + symbol);
	return entry;
}

}  // namespace zpcisim
