// SPDX-License-Identifier: MIT
// replay_throughput: functional replay speed on generated traces.
//
//   replay_throughput [RECORDS [DIR]]     (default 10^7 records, DIR ".")
//
// For each workload it generates a binary trace of RECORDS records in DIR
// (kept and reused if present), then times, in the same run: reading the
// trace alone (the baseline: the cost of the trace format) and replaying it
// on the bare design with the lazy policy in each mode (functional, and the
// SystemC models fast and cycle).  Prints records/s, the ratio to the
// baseline, page translations/s, and the process's peak RSS so far, so
// that RSS growth with trace length shows.  Last, the cost of telemetry:
// the net trace replayed functionally with a subscriber that never reads,
// publishing every 100 ms (the default) and as often as it can, as ratios
// to the same replay without telemetry.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/stat.h>

#include <ztrace/gen.h>

#include <zmq.hpp>

#include "bench.h"
#include "replay.h"
#include "replay_cli.h"
#include "telemetry.h"
#include "trace_io.h"

using namespace zpcisim;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0)
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool ensure_trace(const std::string &workload, uint64_t records, const std::string &path)
{
	struct stat st;
	if (stat(path.c_str(), &st) == 0)
		return true;
	ztrace_gen_cfg cfg{ records, 1, ZTRACE_GEN_DEFAULT_MEM, false };
	ztrace_diag diag;
	if (ztrace_generate(workload.c_str(), &cfg, path.c_str(), ZTRACE_BINARY, &diag)) {
		fprintf(stderr, "replay_throughput: %s\n", diag.msg);
		return false;
	}
	return true;
}

// Records per second of reading @path without replaying it.
double read_only(const std::string &path, uint64_t *records)
{
	std::string err;
	Reader r = open_trace(path, &err);
	ztrace_rec rec;
	ztrace_diag diag;
	auto t0 = std::chrono::steady_clock::now();
	while (ztrace_next(r.get(), &rec, &diag) == 1)
		;
	*records = ztrace_reader_records(r.get());
	return *records / seconds_since(t0);
}

// Records per second of replaying @path in @mode; translations in *xlates.
double replay(const std::string &path, ReplayMode mode, uint64_t *xlates,
	      Telemetry *telemetry = nullptr)
{
	std::string err;
	Reader r = open_trace(path, &err);
	ReplayOptions opts;
	opts.mode = mode;
	Replay rp(*ztrace_reader_header(r.get()), opts);
	ztrace_rec rec;
	ztrace_diag diag;
	auto t0 = std::chrono::steady_clock::now();
	while (ztrace_next(r.get(), &rec, &diag) == 1) {
		if (!rp.step(rec, r.get(), &err)) {
			fprintf(stderr, "replay_throughput: %s\n", err.c_str());
			exit(1);
		}
		if (telemetry && (rp.stats().records & 0xff) == 0 && telemetry->due())
			telemetry->publish(live_json(rp), -1, false);
	}
	rp.finish();
	double t = seconds_since(t0);
	*xlates = 0;
	if (rp.has_models()) {
		ModelReport m = rp.model_report();
		*xlates = m.iotlb_hits + m.iotlb_misses;
	}
	for (uint32_t i = 0; !rp.has_models() && i < rp.functions(); i++) {
		FunctionStats s = rp.function_stats(i);
		*xlates += s.func.iotlb_hits + s.func.iotlb_misses;
	}
	return rp.stats().records / t;
}

}  // namespace

// The SystemC library owns main() and calls this.
int sc_main(int argc, char **argv)
{
	uint64_t records = argc > 1 ? strtoull(argv[1], nullptr, 0) : 10000000;
	std::string dir = argc > 2 ? argv[2] : ".";

	if (argc > 3 || !records) {
		fprintf(stderr, "usage: replay_throughput [RECORDS [DIR]]\n");
		return 2;
	}
	printf("%-9s %-10s %10s %12s %12s %6s %12s %10s\n", "workload", "mode", "records",
	       "read_rec/s", "replay_rec/s", "ratio", "xlate/s", "peak_rss");
	for (const char *w : { "net", "storage", "coherent", "mixed", "churn" }) {
		std::string path = dir + "/bench-" + w + "-" + std::to_string(records) + ".ztb";
		uint64_t n, xlates;
		if (!ensure_trace(w, records, path))
			return 1;
		for (ReplayMode mode : { ReplayMode::Functional, ReplayMode::Fast, ReplayMode::Cycle }) {
			double base = read_only(path, &n);
			double rate = replay(path, mode, &xlates);
			printf("%-9s %-10s %10llu %12.0f %12.0f %6.3f %12.0f %7ld MiB\n", w,
			       mode_name(mode), static_cast<unsigned long long>(n), base, rate,
			       rate / base, xlates * rate / n, bench_peak_rss_kib() / 1024);
			fflush(stdout);
		}
	}

	std::string net = dir + "/bench-net-" + std::to_string(records) + ".ztb";
	std::string endpoint = "ipc://" + dir + "/bench-telemetry";
	zmq::context_t ctx;
	zmq::socket_t stuck(ctx, zmq::socket_type::sub);
	stuck.set(zmq::sockopt::subscribe, "");
	stuck.set(zmq::sockopt::rcvhwm, 1);
	stuck.set(zmq::sockopt::reconnect_ivl, 1);
	stuck.connect(endpoint);
	uint64_t xlates;
	double without = replay(net, ReplayMode::Functional, &xlates);
	for (int interval_ms : { 100, 0 }) {
		TelemetryParams tp;
		tp.interval = std::chrono::milliseconds(interval_ms);
		Telemetry t(endpoint, "bench", tp);
		double with = replay(net, ReplayMode::Functional, &xlates, &t);
		printf("telemetry every %3d ms, stuck subscriber: %12.0f rec/s, x%.3f of %0.f rec/s "
		       "without; %llu sent, %llu dropped\n",
		       interval_ms, with, with / without, without,
		       static_cast<unsigned long long>(t.sent()),
		       static_cast<unsigned long long>(t.dropped()));
	}
	return 0;
}
