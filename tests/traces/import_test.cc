// SPDX-License-Identifier: MIT
// The capture importer on hand-written ftrace text in the capture's shape:
// each call's record with the kernel's handle, its RPCITs after it, calls
// of an interrupt in the middle of a task's, and bad captures refused in
// one line with their place.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include <ztrace/import.h>

#include "support/temp_dir.h"

namespace zpcisim {
namespace {

using test::slurp;
using test::TempDir;

const char kHeader[] =
	"# zpcisim capture: workload=test kernel=6.1.0-50-s390x memory=256M cpus=1\n"
	"# zpcisim capture: qemu=7.2.22 sdma=0x100000000 edma=0x1ffffffffffffff refresh=1\n"
	"# zpcisim capture: function fid=0x00000001 fh=0x80020000 pfgid=0xff\n"
	"# tracer: nop\n";

// TASK-PID [CPU] FLAGS TIMESTAMP: NAME: (PROBE) ARGS
std::string ev(const char *flags, const char *ts, const char *name, const char *args)
{
	return std::string("   dd-83   [000] ") + flags + " " + ts + ": " + name + ": (probe+0x0/0x10) " +
	       args + "\n";
}

struct Imported {
	int rc;
	std::string text, err;
	ztrace_import_stats st;
};

Imported import(const TempDir &d, const std::string &capture)
{
	Imported r{};
	ztrace_diag diag{};
	std::ofstream(d.file("c.ftrace")) << capture;
	r.rc = ztrace_import_ftrace(d.file("c.ftrace").c_str(), d.file("t.ztr").c_str(), &r.st, &diag);
	r.text = slurp(d.file("t.ztr"));
	r.err = diag.msg;
	return r;
}

// The records after the header lines, before the end line that counts them.
std::string records(const std::string &text)
{
	size_t at = text.find("\n0 0 attach\n"), end = text.rfind("end records=");
	if (at == std::string::npos || end == std::string::npos || end < at)
		return "";
	std::string recs = text.substr(at + 1, end - at - 1);
	EXPECT_EQ(text.substr(end),
		  "end records=" + std::to_string(std::count(recs.begin(), recs.end(), '\n')) + "\n");
	return recs;
}

TEST(Import, CallsWithTheKernelsHandlesAndTheirRpcitsAfterThem)
{
	TempDir d;
	std::string c = kHeader;
	c += ev(".....", "4.000000", "alloc", "size=0x1b06");
	c += ev(".....", "4.000010", "map", "size=0x2000 dir=0x0");
	c += ev(".....", "4.000020", "update", "pa=0x26f2000 iova=0x100000000 size=0x2000 flags=0x0");
	c += ev(".....", "4.000030", "rpcit", "fn=0x8002000000000000 addr=0x100000000 range=0x2000");
	c += ev(".....", "4.000040", "rpcit_ret", "rc=0x0");
	c += ev(".....", "4.000050", "map_ret", "iova=0x100000000");
	c += ev("d....", "5.000000", "map", "size=0x10 dir=0x1");
	c += ev("d....", "5.000001", "update", "pa=0x6bb8110 iova=0x100002000 size=0x1000 flags=0x200");
	// An interrupt unmaps in the middle of the task's map; its record comes first.
	c += ev("d.h..", "5.000002", "unmap", "iova=0x100000000 size=0x2000 dir=0x0");
	c += ev("d.h..", "5.000003", "update", "pa=0x0 iova=0x100000000 size=0x2000 flags=0x400");
	c += ev("d....", "5.000004", "rpcit", "fn=0x8002000000000000 addr=0x100002000 range=0x1000");
	c += ev("d....", "5.000005", "map_ret", "iova=0x100002110");
	c += ev(".....", "6.000000", "rpcit", "fn=0x8003000000000000 addr=0x100000000 range=0x1000");
	c += ev(".....", "7.000000", "free", "size=0x1b06 iova=0x100002110");
	c += ev(".....", "7.000001", "unmap", "iova=0x100002110 size=0x2000 dir=0x0");
	Imported r = import(d, c);
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_NE(r.text.find("guest memory=0x10000000 cpus=1 rpcit-log=1\n"
			      "function 0 fid=0x1 fh=0x20000 pfgid=255 sdma=0x100000000 "
			      "edma=0x1ffffffffffffff refresh=1\n"),
		  std::string::npos)
		<< r.text;
	EXPECT_EQ(records(r.text), "0 0 attach\n"
				   "10000 0 alloc 1 0x26f2000 6918 iova=0x100000000\n"
				   "30000 0 rpcit 0x100000000 8192\n"
				   "1000002000 0 unmap 1\n"
				   "1000002000 0 map 2 0x6bb8110 16 to-device iova=0x100002110\n"
				   "1000004000 0 rpcit 0x100002000 4096\n"
				   "3000000000 0 free 2\n");
	EXPECT_EQ(r.st.events, 15u);
	EXPECT_EQ(r.st.allocs, 1u);
	EXPECT_EQ(r.st.maps, 1u);
	EXPECT_EQ(r.st.unmaps, 1u);
	EXPECT_EQ(r.st.frees, 1u);
	EXPECT_EQ(r.st.rpcits, 2u);	// another function's is not this trace's
}

// Since Linux 6.7: the update is the IOMMU driver's map_pages, with the page
// only (the offset is in the handle); a coherent allocation maps with no map
// call and ends at its return, its handle the update's IOVA; a free unmaps
// with no unmap call; ticks and timer softirq runs become tick and timers.
TEST(Import, Linux67CallsAndTheGuestsTicks)
{
	TempDir d;
	std::string c = kHeader;
	c += ev("d.h..", "4.000000", "tick", "jiffies=4294893524");
	c += ev(".....", "4.000010", "alloc", "size=0x1b06");
	c += ev(".....", "4.000020", "update", "iova=0x10fffe000 pa=0x6dd8000 pgsize=0x1000 pgcount=0x1");
	c += ev(".....", "4.000030", "update", "iova=0x10ffff000 pa=0x6dd7000 pgsize=0x1000 pgcount=0x1");
	c += ev(".....", "4.000040", "rpcit", "fn=0x8002000000000000 addr=0x10fffe000 range=0x2000");
	c += ev(".....", "4.000050", "alloc_ret", "addr=0x37ffe815000");
	c += ev("d....", "4.000060", "map", "size=0x10 dir=0x1");
	c += ev("d....", "4.000070", "update", "iova=0x10fffd000 pa=0x6f20000 pgsize=0x1000 pgcount=0x1");
	c += ev("d....", "4.000080", "rpcit", "fn=0x8002000000000000 addr=0x10fffd000 range=0x1000");
	c += ev("d....", "4.000090", "map_ret", "iova=0x10fffd0f8");
	c += ev("..s..", "4.000100", "timers", "jiffies=4294893524");
	c += ev(".....", "4.000110", "free", "size=0x1b06 iova=0x10fffe000");
	c += ev(".....", "4.000120", "rpcit", "fn=0x8002000000000000 addr=0x10fffe000 range=0x2000");
	c += ev(".....", "4.000130", "free_ret", "");
	c += ev("d.h..", "4.000140", "unmap", "iova=0x10fffd0f8 size=0x10 dir=0x1");
	Imported r = import(d, c);
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_EQ(records(r.text), "0 0 attach\n"
				   "0 0 tick 4294893524\n"
				   "10000 0 alloc 1 0x6dd8000 6918 iova=0x10fffe000\n"
				   "40000 0 rpcit 0x10fffe000 8192\n"
				   "60000 0 map 2 0x6f200f8 16 to-device iova=0x10fffd0f8\n"
				   "80000 0 rpcit 0x10fffd000 4096\n"
				   "100000 0 timers 4294893524\n"
				   "110000 0 free 1\n"
				   "120000 0 rpcit 0x10fffe000 8192\n"
				   "140000 0 unmap 2\n");
	EXPECT_EQ(r.st.ticks, 1u);
	EXPECT_EQ(r.st.allocs, 1u);
	EXPECT_EQ(r.st.frees, 1u);
	EXPECT_EQ(r.st.unmaps, 1u);
}

// One 6.1 map call in context @flags at second @t: map, update, RPCIT, return.
std::string map_call(const char *flags, int t, uint64_t size, int dir, uint64_t pa, uint64_t iova)
{
	char ts[4][32], a[4][160];
	for (int i = 0; i < 4; i++)
		snprintf(ts[i], sizeof(ts[i]), "%d.%06d", t, i);
	snprintf(a[0], sizeof(a[0]), "size=%#llx dir=%#x", (unsigned long long)size, dir);
	snprintf(a[1], sizeof(a[1]), "pa=%#llx iova=%#llx size=0x1000 flags=0x0",
		 (unsigned long long)(pa & ~0xfffULL), (unsigned long long)(iova & ~0xfffULL));
	snprintf(a[2], sizeof(a[2]), "fn=0x8002000000000000 addr=%#llx range=0x1000",
		 (unsigned long long)(iova & ~0xfffULL));
	snprintf(a[3], sizeof(a[3]), "iova=%#llx", (unsigned long long)iova);
	return ev(flags, ts[0], "map", a[0]) + ev(flags, ts[1], "update", a[1]) +
	       ev(flags, ts[2], "rpcit", a[2]) + ev(flags, ts[3], "map_ret", a[3]);
}

std::string unmap_call(const char *flags, int t, uint64_t iova)
{
	char ts[32], a[96];
	snprintf(ts, sizeof(ts), "%d.500000", t);
	snprintf(a, sizeof(a), "iova=%#llx size=0x1000 dir=0x0", (unsigned long long)iova);
	return ev(flags, ts, "unmap", a);
}

// A virtio request as the ring adds it: its buffers mapped in a row, then
// its indirect table (16 bytes a buffer); the unmaps of those mappings
// end it.  Runs without a table, or broken by another call of their
// context, are no request.  The trace is version 2 and its requests pass
// the checker.
TEST(Import, VirtioRequestsFromTheRingsCallSequence)
{
	TempDir d;
	std::string c = kHeader;
	// Two RX buffers posted alone: a run with no table.
	c += map_call("..s..", 1, 0x600, 2, 0x6bd0000, 0x100005000);
	c += map_call("..s..", 2, 0x600, 2, 0x6bd0600, 0x100006600);
	// A block request: header, data, status, table of 3.
	c += map_call(".....", 3, 0x10, 1, 0x6bb8110, 0x100002110);
	c += map_call(".....", 4, 0x1000, 2, 0x6b8a000, 0x100003000);
	// An interrupt in the middle: the device filled RX buffer 1.
	c += unmap_call("d.h..", 4, 0x100005000);
	c += map_call(".....", 5, 0x1, 2, 0x6bb8120, 0x100004120);
	c += map_call(".....", 6, 0x30, 1, 0x6b6e6c0, 0x1000056c0);
	c += unmap_call("d.h..", 7, 0x1000056c0);
	c += unmap_call("d.h..", 7, 0x100002110);
	c += unmap_call("d.h..", 7, 0x100003000);
	c += unmap_call("d.h..", 7, 0x100004120);
	// Two maps and a 32-byte to-device one that looks like a table, but an
	// unmap of the task's came between: no request.
	c += map_call(".....", 8, 0x10, 1, 0x6bb8310, 0x100007310);
	c += unmap_call(".....", 8, 0x100006600);
	c += map_call(".....", 9, 0x1000, 2, 0x126d000, 0x100008000);
	c += map_call(".....", 10, 0x20, 1, 0x6b6ec40, 0x100009c40);
	Imported r = import(d, c);
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_EQ(r.text.substr(0, 13), "zpci-trace 3\n");
	EXPECT_EQ(records(r.text), "0 0 attach\n"
				   "0 0 map 1 0x6bd0000 1536 from-device iova=0x100005000\n"
				   "2000 0 rpcit 0x100005000 4096\n"
				   "1000000000 0 map 2 0x6bd0600 1536 from-device iova=0x100006600\n"
				   "1000002000 0 rpcit 0x100006000 4096\n"
				   "2000000000 0 map 3 0x6bb8110 16 to-device iova=0x100002110 req=1\n"
				   "2000002000 0 rpcit 0x100002000 4096\n"
				   "3000000000 0 map 4 0x6b8a000 4096 from-device iova=0x100003000 req=1\n"
				   "3000002000 0 rpcit 0x100003000 4096\n"
				   "3500000000 0 unmap 1\n"
				   "4000000000 0 map 5 0x6bb8120 1 from-device iova=0x100004120 req=1\n"
				   "4000002000 0 rpcit 0x100004000 4096\n"
				   "5000000000 0 map 6 0x6b6e6c0 48 to-device iova=0x1000056c0 req=1\n"
				   "5000002000 0 rpcit 0x100005000 4096\n"
				   "6500000000 0 unmap 6 req=1\n"
				   "6500000000 0 unmap 3 req=1\n"
				   "6500000000 0 unmap 4 req=1\n"
				   "6500000000 0 unmap 5 req=1\n"
				   "7000000000 0 map 7 0x6bb8310 16 to-device iova=0x100007310\n"
				   "7000002000 0 rpcit 0x100007000 4096\n"
				   "7500000000 0 unmap 2\n"
				   "8000000000 0 map 8 0x126d000 4096 from-device iova=0x100008000\n"
				   "8000002000 0 rpcit 0x100008000 4096\n"
				   "9000000000 0 map 9 0x6b6ec40 32 to-device iova=0x100009c40\n"
				   "9000002000 0 rpcit 0x100009000 4096\n");
	// What the checker makes of it: one request, opened and closed.
	ztrace_reader *rd;
	ztrace_diag diag;
	ASSERT_EQ(ztrace_open(d.file("t.ztr").c_str(), &rd, &diag), 0) << diag.msg;
	ztrace_checker *k = ztrace_checker_create(ztrace_reader_header(rd));
	ztrace_rec rec;
	std::string events;
	while (ztrace_next(rd, &rec, &diag) == 1) {
		ASSERT_EQ(ztrace_check(k, &rec, &diag), 0) << diag.msg;
		events += ".OCB"[ztrace_checker_req_event(k)];
	}
	EXPECT_EQ(events, ".....O...........C.......");
	EXPECT_EQ(r.st.requests, 1u);
	ztrace_checker_destroy(k);
	ztrace_close(rd);
}

// A run longer than the importer holds back (4096 records) is no request,
// however it ends, and every record still comes out, in order.
TEST(Import, TooLongARunIsNoRequest)
{
	TempDir d;
	std::string c = kHeader;
	const int n = 2100;	// a map and its RPCIT each
	for (int i = 0; i < n; i++)
		c += map_call(".....", 1 + i, 0x1000, 2, 0x100000 + 0x1000ULL * i,
			      0x100000000ULL + 0x1000ULL * i);
	// The hold fills at map 2049: the 52 maps after it and this one, a
	// table for them, are the rest of the too-long run.
	c += map_call(".....", 1 + n, 16 * (n - 2048), 1, 0x4000000, 0x200000000ULL);
	Imported r = import(d, c);
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_EQ(r.text.find("req="), std::string::npos);
	EXPECT_EQ(r.st.maps, uint64_t(n + 1));
	std::string rec = records(r.text);
	EXPECT_EQ(size_t(std::count(rec.begin(), rec.end(), '\n')), size_t(1 + 2 * (n + 1)));
	EXPECT_NE(rec.find("map 2101 0x4000000 832 to-device iova=0x200000000\n"), std::string::npos);
}

// A capture whose probes have other names: every event unknown is an
// error, no trace; some unknown among known ones are counted by name.
TEST(Import, UnknownEventsAreCountedAndNoneKnownIsAnError)
{
	TempDir d;
	std::string other = std::string(kHeader) + ev(".....", "1.0", "dma_map", "size=1 dir=0") +
			    ev(".....", "1.1", "dma_map", "size=1 dir=0") +
			    ev(".....", "1.2", "dma_unmap", "iova=0x1000");
	Imported r = import(d, other);
	EXPECT_NE(r.rc, 0);
	EXPECT_EQ(r.err, d.file("c.ftrace") + ": none of its 3 events is one the importer knows "
					     "(the first: 'dma_map'); traces/capture/guest-init.sh "
					     "names the probes");
	EXPECT_EQ(r.text, "");

	r = import(d, other + ev(".....", "2.0", "tick", "jiffies=5"));
	ASSERT_EQ(r.rc, 0) << r.err;
	EXPECT_EQ(r.st.unknown_events, 3u);
	ASSERT_EQ(r.st.nr_unknown, 2u);
	EXPECT_STREQ(r.st.unknown[0].name, "dma_map");
	EXPECT_EQ(r.st.unknown[0].count, 2u);
	EXPECT_STREQ(r.st.unknown[1].name, "dma_unmap");
	EXPECT_EQ(r.st.unknown[1].count, 1u);
}

// A compressed capture (or trace) is named as such, not read as text.
TEST(Import, CompressedCaptureIsNamed)
{
	const struct {
		std::string magic;
		const char *name;
	} cases[] = {
		{ "\x1f\x8b\x08\x00", "gzip" },
		{ std::string("\xfd" "7zXZ\0\0\x04", 8), "xz" },
		{ "\x28\xb5\x2f\xfd\x24", "zstd" },
		{ "BZh91AY&SY", "bzip2" },
	};
	for (const auto &c : cases) {
		TempDir d;
		Imported r = import(d, c.magic + std::string("\0\0junk\n", 7));
		EXPECT_EQ(r.err, d.file("c.ftrace") + ": " + c.name + "-compressed: decompress it first");
		EXPECT_EQ(r.text, "");
		ztrace_reader *tr;
		ztrace_diag diag;
		EXPECT_EQ(ztrace_open(d.file("c.ftrace").c_str(), &tr, &diag), -EINVAL);
		EXPECT_EQ(diag.msg, d.file("c.ftrace") + ": " + c.name + "-compressed: decompress it first");
	}
}

// @text with its first @from replaced by @to.
std::string with(std::string text, const std::string &from, const std::string &to)
{
	return text.replace(text.find(from), from.size(), to);
}

TEST(Import, BadCapturesAreOneLineWithTheirPlaceAndLeaveNoTrace)
{
	struct {
		std::string capture;
		const char *says;
	} cases[] = {
		{ ev(".....", "1.0", "map", "size=1 dir=0"), "no '# zpcisim capture:' lines" },
		{ std::string(kHeader) + "garbage here\n", ":5: not an ftrace event line" },
		{ std::string(kHeader) + ev(".....", "1.0", "map", "dir=0"), ":5: event without size=" },
		{ std::string(kHeader) + ev(".....", "1.0", "map", "size=1 dir=7"),
		  ":5: direction 7 is not one" },
		{ std::string(kHeader) + ev(".....", "1.0", "map_ret", "iova=0x1000"),
		  ":5: map returned without a map" },
		{ std::string(kHeader) + ev(".....", "1.0", "map_sg", "nents=3 dir=1"),
		  ":5: map_sg: scatter-gather lists are not imported" },
		{ std::string(kHeader) + ev(".....", "1.0", "tick", "jiffies=x"),
		  ":5: event without jiffies=" },
		{ kHeader, "no events" },
		// What the trace's reader would refuse is refused here, at the
		// capture's line, never written, never cut to fit.
		{ with(kHeader, "cpus=1", "cpus=0") + ev(".....", "1.0", "tick", "jiffies=1"),
		  ":1: guest cpus must be at least 1" },
		{ with(kHeader, "memory=256M", "memory=4097") + ev(".....", "1.0", "tick", "jiffies=1"),
		  ":1: guest memory 4097 is not a multiple of 4K" },
		{ with(kHeader, "edma=0x1ffffffffffffff", "edma=0xffff") +
			  ev(".....", "1.0", "tick", "jiffies=1"),
		  ":2: function 0: edma below sdma" },
		{ with(kHeader, "pfgid=0xff", "pfgid=300"), ":3: pfgid=300 is more than 255" },
		{ with(kHeader, "cpus=1", "cpus=0x100000001"), ":1: cpus=0x100000001 is more than 4294967295" },
	};
	for (const auto &c : cases) {
		TempDir d;
		Imported r = import(d, c.capture);
		EXPECT_NE(r.rc, 0) << c.says;
		EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
		EXPECT_EQ(r.err.find('\n'), std::string::npos) << r.err;
		EXPECT_EQ(r.text, "") << c.says;
	}
}

}  // namespace
}  // namespace zpcisim
