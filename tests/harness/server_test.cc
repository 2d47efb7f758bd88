// SPDX-License-Identifier: MIT
// The harness server without a socket: sessions, refusals with reasons,
// idle reaping, and garbage that must cost one error reply and nothing else.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include <zpci/harness_server.h>

extern "C" {
#include "harness/wire.h"
}

namespace {

struct Reply {
	zpci_wire_hdr hdr{};
	int status = 0;
	std::string text;
	std::vector<uint8_t> payload;
};

class ServerTest : public testing::Test {
protected:
	void SetUp() override { srv_ = zpci_harness_server_create(2, 2, 1000); }
	void TearDown() override
	{
		zpci_harness_server_destroy(srv_);
		zpci_wire_out_free(&req_);
	}

	zpci_wire_out *begin(uint16_t op, uint32_t session)
	{
		zpci_wire_hdr h{ ZPCI_WIRE_MAGIC, ZPCI_WIRE_VERSION, op, session, ++seq_ };
		zpci_wire_out_reset(&req_);
		zpci_wire_put_hdr(&req_, &h);
		return &req_;
	}

	Reply send(uint64_t now_ms = 0, const std::string &client = "A")
	{
		return send_raw(req_.buf, req_.len, now_ms, client);
	}

	Reply send_raw(const void *p, size_t len, uint64_t now_ms = 0,
		       const std::string &client = "A")
	{
		const void *out;
		size_t out_len;
		Reply r;
		zpci_wire_in in;

		zpci_harness_server_handle(srv_, client.data(), client.size(), p, len, now_ms, &out,
					   &out_len);
		zpci_wire_in_init(&in, out, out_len);
		EXPECT_EQ(zpci_wire_get_hdr(&in, &r.hdr), 0);
		EXPECT_TRUE(r.hdr.op & ZPCI_WIRE_REPLY);
		r.status = static_cast<int>(zpci_wire_get_u32(&in));
		if (r.status < 0) {
			char text[1024];
			zpci_wire_get_text(&in, text, sizeof(text));
			r.text = text;
		} else {
			size_t n = in.len - in.off;
			const uint8_t *b = static_cast<const uint8_t *>(zpci_wire_get_bytes(&in, n));
			r.payload.assign(b, b + n);
		}
		EXPECT_TRUE(zpci_wire_in_done(&in));
		return r;
	}

	uint32_t hello(zpci_design design = ZPCI_DESIGN_BARE, uint64_t now_ms = 0,
		       const std::string &client = "A")
	{
		zpci_harness_cfg cfg = zpci_harness_default_cfg(design);
		zpci_wire_put_cfg(begin(ZPCI_WIRE_HELLO, 0), &cfg);
		Reply r = send(now_ms, client);
		EXPECT_EQ(r.status, 0) << r.text;
		return r.hdr.session;
	}

