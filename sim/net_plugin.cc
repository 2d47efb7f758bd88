// SPDX-License-Identifier: MIT
// The plugin libzpcisim-net.so: the sockets of net.h over cppzmq.  Every
// ZeroMQ error leaves it as NetError: the program knows no zmq type.
#include <zmq.hpp>

#include "net.h"

namespace zpcisim {

namespace {

template <typename F>
auto guarded(F f)
{
	try {
		return f();
	} catch (const zmq::error_t &e) {
		throw NetError(e.num(), e.what());
	}
}

zmq::socket_type type_of(SocketRole role)
{
	switch (role) {
	case SocketRole::Publish:
		return zmq::socket_type::pub;
	case SocketRole::Subscribe:
		return zmq::socket_type::sub;
	case SocketRole::Serve:
		break;
	}
	return zmq::socket_type::router;
}

class ZmqSocket final : public Socket {
public:
	ZmqSocket(SocketRole role, const SocketOptions &o) : sock_(ctx_, type_of(role))
	{
		sock_.set(zmq::sockopt::linger, 0);
		if (role == SocketRole::Subscribe)
			sock_.set(zmq::sockopt::subscribe, "");
		if (o.send_hwm >= 0)
			sock_.set(zmq::sockopt::sndhwm, o.send_hwm);
		if (o.receive_hwm >= 0)
			sock_.set(zmq::sockopt::rcvhwm, o.receive_hwm);
		if (o.send_buffer >= 0)
			sock_.set(zmq::sockopt::sndbuf, o.send_buffer);
		if (o.max_message >= 0)
			sock_.set(zmq::sockopt::maxmsgsize, o.max_message);
		if (o.no_drop)
			sock_.set(zmq::sockopt::xpub_nodrop, 1);
		if (o.mandatory)
			sock_.set(zmq::sockopt::router_mandatory, 1);
	}

	void bind(const std::string &endpoint) override
	{
		guarded([&] { sock_.bind(endpoint); });
	}

	void connect(const std::string &endpoint) override
	{
		guarded([&] { sock_.connect(endpoint); });
	}

	std::string endpoint() override
	{
		return guarded([&] { return sock_.get(zmq::sockopt::last_endpoint); });
	}

	bool readable(int timeout_ms) override
	{
		zmq::pollitem_t item = { sock_.handle(), 0, ZMQ_POLLIN, 0 };

		return guarded([&] {
			return zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) > 0;
		});
	}

	bool receive(std::string &frame, bool &more, bool dontwait) override
	{
		zmq::message_t m;
		auto flags = dontwait ? zmq::recv_flags::dontwait : zmq::recv_flags::none;

		if (!guarded([&] { return sock_.recv(m, flags).has_value(); }))
			return false;
		frame.assign(static_cast<const char *>(m.data()), m.size());
		more = m.more();
		return true;
	}

	bool send(const void *data, size_t len, bool more, bool dontwait) override
	{
		zmq::send_flags flags = zmq::send_flags::none;

		if (more)
			flags = flags | zmq::send_flags::sndmore;
		if (dontwait)
			flags = flags | zmq::send_flags::dontwait;
		return guarded([&] {
			return sock_.send(zmq::const_buffer(data, len), flags).has_value();
		});
	}

private:
	zmq::context_t ctx_;
	zmq::socket_t sock_;
};

}  // namespace

}  // namespace zpcisim

extern "C" __attribute__((visibility("default"))) zpcisim::Socket *
zpcisim_open_socket(zpcisim::SocketRole role, const zpcisim::SocketOptions &o)
{
	return zpcisim::guarded([&] { return new zpcisim::ZmqSocket(role, o); });
}
