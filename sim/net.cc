// SPDX-License-Identifier: MIT
#include "net.h"

#include "plugin.h"

namespace zpcisim {

std::unique_ptr<Socket> open_socket(SocketRole role, const SocketOptions &o)
{
	static OpenSocket *open = plugin_function<OpenSocket>(kNetPlugin, kNetEntry);

	return std::unique_ptr<Socket>(open(role, o));
}

}  // namespace zpcisim
