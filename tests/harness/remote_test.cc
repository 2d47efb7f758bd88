// SPDX-License-Identifier: MIT
// The remote harness as a process boundary: the same answers as in-process,
// a clear error when the server is gone, and a server that outlives its
// clients' deaths and garbage.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>
#include <zmq.h>

#include <zpci/dma.h>
#include <zpci/harness.h>

extern "C" {
#include "harness/harness.h"
#include "harness/wire.h"
}
#include "support/serve_process.h"

namespace {

using zpcisim::test::ServeProcess;

constexpr int kTimeoutMs = 5000;

zpci_harness *connect(const ServeProcess &srv, zpci_design design, int timeout_ms = kTimeoutMs)
{
	zpci_harness_cfg cfg = zpci_harness_default_cfg(design);
	char err[256] = "";
	zpci_harness *h = zpci_harness_connect(srv.endpoint().c_str(), &cfg, timeout_ms, err,
					       sizeof(err));
	EXPECT_NE(h, nullptr) << err;
	return h;
}

// Map, DMA, unmap, fault: a workout whose every observable is compared.
struct Observed {
	std::vector<zpci_rpcit_rec> log;
	struct zpci_harness_counters counters{};
	std::vector<uint8_t> read_back;
	int late_dma = 0;
};

Observed workout(zpci_harness *h, zpci_design design)
{
	Observed o;
	zpci_dma_cfg cfg = zpci_dma_default_cfg(ZPCI_HARNESS_FID, ZPCI_FLUSH_STRICT, 256ULL << 20);
	zpci_dma_dev dev;
	phys_addr_t buf;
	dma_addr_t iova[4];
	std::vector<uint8_t> data(3 * ZPCI_PAGE_SIZE);

	cfg.identity = design == ZPCI_DESIGN_IDENTITY_PINNED;
	EXPECT_EQ(zpci_harness_alloc(h, 16 * ZPCI_PAGE_SIZE, &buf), 0);
	int rc = zpci_dma_attach(&dev, zpci_harness_hw(h, 0), zpci_harness_guest_mem(h),
				 zpci_harness_table_pool(h), &cfg);
	EXPECT_EQ(rc, 0) << zpci_harness_error(h);
	if (rc)
		return o;
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(zpci_dma_map_page(&dev, buf + i * 3 * ZPCI_PAGE_SIZE, data.size(),
					    DMA_BIDIRECTIONAL, &iova[i]),
			  0);
	for (size_t i = 0; i < data.size(); i++)
		data[i] = uint8_t(i * 13);
	EXPECT_EQ(zpci_harness_dma(h, 0, iova[2] + 100, data.data(), data.size() - 200,
				   ZPCI_DMA_WRITE),
		  0);
	o.read_back.resize(data.size() - 200);
	zpci_mem mem = zpci_harness_guest_mem(h);
	EXPECT_EQ(zpci_mem_read(&mem, buf + 6 * ZPCI_PAGE_SIZE + 100, o.read_back.data(),
				o.read_back.size()),
		  0);
	EXPECT_EQ(zpci_dma_unmap_page(&dev, iova[1], data.size(), DMA_BIDIRECTIONAL), 0);
	o.late_dma = zpci_harness_dma(h, 0, iova[1], data.data(), 64, ZPCI_DMA_WRITE);
	o.log.resize(64);
	long n = zpci_harness_rpcits(h, 0, 0, o.log.data(), o.log.size());
	EXPECT_GE(n, 0);
	o.log.resize(n < 0 ? 0 : n);
	EXPECT_EQ(zpci_harness_read_counters(h, 0, &o.counters), 0);
	zpci_dma_detach(&dev);
	return o;
}

class RemoteTest : public testing::TestWithParam<zpci_design> {};

// The remote backend is the in-process one behind a socket: nothing differs.
TEST_P(RemoteTest, AnswersExactlyAsInProcess)
{
	ServeProcess srv;
	zpci_harness_cfg cfg = zpci_harness_default_cfg(GetParam());
	char err[256];
	zpci_harness *local = zpci_harness_create(&cfg, err, sizeof(err));
	zpci_harness *remote = connect(srv, GetParam());
	ASSERT_TRUE(local && remote);

	Observed a = workout(local, GetParam()), b = workout(remote, GetParam());
	ASSERT_EQ(a.log.size(), b.log.size());
	for (size_t i = 0; i < a.log.size(); i++) {
		EXPECT_EQ(a.log[i].iova, b.log[i].iova) << i;
		EXPECT_EQ(a.log[i].len, b.log[i].len) << i;
		EXPECT_EQ(a.log[i].result.cc, b.log[i].result.cc) << i;
	}
	EXPECT_EQ(std::memcmp(&a.counters, &b.counters, sizeof(a.counters)), 0);
	EXPECT_EQ(a.read_back, b.read_back);
	EXPECT_EQ(a.late_dma, b.late_dma);
	if (GetParam() != ZPCI_DESIGN_IDENTITY_PINNED) {
		EXPECT_EQ(a.late_dma, -EIO);
	}
	zpci_harness_destroy(local);
	zpci_harness_destroy(remote);
}

INSTANTIATE_TEST_SUITE_P(Designs, RemoteTest,
			 testing::Values(ZPCI_DESIGN_BARE, ZPCI_DESIGN_INTERCEPT_USER,
					 ZPCI_DESIGN_INTERCEPT_KVM, ZPCI_DESIGN_NESTED_PINNED,
					 ZPCI_DESIGN_IDENTITY_PINNED),
			 [](const testing::TestParamInfo<zpci_design> &i) {
				 std::string s = zpci_design_name(i.param);
				 for (char &c : s)
					 if (c == '-')
						 c = '_';
				 return s;
			 });

// A remote harness whose driver has one mapping of three pages at @iova
// over guest buffer @buf.
struct Mapped {
	ServeProcess srv;
	zpci_harness *h = nullptr;
	zpci_dma_dev dev{};
	phys_addr_t buf = 0;
	dma_addr_t iova = 0;
	bool attached = false;
	~Mapped()
	{
		if (attached)
			zpci_dma_detach(&dev);
		zpci_harness_destroy(h);
	}
};

void connect_and_map(zpci_design design, Mapped *m)
{
	zpci_dma_cfg cfg = zpci_dma_default_cfg(ZPCI_HARNESS_FID, ZPCI_FLUSH_STRICT, 256ULL << 20);
	zpci_harness *h = m->h = connect(m->srv, design);

	ASSERT_NE(h, nullptr);
	cfg.identity = design == ZPCI_DESIGN_IDENTITY_PINNED;
	ASSERT_EQ(zpci_harness_alloc(h, 4 * ZPCI_PAGE_SIZE, &m->buf), 0);
	ASSERT_EQ(zpci_dma_attach(&m->dev, zpci_harness_hw(h, 0), zpci_harness_guest_mem(h),
				  zpci_harness_table_pool(h), &cfg),
		  0)
		<< zpci_harness_error(h);
	m->attached = true;
	ASSERT_EQ(zpci_dma_map_page(&m->dev, m->buf, 3 * ZPCI_PAGE_SIZE, DMA_BIDIRECTIONAL,
				    &m->iova),
		  0)
		<< zpci_harness_error(h);
}

std::vector<uint8_t> device_bytes(size_t n, uint8_t seed)
{
	std::vector<uint8_t> v(n);
	for (size_t i = 0; i < n; i++)
		v[i] = uint8_t(seed + i * 7 + (i >> 8));
	return v;
}

// The client keeps the guest pages it read.  The device writing over them,
// across a page boundary, must leave the driver reading the device's bytes,
// and so must a write that faults halfway (the pages before the fault moved).
TEST_P(RemoteTest, DeviceWritesOverCachedPagesAreSeen)
{
	Mapped m;
	ASSERT_NO_FATAL_FAILURE(connect_and_map(GetParam(), &m));
	zpci_mem mem = zpci_harness_guest_mem(m.h);
	std::vector<uint8_t> want(4 * ZPCI_PAGE_SIZE, 0x5a), got(want.size());
	ASSERT_EQ(zpci_mem_write(&mem, m.buf, want.data(), want.size()), 0);
	ASSERT_EQ(zpci_mem_read(&mem, m.buf, got.data(), got.size()), 0);

	std::vector<uint8_t> dev = device_bytes(ZPCI_PAGE_SIZE + 200, 1);
	ASSERT_EQ(zpci_harness_dma(m.h, 0, m.iova + ZPCI_PAGE_SIZE - 100, dev.data(), dev.size(),
				   ZPCI_DMA_WRITE),
		  0)
		<< zpci_harness_error(m.h);
	std::copy(dev.begin(), dev.end(), want.begin() + ZPCI_PAGE_SIZE - 100);
	ASSERT_EQ(zpci_mem_read(&mem, m.buf, got.data(), got.size()), 0);
	EXPECT_EQ(got, want);

	if (GetParam() == ZPCI_DESIGN_IDENTITY_PINNED)
		return;	// nothing unmapped to fault on
	// The last 100 bytes of the mapping land, the page after it faults.
	dev = device_bytes(200, 99);
	EXPECT_EQ(zpci_harness_dma(m.h, 0, m.iova + 3 * ZPCI_PAGE_SIZE - 100, dev.data(), dev.size(),
				   ZPCI_DMA_WRITE),
		  -EIO);
	std::copy(dev.begin(), dev.begin() + 100, want.begin() + 3 * ZPCI_PAGE_SIZE - 100);
	ASSERT_EQ(zpci_mem_read(&mem, m.buf, got.data(), got.size()), 0);
	EXPECT_EQ(got, want);
}

// A device write tells the client which pages it changed: the others, and
// the changed ones (their new bytes known), are read again without a request.
TEST_P(RemoteTest, CachedPagesOutliveADeviceWriteWithoutRequests)
{
	Mapped m;
	ASSERT_NO_FATAL_FAILURE(connect_and_map(GetParam(), &m));
	zpci_mem mem = zpci_harness_guest_mem(m.h);
	std::vector<uint8_t> want(3 * ZPCI_PAGE_SIZE), got(want.size());
	ASSERT_EQ(zpci_mem_read(&mem, m.buf, want.data(), want.size()), 0);

	u64 before = zpci_harness_remote_requests(m.h, 0);
	u64 reads = zpci_harness_remote_requests(m.h, ZPCI_WIRE_MEM_READ);
	std::vector<uint8_t> dev = device_bytes(64, 3);
	ASSERT_EQ(zpci_harness_dma(m.h, 0, m.iova + ZPCI_PAGE_SIZE + 8, dev.data(), dev.size(),
				   ZPCI_DMA_WRITE),
		  0)
		<< zpci_harness_error(m.h);
	std::copy(dev.begin(), dev.end(), want.begin() + ZPCI_PAGE_SIZE + 8);
	ASSERT_EQ(zpci_mem_read(&mem, m.buf, got.data(), got.size()), 0);
	EXPECT_EQ(got, want);
	EXPECT_EQ(zpci_harness_remote_requests(m.h, 0), before + 1) << "only the DMA";
	EXPECT_EQ(zpci_harness_remote_requests(m.h, ZPCI_WIRE_MEM_READ), reads);
}

TEST(Remote, ServerGoneIsAClearErrorWithinTheTimeout)
{
	ServeProcess srv;
	zpci_harness *h = connect(srv, ZPCI_DESIGN_BARE, 300);
	ASSERT_NE(h, nullptr);
	srv.kill();

	zpci_hw hw = zpci_harness_hw(h, 0);
	zpci_clp_fn fn;
	EXPECT_EQ(hw.ops->clp_query_fn(hw.priv, ZPCI_HARNESS_FID, &fn), -ENODEV);
	std::string err = zpci_harness_error(h);
	EXPECT_NE(err.find(srv.endpoint()), std::string::npos) << err;
	EXPECT_NE(err.find("no answer within 300 ms"), std::string::npos) << err;
	// An instruction to a vanished function: cc 3, at once from now on.
	zpci_insn_result r = hw.ops->rpcit(hw.priv, ZPCI_HARNESS_FH, 0x100000000ULL, 4096);
	EXPECT_EQ(r.cc, ZPCI_CC_NOT_OP);
	struct zpci_harness_counters c;
	EXPECT_EQ(zpci_harness_read_counters(h, 0, &c), -EIO);
	zpci_harness_destroy(h);
}

TEST(Remote, ConnectingToNoServerFailsWithTheReason)
{
	zpci_harness_cfg cfg = zpci_harness_default_cfg(ZPCI_DESIGN_BARE);
	char err[256] = "";
	EXPECT_EQ(zpci_harness_connect("tcp://127.0.0.1:1", &cfg, 200, err, sizeof(err)), nullptr);
	EXPECT_NE(std::string(err).find("tcp://127.0.0.1:1: no answer within 200 ms"),
		  std::string::npos)
		<< err;
	EXPECT_EQ(zpci_harness_connect("bogus://x", &cfg, 200, err, sizeof(err)), nullptr);
	EXPECT_NE(std::string(err).find("bogus://x"), std::string::npos) << err;
}

TEST(Remote, ServerRefusalsArriveWithTheServersWords)
{
	ServeProcess srv;
	zpci_harness *h = connect(srv, ZPCI_DESIGN_BARE);
	ASSERT_NE(h, nullptr);
	zpci_mem mem = zpci_harness_guest_mem(h);
	uint8_t b[8];
	EXPECT_EQ(zpci_mem_read(&mem, 1ULL << 40, b, sizeof(b)), -EIO);
	EXPECT_NE(std::string(zpci_harness_error(h)).find("outside guest memory"),
		  std::string::npos);
	// A write is sent ahead of its reply, so refused before it goes.
	EXPECT_EQ(zpci_mem_write(&mem, (256ULL << 20) - 4, b, sizeof(b)), -EIO);
	EXPECT_NE(std::string(zpci_harness_error(h)).find("outside guest memory"),
		  std::string::npos);
	// A refusal is not a broken connection.
	EXPECT_EQ(zpci_mem_read(&mem, 0, b, sizeof(b)), 0);
	zpci_harness_destroy(h);
}

// A client killed between request and reply, and one that sends garbage:
// the server answers the next client as if nothing happened.
TEST(Remote, ServerOutlivesDyingAndBabblingClients)
{
	ServeProcess srv("--idle-timeout 1");
	pid_t child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		zpci_harness_cfg cfg = zpci_harness_default_cfg(ZPCI_DESIGN_INTERCEPT_KVM);
		char err[256];
		zpci_harness *h = zpci_harness_connect(srv.endpoint().c_str(), &cfg, kTimeoutMs, err,
						       sizeof(err));
		if (!h)
			_exit(1);
		// Send a device DMA and die before the answer.
		void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_DEALER);
		zmq_connect(s, srv.endpoint().c_str());
		zpci_wire_out o{};
		zpci_wire_hdr hdr{ ZPCI_WIRE_MAGIC, ZPCI_WIRE_VERSION, ZPCI_WIRE_DMA, 1, 1 };
		zpci_wire_put_hdr(&o, &hdr);
		zpci_wire_put_u32(&o, 0);
		zpci_wire_put_u8(&o, ZPCI_DMA_WRITE);
		zpci_wire_put_u8(&o, 0);
		zpci_wire_put_u64(&o, 0x100000000ULL);
		zpci_wire_put_u32(&o, 4096);
		zmq_send(s, o.buf, o.len, 0);
		zmq_send(s, "garbage", 7, 0);
		usleep(50 * 1000);
		_exit(0);
	}
	int status = 0;
	waitpid(child, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	zpci_harness *h = connect(srv, ZPCI_DESIGN_BARE);
	ASSERT_NE(h, nullptr);
	struct zpci_harness_counters c;
	EXPECT_EQ(zpci_harness_read_counters(h, 0, &c), 0) << zpci_harness_error(h);
	zpci_harness_destroy(h);
	sleep(2);	// the dead client's session idles out

	std::string report;
	EXPECT_EQ(srv.interrupt(&report), 130);
	EXPECT_NE(report.find("sessions_opened: 2\n"), std::string::npos) << report;
	EXPECT_NE(report.find("sessions_reaped: 1\n"), std::string::npos) << report;
	EXPECT_NE(report.find("sessions_open: 0\n"), std::string::npos) << report;
}

}  // namespace

