// SPDX-License-Identifier: MIT
// zpcisim serve: the driver harness over ZeroMQ.  A client (the C library
// behind zpci_harness_connect()) opens a session, which is a simulated
// machine of its choosing, and drives it request by request.  The request
// handling is the C harness server; this is only its socket loop.
#include <chrono>
#include <memory>
#include <ostream>

#include <zpci/harness_server.h>

#include "interrupt.h"
#include "net.h"
#include "options.h"

namespace zpcisim {

namespace {

const CommandSpec kSpec = {
	"serve",
	"serve [--listen ENDPOINT] [--sessions N] [--sessions-per-client N]\n"
	"      [--idle-timeout SECONDS]",
	"Serve simulated zPCI machines to driver code in other processes\n"
	"(drivers/harness/PROTOCOL.md).  Each client session gets its own machine\n"
	"with the design and configuration it asks for, and answers only the\n"
	"connection that opened it.  Prints the endpoint it listens on (a '*' port\n"
	"is resolved), then serves until SIGINT or SIGTERM, and prints what it\n"
	"served (exit 130 or 143).  A client that dies mid-request leaves an idle\n"
	"session, closed after the idle timeout.",
};

constexpr int kPollMs = 200;	// how soon a signal and idle sessions are noticed
// Requests served between two looks at the signal and the idle sessions.
constexpr int kBurst = 64;

// A request as a ROUTER receives it: [routing id][empty, from REQ][body]...
struct Envelope {
	std::string id;
	bool delimited = false;	// a REQ client's empty frame: its reply needs one too
	std::string body;
	size_t body_frames = 0;	// more than one: not a request
};

// Every frame of one message, keeping the first body frame only, so that a
// message of many frames costs no more memory than one.
bool receive(Socket &sock, Envelope &env)
{
	std::string part;
	bool more;

	if (!sock.receive(env.id, more, true))
		return false;
	while (more) {
		bool first_after_id = !env.delimited && !env.body_frames;

		sock.receive(part, more, false);
		if (first_after_id && part.empty() && more) {
			env.delimited = true;
			continue;
		}
		if (!env.body_frames++)
			env.body = part;
	}
	return true;
}

struct ServerDeleter {
	void operator()(zpci_harness_server *s) const { zpci_harness_server_destroy(s); }
};

uint64_t now_ms()
{
	using namespace std::chrono;
	return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// Serve one request if one is waiting: false if none was.
bool serve_one(Socket &sock, zpci_harness_server *srv, uint64_t *dropped)
{
	Envelope env;
	const void *reply;
	size_t len;

	if (!receive(sock, env))
		return false;
	if (env.body_frames > 1) {
		std::string why = "a request is one frame, this one came in " +
				  std::to_string(env.body_frames);
		zpci_harness_server_reject(srv, env.body.data(), env.body.size(), why.c_str(),
					   &reply, &len);
	} else {
		zpci_harness_server_handle(srv, env.id.data(), env.id.size(), env.body.data(),
					   env.body.size(), now_ms(), &reply, &len);
	}
	try {
		// Mandatory routing: a full pipe to the client says so instead of
		// dropping in silence, and is counted.
		if (!sock.send(env.id.data(), env.id.size(), true, true)) {
			++*dropped;
			return true;
		}
		if (env.delimited)
			sock.send(nullptr, 0, true, false);
		sock.send(reply, len, false, false);
	} catch (const NetError &e) {
		// A client gone since it asked: nobody to answer; the server goes on.
		if (e.num != EHOSTUNREACH)
			throw;
	}
	return true;
}

}  // namespace

int cmd_serve(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::variables_map vm;
	std::string listen;
	unsigned sessions = 0;
	unsigned per_client = 0;
	unsigned idle_s = 0;
	uint64_t dropped = 0;

	opts.add_options()
		("listen", po::value(&listen)->default_value("tcp://127.0.0.1:5555"),
		 "ZeroMQ endpoint to bind (loopback unless you say otherwise)")
		("sessions", po::value(&sessions)->default_value(16), "most sessions at once (1-1024)")
		("sessions-per-client", po::value(&per_client)->default_value(4),
		 "most sessions one connection may hold (1 to --sessions)")
		("idle-timeout", po::value(&idle_s)->default_value(600),
		 "close a session idle this many seconds");
	if (auto rc = parse_options(kSpec, args, opts, {}, vm, io))
		return *rc;
	if (!sessions || sessions > 1024)
		return command_error(kSpec, io, "--sessions must be 1-1024", kExitUsage);
	if (!per_client || per_client > sessions)
		return command_error(kSpec, io, "--sessions-per-client must be 1 to --sessions",
				     kExitUsage);

	std::unique_ptr<zpci_harness_server, ServerDeleter> srv(
		zpci_harness_server_create(sessions, per_client, uint64_t(idle_s) * 1000));
	if (!srv)
		return command_error(kSpec, io, "out of memory");
	SocketOptions o;
	// A longer frame than any request closes its connection unread.
	o.max_message = ZPCI_HARNESS_SERVER_MAX_MSG;
	// Bounded queues both ways: a client that sends faster than it
	// reads waits (requests) or loses replies, counted (replies).
	o.receive_hwm = ZPCI_HARNESS_SERVER_HWM;
	o.send_hwm = ZPCI_HARNESS_SERVER_HWM;
	o.mandatory = true;
	std::unique_ptr<Socket> sock;
	try {
		sock = open_socket(SocketRole::Serve, o);
		sock->bind(listen);
	} catch (const NetError &e) {
		return command_error(kSpec, io, "cannot listen on " + listen + ": " + e.what());
	}
	warn_if_reachable(kSpec, io, listen);
	io.out << "listening: " << sock->endpoint() << std::endl;

	InterruptScope scope;
	while (!interrupted()) {
		try {
			if (sock->readable(kPollMs))
				for (int i = 0; i < kBurst && serve_one(*sock, srv.get(), &dropped); i++)
					;
		} catch (const NetError &e) {
			if (e.num != EINTR)
				return command_error(kSpec, io, std::string("socket: ") + e.what());
		}
		zpci_harness_server_reap(srv.get(), now_ms());
	}
	struct zpci_harness_server_stats st = zpci_harness_server_stats(srv.get());
	io.out << "requests: " << st.requests << '\n'
	       << "errors: " << st.errors << '\n'
	       << "sessions_opened: " << st.sessions_opened << '\n'
	       << "sessions_reaped: " << st.sessions_reaped << '\n'
	       << "sessions_open: " << st.sessions << '\n'
	       << "replies_dropped: " << dropped << '\n';
	return interrupted_exit_code();
}

}  // namespace zpcisim
