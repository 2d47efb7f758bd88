// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <sys/stat.h>

#include <zpci/prng.h>
#include <ztrace/image.h>

#include "support/heap.h"
#include "support/temp_dir.h"

namespace {

const std::string kHead = "zpci-image 1\nmemory 1M\niota 0x10804\naperture 0x1000 0x1fffff\n";

class ImageRead : public ::testing::Test {
protected:
	~ImageRead() override { ztrace_image_free(&img_); }

	int read(const std::string &text)
	{
		FILE *f = fmemopen(const_cast<char *>(text.data()), text.size(), "r");
		int rc = ztrace_image_read(f, "t.zimg", &img_, &diag_);
		fclose(f);
		return rc;
	}

	// The one-line error for @text, or "" if it loaded.
	std::string error(const std::string &text)
	{
		return read(text) ? diag_.msg : "";
	}

	ztrace_image img_{};
	ztrace_diag diag_{};
};

TEST_F(ImageRead, LoadsTheBundledDemo)
{
	ASSERT_EQ(ztrace_image_load(ZPCISIM_SOURCE_DIR "/traces/samples/demo.zimg", &img_, &diag_),
		  0)
		<< diag_.msg;
	EXPECT_EQ(img_.space.iota, 0x10804ULL);
	EXPECT_EQ(img_.space.pba, 0x100000000ULL);
	EXPECT_EQ(img_.space.pal, 0x1ffffffffULL);
	EXPECT_FALSE(img_.space.large_frames);
	EXPECT_EQ(img_.nr_entries, 6u);
	ASSERT_EQ(img_.nr_probes, 9u);
	EXPECT_EQ(img_.probes[3].iova, 0x100001000ULL);
	EXPECT_EQ(img_.probes[3].dir, ZPCI_DMA_WRITE);
	EXPECT_STREQ(img_.probes[0].label, "rx buffer, device writes");
}

TEST_F(ImageRead, EntriesAndTablesLandInMemory)
{
	ASSERT_EQ(read(kHead + "table 0x4000 rtx\ntable 0x8800 px\nentry 0x4010 0x20007\n"
			       "large-frames on\n"),
		  0)
		<< diag_.msg;
	zpci_mem m = ztrace_image_mem_view(&img_);
	uint64_t v;
	ASSERT_EQ(zpci_mem_read64(&m, 0x4010, &v), 0);
	EXPECT_EQ(v, 0x20007ULL);
	ASSERT_EQ(zpci_mem_read64(&m, 0x4000 + 0x3ff8, &v), 0);
	EXPECT_EQ(v, ZPCI_TABLE_INVALID);
	ASSERT_EQ(zpci_mem_read64(&m, 0x8800 + 0x7f8, &v), 0);
	EXPECT_EQ(v, ZPCI_PTE_INVALID);
	ASSERT_EQ(zpci_mem_read64(&m, 0x9000, &v), 0);
	EXPECT_EQ(v, 0u);
	EXPECT_TRUE(img_.space.large_frames);
}

// Later statements overwrite earlier ones, whatever their kinds: a table
// over entries, a page table inside a segment table at the same address.
TEST_F(ImageRead, LaterStatementsOverwriteEarlierOnes)
{
	ASSERT_EQ(read(kHead + "table 0x4000 sx\nentry 0x4008 0x5\nentry 0x4808 0x6\n"
			       "table 0x4000 px\nentry 0x4010 0x0102030405060708\n"),
		  0)
		<< diag_.msg;
	zpci_mem m = ztrace_image_mem_view(&img_);
	uint64_t v;
	ASSERT_EQ(zpci_mem_read64(&m, 0x4008, &v), 0);
	EXPECT_EQ(v, ZPCI_PTE_INVALID) << "the page table came after the entry";
	ASSERT_EQ(zpci_mem_read64(&m, 0x4808, &v), 0);
	EXPECT_EQ(v, 0x6u) << "past the page table: the entry stays";
	ASSERT_EQ(zpci_mem_read64(&m, 0x4800 + 0x3000, &v), 0);
	EXPECT_EQ(v, ZPCI_TABLE_INVALID) << "past the page table: the segment table's";
	ASSERT_EQ(zpci_mem_read64(&m, 0x4010, &v), 0);
	EXPECT_EQ(v, 0x0102030405060708u);
	uint8_t bytes[6];
	ASSERT_EQ(zpci_mem_read(&m, 0x4013, bytes, sizeof(bytes)), 0);
	EXPECT_EQ(std::string(bytes, bytes + 6), std::string("\x04\x05\x06\x07\x08\x00", 6))
		<< "big-endian, across two entries";
	EXPECT_EQ(zpci_mem_read64(&m, 1 << 20, &v), -EFAULT);
	ztrace_image_free(&img_);
	ASSERT_EQ(read(kHead + "table 0x4000 px\ntable 0x4000 sx\n"), 0) << diag_.msg;
	m = ztrace_image_mem_view(&img_);
	ASSERT_EQ(zpci_mem_read64(&m, 0x4008, &v), 0);
	EXPECT_EQ(v, ZPCI_TABLE_INVALID) << "the segment table came after the page table";
}

// An image holds what its statements say, not the pages they touch: a
// file of tables and entries scattered over 64 GiB is held in a few times
// its size (a page each took 220 to 800 times).
TEST_F(ImageRead, HeldInProportionToTheFile)
{
	if (!zpcisim::test::kHeapCounted)
		GTEST_SKIP() << "the sanitizer's allocator is not counted";
	zpcisim::test::TempDir d;
	std::string path = d.file("big.zimg");
	FILE *f = fopen(path.c_str(), "w");
	ASSERT_NE(f, nullptr);
	fprintf(f, "zpci-image 1\nmemory 64G\niota 0x10804\naperture 0x1000 0xfffffffff\n");
	zpci_prng r;
	zpci_prng_seed(&r, 5);
	for (int i = 0; i < 2000; i++)
		fprintf(f, "table %#llx %s\n", (unsigned long long)(zpci_prng_below(&r, 1 << 20) << 14),
			i % 2 ? "sx" : "px");
	for (int i = 0; i < 20000; i++)
		fprintf(f, "entry %#llx %#llx\n",
			(unsigned long long)(zpci_prng_below(&r, 1ULL << 33) << 3),
			(unsigned long long)(zpci_prng_below(&r, 1ULL << 24) << 12));
	fclose(f);
	struct stat st;
	ASSERT_EQ(stat(path.c_str(), &st), 0);

	size_t before = zpcisim::test::heap_in_use();
	ASSERT_EQ(ztrace_image_load(path.c_str(), &img_, &diag_), 0) << diag_.msg;
	size_t held = zpcisim::test::heap_in_use() - before;
	EXPECT_LE(held, 4 * size_t(st.st_size)) << held << " bytes for a file of " << st.st_size;
	EXPECT_EQ(img_.nr_entries, 20000u);
}

// Every malformed line gets "file:line: what is wrong", and nothing leaks.
TEST_F(ImageRead, BadInputNamesFileLineAndProblem)
{
	const struct {
		std::string text, want;
	} cases[] = {
		{ "memory 1M\n", "t.zimg:1: expected 'zpci-image 1' first, found 'memory'" },
		{ "zpci-image 2\n", "t.zimg:1: image version 2, this reader knows 1" },
		{ "zpci-image one\n", "t.zimg:1: version 'one' is not a number" },
		{ "zpci-image 1\nmpa 1\n",
		  "t.zimg:2: unknown statement 'mpa', expected one of zpci-image, memory, iota, "
		  "aperture, large-frames, table, entry, probe" },
		{ "zpci-image 1\nentry 0x10 0x20\n", "t.zimg:2: 'entry' before 'memory'" },
		{ "zpci-image 1\nmemory 1000\n",
		  "t.zimg:2: memory size 1000 is not a non-zero multiple of 4K" },
		{ "zpci-image 1\nmemory 1M\nmemory 1M\n", "t.zimg:3: 'memory' given twice" },
		{ "zpci-image 1\nmemory 1M 2M\n", "t.zimg:2: 'memory' takes a size" },
		{ kHead + "entry 0x1004 0x1\n", "t.zimg:5: entry address 0x1004 is not 8-byte aligned" },
		{ kHead + "entry 1M 0x1\n", "t.zimg:5: entry address 1M is outside memory" },
		{ kHead + "entry 0x8 0xfoo\n", "t.zimg:5: entry value '0xfoo' is not a number" },
		{ kHead + "aperture 0x2000 0x1000\n",
		  "t.zimg:5: aperture end 0x1000 is below its start 0x2000" },
		{ kHead + "large-frames yes\n", "t.zimg:5: large-frames 'yes', expected on or off" },
		{ kHead + "table 0x2000 rtx\n", "t.zimg:5: region-third table at 0x2000 is not 16384-byte aligned" },
		{ kHead + "table 0xfc000 sx\ntable 0x100000 px\n",
		  "t.zimg:6: page table at 0x100000 ends outside memory" },
		{ kHead + "table 0x0 pt\n", "t.zimg:5: table kind 'pt', expected rfx, rsx, rtx, sx or px" },
		{ kHead + "probe 0x1000 execute\n", "t.zimg:5: access 'execute', expected read or write" },
		{ kHead + "probe 0x1000\n", "t.zimg:5: 'probe' takes IOVA read|write [LABEL]" },
		{ "zpci-image 1\nmemory 1M\niota 0x10804\n", "t.zimg:3: image has no 'aperture' statement" },
		{ "", "t.zimg: image has no 'zpci-image' statement" },
	};
	for (const auto &c : cases)
		EXPECT_EQ(error(c.text), c.want) << c.text;
	EXPECT_EQ(img_.mem, nullptr);
	EXPECT_EQ(img_.probes, nullptr);
}

TEST_F(ImageRead, MissingFileIsAnError)
{
	EXPECT_EQ(ztrace_image_load("/nonexistent/x.zimg", &img_, &diag_), -EINVAL);
	EXPECT_STREQ(diag_.msg, "/nonexistent/x.zimg: cannot open: No such file or directory");
}

// Random token soup must be rejected or accepted, never crash (run under ASan).
TEST_F(ImageRead, RandomLinesNeverCrash)
{
	static const char *const words[] = { "zpci-image", "1", "memory", "iota", "aperture",
					     "table", "entry", "probe", "read", "write", "rtx",
					     "px", "0x1000", "64M", "0xffffffffffffffff", "#",
					     "large-frames", "on", "-", "0x", "\t", "99999999999999999999" };
	zpci_prng r;
	zpci_prng_seed(&r, 77);
	for (int doc = 0; doc < 300; doc++) {
		std::string text = doc % 2 ? kHead : "";
		int lines = zpci_prng_below(&r, 12);
		for (int l = 0; l < lines; l++) {
			int n = zpci_prng_below(&r, 6);
			for (int t = 0; t < n; t++)
				text += std::string(words[zpci_prng_below(&r, std::size(words))]) + " ";
			text += "\n";
		}
		int rc = read(text);
		if (rc) {
			EXPECT_EQ(std::string(diag_.msg).rfind("t.zimg", 0), 0u) << diag_.msg;
			EXPECT_EQ(img_.mem, nullptr);
		}
		ztrace_image_free(&img_);
	}
}

}  // namespace
