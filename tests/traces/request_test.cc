// SPDX-License-Identifier: MIT
// Requests (trace format version 2, FORMAT.md "Requests"): where the
// checker opens and closes each, what it refuses, and every generator's
// requests read back by a check of their own, independent of the checker.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <ztrace/gen.h>
#include <ztrace/trace.h>

#include "support/temp_dir.h"

namespace {

using zpcisim::test::TempDir;

const std::string kHeader =
	"zpci-trace 2\n"
	"guest memory=1G\n"
	"function 0 fid=0x10 fh=0x100 sdma=0x100000000 edma=0x1ffffffffffffff queue-depth=3\n"
	"function 1 fid=0x11 fh=0x101 sdma=0x100000000 edma=0x1ffffffffffffff\n"
	"0 0 attach\n"
	"0 1 attach\n";

struct Checked {
	std::string events;	// per record after the attaches: O, C, B(oth) or .
	std::string err;	// the first refusal
	std::vector<uint32_t> slots;	// the request slot of each record
	uint32_t open0 = 0;	// requests open on function 0 at the end
};

// The checker over @body, after kHeader.
Checked check(const std::string &body)
{
	TempDir d;
	Checked out;
	std::ofstream(d.file("r.ztr")) << kHeader << body;
	ztrace_reader *r;
	ztrace_diag diag;
	if (ztrace_open(d.file("r.ztr").c_str(), &r, &diag)) {
		out.err = diag.msg;
		return out;
	}
	ztrace_checker *c = ztrace_checker_create(ztrace_reader_header(r));
	ztrace_rec rec;
	int rc;
	while ((rc = ztrace_next(r, &rec, &diag)) == 1) {
		if (ztrace_check(c, &rec, &diag)) {
			out.err = diag.msg;
			EXPECT_EQ(ztrace_checker_req_event(c), 0u) << "a refused record has no event";
			EXPECT_EQ(ztrace_checker_req_slot(c), ZTRACE_NO_SLOT);
			break;
		}
		if (rec.kind == ZTRACE_ATTACH)
			continue;
		static const char names[] = ".OCB";
		out.events += names[ztrace_checker_req_event(c)];
		out.slots.push_back(ztrace_checker_req_slot(c));
	}
	if (rc < 0)
		out.err = diag.msg;
	out.open0 = ztrace_checker_open_requests(c, 0);
	ztrace_checker_destroy(c);
	ztrace_close(r);
	return out;
}

// A block request: its maps, the device's transfer, its unmaps; two at once.
TEST(Requests, StorageClosesWithItsLastUnmap)
{
	Checked k = check("1 0 map-sg 1 to-device 0x1000:4096 req=1\n"
			  "2 0 dma 1 0 4096 read req=1\n"
			  "3 0 map-sg 2 from-device 0x3000:4096 req=2\n"
			  "4 0 map 3 0x5000 1 from-device req=2\n"
			  "5 0 dma 2 0 4096 write req=2\n"
			  "6 0 dma 3 0 1 write req=2\n"
			  "7 0 unmap-sg 1 req=1\n"
			  "8 0 unmap 3 req=2\n"
			  "9 0 unmap-sg 2 req=2\n");
	EXPECT_EQ(k.err, "");
	EXPECT_EQ(k.events, "O.O...C.C");
	EXPECT_NE(k.slots[0], k.slots[2]);	// open at once: slots apart
	EXPECT_EQ(k.slots[8], k.slots[2]);
	EXPECT_EQ(k.open0, 0u);
}

// A NIC's receive: device work first, on a buffer posted outside the
// request; the refill it maps after its device work is not its own, so
// the unmap of the filled buffer closes it, and the next packet in the
// slot uses (and holds) the refill.
TEST(Requests, ReceiveIsDeviceWorkThenItsUnmapAndRefill)
{
	Checked k = check("1 0 alloc 1 0x1000 4096\n"
			  "1 0 map 2 0x2000 2048 from-device\n"
			  "2 0 dma 2 0 1500 write req=5\n"
			  "2 0 dma 1 0 16 write req=5\n"
			  "3 0 map 3 0x3000 2048 from-device req=5\n"
			  "3 0 dma 1 0 16 read req=5\n"
			  "4 0 unmap 2 req=5\n"
			  "5 0 dma 3 0 64 write req=6\n"
			  "6 0 map 4 0x4000 2048 from-device req=6\n"
			  "7 0 unmap 3 req=6\n"
			  "8 0 unmap 4\n"
			  "9 0 free 1\n");
	EXPECT_EQ(k.err, "");
	EXPECT_EQ(k.events, "..O...CO.C..");
}

// Transmit, a ring poll (device work alone on coherent memory), a queue
// reset (calls alone), and a req ID used again once its request is over.
TEST(Requests, TransmitPollResetAndReuse)
{
	Checked k = check("1 0 alloc 1 0x1000 4096\n"
			  "2 0 map 2 0x2000 1500 to-device req=7\n"
			  "3 0 dma 1 0 16 read req=7\n"
			  "3 0 dma 2 0 1500 read req=7\n"
			  "3 0 dma 1 0 16 write req=7\n"
			  "4 0 dma 1 64 16 read req=8\n"
			  "5 0 alloc 3 0x8000 4096 req=9\n"
			  "5 0 free 1 req=9\n"
			  "6 0 unmap 2 req=7\n"
			  "7 0 map 4 0x2000 1500 to-device req=7\n"
			  "8 0 unmap 4 req=7\n"
			  "9 0 dma-iova 0x100000000 8 read req=7\n"
			  "9 0 free 3\n");
	EXPECT_EQ(k.err, "");
	EXPECT_EQ(k.events, ".O...BOCCOCB.");
}

// Detaching a function ends the requests still open on it.
TEST(Requests, DetachClosesWhatIsOpen)
{
	Checked k = check("1 0 alloc 1 0x1000 4096 req=1\n"
			  "2 0 free 1\n");
	EXPECT_EQ(k.err, "");
	EXPECT_EQ(k.events, "O.");
	EXPECT_EQ(k.open0, 1u);
	k = check("1 0 alloc 1 0x1000 4096 req=1\n"
		  "2 0 free 1\n"
		  "3 0 detach\n"
		  "4 0 attach\n"
		  "5 0 map 2 0x1000 10 to-device req=1\n");
	EXPECT_EQ(k.err, "");
	EXPECT_EQ(k.events, "O..O");
	EXPECT_EQ(k.open0, 1u);
}

// What the checker refuses about requests, with the record kind first.
TEST(Requests, RefusesWhatMakesNoSense)
{
	const struct {
		const char *records, *want;
	} cases[] = {
		{ "1 0 map 1 0x1000 10 to-device req=5\n1 1 map 1 0x1000 10 to-device req=5\n",
		  "map: req 5 is open on function 0" },
		{ "1 0 map 1 0x1000 10 to-device req=5\n1 0 map 2 0x2000 10 to-device req=5\n"
		  "2 0 unmap 1 req=5\n3 0 map 3 0x3000 10 to-device req=5\n",
		  "map: req 5 has begun ending its mappings: a new one starts a new request, "
		  "which may reuse the ID only once this one is over" },
		{ "1 0 map 1 0x1000 10 to-device req=5\n1 0 map 2 0x2000 10 to-device req=5\n"
		  "1 0 map 3 0x3000 10 to-device\n2 0 unmap 1 req=5\n3 0 dma 3 0 1 read req=5\n",
		  "dma: req 5 has begun ending its mappings: an access to ID 3, which it does not "
		  "hold, starts a new request, which may reuse the ID only once this one is over" },
		{ "1 0 map 1 0x1000 10 to-device req=5\n2 0 unmap 1\n",
		  "unmap: ID 1 is held by request 5, which must end it" },
		{ "1 0 map 1 0x1000 10 to-device\n2 0 dma 1 0 1 read req=5\n3 0 unmap 1 req=6\n",
		  "unmap: ID 1 is held by request 5, which must end it" },
		{ "1 0 map 1 0x1000 10 to-device req=1\n1 0 map 2 0x1000 10 to-device req=2\n"
		  "1 0 map 3 0x1000 10 to-device req=3\n1 0 map 4 0x1000 10 to-device req=4\n",
		  "map: req 4 would be function 0's request 4 at once, beyond its queue depth" },
		{ "1 0 dma 9 0 1 read req=3\n", "dma: ID 9 is not live" },
	};
	for (const auto &c : cases) {
		Checked k = check(c.records);
		EXPECT_EQ(k.err, c.want) << c.records;
	}
	// A request a refused record would have opened never was: the queue
	// depth still has room for three, and req 4 is free.
	Checked k = check("1 0 map 1 0x1000 10 to-device req=1\n1 0 map 2 0x1000 10 to-device req=2\n"
			  "1 0 dma 9 0 1 read req=3\n");
	EXPECT_EQ(k.err, "dma: ID 9 is not live");
	EXPECT_EQ(k.open0, 2u);
	// Function 1 has no queue depth: no limit.
	std::string many;
	for (int i = 1; i <= 100; i++)
		many += "1 1 map " + std::to_string(i) + " 0x1000 10 to-device req=" +
			std::to_string(i) + "\n";
	EXPECT_EQ(check(many).err, "");
}

// One record of a generated trace, as this test keeps it.
struct Rec {
	ztrace_kind kind;
	uint32_t fn;
	uint64_t id;
	bool has_req;
	uint64_t req;
	uint32_t event;		// the checker's
};

bool is_map(ztrace_kind k)
{
	return k == ZTRACE_MAP || k == ZTRACE_MAP_SG || k == ZTRACE_ALLOC;
}

bool is_end(ztrace_kind k)
{
	return k == ZTRACE_UNMAP || k == ZTRACE_UNMAP_SG || k == ZTRACE_FREE;
}

// Every generator's requests, read back without the checker's rules: a
// request's records are on one function; for each buffer it touches, its
// map comes before the device's accesses and they before its unmap; a
// buffer the device used in a request is released by that request; no
// record without req falls between a function's first and last request;
// no more requests are open at once than the function's queue depth.
// Then the checker, reading the same records, opens each request at its
// first record and closes it at its last, exactly.
TEST(Requests, GeneratedRequestsAreWellFormed)
{
	TempDir d;
	for (size_t g = 0; g < ztrace_gen_count(); g++) {
		const char *name = ztrace_gen_get(g)->name;
		ztrace_gen_cfg cfg{ 20000, 3, 1ULL << 30, g % 2 == 1 };
		std::string out = d.file("w.ztb");
		ztrace_diag diag;
		ASSERT_EQ(ztrace_generate(name, &cfg, out.c_str(), ZTRACE_BINARY, &diag), 0) << diag.msg;
		ztrace_reader *r;
		ASSERT_EQ(ztrace_open(out.c_str(), &r, &diag), 0);
		const ztrace_header h = *ztrace_reader_header(r);
		EXPECT_EQ(h.version, unsigned(ZTRACE_VERSION)) << name;
		ztrace_checker *c = ztrace_checker_create(&h);
		std::vector<Rec> recs;
		ztrace_rec rec;
		while (ztrace_next(r, &rec, &diag) == 1) {
			ASSERT_EQ(ztrace_check(c, &rec, &diag), 0) << name << ": " << diag.msg;
			recs.push_back({ rec.kind, rec.fn, rec.id, (rec.flags & ZTRACE_HAS_REQ) != 0,
					 rec.req, ztrace_checker_req_event(c) });
		}
		ztrace_checker_destroy(c);
		ztrace_close(r);

		// Each request's records, in order (generators never reuse a req ID).
		std::map<uint64_t, std::vector<size_t>> reqs;
		for (size_t i = 0; i < recs.size(); i++)
			if (recs[i].has_req)
				reqs[recs[i].req].push_back(i);
		ASSERT_GT(reqs.size(), 1000u) << name;
		std::map<uint32_t, std::pair<size_t, size_t>> span;	// fn: first, last request record
		for (const auto &[req, idx] : reqs) {
			uint32_t fn = recs[idx[0]].fn;
			std::map<uint64_t, size_t> mapped, used_last, ended;	// ID -> record
			for (size_t i : idx) {
				const Rec &x = recs[i];
				ASSERT_EQ(x.fn, fn) << name << " req " << req;
				if (is_map(x.kind))
					mapped[x.id] = i;
				else if (is_end(x.kind))
					ended[x.id] = i;
				else if (x.kind == ZTRACE_DMA) {
					EXPECT_FALSE(ended.count(x.id)) << name << " req " << req;
					used_last[x.id] = i;
				}
			}
			for (const auto &[id, i] : used_last) {
				if (mapped.count(id)) {
					EXPECT_LT(mapped[id], i) << name << " req " << req;
				}
			}
			// The buffers its device work used, coherent rings apart, it releases.
			for (const auto &[id, i] : used_last) {
				bool ring = false;
				for (size_t j = 0; j < i && !ring; j++)
					ring = recs[j].kind == ZTRACE_ALLOC && recs[j].id == id &&
					       recs[j].fn == fn;
				if (!ring) {
					EXPECT_TRUE(ended.count(id)) << name << " req " << req << " ID " << id;
				}
			}
			auto &s = span.try_emplace(fn, idx.front(), idx.back()).first->second;
			s.first = std::min(s.first, idx.front());
			s.second = std::max(s.second, idx.back());
			// The checker's boundaries are the request's own.
			for (size_t i : idx) {
				uint32_t want = (i == idx.front() ? ZTRACE_REQ_OPENED : 0) |
						(i == idx.back() ? ZTRACE_REQ_CLOSED : 0);
				ASSERT_EQ(recs[i].event, want) << name << " req " << req << " record " << i;
			}
		}
		for (const auto &[fn, s] : span)
			for (size_t i = s.first; i <= s.second; i++)
				if (recs[i].fn == fn) {
					ASSERT_TRUE(recs[i].has_req) << name << " record " << i;
				}
		// Requests open at once, per function, within its queue depth.
		std::map<uint32_t, int> open, peak;
		for (size_t i = 0; i < recs.size(); i++) {
			if (!recs[i].has_req)
				continue;
			const auto &idx = reqs[recs[i].req];
			if (i == idx.front())
				peak[recs[i].fn] = std::max(peak[recs[i].fn], ++open[recs[i].fn]);
			if (i == idx.back())
				open[recs[i].fn]--;
		}
		for (const auto &[fn, p] : peak) {
			EXPECT_GT(h.fn[fn].queue_depth, 0u) << name;
			EXPECT_LE(uint32_t(p), h.fn[fn].queue_depth) << name << " function " << fn;
		}
	}
}

}  // namespace