namespace {

// Two functions of one machine: separate tables, separate IOTLBs, one memory.
TEST(Harness, FunctionsTranslateOnlyTheirOwnMappings)
{
	zpci_harness_cfg cfg = zpci_harness_default_cfg(ZPCI_DESIGN_INTERCEPT_KVM);
	char err[256];
	cfg.nr_fns = 2;
	zpci_harness *h = zpci_harness_create(&cfg, err, sizeof(err));
	ASSERT_NE(h, nullptr) << err;

	zpci_dma_dev dev[2];
	dma_addr_t iova[2];
	phys_addr_t buf;
	ASSERT_EQ(zpci_harness_alloc(h, 2 * ZPCI_PAGE_SIZE, &buf), 0);
	for (uint32_t fn = 0; fn < 2; fn++) {
		zpci_dma_cfg dc = zpci_dma_default_cfg(ZPCI_HARNESS_FID + fn, ZPCI_FLUSH_STRICT,
						       cfg.guest_mem);
		ASSERT_EQ(zpci_dma_attach(&dev[fn], zpci_harness_hw(h, fn), zpci_harness_guest_mem(h),
					  zpci_harness_table_pool(h), &dc),
			  0);
	}
	ASSERT_EQ(zpci_dma_map_page(&dev[0], buf, ZPCI_PAGE_SIZE, DMA_BIDIRECTIONAL, &iova[0]), 0);
	ASSERT_EQ(zpci_dma_map_page(&dev[1], buf + ZPCI_PAGE_SIZE, 64, DMA_TO_DEVICE, &iova[1]), 0);
	uint8_t b[64] = { 1 };
	EXPECT_EQ(zpci_harness_dma(h, 0, iova[0], b, sizeof(b), ZPCI_DMA_WRITE), 0);
	EXPECT_EQ(zpci_harness_dma(h, 1, iova[1], b, sizeof(b), ZPCI_DMA_READ), 0);
	// Function 1 mapped its page read-only for the device.
	EXPECT_EQ(zpci_harness_dma(h, 1, iova[1], b, sizeof(b), ZPCI_DMA_WRITE), -EIO);
	struct zpci_harness_counters c0, c1;
	ASSERT_EQ(zpci_harness_read_counters(h, 0, &c0), 0);
	ASSERT_EQ(zpci_harness_read_counters(h, 1, &c1), 0);
	EXPECT_EQ(c0.func.error_events, 0u);
	EXPECT_EQ(c1.func.error_events, 1u);
	EXPECT_EQ(c0.func.dma_write_bytes, sizeof(b));
	EXPECT_EQ(c1.func.dma_read_bytes, sizeof(b));
	// Function 2 does not exist.
	EXPECT_EQ(zpci_harness_dma(h, 2, iova[0], b, sizeof(b), ZPCI_DMA_WRITE), -EINVAL);
	EXPECT_NE(std::string(zpci_harness_error(h)).find("no function 2"), std::string::npos);
	EXPECT_EQ(zpci_harness_hw(h, 2).ops, nullptr);
	for (auto &d : dev)
		zpci_dma_detach(&d);
	zpci_harness_destroy(h);
}

TEST(Harness, BadConfigsAreRefusedWithTheReason)
{
	char err[256];
	zpci_harness_cfg cfg = zpci_harness_default_cfg(ZPCI_DESIGN_BARE);
	cfg.guest_mem = 32ULL << 30;
	EXPECT_EQ(zpci_harness_create(&cfg, err, sizeof(err)), nullptr);
	EXPECT_STREQ(err, "harness config: guest_mem must be over 65 MiB and at most 16 GiB, in 2 MiB "
			  "steps");
	cfg = zpci_harness_default_cfg(ZPCI_DESIGN_BARE);
	cfg.edma = cfg.sdma - 1;
	EXPECT_EQ(zpci_harness_create(&cfg, err, sizeof(err)), nullptr);
	EXPECT_STREQ(err, "harness config: sdma..edma must be whole pages, sdma <= edma");
}

// A bare DEALER, to speak the protocol frame by frame.
class RawClient {
public:
	explicit RawClient(const std::string &endpoint, int rcvhwm = 1000, int rcvbuf = -1)
		: ctx_(zmq_ctx_new()), sock_(zmq_socket(ctx_, ZMQ_DEALER))
	{
		int linger = 0, timeout = kTimeoutMs, sndhwm = 0;
		zmq_setsockopt(sock_, ZMQ_LINGER, &linger, sizeof(linger));
		zmq_setsockopt(sock_, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
		zmq_setsockopt(sock_, ZMQ_SNDHWM, &sndhwm, sizeof(sndhwm));
		zmq_setsockopt(sock_, ZMQ_RCVHWM, &rcvhwm, sizeof(rcvhwm));
		zmq_setsockopt(sock_, ZMQ_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		zmq_connect(sock_, endpoint.c_str());
	}
	~RawClient()
	{
		zmq_close(sock_);
		zmq_ctx_term(ctx_);
		zpci_wire_out_free(&req_);
	}

	zpci_wire_out *begin(uint16_t op, uint32_t session = 0)
	{
		zpci_wire_hdr h{ ZPCI_WIRE_MAGIC, ZPCI_WIRE_VERSION, op, session, ++seq_ };
		zpci_wire_out_reset(&req_);
		zpci_wire_put_hdr(&req_, &h);
		return &req_;
	}
	void send(int flags = 0) { ASSERT_EQ(zmq_send(sock_, req_.buf, req_.len, flags), int(req_.len)); }
	void set_timeout(int ms) { zmq_setsockopt(sock_, ZMQ_RCVTIMEO, &ms, sizeof(ms)); }

	struct Reply {
		bool arrived = false;
		zpci_wire_hdr hdr{};
		int status = 0;
		std::string text;
	};
	Reply receive()
	{
		std::vector<uint8_t> buf(ZPCI_WIRE_MAX_MSG);
		Reply r;
		int n = zmq_recv(sock_, buf.data(), buf.size(), 0);
		if (n < 0)
			return r;
		zpci_wire_in in;
		zpci_wire_in_init(&in, buf.data(), n);
		r.arrived = zpci_wire_get_hdr(&in, &r.hdr) == 0;
		r.status = static_cast<int>(zpci_wire_get_u32(&in));
		if (r.status < 0) {
			char text[1024];
			zpci_wire_get_text(&in, text, sizeof(text));
			r.text = text;
		}
		return r;
	}
	Reply call()
	{
		send();
		return receive();
	}
	uint32_t hello()
	{
		zpci_harness_cfg cfg = zpci_harness_default_cfg(ZPCI_DESIGN_BARE);
		zpci_wire_put_cfg(begin(ZPCI_WIRE_HELLO), &cfg);
		Reply r = call();
		EXPECT_EQ(r.status, 0) << r.text;
		return r.hdr.session;
	}
	void *socket() { return sock_; }

private:
	void *ctx_, *sock_;
	zpci_wire_out req_{};
	uint32_t seq_ = 0;
};

// Tracker 29.2: client B said bye with A's session id, and A lost it.
TEST(Remote, AnotherConnectionCannotUseOrCloseASession)
{
	ServeProcess srv;
	RawClient a(srv.endpoint()), b(srv.endpoint());
	uint32_t session = a.hello();
	ASSERT_NE(session, 0u);

	b.begin(ZPCI_WIRE_BYE, session);
	RawClient::Reply r = b.call();
	ASSERT_TRUE(r.arrived);
	EXPECT_EQ(r.status, -ENOENT) << r.text;
	zpci_wire_put_u32(a.begin(ZPCI_WIRE_COUNTERS, session), 0);
	r = a.call();
	EXPECT_EQ(r.status, 0) << r.text;
}

// Tracker 29.2: one client held all 16 sessions and locked everyone out.
TEST(Remote, OneClientCannotHoldEverySession)
{
	ServeProcess srv("--sessions 4 --sessions-per-client 2");
	RawClient a(srv.endpoint()), b(srv.endpoint());
	a.hello();
	a.hello();
	zpci_harness_cfg cfg = zpci_harness_default_cfg(ZPCI_DESIGN_BARE);
	zpci_wire_put_cfg(a.begin(ZPCI_WIRE_HELLO), &cfg);
	RawClient::Reply r = a.call();
	EXPECT_EQ(r.status, -EBUSY);
	EXPECT_NE(b.hello(), 0u);
}

// Tracker 29.3: a request sent as two frames got no reply at all.
TEST(Remote, RequestInTwoFramesIsAnsweredWithAnError)
{
	ServeProcess srv;
	RawClient c(srv.endpoint());
	c.begin(ZPCI_WIRE_PING);
	c.send(ZMQ_SNDMORE);
	ASSERT_EQ(zmq_send(c.socket(), "more", 4, 0), 4);
	RawClient::Reply r = c.receive();
	ASSERT_TRUE(r.arrived) << "no reply";
	EXPECT_EQ(r.status, -EPROTO);
	EXPECT_EQ(r.text, "a request is one frame, this one came in 2");
	EXPECT_EQ(r.hdr.op, ZPCI_WIRE_PING | ZPCI_WIRE_REPLY);
}

uint64_t peak_rss_kib(pid_t pid)
{
	std::ifstream status("/proc/" + std::to_string(pid) + "/status");
	std::string line;
	while (std::getline(status, line))
		if (line.rfind("VmHWM:", 0) == 0)
			return std::stoull(line.substr(6));
	return 0;
}

// Tracker 29.3: four 512 MiB frames took the server to 1.4 GB.  Frames over
// the protocol's largest message close their connection unread.
TEST(Remote, OversizedFramesAreNotTakenIn)
{
	constexpr size_t kFrame = 64ULL << 20;
	ServeProcess srv;
	// The growth, not the level: a sanitizer build starts far above a
	// plain one.
	uint64_t before_kib;
	{
		RawClient c(srv.endpoint());
		c.begin(ZPCI_WIRE_PING);
		ASSERT_EQ(c.call().status, 0);
		before_kib = peak_rss_kib(srv.pid());
		std::vector<uint8_t> junk(kFrame, 0x5a);
		for (int i = 0; i < 4; i++)
			zmq_send(c.socket(), junk.data(), junk.size(), ZMQ_DONTWAIT);
		usleep(300 * 1000);
	}
	EXPECT_LT((peak_rss_kib(srv.pid()) - before_kib) * 1024, kFrame / 2)
		<< "KiB grown at the peak, from " << before_kib;
	RawClient c(srv.endpoint());
	c.begin(ZPCI_WIRE_PING);
	EXPECT_EQ(c.call().status, 0);
}

// Tracker 29.3: pipelined pings were dropped in silence.  A client that does
// not read its replies loses those past the server's queue, and the server
// counts each: none is lost without a trace.
TEST(Remote, RepliesPastTheQueueAreCounted)
{
	constexpr int kPings = 3000;
	ServeProcess srv;
	RawClient c(srv.endpoint(), 1, 4096);
	for (int i = 0; i < kPings; i++) {
		c.begin(ZPCI_WIRE_PING);
		c.send();
	}
	c.set_timeout(500);
	int got = 0;
	uint32_t last_seq = 0;
	bool in_order = true;
	for (RawClient::Reply r = c.receive(); r.arrived; r = c.receive()) {
		in_order = in_order && r.hdr.seq > last_seq;
		last_seq = r.hdr.seq;
		got++;
	}
	EXPECT_TRUE(in_order);
	std::string report;
	EXPECT_EQ(srv.interrupt(&report), 130);
	EXPECT_NE(report.find("replies_dropped: " + std::to_string(kPings - got) + "\n"),
		  std::string::npos)
		<< report << "replies received: " << got;
}

// A client with many requests in flight does not hold up another: the
// server takes connections in turn (PROTOCOL.md, "Limits and fairness"), so
// a ping sent behind a burst of costly requests (machines that pin all
// their memory) waits for about one of them, not for the burst.
TEST(Remote, ABusyClientDoesNotHoldUpAnother)
{
	using Clock = std::chrono::steady_clock;
	constexpr int kHellos = 8;
	ServeProcess srv("--sessions 16 --sessions-per-client 16");
	RawClient busy(srv.endpoint()), other(srv.endpoint());
	zpci_harness_cfg cfg = zpci_harness_default_cfg(ZPCI_DESIGN_NESTED_PINNED);
	cfg.guest_mem = 1ULL << 30;
	other.begin(ZPCI_WIRE_PING);
	ASSERT_EQ(other.call().status, 0);	// connected before the burst

	Clock::time_point start = Clock::now();
	for (int i = 0; i < kHellos; i++) {
		zpci_wire_put_cfg(busy.begin(ZPCI_WIRE_HELLO), &cfg);
		busy.send();
	}
	usleep(2000);	// the burst is in the server's queue before the ping
	Clock::time_point ping_sent = Clock::now();
	other.begin(ZPCI_WIRE_PING);
	ASSERT_EQ(other.call().status, 0);
	Clock::duration ping_wait = Clock::now() - ping_sent;
	for (int i = 0; i < kHellos; i++)
		ASSERT_EQ(busy.receive().status, 0) << i;
	Clock::duration burst = Clock::now() - start;
	EXPECT_LT(ping_wait * 3, burst)
		<< "the ping waited " << ping_wait.count() << " of the burst's " << burst.count();
}

// Tracker 27.12: SIGTERM ended serve without its summary.
TEST(Remote, SigtermStillPrintsTheSummary)
{
	ServeProcess srv;
	RawClient c(srv.endpoint());
	c.begin(ZPCI_WIRE_PING);
	EXPECT_EQ(c.call().status, 0);
	std::string report;
	EXPECT_EQ(srv.interrupt(&report, SIGTERM), 143);
	EXPECT_NE(report.find("requests: 1\n"), std::string::npos) << report;
}

}  // namespace
