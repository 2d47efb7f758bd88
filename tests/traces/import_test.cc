// SPDX-License-Identifier: MIT
// The capture importer on hand-written ftrace text in the capture's shape:
// each call's record with the kernel's handle, its RPCITs after it, calls
// of an interrupt in the middle of a task's, and bad captures refused in
// one line with their place.
#include <gtest/gtest.h>

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

// The records after the header lines.
std::string records(const std::string &text)
{
	size_t at = text.find("\n0 0 attach\n");
	return at == std::string::npos ? "" : text.substr(at + 1);
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
