// SPDX-License-Identifier: MIT
// zpcisim_bench: how fast each layer of zpcisim runs, against the limit.
//
//   zpcisim_bench [--records=N] [--dir=DIR] [Google Benchmark flags]
//
// The limit is a bare lookup loop over a flat hash set keyed as the IOTLB
// is (function handle, IOVA page): no simulator can translate faster than
// it can look a translation up.  Against it, in one run: the functional
// translator with its IOTLB (hits, and misses that walk), the replay of
// generated traces of N records (default 10^7) in each timed mode, on an
// IOTLB-friendly trace (coherent: one page per access, few pages) and an
// IOTLB-hostile one (storage: 4-256 KiB lists over a large footprint), the
// intercepting hypervisor's handler per RPCIT, and reading and writing
// traces in both encodings.  The traces are generated into DIR (default
// ".") once and reused.  Last, a table of every figure with its ratio to
// the limit, and the process's peak RSS.
//
// One time base: every rate is per CPU-second of the thread that ran it
// (Google Benchmark's default timer), the limit's too, so that a ratio
// means the same on a busy machine as on a calm one; the rate per wall
// second stands beside it, with the share of the wall time the thread had
// the CPU.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <zpci/dma.h>
#include <zpci/machine.h>
#include <zpci/prng.h>
#include <ztrace/gen.h>

#include <zmq.hpp>

#include "bench.h"
#include "counters.h"
#include "replay.h"
#include "replay_cli.h"
#include "telemetry.h"
#include "trace_io.h"

using namespace zpcisim;

namespace {

uint64_t g_records = 10000000;
std::string g_dir = ".";

constexpr uint64_t kGuestMem = 1ULL << 30;
constexpr uint32_t kFid = 0x10;

std::string trace_path(const char *workload, uint64_t records, const char *ext = "ztb")
{
	return g_dir + "/bench-" + workload + "-" + std::to_string(records) + "." + ext;
}

// The generated trace of @records for @workload, in @ext's encoding.
std::string ensure_trace(const char *workload, uint64_t records, const char *ext = "ztb")
{
	std::string path = trace_path(workload, records, ext);
	struct stat st;
	if (stat(path.c_str(), &st) == 0)
		return path;
	ztrace_gen_cfg cfg{ records, 1, ZTRACE_GEN_DEFAULT_MEM, false };
	ztrace_diag diag;
	if (ztrace_generate(workload, &cfg, path.c_str(), ztrace_encoding_for(path.c_str()), &diag)) {
		fprintf(stderr, "zpcisim_bench: %s\n", diag.msg);
		exit(1);
	}
	return path;
}

uint64_t file_size(const std::string &path)
{
	struct stat st;
	return stat(path.c_str(), &st) ? 0 : st.st_size;
}

// (a) The limit: a flat, linearly probed set of IOTLB-shaped keys, probed
// with keys that are in it, in a random order fixed before timing.
void BM_Lookup(benchmark::State &state)
{
	const uint64_t entries = 4096, slots = 2 * entries;
	std::vector<uint64_t> table(slots, 0), keys(1 << 16);
	zpci_prng r;
	zpci_prng_seed(&r, 1);
	std::vector<uint64_t> in(entries);
	for (auto &k : in) {
		k = (uint64_t)(0x100 + zpci_prng_below(&r, 4)) << 32 |
		    (0x100000 + zpci_prng_below(&r, 1 << 20));
		uint64_t h = (k * 0x9e3779b97f4a7c15ULL) >> 51;
		while (table[h] && table[h] != k)
			h = (h + 1) & (slots - 1);
		table[h] = k;
	}
	for (auto &k : keys)
		k = in[zpci_prng_below(&r, entries)];
	uint64_t found = 0, i = 0;
	for (auto _ : state) {
		uint64_t k = keys[i++ & (keys.size() - 1)];
		uint64_t h = (k * 0x9e3779b97f4a7c15ULL) >> 51;
		while (table[h] != k)
			h = (h + 1) & (slots - 1);
		found += h;
	}
	benchmark::DoNotOptimize(found);
	state.SetItemsProcessed(state.iterations());
}

// A bare machine with a guest that mapped @pages single pages.
struct MappedGuest {
	zpci_machine m{};
	zpci_dma_dev dev{};
	std::vector<dma_addr_t> iovas;

