// SPDX-License-Identifier: MIT
// zpcisim serve: the driver harness over ZeroMQ.  A client (the C library
// behind zpci_harness_connect()) opens a session, which is a simulated
// machine of its choosing, and drives it request by request.  The request
// handling is the C harness server; this is only its socket loop.
#include <chrono>
#include <memory>
#include <ostream>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <zpci/harness_server.h>

#include "interrupt.h"
#include "options.h"

namespace zpcisim {

namespace {

const CommandSpec kSpec = {
	"serve",
	"serve [--listen ENDPOINT] [--sessions N] [--idle-timeout SECONDS]",
	"Serve simulated zPCI machines to driver code in other processes\n"
	"(drivers/harness/PROTOCOL.md).  Each client session gets its own machine\n"
	"with the design and configuration it asks for.  Prints the endpoint it\n"
	"listens on (a '*' port is resolved), then serves until SIGINT, and prints\n"
	"what it served.  A client that dies mid-request leaves an idle session,\n"
	"closed after the idle timeout.",
};

// A ROUTER receives [client identity][request]; anything else is dropped.
constexpr size_t kFrames = 2;
constexpr int kPollMs = 200;	// how soon SIGINT and idle sessions are noticed

struct ServerDeleter {
	void operator()(zpci_harness_server *s) const { zpci_harness_server_destroy(s); }
};

uint64_t now_ms()
{
	using namespace std::chrono;
	return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

void serve_one(zmq::socket_t &sock, zpci_harness_server *srv)
{
	std::vector<zmq::message_t> frames;
	const void *reply;
	size_t len;

	if (!zmq::recv_multipart(sock, std::back_inserter(frames), zmq::recv_flags::dontwait))
		return;
	if (frames.size() != kFrames)
		return;
	zpci_harness_server_handle(srv, frames[1].data(), frames[1].size(), now_ms(), &reply,
				   &len);
	// A client gone since it asked: ROUTER drops the reply, the server goes on.
	sock.send(std::move(frames[0]), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
	sock.send(zmq::buffer(reply, len), zmq::send_flags::dontwait);
}

}  // namespace

int cmd_serve(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::variables_map vm;
	std::string listen;
	unsigned sessions = 0;
	unsigned idle_s = 0;

	opts.add_options()
		("listen", po::value(&listen)->default_value("tcp://127.0.0.1:5555"),
		 "ZeroMQ endpoint to bind (loopback unless you say otherwise)")
		("sessions", po::value(&sessions)->default_value(16), "most sessions at once (1-1024)")
		("idle-timeout", po::value(&idle_s)->default_value(600),
		 "close a session idle this many seconds");
	if (auto rc = parse_options(kSpec, args, opts, {}, vm, io))
		return *rc;
	if (!sessions || sessions > 1024)
		return command_error(kSpec, io, "--sessions must be 1-1024", kExitUsage);

	std::unique_ptr<zpci_harness_server, ServerDeleter> srv(
		zpci_harness_server_create(sessions, uint64_t(idle_s) * 1000));
	if (!srv)
		return command_error(kSpec, io, "out of memory");
	zmq::context_t ctx;
	zmq::socket_t sock(ctx, zmq::socket_type::router);
	try {
		sock.set(zmq::sockopt::linger, 0);
		sock.bind(listen);
	} catch (const zmq::error_t &e) {
		return command_error(kSpec, io, "cannot listen on " + listen + ": " + e.what());
	}
	warn_if_reachable(kSpec, io, listen);
	io.out << "listening: " << sock.get(zmq::sockopt::last_endpoint) << std::endl;

	InterruptScope scope;
	while (!interrupted()) {
		zmq::pollitem_t item = { sock.handle(), 0, ZMQ_POLLIN, 0 };

		try {
			if (zmq::poll(&item, 1, std::chrono::milliseconds(kPollMs)) > 0)
				serve_one(sock, srv.get());
		} catch (const zmq::error_t &e) {
			if (e.num() != EINTR)
				return command_error(kSpec, io, std::string("socket: ") + e.what());
		}
		zpci_harness_server_reap(srv.get(), now_ms());
	}
	struct zpci_harness_server_stats st = zpci_harness_server_stats(srv.get());
	io.out << "requests: " << st.requests << '\n'
	       << "errors: " << st.errors << '\n'
	       << "sessions_opened: " << st.sessions_opened << '\n'
	       << "sessions_reaped: " << st.sessions_reaped << '\n'
	       << "sessions_open: " << st.sessions << '\n';
	return kExitOk;
}

}  // namespace zpcisim
