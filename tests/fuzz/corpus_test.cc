// SPDX-License-Identifier: MIT
// The fuzz targets on every sample and every regression the fuzzers found,
// then on deterministic damage to the samples: bytes flipped, records cut
// short.  Runs in the ordinary and sanitizer builds, so what the fuzzers
// found stays fixed without clang.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <zpci/prng.h>

#include "targets.h"

namespace fs = std::filesystem;

namespace {

using Target = int (*)(const uint8_t *, size_t);

std::vector<uint8_t> slurp(const fs::path &p)
{
	std::ifstream in(p, std::ios::binary);
	return { std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>() };
}

// Samples of @exts, then everything in regressions/@name.
std::vector<fs::path> inputs(const std::string &name, const std::vector<std::string> &exts)
{
	std::vector<fs::path> out;
	fs::path src(ZPCISIM_SOURCE_DIR);
	for (const auto &e : fs::directory_iterator(src / "traces/samples"))
		for (const auto &ext : exts)
			if (e.path().extension() == ext)
				out.push_back(e.path());
	for (const auto &e : fs::directory_iterator(src / "tests/fuzz/regressions" / name))
		if (e.is_regular_file() && e.path().filename().string()[0] != '.')
			out.push_back(e.path());
	std::sort(out.begin(), out.end());
	return out;
}

void run_all(Target target, const std::string &name, const std::vector<std::string> &exts)
{
	auto files = inputs(name, exts);
	ASSERT_FALSE(files.empty());
	zpci_prng r;
	zpci_prng_seed(&r, 17);
	for (const auto &f : files) {
		SCOPED_TRACE(f.string());
		std::vector<uint8_t> data = slurp(f);
		target(data.data(), data.size());
		for (int round = 0; round < 200 && !data.empty(); round++) {
			std::vector<uint8_t> d = data;
			for (int k = 0; k < 1 + round % 4; k++)
				d[zpci_prng_below(&r, d.size())] ^= 1u << zpci_prng_below(&r, 8);
			d.resize(d.size() - zpci_prng_below(&r, d.size() / 8 + 1));
			target(d.data(), d.size());
		}
	}
}

TEST(FuzzCorpus, TracesAndTheirDamageEndInRecordsOrOneLine)
{
	run_all(zpcisim_fuzz_trace, "trace", { ".ztr", ".ztb" });
}

TEST(FuzzCorpus, ImagesAndTheirDamageEndInWalksOrOneLine)
{
	run_all(zpcisim_fuzz_image, "image", { ".zimg" });
}

// Seeded adversarial guests, then damage to them: never a broken reply,
// never a device access outside the guest's pinned pages.
TEST(FuzzCorpus, AdversarialGuestsNeverBreakIsolation)
{
	std::vector<uint8_t> buf(1 << 16);
	zpci_prng r;

	zpci_prng_seed(&r, 5);
	for (uint64_t seed = 0; seed < 100; seed++) {
		SCOPED_TRACE("seed " + std::to_string(seed));
		size_t n = zpcisim_fuzz_harness_script(seed, buf.data(), buf.size());
		ASSERT_GT(n, 1u);
		zpcisim_fuzz_harness(buf.data(), n);
		for (int k = 0; k < 4; k++)
			buf[1 + zpci_prng_below(&r, n - 1)] ^= 1u << zpci_prng_below(&r, 8);
		zpcisim_fuzz_harness(buf.data(), n);
	}
	for (const auto &f : inputs("harness", {})) {
		std::vector<uint8_t> data = slurp(f);
		zpcisim_fuzz_harness(data.data(), data.size());
	}
}

}  // namespace