	MappedGuest(zpci_design design, uint64_t pages, zpci_flush_policy policy)
	{
		zpci_machine_cfg mc{};
		mc.design = design;
		mc.guest_mem = kGuestMem;
		mc.mapping_limit = 1 << 20;
		zpci_func_cfg fc{ kFid, 0x100, 1, 0x100000000ULL, (1ULL << 57) - 1, true, false };
		zpci_dma_cfg cfg = zpci_dma_default_cfg(kFid, policy, kGuestMem);
		if (zpci_machine_init(&m, &mc, &fc, 1) ||
		    zpci_dma_attach(&dev, m.fns[0].guest_hw, zpci_machine_guest_mem(&m),
				    &m.guest_pool, &cfg)) {
			fprintf(stderr, "zpcisim_bench: machine: %s\n", m.error);
			exit(1);
		}
		for (uint64_t i = 0; i < pages; i++) {
			dma_addr_t h;
			if (zpci_dma_map_page(&dev, (i % 65536) << ZPCI_PAGE_SHIFT, ZPCI_PAGE_SIZE,
					      DMA_BIDIRECTIONAL, &h)) {
				fprintf(stderr, "zpcisim_bench: map %llu failed\n",
					(unsigned long long)i);
				exit(1);
			}
			iovas.push_back(h);
		}
	}
	~MappedGuest()
	{
		zpci_dma_detach(&dev);
		zpci_machine_destroy(&m);
	}
	zpci_func &func() { return m.fns[0].func; }
};

// (b) The functional translator with its IOTLB, over @range(0) mapped pages
// in a random order: within the IOTLB's reach mostly hits, beyond it walks.
void BM_Translate(benchmark::State &state)
{
	MappedGuest g(ZPCI_DESIGN_BARE, state.range(0), ZPCI_FLUSH_STRICT);
	std::vector<dma_addr_t> order(1 << 16);
	zpci_prng r;
	zpci_prng_seed(&r, 2);
	for (auto &a : order)
		a = g.iovas[zpci_prng_below(&r, g.iovas.size())];
	uint64_t i = 0;
	zpci_func_xlate x;
	for (auto _ : state) {
		zpci_func_translate(&g.func(), order[i++ & (order.size() - 1)], ZPCI_DMA_WRITE, &x);
		benchmark::DoNotOptimize(x.x.addr);
	}
	state.SetItemsProcessed(state.iterations());
	state.counters["hit_rate"] = iotlb_hit_rate(g.func().stats).value_or(0);
}

// (c, d) Replay of a generated trace on the bare design, lazy policy:
// items are page translations, as the models count them.  With
// @telemetry, live counters go out as `replay --telemetry` sends them.
void BM_Replay(benchmark::State &state, const char *workload, ReplayMode mode,
	       Telemetry *telemetry = nullptr)
{
	std::string path = ensure_trace(workload, g_records);
	uint64_t xlates = 0, records = 0;
	for (auto _ : state) {
		std::string err;
		Reader rd = open_trace(path, &err);
		ReplayOptions opts;
		opts.mode = mode;
		Replay rp(*ztrace_reader_header(rd.get()), opts);
		ztrace_rec rec;
		ztrace_diag diag;
		while (ztrace_next(rd.get(), &rec, &diag) == 1) {
			if (!rp.step(rec, rd.get(), &err)) {
				state.SkipWithError(err.c_str());
				return;
			}
			if (telemetry && (rp.stats().records & 0xff) == 0 && telemetry->due())
				telemetry->publish(live_json(rp), -1, false);
		}
		rp.finish();
		xlates += translations(rp.totals().func);
		records += rp.stats().records;
	}
	state.SetItemsProcessed(xlates);
	state.counters["records_per_s"] = benchmark::Counter(records, benchmark::Counter::kIsRate);
	// Replays run before anything that holds a trace in memory: this is theirs.
	state.counters["peak_rss_MiB"] = bench_peak_rss_kib() / 1024;
}

// The cost of telemetry: the network trace replayed functionally while a
// subscriber that never reads is connected, publishing every @range(0) ms
// (100 is the default; 0: as often as the replay checks).
void BM_ReplayTelemetry(benchmark::State &state)
{
	std::string endpoint = "ipc://" + g_dir + "/bench-telemetry";
	zmq::context_t ctx;
	zmq::socket_t stuck(ctx, zmq::socket_type::sub);
	stuck.set(zmq::sockopt::subscribe, "");
	stuck.set(zmq::sockopt::rcvhwm, 1);
	stuck.set(zmq::sockopt::reconnect_ivl, 1);
	stuck.connect(endpoint);
	TelemetryParams tp;
	tp.interval = std::chrono::milliseconds(state.range(0));
	Telemetry t(endpoint, "bench", tp);
	BM_Replay(state, "net", ReplayMode::Functional, &t);
	state.counters["sent"] = t.sent();
	state.counters["dropped"] = t.dropped();
}

// (e) The intercepting hypervisor's RPCIT handler: the guest refreshes one
// mapped page again and again; each RPCIT is intercepted, the guest entry
// walked and the shadow entry rewritten.
void BM_InterceptRpcit(benchmark::State &state)
{
	MappedGuest g(ZPCI_DESIGN_INTERCEPT_KVM, 64, ZPCI_FLUSH_STRICT);
	const zpci_hw &hw = g.dev.hw;
	uint64_t i = 0;
	for (auto _ : state) {
		zpci_insn_result res = hw.ops->rpcit(hw.priv, g.dev.fh, g.iovas[i++ & 63],
						     ZPCI_PAGE_SIZE);
		if (res.cc != ZPCI_CC_OK) {
			state.SkipWithError("rpcit failed");
			return;
		}
	}
	state.SetItemsProcessed(state.iterations());
}

// (f) Reading a trace: records decoded and checked for order, no replay.
void BM_TraceRead(benchmark::State &state, const char *ext)
{
	std::string path = ensure_trace("coherent", g_records / 10, ext);
	uint64_t records = 0;
	for (auto _ : state) {
		std::string err;
		Reader rd = open_trace(path, &err);
		ztrace_rec rec;
		ztrace_diag diag;
		while (ztrace_next(rd.get(), &rec, &diag) == 1)
			;
		records += ztrace_reader_records(rd.get());
	}
	state.SetBytesProcessed(state.iterations() * file_size(path));
	state.SetItemsProcessed(records);
}

// (f) Writing a trace: the records of the binary one, re-encoded.
void BM_TraceWrite(benchmark::State &state, const char *ext)
{
	std::string in = ensure_trace("coherent", g_records / 10);
	std::string out = g_dir + "/bench-write." + ext;
	std::vector<ztrace_rec> recs;
	std::string err;
	Reader rd = open_trace(in, &err);
	ztrace_header h = *ztrace_reader_header(rd.get());
	ztrace_rec rec;
	ztrace_diag diag;
	while (ztrace_next(rd.get(), &rec, &diag) == 1)
		recs.push_back(rec);	// coherent traces have no scatter-gather lists
	uint64_t records = 0;
	for (auto _ : state) {
		ztrace_writer *w;
		if (ztrace_create(out.c_str(), ztrace_encoding_for(out.c_str()), &h, nullptr, &w, &diag)) {
			state.SkipWithError(diag.msg);
			return;
		}
		for (const auto &rc : recs)
			ztrace_write(w, &rc, &diag);
		ztrace_commit(w, &diag);
		records += recs.size();
	}
	state.SetBytesProcessed(state.iterations() * file_size(out));
	state.SetItemsProcessed(records);
	remove(out.c_str());
}

// Every run's figure, for the table of ratios at the end.
class RatioReporter : public benchmark::ConsoleReporter {
public:
	struct Figure {
		std::string name;
		double items_per_cpu_s, bytes_per_cpu_s;
		double cpu_share;	// CPU time over wall time
	};
	std::vector<Figure> figures;