	zpci_harness_server *srv_ = nullptr;
	zpci_wire_out req_{};
	uint32_t seq_ = 0;
};

TEST_F(ServerTest, HelloOpensASessionThatAnswersInstructions)
{
	uint32_t s = hello();
	ASSERT_NE(s, 0u);

	zpci_wire_out *o = begin(ZPCI_WIRE_CLP_QUERY_FN, s);
	zpci_wire_put_u32(o, 0);
	zpci_wire_put_u32(o, ZPCI_HARNESS_FID);
	Reply r = send();
	ASSERT_EQ(r.status, 0) << r.text;
	EXPECT_EQ(r.hdr.seq, seq_);
	EXPECT_EQ(r.hdr.op, ZPCI_WIRE_CLP_QUERY_FN | ZPCI_WIRE_REPLY);
	zpci_wire_in in;
	zpci_wire_in_init(&in, r.payload.data(), r.payload.size());
	EXPECT_EQ(zpci_wire_get_u32(&in), 0u);			// rc
	EXPECT_EQ(zpci_wire_get_u32(&in), uint32_t(ZPCI_HARNESS_FID));
	EXPECT_EQ(zpci_wire_get_u32(&in), uint32_t(ZPCI_HARNESS_FH));
	EXPECT_EQ(zpci_wire_get_u8(&in), 1);			// pfgid
	EXPECT_EQ(zpci_wire_get_u64(&in), 0x100000000ULL);	// sdma
	zpci_wire_get_u64(&in);
	EXPECT_TRUE(zpci_wire_in_done(&in));
}

TEST_F(ServerTest, UnknownSessionIsRefusedWithAReason)
{
	begin(ZPCI_WIRE_COUNTERS, 99);
	zpci_wire_put_u32(&req_, 0);
	Reply r = send();
	EXPECT_EQ(r.status, -ENOENT);
	EXPECT_NE(r.text.find("no such session"), std::string::npos) << r.text;
}

// Version 3's dma reply said nothing of where a write landed: its clients
// would keep stale pages, so they are refused like any other version.
TEST_F(ServerTest, OtherVersionIsRefusedNamingBoth)
{
	for (uint16_t v : { 3, 7 }) {
		zpci_wire_hdr h{ ZPCI_WIRE_MAGIC, v, ZPCI_WIRE_PING, 0, 1 };
		zpci_wire_out_reset(&req_);
		zpci_wire_put_hdr(&req_, &h);
		Reply r = send();
		EXPECT_EQ(r.status, -EPROTONOSUPPORT);
		EXPECT_EQ(r.text, "protocol version " + std::to_string(v) +
					  " not supported: this server speaks 4");
	}
}

TEST_F(ServerTest, BadConfigIsRefusedWithTheHarnessReason)
{
	zpci_harness_cfg cfg = zpci_harness_default_cfg(ZPCI_DESIGN_BARE);
	cfg.nr_fns = 0;
	zpci_wire_put_cfg(begin(ZPCI_WIRE_HELLO, 0), &cfg);
	Reply r = send();
	EXPECT_EQ(r.status, -EINVAL);
	EXPECT_EQ(r.text, "harness config: nr_fns must be 1..8");
}

TEST_F(ServerTest, ArgumentsTooShortOrTooLongAreMalformed)
{
	uint32_t s = hello();
	begin(ZPCI_WIRE_RPCIT, s);
	zpci_wire_put_u32(&req_, 0);	// fn, then nothing
	Reply r = send();
	EXPECT_EQ(r.status, -EPROTO);
	EXPECT_EQ(r.text, "malformed rpcit request");

	begin(ZPCI_WIRE_PING, 0);
	zpci_wire_put_u8(&req_, 0);
	EXPECT_EQ(send().status, -EPROTO);
}

TEST_F(ServerTest, SessionsAreLimitedAndClosedByBye)
{
	uint32_t a = hello(), b = hello();
	zpci_harness_cfg cfg = zpci_harness_default_cfg(ZPCI_DESIGN_BARE);
	zpci_wire_put_cfg(begin(ZPCI_WIRE_HELLO, 0), &cfg);
	EXPECT_EQ(send().status, -EBUSY);

	begin(ZPCI_WIRE_BYE, a);
	EXPECT_EQ(send().status, 0);
	EXPECT_NE(hello(), 0u);
	EXPECT_NE(a, b);
	EXPECT_EQ(zpci_harness_server_stats(srv_).sessions, 2u);
}

// Tracker 29.2: client B said bye with A's session id, and A lost it.
TEST_F(ServerTest, SessionAnswersOnlyTheClientThatOpenedIt)
{
	uint32_t a = hello(ZPCI_DESIGN_BARE, 0, "A");
	begin(ZPCI_WIRE_BYE, a);
	Reply r = send(0, "B");
	EXPECT_EQ(r.status, -ENOENT);
	EXPECT_NE(r.text.find("no such session"), std::string::npos) << r.text;
	begin(ZPCI_WIRE_COUNTERS, a);
	zpci_wire_put_u32(&req_, 0);
	EXPECT_EQ(send(0, "B").status, -ENOENT);

	begin(ZPCI_WIRE_COUNTERS, a);
	zpci_wire_put_u32(&req_, 0);
	EXPECT_EQ(send(0, "A").status, 0);
	EXPECT_EQ(zpci_harness_server_stats(srv_).sessions, 1u);
}

// One client cannot hold every session: the others still get theirs.
TEST_F(ServerTest, SessionsPerClientAreCapped)
{
	zpci_harness_server_destroy(srv_);
	srv_ = zpci_harness_server_create(4, 2, 1000);
	hello(ZPCI_DESIGN_BARE, 0, "A");
	hello(ZPCI_DESIGN_BARE, 0, "A");
	zpci_harness_cfg cfg = zpci_harness_default_cfg(ZPCI_DESIGN_BARE);
	zpci_wire_put_cfg(begin(ZPCI_WIRE_HELLO, 0), &cfg);
	Reply r = send(0, "A");
	EXPECT_EQ(r.status, -EBUSY);
	EXPECT_EQ(r.text, "this client has 2 sessions open, the most one may: close one first");
	EXPECT_NE(hello(ZPCI_DESIGN_BARE, 0, "B"), 0u);
	EXPECT_EQ(zpci_harness_server_stats(srv_).sessions, 3u);
}

// A request of several frames: -EPROTO, with the header of the first echoed.
TEST_F(ServerTest, RejectedRequestEchoesItsHeader)
{
	begin(ZPCI_WIRE_PING, 0);
	const void *out;
	size_t len;
	zpci_harness_server_reject(srv_, req_.buf, req_.len, "a request is one frame", &out, &len);
	zpci_wire_in in;
	zpci_wire_hdr h;
	zpci_wire_in_init(&in, out, len);
	ASSERT_EQ(zpci_wire_get_hdr(&in, &h), 0);
	EXPECT_EQ(h.seq, seq_);
	EXPECT_EQ(h.op, ZPCI_WIRE_PING | ZPCI_WIRE_REPLY);
	EXPECT_EQ(static_cast<int>(zpci_wire_get_u32(&in)), -EPROTO);
}

TEST_F(ServerTest, IdleSessionsAreReaped)
{
	uint32_t s = hello(ZPCI_DESIGN_BARE, 5000);
	zpci_harness_server_reap(srv_, 5900);
	EXPECT_EQ(zpci_harness_server_stats(srv_).sessions, 1u);
	zpci_harness_server_reap(srv_, 6001);
	EXPECT_EQ(zpci_harness_server_stats(srv_).sessions, 0u);
	EXPECT_EQ(zpci_harness_server_stats(srv_).sessions_reaped, 1u);
	begin(ZPCI_WIRE_PING, s);
	EXPECT_EQ(send(6002).status, 0);	// ping needs no session
	begin(ZPCI_WIRE_BYE, s);
	EXPECT_EQ(send(6002).status, -ENOENT);
}

TEST_F(ServerTest, MemoryOutsideTheGuestIsRefused)
{
	uint32_t s = hello();
	zpci_wire_out *o = begin(ZPCI_WIRE_MEM_READ, s);
	zpci_wire_put_u64(o, (256ULL << 20) - 4);
	zpci_wire_put_u32(o, 8);
	Reply r = send();
	EXPECT_EQ(r.status, -EFAULT);

	o = begin(ZPCI_WIRE_MEM_READ, s);
	zpci_wire_put_u64(o, 0);
	zpci_wire_put_u32(o, ZPCI_WIRE_MAX_DATA + 1);
	EXPECT_EQ(send().status, -EINVAL);
}

// One mem-write carries several records; one outside guest memory, or one
// cut short, and none is written.
TEST_F(ServerTest, MemWriteRecordsAreWrittenAllOrNone)
{
	uint32_t s = hello();
	auto write = [&](std::vector<std::pair<uint64_t, uint8_t>> recs, size_t cut) {
		zpci_wire_out *o = begin(ZPCI_WIRE_MEM_WRITE, s);
		zpci_wire_put_u32(o, recs.size());
		for (auto [addr, byte] : recs) {
			std::vector<uint8_t> b(8, byte);
			zpci_wire_put_u64(o, addr);
			zpci_wire_put_u32(o, b.size());
			zpci_wire_put_bytes(o, b.data(), b.size());
		}
		req_.len -= cut;
		return send();
	};
	auto byte_at = [&](uint64_t addr) {
		zpci_wire_out *o = begin(ZPCI_WIRE_MEM_READ, s);
		zpci_wire_put_u64(o, addr);
		zpci_wire_put_u32(o, 1);
		Reply r = send();
		EXPECT_EQ(r.status, 0) << r.text;
		return r.payload.empty() ? -1 : r.payload[0];
	};

	EXPECT_EQ(write({ { 0x1000, 1 }, { 0x5000, 2 } }, 0).status, 0);
	EXPECT_EQ(byte_at(0x1000), 1);
	EXPECT_EQ(byte_at(0x5000), 2);
	Reply r = write({ { 0x1000, 3 }, { (256ULL << 20) - 4, 4 } }, 0);
	EXPECT_EQ(r.status, -EFAULT);
	EXPECT_EQ(r.text, "guest memory write outside guest memory");
	EXPECT_EQ(write({ { 0x1000, 5 }, { 0x5000, 6 } }, 1).status, -EPROTO);
	EXPECT_EQ(byte_at(0x1000), 1);
	EXPECT_EQ(byte_at(0x5000), 2);
}

// Random frames and mutations of valid ones: always one well-formed reply.
TEST_F(ServerTest, GarbageAlwaysGetsAReplyAndNeverHurts)
{
	std::mt19937_64 rng(7);
	uint32_t s = hello(ZPCI_DESIGN_INTERCEPT_KVM);
	std::vector<std::vector<uint8_t>> seeds;

	for (uint16_t op = 1; op < ZPCI_WIRE_NR_OPS; op++) {
		if (op == ZPCI_WIRE_BYE)
			continue;
		zpci_wire_out *o = begin(op, s);
		for (int i = 0; i < 6; i++)
			zpci_wire_put_u64(o, i == 2 ? 0x100000000ULL : 8);
		seeds.emplace_back(o->buf, o->buf + o->len);
	}
	for (int i = 0; i < 20000; i++) {
		std::vector<uint8_t> f = seeds[rng() % seeds.size()];
		if (rng() % 4 == 0)
			f.resize(rng() % 64);
		// Mostly in the arguments, sometimes in the header.
		for (int flips = rng() % 4; flips >= 0 && !f.empty(); flips--) {
			size_t at = f.size() > ZPCI_WIRE_HDR_LEN && rng() % 4
					    ? ZPCI_WIRE_HDR_LEN + rng() % (f.size() - ZPCI_WIRE_HDR_LEN)
					    : rng() % f.size();
			f[at] ^= uint8_t(rng());
		}
		send_raw(f.data(), f.size());
	}
	// The server still serves (a mutated frame may have said bye).
	begin(ZPCI_WIRE_BYE, s);
	send();
	EXPECT_NE(hello(), 0u);
	EXPECT_GT(zpci_harness_server_stats(srv_).errors, 0u);
}

}  // namespace
