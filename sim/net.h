// SPDX-License-Identifier: MIT
// The program's ZeroMQ sockets (serve's ROUTER, monitor's SUB, telemetry's
// PUB), as the commands see them.  They live in a plugin, libzpcisim-net.so
// (plugin.h), that only those commands load: libzmq and its dependencies
// (sodium, pgm, norm, gssapi) cost every other command 4-5 ms of start-up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace zpcisim {

// What ZeroMQ refused: its errno (EINTR: a signal came) and message.
struct NetError : std::runtime_error {
	NetError(int num, const std::string &what) : std::runtime_error(what), num(num) {}
	int num;
};

enum class SocketRole {
	Publish,	// PUB
	Subscribe,	// SUB, to every message
	Serve,		// ROUTER
};

// Each -1 or false leaves ZeroMQ's default.  Every socket lingers 0 ms.
struct SocketOptions {
	int send_hwm = -1;		// messages queued to send, per peer
	int receive_hwm = -1;		// messages queued received, per peer
	int send_buffer = -1;		// bytes of kernel buffer
	int64_t max_message = -1;	// bytes; a longer frame closes its connection
	bool no_drop = false;		// PUB: a full queue refuses a send (xpub_nodrop)
	bool mandatory = false;		// ROUTER: a reply to no one is an error (router_mandatory)
};

class Socket {
public:
	virtual ~Socket() = default;

	// Each throws NetError.
	virtual void bind(const std::string &endpoint) = 0;
	virtual void connect(const std::string &endpoint) = 0;
	// The endpoint last bound, a '*' port resolved.
	virtual std::string endpoint() = 0;
	// Whether a frame can be read within @timeout_ms.
	virtual bool readable(int timeout_ms) = 0;
	// The next frame into @frame, @more when another of its message follows;
	// false when none is there and @dontwait.
	virtual bool receive(std::string &frame, bool &more, bool dontwait) = 0;
	// Send @len bytes as a frame, @more when another of its message
	// follows; false when it would have to wait and @dontwait.
	virtual bool send(const void *data, size_t len, bool more, bool dontwait) = 0;
};

// A socket in a context of its own.  Loads the plugin the first time:
// throws PluginError when it cannot, NetError when ZeroMQ refuses.
std::unique_ptr<Socket> open_socket(SocketRole role, const SocketOptions &o = {});

// The plugin's entry: open_socket() without the loading.
using OpenSocket = Socket *(SocketRole role, const SocketOptions &o);
constexpr const char *kNetPlugin = "libzpcisim-net.so";
constexpr const char *kNetEntry = "zpcisim_open_socket";

}  // namespace zpcisim
