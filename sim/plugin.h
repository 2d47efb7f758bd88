// SPDX-License-Identifier: MIT
// The program's plugins: what only some commands need, loaded by those
// alone.  libzpcisim-models.so holds the SystemC models (timed replays,
// timed_models.h) and libzpcisim-net.so the ZeroMQ sockets (serve,
// monitor, replay --telemetry: net.h).  Linked into the program, SystemC and
// ZeroMQ with its dependencies cost every command, `help` included, ~25 ms
// of start-up (docs/performance.md, issue 28 item 3).
//
// A plugin is opened at $ORIGIN/../lib/zpcisim/, $ORIGIN the program's own
// directory (the build lays out its programs and plugins alike), never
// searched for: a search path on the program would cost every library it
// loads ~20 failed opens.  It is loaded once and stays.
#pragma once

#include <stdexcept>
#include <string>

namespace zpcisim {

// A plugin that cannot be loaded: an environment fault (exit 3).
struct PluginError : std::runtime_error {
	using std::runtime_error::runtime_error;
};

// The entry point @symbol of plugin @file (e.g. "libzpcisim-net.so"),
// loading it on first use; throws PluginError with the loader's reason.
void *plugin_entry(const char *file, const char *symbol);

// The same, as the function type @Fn the plugin's header declares.
template <typename Fn>
Fn *plugin_function(const char *file, const char *symbol)
{
	return reinterpret_cast<Fn *>(plugin_entry(file, symbol));
}

}  // namespace zpcisim
