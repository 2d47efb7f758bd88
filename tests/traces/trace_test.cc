// SPDX-License-Identifier: MIT
// The trace format: both encodings, round trips, generators, and a corpus
// of malformed input, each with its one-line error.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <zpci/prng.h>
#include <ztrace/gen.h>
#include <ztrace/trace.h>

#include "support/bad_records.h"
#include "support/temp_dir.h"

namespace {

using zpcisim::test::TempDir;
using zpcisim::test::slurp;

void spit(const std::string &path, const std::string &content)
{
	std::ofstream(path, std::ios::binary) << content;
}

// Read every record of @path into text lines; "" and @err on failure.
std::vector<std::string> read_all(const std::string &path, std::string *err)
{
	std::vector<std::string> lines;
	ztrace_reader *r;
	ztrace_diag diag;
	char buf[ZTRACE_TEXT_LINE_MAX];

	if (ztrace_open(path.c_str(), &r, &diag)) {
		*err = diag.msg;
		return lines;
	}
	ztrace_rec rec;
	int rc;
	while ((rc = ztrace_next(r, &rec, &diag)) == 1) {
		ztrace_format(&rec, buf, sizeof(buf));
		lines.push_back(buf);
	}
	if (rc < 0)
		*err = diag.msg;
	ztrace_close(r);
	return lines;
}

// Copy @in to @out record by record; the error message or "".
std::string convert(const std::string &in, const std::string &out)
{
	ztrace_reader *r;
	ztrace_writer *w;
	ztrace_diag diag;
	ztrace_rec rec;
	int rc;

	if (ztrace_open(in.c_str(), &r, &diag))
		return diag.msg;
	if (ztrace_create(out.c_str(), ztrace_encoding_for(out.c_str()), ztrace_reader_header(r),
			  nullptr, &w, &diag)) {
		ztrace_close(r);
		return diag.msg;
	}
	while ((rc = ztrace_next(r, &rec, &diag)) == 1)
		if (ztrace_write(w, &rec, &diag))
			break;
	ztrace_close(r);
	if (rc != 0) {
		ztrace_abort(w);
		return diag.msg;
	}
	return ztrace_commit(w, &diag) ? diag.msg : "";
}

const std::string kHeader =
	"zpci-trace 1\n"
	"guest memory=1G\n"
	"function 0 fid=0x10 fh=0x100 sdma=0x100000000 edma=0x1ffffffffffffff\n";

const std::string kEveryKind =
	"0 0 attach\n"
	"10 0 map 1 0x200040 1500 from-device iova=0x100000040 cpu=1\n"
	"20 0 dma 1 0 1500 write\n"
	"30 0 map-sg 2 to-device 0x300000:4096,0x305000:100\n"
	"40 0 dma 2 4000 196 read\n"
	"50 0 alloc 3 0x400000 16384\n"
	"60 0 dma-iova 0x100002000 8 write\n"
	"70 0 rpcit 0x100000000 0x1000\n"
	"80 0 unmap 1 cpu=0\n"
	"90 0 unmap-sg 2\n"
	"100 0 free 3\n"
	"110 0 detach\n";

TEST(TraceFormat, TextToBinaryAndBackIsLossless)
{
	TempDir d;
	spit(d.file("a.ztr"), kHeader + kEveryKind);
	ASSERT_EQ(convert(d.file("a.ztr"), d.file("a.ztb")), "");
	ASSERT_EQ(convert(d.file("a.ztb"), d.file("b.ztr")), "");
	ASSERT_EQ(convert(d.file("b.ztr"), d.file("b.ztb")), "");
	EXPECT_EQ(slurp(d.file("a.ztb")), slurp(d.file("b.ztb")));
	std::string e1, e2;
	std::vector<std::string> a = read_all(d.file("a.ztr"), &e1), b = read_all(d.file("b.ztb"), &e2);
	ASSERT_EQ(e1, "");
	ASSERT_EQ(e2, "");
	EXPECT_EQ(a, b);
	ASSERT_EQ(a.size(), 12u);
	EXPECT_EQ(a[1], "10 0 map 1 0x200040 1500 from-device iova=0x100000040 cpu=1");
	EXPECT_EQ(a[3], "30 0 map-sg 2 to-device 0x300000:4096,0x305000:100");
	EXPECT_EQ(slurp(d.file("a.ztb")).substr(0, 8), "ZPCITRB1");
}

const std::string kHeaderV2 =
	"zpci-trace 2\n"
	"guest memory=1G cpus=2\n"
	"function 0 fid=0x10 fh=0x100 sdma=0x100000000 edma=0x1ffffffffffffff queue-depth=32\n"
	"function 1 fid=0x11 fh=0x101 sdma=0x100000000 edma=0x1ffffffffffffff\n";

// Every kind that takes req=, with IDs of every varint length.
const std::string kEveryKindV2 =
	"0 0 attach\n"
	"0 1 attach\n"
	"10 0 map 1 0x200040 1500 from-device iova=0x100000040 cpu=1 req=0\n"
	"20 0 dma 1 0 1500 write req=0\n"
	"30 0 map-sg 2 to-device 0x300000:4096,0x305000:100 req=127\n"
	"40 0 dma 2 4000 196 read req=127\n"
	"50 1 alloc 3 0x400000 16384 cpu=1 req=128\n"
	"60 1 dma-iova 0x100002000 8 write req=18446744073709551614\n"
	"70 0 rpcit 0x100000000 0x1000\n"
	"80 0 unmap 1 cpu=0 req=0\n"
	"90 0 unmap-sg 2 req=127\n"
	"100 1 free 3 req=128\n"
	"110 0 detach\n"
	"110 1 detach\n";

TEST(TraceFormat, Version2TextToBinaryAndBackIsLossless)
{
	TempDir d;
	spit(d.file("a.ztr"), kHeaderV2 + kEveryKindV2);
	ASSERT_EQ(convert(d.file("a.ztr"), d.file("a.ztb")), "");
	ASSERT_EQ(convert(d.file("a.ztb"), d.file("b.ztr")), "");
	ASSERT_EQ(convert(d.file("b.ztr"), d.file("b.ztb")), "");
	EXPECT_EQ(slurp(d.file("a.ztb")), slurp(d.file("b.ztb")));
	// The header keeps its version and queue depths, in both encodings.
	const std::string head =
		"zpci-trace 2\nguest memory=0x40000000 cpus=2 rpcit-log=0\n"
		"function 0 fid=0x10 fh=0x100 pfgid=0 sdma=0x100000000 edma=0x1ffffffffffffff "
		"refresh=0 queue-depth=32\n"
		"function 1 fid=0x11 fh=0x101 pfgid=0 sdma=0x100000000 edma=0x1ffffffffffffff "
		"refresh=0\n0 0 attach\n";
	EXPECT_EQ(slurp(d.file("b.ztr")).substr(0, head.size()), head);
	std::string bin = slurp(d.file("a.ztb"));
	EXPECT_EQ(bin.substr(0, 8), "ZPCITRB1");
	EXPECT_EQ(bin.substr(12, 13), "zpci-trace 2\n");
	std::string e1, e2;
	std::vector<std::string> a = read_all(d.file("a.ztr"), &e1), b = read_all(d.file("b.ztb"), &e2);
	ASSERT_EQ(e1, "");
	ASSERT_EQ(e2, "");
	EXPECT_EQ(a, b);
	ASSERT_EQ(a.size(), 14u);
	EXPECT_EQ(a[2], "10 0 map 1 0x200040 1500 from-device iova=0x100000040 cpu=1 req=0");
	EXPECT_EQ(a[7], "60 1 dma-iova 0x100002000 8 write req=18446744073709551614");
	for (const char *f : { "a.ztr", "a.ztb" }) {
		ztrace_reader *r;
		ztrace_diag diag;
		ASSERT_EQ(ztrace_open(d.file(f).c_str(), &r, &diag), 0) << diag.msg;
		const ztrace_header *h = ztrace_reader_header(r);
		EXPECT_EQ(h->version, 2u);
		EXPECT_EQ(h->fn[0].queue_depth, 32u);
		EXPECT_EQ(h->fn[1].queue_depth, 0u);
		ztrace_rec rec;
		uint64_t reqs = 0;
		while (ztrace_next(r, &rec, &diag) == 1)
			reqs += (rec.flags & ZTRACE_HAS_REQ) ? 1 : 0;
		EXPECT_EQ(reqs, 9u) << f;
		ztrace_close(r);
	}
}

// A version-1 binary sample read and written again, through text, is the
// same bytes: the version-1 writer writes what it always wrote.
TEST(TraceFormat, Version1SampleRewritesToTheSameBytes)
{
	TempDir d;
	std::string sample = ZPCISIM_SOURCE_DIR "/traces/samples/storage-small.ztb";
	ASSERT_EQ(convert(sample, d.file("s.ztr")), "");
	ASSERT_EQ(convert(d.file("s.ztr"), d.file("s.ztb")), "");
	EXPECT_EQ(slurp(d.file("s.ztb")), slurp(sample));
	EXPECT_EQ(slurp(d.file("s.ztr")).substr(0, 13), "zpci-trace 1\n");
}

// The version a writer writes: the header's, or the newest; what that
// version cannot hold is refused, in one line.
TEST(TraceWriter, VersionFollowsTheHeader)
{
	TempDir d;
	ztrace_header h{};
	h.version = 1;
	h.guest_mem = 1 << 30;
	h.cpus = 1;
	h.nr_fns = 1;
	ztrace_writer *w;
	ztrace_diag diag;
	ztrace_rec rec{};
	rec.kind = ZTRACE_ATTACH;

	ASSERT_EQ(ztrace_create(d.file("v1.ztr").c_str(), ZTRACE_TEXT, &h, nullptr, &w, &diag), 0);
	ASSERT_EQ(ztrace_write(w, &rec, &diag), 0);
	rec.kind = ZTRACE_DMA_IOVA;
	rec.len = 1;
	rec.flags = ZTRACE_HAS_REQ;
	EXPECT_EQ(ztrace_write(w, &rec, &diag), -EINVAL);
	EXPECT_STREQ(diag.msg, "record: dma-iova: req= needs a version-2 trace");
	ASSERT_EQ(ztrace_commit(w, &diag), 0);
	EXPECT_EQ(slurp(d.file("v1.ztr")).substr(0, 13), "zpci-trace 1\n");

	h.version = 0;		// the newest
	h.fn[0].queue_depth = 8;
	ASSERT_EQ(ztrace_create(d.file("v3.ztb").c_str(), ZTRACE_BINARY, &h, nullptr, &w, &diag), 0);
	rec.req = ZTRACE_REQ_MAX + 1;
	EXPECT_EQ(ztrace_write(w, &rec, &diag), -EINVAL);
	EXPECT_STREQ(diag.msg, "record: dma-iova: req 18446744073709551615 is reserved");
	rec.req = 7;
	ASSERT_EQ(ztrace_write(w, &rec, &diag), 0);
	ASSERT_EQ(ztrace_commit(w, &diag), 0);
	std::string err;
	EXPECT_EQ(read_all(d.file("v3.ztb"), &err),
		  std::vector<std::string>{ "0 0 dma-iova 0 1 read req=7" });
	EXPECT_EQ(err, "");
	EXPECT_EQ(slurp(d.file("v3.ztb")).substr(12, 13), "zpci-trace 3\n");

	h.version = 1;
	EXPECT_EQ(ztrace_create(d.file("x.ztr").c_str(), ZTRACE_TEXT, &h, nullptr, &w, &diag), -EINVAL);
	EXPECT_EQ(diag.msg, d.file("x.ztr") + ": function 0: a queue depth needs version 2");
	h.version = 4;
	EXPECT_EQ(ztrace_create(d.file("x.ztr").c_str(), ZTRACE_TEXT, &h, nullptr, &w, &diag), -EINVAL);
	EXPECT_EQ(diag.msg, d.file("x.ztr") + ": trace version 4, this writer knows 1 to 3");
	h.version = 2;
	h.fn[0].queue_depth = ZTRACE_MAX_QUEUE_DEPTH + 1;
	EXPECT_EQ(ztrace_create(d.file("x.ztr").c_str(), ZTRACE_TEXT, &h, nullptr, &w, &diag), -EINVAL);
	EXPECT_EQ(diag.msg, d.file("x.ztr") + ": function 0: queue depth 65537 is more than 65536");
}

// A binary trace that says version 1 but has a req key: the record and
// where it starts, from the fast decoder (records after it) and the
// careful one (at the end) alike.
TEST(TraceFormat, ReqKeyInVersion1BinaryNamesRecordAndOffset)
{
	TempDir d;
	std::string filler;
	for (int i = 0; i < 5000; i++)
		filler += "30 0 tick " + std::to_string(i) + "\n";
	for (const std::string &tail : { std::string(), filler }) {
		spit(d.file("a.ztr"), "zpci-trace 2\nguest memory=1G\n"
				      "function 0 fid=1 fh=1 sdma=0 edma=0xffffffff\n"
				      "0 0 attach\n10 0 map 1 0x1000 10 to-device\n"
				      "20 0 unmap 1 req=3\n" + tail);
		ASSERT_EQ(convert(d.file("a.ztr"), d.file("a.ztb")), "");
		std::string bin = slurp(d.file("a.ztb"));
		size_t at = bin.find("zpci-trace 2");
		ASSERT_EQ(at, 12u);
		bin[at + 11] = '1';
		spit(d.file("v1.ztb"), bin);
		std::string err;
		std::vector<std::string> got = read_all(d.file("v1.ztb"), &err);
		ASSERT_EQ(got.size(), 2u);
		size_t records_at = 12 + (bin[8] & 0xff) + ((bin[9] & 0xff) << 8);
		// attach: 3 bytes; the map: kind, delta, fn, ID, PA (2), LEN, DIR.
		EXPECT_EQ(err, d.file("v1.ztb") + ": record 3 (byte offset " +
				       std::to_string(records_at + 3 + 8) +
				       "): req key in a version-1 trace");
	}
}

// Numbers of every encoded length, one byte to ten, read back as written:
// in the middle of a trace (the fast path, a whole record's worth of bytes
// after them) and at its end (the careful decoder).
TEST(TraceFormat, NumbersOfEveryLengthReadBackInTheMiddleAndAtTheEnd)
{
	TempDir d;
	std::vector<uint64_t> values = { 0 };
	for (int bits = 7; bits < 64; bits += 7) {
		values.push_back((1ULL << bits) - 1);
		values.push_back(1ULL << bits);
	}
	values.push_back(UINT64_MAX);
	std::string recs = "0 0 attach\n";
	uint64_t t = 0;
	for (uint64_t v : values) {
		t += v >> 24;	// time steps of up to 40 bits
		uint32_t cpu = uint32_t(std::min<uint64_t>(v, UINT32_MAX));
		recs += std::to_string(t) + " 0 rpcit " + std::to_string(v) + " " + std::to_string(v) +
			"\n" + std::to_string(t) + " 0 map 1 " + std::to_string(v) +
			" 1 to-device iova=" + std::to_string(v) + " cpu=" + std::to_string(cpu) +
			"\n";
	}
	auto filler = [](uint64_t at) {
		std::string f;
		for (int i = 0; i < 10000; i++)
			f += std::to_string(at) + " 0 tick " + std::to_string(i) + "\n";
		return f;
	};

	for (const std::string &body : { recs + filler(t), filler(0) + recs }) {
		spit(d.file("n.ztr"), kHeader + body);
		ASSERT_EQ(convert(d.file("n.ztr"), d.file("n.ztb")), "");
		std::string e1, e2;
		std::vector<std::string> text = read_all(d.file("n.ztr"), &e1);
		std::vector<std::string> bin = read_all(d.file("n.ztb"), &e2);
		ASSERT_EQ(e1, "");
		ASSERT_EQ(e2, "");
		ASSERT_EQ(text.size(), 1 + 2 * values.size() + 10000);
		EXPECT_EQ(text, bin);
	}
	// The filler is longer than any record can read (32 KiB).
	EXPECT_GT(slurp(d.file("n.ztb")).size(), 40u * 1024);
}

// The bundled samples and every generator convert both ways unchanged.
TEST(TraceFormat, SamplesAndGeneratedTracesRoundTrip)
{
	TempDir d;
	std::vector<std::string> traces;
	for (const char *s : { "net-small.ztr", "storage-small.ztb", "rpcit-log.ztr" })
		traces.push_back(ZPCISIM_SOURCE_DIR "/traces/samples/" + std::string(s));
	for (size_t i = 0; i < ztrace_gen_count(); i++) {
		ztrace_gen_cfg cfg{ 3000, 7, ZTRACE_GEN_DEFAULT_MEM, i % 2 == 1 };
		std::string out = d.file(std::string(ztrace_gen_get(i)->name) + ".ztr");
		ztrace_diag diag;
		ASSERT_EQ(ztrace_generate(ztrace_gen_get(i)->name, &cfg, out.c_str(), ZTRACE_TEXT, &diag), 0)
			<< diag.msg;
		traces.push_back(out);
	}
	for (const std::string &t : traces) {
		std::string e0, e1;
		std::vector<std::string> orig = read_all(t, &e0);
		ASSERT_EQ(e0, "") << t;
		ASSERT_EQ(convert(t, d.file("x.ztb")), "") << t;
		ASSERT_EQ(convert(d.file("x.ztb"), d.file("x.ztr")), "") << t;
		EXPECT_EQ(read_all(d.file("x.ztr"), &e1), orig) << t;
		EXPECT_GT(orig.size(), 10u) << t;
	}
}

TEST(TraceGen, SameSeedSameBytesOtherSeedOtherBytes)
{
	TempDir d;
	ztrace_diag diag;
	ztrace_gen_cfg cfg{ 5000, 42, ZTRACE_GEN_DEFAULT_MEM, false };
	ASSERT_EQ(ztrace_generate("mixed", &cfg, d.file("a.ztb").c_str(), ZTRACE_BINARY, &diag), 0);
	ASSERT_EQ(ztrace_generate("mixed", &cfg, d.file("b.ztb").c_str(), ZTRACE_BINARY, &diag), 0);
	cfg.seed = 43;
	ASSERT_EQ(ztrace_generate("mixed", &cfg, d.file("c.ztb").c_str(), ZTRACE_BINARY, &diag), 0);
	EXPECT_EQ(slurp(d.file("a.ztb")), slurp(d.file("b.ztb")));
	EXPECT_NE(slurp(d.file("a.ztb")), slurp(d.file("c.ztb")));
	EXPECT_EQ(ztrace_generate("nope", &cfg, d.file("d.ztb").c_str(), ZTRACE_BINARY, &diag), -EINVAL);
	EXPECT_STREQ(diag.msg, (d.file("d.ztb") + ": unknown workload 'nope'").c_str());
}

// Generated traces are valid: every record passes the meaning checker.
TEST(TraceGen, EveryWorkloadIsValid)
{
	TempDir d;
	for (size_t i = 0; i < ztrace_gen_count(); i++) {
		ztrace_gen_cfg cfg{ 20000, 3, 1ULL << 30, false };
		std::string out = d.file("w.ztb");
		ztrace_diag diag;
		ASSERT_EQ(ztrace_generate(ztrace_gen_get(i)->name, &cfg, out.c_str(), ZTRACE_BINARY, &diag), 0);
		ztrace_reader *r;
		ASSERT_EQ(ztrace_open(out.c_str(), &r, &diag), 0);
		ztrace_checker *c = ztrace_checker_create(ztrace_reader_header(r));
		ztrace_rec rec;
		int rc;
		while ((rc = ztrace_next(r, &rec, &diag)) == 1)
			ASSERT_EQ(ztrace_check(c, &rec, &diag), 0) << ztrace_gen_get(i)->name << ": " << diag.msg;
		EXPECT_EQ(rc, 0);
		EXPECT_GE(ztrace_reader_records(r), 20000u);
		ztrace_checker_destroy(c);
		ztrace_close(r);
	}
}

// One bad line after a good header: the error names file:line and the problem.
TEST(TraceFormat, EveryMalformedRecordClassHasItsError)
{
	TempDir d;
	for (const auto &corpus : zpcisim::test::bad_corpora()) {
		for (const auto &c : corpus.records) {
			spit(d.file("bad.ztr"), corpus.header + c.line + "\n");
			std::string err;
			read_all(d.file("bad.ztr"), &err);
			EXPECT_EQ(err, d.file("bad.ztr") + ":5: " + c.error) << c.line;
		}
	}
}

TEST(TraceFormat, BadHeadersAndTimeTravelAreErrors)
{
	const struct {
		std::string text, want;
	} cases[] = {
		{ "", ": empty file, expected 'zpci-trace 3'" },
		{ "zpci-trace 4\n", ":1: trace version 4, this reader knows 1 to 3" },
		{ "zpci-trace 0\n", ":1: trace version 0, this reader knows 1 to 3" },
		{ "zpci-trace 2\n", ":1: header has no 'guest' line" },
		{ "zpci-trace 1\nguest memory=1G\nfunction 0 fid=1 fh=1 sdma=0 edma=1 queue-depth=8\n",
		  ":3: queue-depth= needs 'zpci-trace 2', this trace is version 1" },
		{ "zpci-trace 2\nguest memory=1G\nfunction 0 fid=1 fh=1 sdma=0 edma=1 queue-depth=x\n",
		  ":3: queue-depth=x is not a number up to 65536" },
		{ "zpci-trace 2\nguest memory=1G\nfunction 0 fid=1 fh=1 sdma=0 edma=1 "
		  "queue-depth=65537\n",
		  ":3: queue-depth=65537 is not a number up to 65536" },
		{ "zpci-trace 1\n0 0 attach\n", ":2: header has no 'guest' line" },
		{ "zpci-trace 1\nguest memory=1G\n0 0 attach\n", ":3: header has no 'function' line" },
		{ "zpci-trace 1\nguest memory=1000\n", ":2: guest memory 1000 is not a multiple of 4K" },
		{ "zpci-trace 1\nguest cpus=2\n", ":2: 'guest' needs memory=" },
		{ "zpci-trace 1\nguest memory=1G colour=red\n", ":2: unknown key 'colour' for 'guest'" },
		{ "zpci-trace 1\nguest memory=1G memory=2G\n", ":2: memory= given twice for 'guest'" },
		{ "zpci-trace 1\nguest memory=1G \x1b]0;owned\x07=1\n",
		  ":2: unknown key '\\x1b]0;owned\\x07' for 'guest'" },
		{ "zpci-trace 1\nguest memory=1G\nfunction 1 fid=1 fh=1 sdma=0 edma=1\n",
		  ":3: function 1 out of order, expected 0" },
		{ "zpci-trace 1\nguest memory=1G\nfunction 0 fid=1 fh=1 sdma=5 edma=1\n",
		  ":3: function 0: edma below sdma" },
		{ "zpci-trace 1\nguest memory=1G\nfunction 0 fid=1 fh=1 sdma=0 edma=1 refresh=2\n",
		  ":3: refresh=2 is not a number up to 1" },
		{ kHeader + "10 0 attach\n5 0 detach\n",
		  ":5: time 5 is before the previous record's 10" },
	};
	TempDir d;
	for (const auto &c : cases) {
		spit(d.file("h.ztr"), c.text);
		std::string err;
		read_all(d.file("h.ztr"), &err);
		EXPECT_EQ(err, d.file("h.ztr") + c.want) << c.text;
	}
}

// Binary damage: a truncated record, an unknown kind, an overlong number.
TEST(TraceFormat, DamagedBinaryNamesRecordAndOffset)
{
	TempDir d;
	spit(d.file("a.ztr"), kHeader + kEveryKind);
	ASSERT_EQ(convert(d.file("a.ztr"), d.file("a.ztb")), "");
	std::string good = slurp(d.file("a.ztb"));
	size_t records_at = 12 + (good[8] & 0xff) + ((good[9] & 0xff) << 8);

	spit(d.file("t.ztb"), good.substr(0, good.size() - 1));
	std::string err;
	read_all(d.file("t.ztb"), &err);
	EXPECT_NE(err.find(": record 12 (byte offset"), std::string::npos) << err;
	EXPECT_NE(err.find("truncated record"), std::string::npos) << err;

	std::string bad = good;
	bad[records_at] = 0x0f;	// kind 15
	spit(d.file("k.ztb"), bad);
	read_all(d.file("k.ztb"), &err);
	EXPECT_EQ(err, d.file("k.ztb") + ": record 1 (byte offset " + std::to_string(records_at) +
			       "): unknown record kind");

	bad = good.substr(0, records_at) + std::string("\x00", 1) + std::string(11, '\xff') + "\x01";
	spit(d.file("v.ztb"), bad);
	read_all(d.file("v.ztb"), &err);
	EXPECT_NE(err.find("number does not fit in 64 bits"), std::string::npos) << err;
}

// @text (a version-1 trace) written again as version 3 in @enc: the bytes.
std::string version3(const TempDir &d, const std::string &text, const std::string &ext)
{
	ztrace_reader *r;
	ztrace_writer *w;
	ztrace_diag diag;
	ztrace_rec rec;

	spit(d.file("in.ztr"), text);
	EXPECT_EQ(ztrace_open(d.file("in.ztr").c_str(), &r, &diag), 0) << diag.msg;
	ztrace_header h = *ztrace_reader_header(r);
	h.version = 3;
	std::string out = d.file("v3." + ext);
	EXPECT_EQ(ztrace_create(out.c_str(), ztrace_encoding_for(out.c_str()), &h, nullptr, &w, &diag), 0);
	while (ztrace_next(r, &rec, &diag) == 1)
		EXPECT_EQ(ztrace_write(w, &rec, &diag), 0) << diag.msg;
	ztrace_close(r);
	EXPECT_EQ(ztrace_commit(w, &diag), 0) << diag.msg;
	return slurp(out);
}

// Version 3 ends with its record count (and, binary, a CRC-32): a trace cut
// anywhere after its header, at a record boundary too, is an error, never a
// shorter trace that reads cleanly.
TEST(TraceFormat, Version3CutAnywhereIsAnError)
{
	TempDir d;
	const size_t kRecords = 12;	// kEveryKind
	for (const std::string ext : { "ztb", "ztr" }) {
		SCOPED_TRACE(ext);
		std::string whole = version3(d, kHeader + kEveryKind, ext), err;
		std::string path = d.file("cut." + ext);
		spit(path, whole);
		EXPECT_EQ(read_all(path, &err).size(), kRecords);
		EXPECT_EQ(err, "");
		size_t header = ext == "ztb" ? 12 + (whole[8] & 0xff) : whole.find("0 0 attach");
		// (A text trace without its last newline is whole.)
		size_t end = ext == "ztb" ? whole.size() : whole.size() - 1;
		int cut_short = 0;
		for (size_t len = header; len < end; len++) {
			spit(path, whole.substr(0, len));
			err.clear();
			read_all(path, &err);
			EXPECT_NE(err, "") << "cut at " << len;
			cut_short += err.find("cut short?") != std::string::npos;
		}
		// At each record boundary, at least: the cut itself is named.
		EXPECT_GE(cut_short, int(kRecords)) << ext;
	}
	// Where it is said: after the last record read.
	spit(d.file("t.ztr"), "zpci-trace 3\nguest memory=1G\n"
	     "function 0 fid=1 fh=1 sdma=0 edma=1\n0 0 attach\n1 0 detach\n");
	std::string err;
	read_all(d.file("t.ztr"), &err);
	EXPECT_EQ(err, d.file("t.ztr") + ":5: the trace ends without its 'end records=N' line "
				       "(after 2 records): cut short?");
}

// Every single-bit flip in a version-3 binary trace is an error: the ones
// that still decode are caught by the checksum.
TEST(TraceFormat, Version3BinaryDamageIsAnError)
{
	TempDir d;
	std::string whole = version3(d, kHeader + kEveryKind, "ztb"), err;
	size_t records_at = 12 + (whole[8] & 0xff);
	int by_checksum = 0;
	for (size_t at = 8; at < whole.size(); at++) {
		for (int bit = 0; bit < 8; bit++) {
			std::string bad = whole;
			bad[at] ^= char(1 << bit);
			spit(d.file("d.ztb"), bad);
			err.clear();
			read_all(d.file("d.ztb"), &err);
			EXPECT_NE(err, "") << "byte " << at << " bit " << bit;
			by_checksum += err.find(": damaged") != std::string::npos;
		}
	}
	EXPECT_GT(by_checksum, int(whole.size() - records_at));	// most record bytes decode
	// The message: where the end record is, what it says and what the bytes sum to.
	std::string bad = whole;
	bad[records_at + 4] ^= 1;
	spit(d.file("d.ztb"), bad);
	read_all(d.file("d.ztb"), &err);
	EXPECT_NE(err.find(": record 13 (byte offset " + std::to_string(whole.size() - 6) +
			   "): checksum 0x"),
		  std::string::npos) << err;
}

// The text end line: its count must be right, nothing may follow it, and
// older versions have none.
TEST(TraceFormat, Version3TextEndLine)
{
	const std::string v3 = "zpci-trace 3\nguest memory=1G\nfunction 0 fid=1 fh=1 sdma=0 edma=1\n";
	const struct {
		std::string text, want;
	} cases[] = {
		{ v3 + "end records=0\n# a comment\n\n", "" },
		{ v3 + "0 0 attach\nend records=1\n", "" },
		{ v3 + "0 0 attach\nend records=2\n", ":5: 'end' says records=2, the trace has 1" },
		{ v3 + "end records=0\n0 0 attach\n", ":5: '0' after the 'end' line" },
		{ v3 + "0 0 attach\nend records=1\nend records=1\n", ":6: 'end' after the 'end' line" },
		{ v3 + "end\n", ":4: 'end' needs records=" },
		{ v3 + "end records=0 records=0\n", ":4: records= given twice for 'end'" },
		{ kHeader + "0 0 attach\nend records=1\n",
		  ":5: 'end' needs 'zpci-trace 3', this trace is version 1" },
	};
	TempDir d;
	for (const auto &c : cases) {
		spit(d.file("e.ztr"), c.text);
		std::string err;
		read_all(d.file("e.ztr"), &err);
		EXPECT_EQ(err, c.want.empty() ? "" : d.file("e.ztr") + c.want) << c.text;
	}
}

// A writer refuses a header the reader would refuse (by the same rules),
// so nothing writes a trace that cannot be read back.
TEST(TraceWriter, RefusesAHeaderTheReaderWould)
{
	const struct {
		void (*spoil)(ztrace_header &);
		const char *says;
	} cases[] = {
		{ [](ztrace_header &h) { h.cpus = 0; }, "guest cpus must be at least 1" },
		{ [](ztrace_header &h) { h.cpus = 4097; }, "guest cpus 4097 is more than 4096" },
		{ [](ztrace_header &h) { h.guest_mem = 4097; }, "guest memory 4097 is not a multiple of 4K" },
		{ [](ztrace_header &h) { h.guest_mem = 0; }, "guest memory 0 is not a multiple of 4K" },
		{ [](ztrace_header &h) { h.guest_mem = 1ULL << 53; },
		  "guest memory 0x20000000000000 is more than 0x10000000000000" },
		{ [](ztrace_header &h) { h.fn[0].sdma = 2; h.fn[0].edma = 1; },
		  "function 0: edma below sdma" },
		{ [](ztrace_header &h) { h.nr_fns = 0; }, "header needs 1-16 functions" },
	};
	TempDir d;
	for (const auto &c : cases) {
		ztrace_header h{};
		h.guest_mem = 1 << 30;
		h.cpus = 1;
		h.nr_fns = 1;
		h.fn[0].edma = 0xffff;
		c.spoil(h);
		ztrace_writer *w;
		ztrace_diag diag;
		EXPECT_EQ(ztrace_create(d.file("h.ztb").c_str(), ZTRACE_BINARY, &h, nullptr, &w, &diag), -EINVAL)
			<< c.says;
		EXPECT_EQ(diag.msg, d.file("h.ztb") + ": " + c.says);
	}
	EXPECT_TRUE(std::filesystem::is_empty(d.file("."))) << "no file, no temporary";
}

TEST(TraceWriter, FailedWriteLeavesNoFile)
{
	TempDir d;
	ztrace_header h{};
	h.guest_mem = 1 << 30;
	h.cpus = 1;
	h.nr_fns = 1;
	ztrace_writer *w;
	ztrace_diag diag;
	ASSERT_EQ(ztrace_create(d.file("out.ztr").c_str(), ZTRACE_TEXT, &h, nullptr, &w, &diag), 0);
	ztrace_rec rec{};
	rec.time = 10;
	ASSERT_EQ(ztrace_write(w, &rec, &diag), 0);
	rec.time = 5;
	EXPECT_EQ(ztrace_write(w, &rec, &diag), -EINVAL);
	rec.fn = 3;
	rec.time = 20;
	EXPECT_EQ(ztrace_write(w, &rec, &diag), -EINVAL);
	ztrace_abort(w);
	EXPECT_EQ(std::system(("ls " + d.file("") + " | grep -q .").c_str()) == 0, false)
		<< "the aborted writer left a file behind";
}

// Meaning: what the checker refuses, with the record kind first.
TEST(TraceChecker, RefusesWhatMakesNoSense)
{
	const struct {
		const char *records, *want;
	} cases[] = {
		{ "0 0 map 1 0x1000 10 to-device\n", "map: function 0 is not attached" },
		{ "0 0 attach\n0 0 attach\n", "attach: function 0 is already attached" },
		{ "0 0 attach\n0 0 map 1 0x1000 10 to-device\n0 0 map 1 0x2000 10 to-device\n",
		  "map: ID 1 is already live" },
		{ "0 0 attach\n0 0 unmap 7\n", "unmap: ID 7 is not live" },
		{ "0 0 attach\n0 0 map 1 0x1000 10 to-device\n0 0 unmap-sg 1\n",
		  "unmap-sg: ID 1 was made by map" },
		{ "0 0 attach\n0 0 map 1 0x3ffff000 0x2000 to-device\n",
		  "map: [0x3ffff000, +8192) is not inside guest memory" },
		{ "0 0 attach\n0 0 map-sg 1 to-device 0x1000:10,0x40000000:1\n",
		  "map-sg: element 1 [0x40000000, +1) is not inside guest memory" },
		{ "0 0 attach\n0 0 map 1 0x1000 0 to-device\n", "map: zero-length map" },
		{ "0 0 attach\n0 0 alloc 1 0x1000 0\n", "alloc: zero-length alloc" },
		{ "0 0 attach\n0 0 map-sg 1 to-device 0x1000:10,0x2000:0\n",
		  "map-sg: element 1 is zero-length" },
		{ "0 0 attach\n0 0 map 1 0x1000 10 to-device\n0 0 dma 1 5 6 read\n",
		  "dma: [5, +6) is outside ID 1 of 10 bytes" },
		{ "0 0 attach\n0 0 dma 9 0 1 read\n", "dma: ID 9 is not live" },
		{ "0 0 attach\n0 0 map 1 0x1000 10 to-device\n0 0 detach\n",
		  "detach: function 0 still has 1 live mappings" },
		{ "0 0 attach\n0 0 dma-iova 0x1000 0 read\n", "dma-iova: zero length" },
		{ "0 0 attach\n0 0 tick 5\n0 0 timers 4\n", "timers: jiffies 4 before the last tick's 5" },
	};
	TempDir d;
	for (const auto &c : cases) {
		spit(d.file("m.ztr"), kHeader + c.records);
		ztrace_reader *r;
		ztrace_diag diag;
		ASSERT_EQ(ztrace_open(d.file("m.ztr").c_str(), &r, &diag), 0) << diag.msg;
		ztrace_checker *k = ztrace_checker_create(ztrace_reader_header(r));
		ztrace_rec rec;
		std::string err;
		while (err.empty() && ztrace_next(r, &rec, &diag) == 1)
			if (ztrace_check(k, &rec, &diag))
				err = diag.msg;
		EXPECT_EQ(err, c.want) << c.records;
		ztrace_checker_destroy(k);
		ztrace_close(r);
	}
}

// The checker's live slots, against a model of which IDs are live: a map
// gets a slot no live ID holds, below the most IDs ever live at once; its
// device accesses and its unmap name that slot; other records none.
TEST(TraceChecker, LiveSlotsAreDistinctDenseAndFollowTheirId)
{
	TempDir d;
	for (size_t i = 0; i < ztrace_gen_count(); i++) {
		const char *name = ztrace_gen_get(i)->name;
		ztrace_gen_cfg cfg{ 20000, 3, 1ULL << 30, false };
		std::string out = d.file("w.ztb");
		ztrace_diag diag;
		ASSERT_EQ(ztrace_generate(name, &cfg, out.c_str(), ZTRACE_BINARY, &diag), 0);
		ztrace_reader *r;
		ASSERT_EQ(ztrace_open(out.c_str(), &r, &diag), 0);
		ztrace_checker *c = ztrace_checker_create(ztrace_reader_header(r));
		std::map<std::pair<uint32_t, uint64_t>, uint32_t> live;	// (fn, ID) -> slot
		std::set<uint32_t> held;
		size_t peak = 0;
		ztrace_rec rec;
		while (ztrace_next(r, &rec, &diag) == 1) {
			ASSERT_EQ(ztrace_check(c, &rec, &diag), 0) << name << ": " << diag.msg;
			uint32_t slot = ztrace_checker_slot(c);
			auto key = std::make_pair(rec.fn, rec.id);
			switch (rec.kind) {
			case ZTRACE_MAP:
			case ZTRACE_MAP_SG:
			case ZTRACE_ALLOC:
				ASSERT_TRUE(held.insert(slot).second) << name << ": slot " << slot;
				live[key] = slot;
				peak = std::max(peak, live.size());
				ASSERT_LT(slot, peak) << name;
				break;
			case ZTRACE_DMA:
				ASSERT_EQ(slot, live.at(key)) << name;
				break;
			case ZTRACE_UNMAP:
			case ZTRACE_UNMAP_SG:
			case ZTRACE_FREE:
				ASSERT_EQ(slot, live.at(key)) << name;
				held.erase(slot);
				live.erase(key);
				break;
			default:
				ASSERT_EQ(slot, ZTRACE_NO_SLOT) << name << ": " << ztrace_kind_name(rec.kind);
			}
		}
		// A refused record holds no slot.
		rec = {};
		rec.kind = ZTRACE_DMA;
		rec.id = UINT64_MAX - 1;
		rec.len = 1;
		EXPECT_NE(ztrace_check(c, &rec, &diag), 0);
		EXPECT_EQ(ztrace_checker_slot(c), ZTRACE_NO_SLOT);
		ztrace_checker_destroy(c);
		ztrace_close(r);
	}
}

// A record that decodes but makes no sense is named as the record the
// reader just gave: its line, or its number and where it starts.
TEST(TraceFormat, PositionNamesTheRecordJustRead)
{
	TempDir d;
	spit(d.file("a.ztr"), kHeader + "0 0 attach\n10 0 map 1 0x1000 10 to-device\n20 0 unmap 7\n");
	ASSERT_EQ(convert(d.file("a.ztr"), d.file("a.ztb")), "");
	std::string bin = slurp(d.file("a.ztb"));
	size_t records_at = 12 + (bin[8] & 0xff) + ((bin[9] & 0xff) << 8);
	// The third record starts after the first two, whose sizes the
	// reader's offsets give.
	std::vector<std::string> where;
	std::vector<uint64_t> offsets;
	for (const char *name : { "a.ztr", "a.ztb" }) {
		ztrace_reader *r;
		ztrace_diag diag;
		ASSERT_EQ(ztrace_open(d.file(name).c_str(), &r, &diag), 0) << diag.msg;
		ztrace_rec rec;
		char buf[512];
		while (ztrace_next(r, &rec, &diag) == 1) {
			ztrace_reader_where(r, buf, sizeof(buf));
			where.push_back(buf);
			offsets.push_back(ztrace_reader_bytes(r));
		}
		ztrace_close(r);
	}
	ASSERT_EQ(where.size(), 6u);
	EXPECT_EQ(where[0], d.file("a.ztr") + ":4");
	EXPECT_EQ(where[2], d.file("a.ztr") + ":6");
	EXPECT_EQ(where[3], d.file("a.ztb") + ": record 1 (byte offset " +
				    std::to_string(records_at) + ")");
	EXPECT_EQ(where[5], d.file("a.ztb") + ": record 3 (byte offset " +
				    std::to_string(offsets[4]) + ")");
	EXPECT_EQ(offsets[5], bin.size());
}

// A record decodes the same wherever it lies: away from the end of the
// reader's buffer the decoder does not check each number against it,
// near the end it does.  The same bytes (valid records, damaged ones,
// noise), once followed by 40 KiB more and once at the very end of the
// file, must give the same first record or the same error.
TEST(TraceFormat, RecordsDecodeTheSameAtTheEndAsInTheMiddle)
{
	TempDir d;
	ztrace_gen_cfg cfg{ 20000, 7, 1ULL << 30, false };
	ztrace_diag diag;
	ASSERT_EQ(ztrace_generate("storage", &cfg, d.file("s.ztb").c_str(), ZTRACE_BINARY, &diag), 0);
	std::string bin = slurp(d.file("s.ztb"));
	size_t records_at = 12 + (bin[8] & 0xff) + ((bin[9] & 0xff) << 8);
	std::vector<uint64_t> starts;	// of the records
	{
		ztrace_reader *r;
		ASSERT_EQ(ztrace_open(d.file("s.ztb").c_str(), &r, &diag), 0);
		ztrace_rec rec;
		for (uint64_t at = ztrace_reader_bytes(r); ztrace_next(r, &rec, &diag) == 1;
		     at = ztrace_reader_bytes(r))
			starts.push_back(at);
		ztrace_close(r);
	}
	ASSERT_GT(bin.size(), records_at + 100000);
	const std::string header = bin.substr(0, records_at);
	const std::string filler = bin.substr(bin.size() - 40 * 1024);

	// The first record of @path: its fields, or the error after the name.
	auto first = [](const std::string &path) {
		ztrace_reader *r;
		ztrace_diag diag;
		if (ztrace_open(path.c_str(), &r, &diag))
			return std::string("open: ") + diag.msg;
		ztrace_rec rec;
		memset(&rec, 0xa5, sizeof(rec));	// what the record does not carry must read 0
		int rc = ztrace_next(r, &rec, &diag);
		std::ostringstream o;
		if (rc == 1) {
			o << rec.kind << ' ' << int(rec.flags) << ' ' << rec.time << ' ' << rec.fn << ' '
			  << rec.id << ' ' << rec.pa << ' ' << rec.len << ' ' << rec.off << ' ' << rec.iova
			  << ' ' << rec.jiffies << ' ' << rec.dir << ' ' << rec.access << ' ' << rec.cpu;
			for (uint32_t i = 0; i < rec.nr_sg; i++)
				o << ' ' << rec.sg[i].pa << ':' << rec.sg[i].len;
			o << " next at " << ztrace_reader_bytes(r);
		} else {
			o << rc << ' ' << (rc < 0 ? strchr(diag.msg, ':') : "");
		}
		ztrace_close(r);
		return o.str();
	};
	zpci_prng prng;
	zpci_prng_seed(&prng, 17);
	int errors = 0;
	for (int round = 0; round < 300; round++) {
		// 24 KiB from a record's start (longer than any record can read),
		// then damaged in a few bytes near the start, or noise.
		uint64_t at = starts[zpci_prng_below(&prng, starts.size() / 2)];
		std::string bytes = bin.substr(at, 24 * 1024);
		if (round % 10 == 9) {
			for (char &c : bytes)
				c = char(zpci_prng_next(&prng));
		} else {
			for (uint64_t n = zpci_prng_below(&prng, 4); n; n--)
				bytes[zpci_prng_below(&prng, 24)] = char(zpci_prng_next(&prng));
		}
		spit(d.file("middle.ztb"), header + bytes + filler);
		spit(d.file("end.ztb"), header + bytes);
		std::string want = first(d.file("end.ztb"));
		ASSERT_EQ(first(d.file("middle.ztb")), want) << "round " << round;
		errors += want[0] == '-';
	}
	EXPECT_GT(errors, 30);	// damage was met, not only valid records
}

}  // namespace
