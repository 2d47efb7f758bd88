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

#include "config.h"
#include "targets.h"

namespace fs = std::filesystem;

namespace {

using Target = int (*)(const uint8_t *, size_t);

std::vector<uint8_t> slurp(const fs::path &p)
{
	std::ifstream in(p, std::ios::binary);
	return { std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>() };
}

// Samples of @exts, then everything in seeds/@name and regressions/@name.
std::vector<fs::path> inputs(const std::string &name, const std::vector<std::string> &exts)
{
	std::vector<fs::path> out;
	fs::path src(ZPCISIM_SOURCE_DIR);
	for (const auto &e : fs::directory_iterator(src / "traces/samples"))
		for (const auto &ext : exts)
			if (e.path().extension() == ext)
				out.push_back(e.path());
	for (const char *dir : { "tests/fuzz/seeds", "tests/fuzz/regressions" }) {
		if (!fs::exists(src / dir / name))
			continue;
		for (const auto &e : fs::directory_iterator(src / dir / name))
			if (e.is_regular_file() && e.path().filename().string()[0] != '.')
				out.push_back(e.path());
	}
	std::sort(out.begin(), out.end());
	return out;
}

// Each input whole, then 200 rounds of damage to it: bits flipped, the end cut.
void damage_all(Target target, const std::vector<std::pair<std::string, std::vector<uint8_t>>> &inputs)
{
	ASSERT_FALSE(inputs.empty());
	zpci_prng r;
	zpci_prng_seed(&r, 17);
	for (const auto &[name, data] : inputs) {
		SCOPED_TRACE(name);
		target(data.data(), data.size());
		for (int round = 0; round < 200 && !data.empty(); round++) {
			std::vector<uint8_t> d = data;
			for (int k = 0; k < 1 + round % 4; k++)
				d[zpci_prng_below(&r, d.size())] ^= 1u << zpci_prng_below(&r, 8);
			d.erase(d.end() - zpci_prng_below(&r, d.size() / 8 + 1), d.end());
			target(d.data(), d.size());
		}
	}
}

std::vector<std::pair<std::string, std::vector<uint8_t>>> files(const std::vector<fs::path> &paths)
{
	std::vector<std::pair<std::string, std::vector<uint8_t>>> out;
	for (const auto &p : paths)
		out.emplace_back(p.string(), slurp(p));
	return out;
}

void run_all(Target target, const std::string &name, const std::vector<std::string> &exts)
{
	damage_all(target, files(inputs(name, exts)));
}

TEST(FuzzCorpus, TracesAndTheirDamageEndInRecordsOrOneLine)
{
	run_all(zpcisim_fuzz_trace, "trace", { ".ztr", ".ztb" });
}

TEST(FuzzCorpus, ImagesAndTheirDamageEndInWalksOrOneLine)
{
	run_all(zpcisim_fuzz_image, "image", { ".zimg" });
}

// The full default file (every key) and its damage: loaded and dumped back
// the same, or refused in one line with its place.
TEST(FuzzCorpus, ConfigurationsAndTheirDamageLoadOrGiveOneLine)
{
	auto in = files(inputs("config", {}));
	std::string dump = zpcisim::Config().dump();
	in.emplace_back("default dump", std::vector<uint8_t>(dump.begin(), dump.end()));
	damage_all(zpcisim_fuzz_config, in);

	// And damage in TOML's own characters, which bit flips rarely make.
	const char pieces[] = "[]=\"#.\n0123456789abcxyz_-+e";
	zpci_prng r;
	zpci_prng_seed(&r, 11);
	for (int i = 0; i < 3000; i++) {
		std::string text = dump;
		for (int k = 0, n = 1 + zpci_prng_below(&r, 6); k < n && !text.empty(); k++) {
			size_t at = zpci_prng_below(&r, text.size());
			char c = pieces[zpci_prng_below(&r, sizeof(pieces) - 1)];
			switch (zpci_prng_below(&r, 3)) {
			case 0:
				text[at] = c;
				break;
			case 1:
				text.erase(at, 1 + zpci_prng_below(&r, 8));
				break;
			default:
				text.insert(at, 1, c);
				break;
			}
		}
		zpcisim_fuzz_config(reinterpret_cast<const uint8_t *>(text.data()), text.size());
	}
}

// Sweep results and stats, and their damage: plots whose scripts hold no
// string gnuplot would run, or one line naming the input.
TEST(FuzzCorpus, ReportResultsAndTheirDamageDrawInertlyOrGiveOneLine)
{
	run_all(zpcisim_fuzz_report, "report", {});
}

// A monitor's message and its damage: every field in its type, or refused.
TEST(FuzzCorpus, TelemetryMessagesAndTheirDamageAreTakenOrRefused)
{
	run_all(zpcisim_fuzz_telemetry, "telemetry", {});
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
