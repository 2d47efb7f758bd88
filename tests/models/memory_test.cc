// SPDX-License-Identifier: MIT
// The Memory block through its TLM socket, against the C memory it wraps.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>

#include <zpci/prng.h>

#include "memory/memory.h"
#include "support/systemc_fixture.h"
#include "support/table_builder.h"

namespace zpcisim::test {
namespace {

struct Initiator : sc_core::sc_module {
	tlm_utils::simple_initiator_socket<Initiator> socket{ "socket" };
	explicit Initiator(sc_core::sc_module_name n) : sc_module(n) {}

	tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t addr, uint8_t *data,
					unsigned int len, sc_core::sc_time &delay)
	{
		tlm::tlm_generic_payload t;
		t.set_command(cmd);
		t.set_address(addr);
		t.set_data_ptr(data);
		t.set_data_length(len);
		t.set_streaming_width(len);
		t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
		socket->b_transport(t, delay);
		return t.get_response_status();
	}
};

class MemoryBlock : public SystemCTest {
protected:
	explicit MemoryBlock(MemoryParams p = {})
		: backing_(1 << 20), mem_("mem", backing_.view(), 1 << 20, p), cpu_("cpu")
	{
		cpu_.socket.bind(mem_.socket);
	}

	SparseMem backing_;
	Memory mem_;
	Initiator cpu_;
};

TEST_F(MemoryBlock, ReadSeesWhatTheCSideWrote)
{
	zpci_mem m = backing_.view();
	ASSERT_EQ(zpci_mem_write64(&m, 0x2000, 0x1122334455667788ULL), 0);
	uint8_t buf[8];
	sc_core::sc_time d = sc_core::SC_ZERO_TIME;
	ASSERT_EQ(cpu_.access(tlm::TLM_READ_COMMAND, 0x2000, buf, 8, d), tlm::TLM_OK_RESPONSE);
	EXPECT_EQ(buf[0], 0x11);
	EXPECT_EQ(buf[7], 0x88);
	EXPECT_EQ(mem_.stats().accesses[tlm::TLM_READ_COMMAND], 1u);
	EXPECT_EQ(mem_.stats().bytes[tlm::TLM_READ_COMMAND], 8u);
}

TEST_F(MemoryBlock, WriteIsVisibleToTheCSide)
{
	std::vector<uint8_t> data(300, 0x5a);
	sc_core::sc_time d = sc_core::SC_ZERO_TIME;
	ASSERT_EQ(cpu_.access(tlm::TLM_WRITE_COMMAND, 0xff0, data.data(), data.size(), d),
		  tlm::TLM_OK_RESPONSE);
	zpci_mem m = backing_.view();
	std::vector<uint8_t> back(data.size());
	ASSERT_EQ(zpci_mem_read(&m, 0xff0, back.data(), back.size()), 0);
	EXPECT_EQ(back, data);
	EXPECT_EQ(mem_.stats().accesses[tlm::TLM_WRITE_COMMAND], 1u);
	EXPECT_EQ(mem_.stats().bytes[tlm::TLM_WRITE_COMMAND], 300u);
}

// Defaults: 1 ns cycle, 100 cycles latency, 16 bytes per cycle.
TEST_F(MemoryBlock, DelayIsLatencyPlusTransfer)
{
	uint8_t buf[64];
	sc_core::sc_time d = sc_core::SC_ZERO_TIME;
	cpu_.access(tlm::TLM_READ_COMMAND, 0, buf, 64, d);
	EXPECT_EQ(d, sc_core::sc_time(104, sc_core::SC_NS));
	sc_core::sc_time d8(10, sc_core::SC_NS);
	cpu_.access(tlm::TLM_READ_COMMAND, 0, buf, 8, d8);	// arrives long after: no queueing
	EXPECT_EQ(d8, sc_core::sc_time(10 + 101, sc_core::SC_NS));
}

// Two transfers arriving together share the port: the second waits.
TEST_F(MemoryBlock, BandwidthSerialisesConcurrentTransfers)
{
	std::vector<uint8_t> buf(1600);
	sc_core::sc_time a = sc_core::SC_ZERO_TIME, b = sc_core::SC_ZERO_TIME;
	cpu_.access(tlm::TLM_READ_COMMAND, 0, buf.data(), 1600, a);
	cpu_.access(tlm::TLM_READ_COMMAND, 0, buf.data(), 1600, b);
	EXPECT_EQ(a, sc_core::sc_time(200, sc_core::SC_NS));
	EXPECT_EQ(b, sc_core::sc_time(300, sc_core::SC_NS));
	EXPECT_EQ(mem_.stats().busy_cycles, 200u);
}

// A transfer ready earlier than one already booked takes the gap before
// it; one that overlaps waits for the port.
TEST_F(MemoryBlock, TransfersTakeTheFirstGapThatFits)
{
	std::vector<uint8_t> buf(1600);
	sc_core::sc_time late(10, sc_core::SC_US), early = sc_core::SC_ZERO_TIME;
	cpu_.access(tlm::TLM_READ_COMMAND, 0, buf.data(), 1600, late);	// port busy 10.1-10.2 us
	cpu_.access(tlm::TLM_READ_COMMAND, 0, buf.data(), 1600, early);
	EXPECT_EQ(early, sc_core::sc_time(200, sc_core::SC_NS));	// untouched by the later one
	// Issued at 9.95 us, ready at 10.05: the 50 ns before the 10.1-10.2 us
	// booking is too short for 100 ns, so it runs 10.2-10.3 us.
	sc_core::sc_time overlap(9950, sc_core::SC_NS);
	cpu_.access(tlm::TLM_READ_COMMAND, 0, buf.data(), 1600, overlap);
	EXPECT_EQ(overlap, sc_core::sc_time(10300, sc_core::SC_NS));
}

// The port against a plain reference: every booking kept in a list, never
// joined or forgotten, and a transfer placed at the earliest of "ready"
// and the bookings' ends where it overlaps none.  Requests come nearly in
// time order, some out of it and some together, so that transfers land in
// gaps, touch bookings on one side or both, and wait behind them.
TEST_F(MemoryBlock, PortSchedulingEqualsAPlainReference)
{
	struct Booking {
		uint64_t start, end;	// ns
	};
	std::vector<Booking> booked;
	auto reference = [&](uint64_t ready, uint64_t length) {
		auto fits = [&](uint64_t s) {
			for (const Booking &b : booked)
				if (s < b.end && b.start < s + length)
					return false;
			return true;
		};
		uint64_t best = UINT64_MAX;
		if (fits(ready))
			best = ready;
		for (const Booking &b : booked)
			if (b.end >= ready && b.end < best && fits(b.end))
				best = b.end;
		booked.push_back({ best, best + length });
		return best + length;
	};
	zpci_prng r;
	zpci_prng_seed(&r, 5);
	std::vector<uint8_t> buf(4096);
	uint64_t now = 0;
	uint64_t timed_bytes = 0;
	// On a grid of 8 ns and 8-cycle transfers, ends often meet starts.
	for (int i = 0; i < 4000; i++) {
		now += 8 * (zpci_prng_below(&r, 4) == 0 ? 0 : zpci_prng_below(&r, 40));
		uint64_t back = zpci_prng_below(&r, 3) == 0 ? 8 * zpci_prng_below(&r, 64) : 0;
		uint64_t arrival = now - std::min(now, back);
		// What ended before the earliest arrival to come can matter no more.
		booked.erase(std::remove_if(booked.begin(), booked.end(),
					    [&](const Booking &b) { return b.end + 512 < now; }),
			     booked.end());
		unsigned int len = 128 * (1 + zpci_prng_below(&r, 16));
		sc_core::sc_time d(arrival, sc_core::SC_NS);
		ASSERT_EQ(cpu_.access(tlm::TLM_IGNORE_COMMAND, 0, buf.data(), len, d),
			  tlm::TLM_OK_RESPONSE);
		// Defaults: 100 cycles of latency, 16 bytes a cycle, 1 ns cycles.
		uint64_t done = reference(arrival + 100, (len + 15) / 16);
		ASSERT_EQ(d, sc_core::sc_time(done, sc_core::SC_NS)) << "request " << i;
		timed_bytes += len;
	}
	// Timed without data: counted as such, neither as reads nor as writes.
	EXPECT_EQ(mem_.stats().accesses[tlm::TLM_IGNORE_COMMAND], 4000u);
	EXPECT_EQ(mem_.stats().bytes[tlm::TLM_IGNORE_COMMAND], timed_bytes);
	EXPECT_EQ(mem_.stats().accesses[tlm::TLM_READ_COMMAND] +
			  mem_.stats().accesses[tlm::TLM_WRITE_COMMAND],
		  0u);
}

TEST_F(MemoryBlock, OutsideMemoryIsAnAddressErrorResponse)
{
	uint8_t buf[16] = {};
	sc_core::sc_time d = sc_core::SC_ZERO_TIME;
	EXPECT_EQ(cpu_.access(tlm::TLM_READ_COMMAND, (1 << 20) - 8, buf, 16, d),
		  tlm::TLM_ADDRESS_ERROR_RESPONSE);
	EXPECT_EQ(cpu_.access(tlm::TLM_WRITE_COMMAND, UINT64_MAX - 7, buf, 16, d),
		  tlm::TLM_ADDRESS_ERROR_RESPONSE);
	EXPECT_EQ(cpu_.access(tlm::TLM_IGNORE_COMMAND, 1 << 20, buf, 16, d),
		  tlm::TLM_ADDRESS_ERROR_RESPONSE);
	EXPECT_EQ(mem_.stats().errors, 3u);
	EXPECT_EQ(mem_.stats().accesses[tlm::TLM_READ_COMMAND] + mem_.stats().accesses[tlm::TLM_WRITE_COMMAND], 0u);
}

TEST_F(MemoryBlock, ByteEnablesAreRejected)
{
	uint8_t buf[8] = {}, be[8] = { 0xff };
	tlm::tlm_generic_payload t;
	t.set_command(tlm::TLM_READ_COMMAND);
	t.set_data_ptr(buf);
	t.set_data_length(8);
	t.set_streaming_width(8);
	t.set_byte_enable_ptr(be);
	t.set_byte_enable_length(8);
	sc_core::sc_time d = sc_core::SC_ZERO_TIME;
	cpu_.socket->b_transport(t, d);
	EXPECT_EQ(t.get_response_status(), tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
}

TEST_F(MemoryBlock, UnknownCommandIsACommandError)
{
	uint8_t buf[8] = {};
	sc_core::sc_time d = sc_core::SC_ZERO_TIME;
	// 3: no command, yet a value the enum can hold (its range is two bits).
	EXPECT_EQ(cpu_.access(static_cast<tlm::tlm_command>(3), 0x1000, buf, 8, d),
		  tlm::TLM_COMMAND_ERROR_RESPONSE);
	EXPECT_EQ(mem_.stats().errors, 1u);
}

// A non-blocking request completes at once (the base protocol's early
// completion), taking the time a blocking one would.
TEST_F(MemoryBlock, NonBlockingRequestCompletesAtOnce)
{
	uint8_t buf[64] = {};
	tlm::tlm_generic_payload t;
	t.set_command(tlm::TLM_READ_COMMAND);
	t.set_address(0x4000);
	t.set_data_ptr(buf);
	t.set_data_length(64);
	t.set_streaming_width(64);
	t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	tlm::tlm_phase phase = tlm::BEGIN_REQ;
	sc_core::sc_time d = sc_core::SC_ZERO_TIME;
	EXPECT_EQ(cpu_.socket->nb_transport_fw(t, phase, d), tlm::TLM_COMPLETED);
	EXPECT_EQ(t.get_response_status(), tlm::TLM_OK_RESPONSE);
	EXPECT_EQ(d, sc_core::sc_time(100 + 64 / 16, sc_core::SC_NS));
	EXPECT_EQ(mem_.stats().accesses[tlm::TLM_READ_COMMAND], 1u);
}

// Debug accesses (a debugger, a loader) move data and take no time: the
// port and the counters do not see them.
TEST_F(MemoryBlock, DebugAccessesMoveDataUntimed)
{
	uint8_t data[16], back[16] = {};
	for (int i = 0; i < 16; i++)
		data[i] = 0xa0 + i;
	tlm::tlm_generic_payload t;
	t.set_command(tlm::TLM_WRITE_COMMAND);
	t.set_address(0x3ff8);
	t.set_data_ptr(data);
	t.set_data_length(16);
	EXPECT_EQ(cpu_.socket->transport_dbg(t), 16u);
	zpci_mem m = backing_.view();
	ASSERT_EQ(zpci_mem_read(&m, 0x3ff8, back, 16), 0);
	EXPECT_TRUE(std::equal(data, data + 16, back));

	t.set_command(tlm::TLM_READ_COMMAND);
	t.set_address((1 << 20) - 8);	// runs past the end
	EXPECT_EQ(cpu_.socket->transport_dbg(t), 0u);
	t.set_command(tlm::TLM_IGNORE_COMMAND);
	t.set_address(0);
	EXPECT_EQ(cpu_.socket->transport_dbg(t), 0u);
	EXPECT_EQ(mem_.stats().accesses[tlm::TLM_READ_COMMAND] + mem_.stats().accesses[tlm::TLM_WRITE_COMMAND] + mem_.stats().errors, 0u);
	EXPECT_EQ(mem_.stats().busy_cycles, 0u);
}

class MemoryParamsCheck : public SystemCTest {};

TEST_F(MemoryParamsCheck, ZeroBandwidthIsRejected)
{
	SparseMem backing(1 << 20);
	MemoryParams p;
	p.bytes_per_cycle = 0;
	EXPECT_THROW(Memory("mem", backing.view(), 1 << 20, p), std::invalid_argument);
}

}  // namespace
}  // namespace zpcisim::test