	void ReportRuns(const std::vector<Run> &runs) override
	{
		ConsoleReporter::ReportRuns(runs);
		for (const Run &r : runs) {
			if (r.error_occurred || r.run_type != Run::RT_Iteration)
				continue;
			auto rate = [&](const char *k) {
				auto it = r.counters.find(k);
				return it == r.counters.end() ? 0.0 : double(it->second);
			};
			std::string name = r.run_name.function_name;
			if (!r.run_name.args.empty())
				name += "/" + r.run_name.args;
			// Rates are per CPU-second: no benchmark asks for real time.
			figures.push_back({ name, rate("items_per_second"), rate("bytes_per_second"),
					    r.real_accumulated_time > 0
						    ? r.cpu_accumulated_time / r.real_accumulated_time
						    : 0.0 });
		}
	}

	void print_ratios() const
	{
		double limit = 0;
		for (const Figure &f : figures)
			if (f.name.rfind("limit/", 0) == 0)
				limit = f.items_per_cpu_s;
		printf("\nper CPU-second of the benchmark's thread; per wall second beside it\n");
		printf("%-36s %14s %10s %10s %14s %6s\n", "figure", "items/CPU-s", "MB/CPU-s",
		       "of limit", "items/wall-s", "CPU");
		for (const Figure &f : figures) {
			printf("%-36s %14.0f ", f.name.c_str(), f.items_per_cpu_s);
			if (f.bytes_per_cpu_s)
				printf("%10.1f ", f.bytes_per_cpu_s / 1e6);
			else
				printf("%10s ", "");
			if (limit)
				printf("%9.2f%% ", 100 * f.items_per_cpu_s / limit);
			else
				printf("%10s ", "");
			printf("%14.0f %5.0f%%\n", f.items_per_cpu_s * f.cpu_share, 100 * f.cpu_share);
		}
		printf("peak RSS: %ld MiB\n", bench_peak_rss_kib() / 1024);
	}
};

void register_all()
{
	benchmark::RegisterBenchmark("limit/lookup", BM_Lookup);
	benchmark::RegisterBenchmark("translate/iotlb-friendly", BM_Translate)->Arg(64);
	benchmark::RegisterBenchmark("translate/iotlb-hostile", BM_Translate)->Arg(65536);
	for (const char *w : { "coherent", "storage" })
		for (ReplayMode m : { ReplayMode::Functional, ReplayMode::Fast, ReplayMode::Cycle })
			benchmark::RegisterBenchmark(
				(std::string("replay/") + mode_name(m) + "/" + w).c_str(),
				[w, m](benchmark::State &s) { BM_Replay(s, w, m); })
				->Iterations(1)
				->Unit(benchmark::kSecond);
	benchmark::RegisterBenchmark("replay/functional/net",
				     [](benchmark::State &s) { BM_Replay(s, "net", ReplayMode::Functional); })
		->Iterations(1)
		->Unit(benchmark::kSecond);
	benchmark::RegisterBenchmark("replay/functional/net+telemetry-ms", BM_ReplayTelemetry)
		->Arg(100)
		->Arg(0)
		->Iterations(1)
		->Unit(benchmark::kSecond);
	benchmark::RegisterBenchmark("intercept/rpcit", BM_InterceptRpcit);
	for (const char *ext : { "ztr", "ztb" }) {
		benchmark::RegisterBenchmark((std::string("trace/read/") + ext).c_str(),
					     [ext](benchmark::State &s) { BM_TraceRead(s, ext); })
			->Unit(benchmark::kMillisecond);
		benchmark::RegisterBenchmark((std::string("trace/write/") + ext).c_str(),
					     [ext](benchmark::State &s) { BM_TraceWrite(s, ext); })
			->Unit(benchmark::kMillisecond);
	}
}

// Our own flags first; the rest are Google Benchmark's.
bool take_flag(const char *arg, const char *name, std::string *val)
{
	size_t n = strlen(name);
	if (strncmp(arg, name, n) || arg[n] != '=')
		return false;
	*val = arg + n + 1;
	return true;
}

}  // namespace

int main(int argc, char **argv)
{
	std::vector<char *> rest = { argv[0] };
	for (int i = 1; i < argc; i++) {
		std::string v;
		if (take_flag(argv[i], "--records", &v)) {
			g_records = strtoull(v.c_str(), nullptr, 0);
			if (g_records < 10) {
				fprintf(stderr, "zpcisim_bench: --records=%s: at least 10\n", v.c_str());
				return 2;
			}
		} else if (take_flag(argv[i], "--dir", &v)) {
			g_dir = v;
		} else {
			rest.push_back(argv[i]);
		}
	}
	int n = rest.size();
	benchmark::Initialize(&n, rest.data());
	if (benchmark::ReportUnrecognizedArguments(n, rest.data()))
		return 2;
	register_all();
	RatioReporter reporter;
	benchmark::RunSpecifiedBenchmarks(&reporter);
	reporter.print_ratios();
	benchmark::Shutdown();
	return 0;
}
