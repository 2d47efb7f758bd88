// SPDX-License-Identifier: MIT
// zpcisim replay: run a trace through a design and report what happened.
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sys/stat.h>

#include "format.h"
#include "options.h"
#include "output.h"
#include "replay.h"
#include "trace_io.h"

namespace zpcisim {

namespace {

const CommandSpec kSpec = {
	"replay",
	"replay TRACE [--design D] [--policy P] [--mode M] [--stats-json OUT]",
	"Replay TRACE: its DMA API calls go to zpcisim's guest DMA layer, its device\n"
	"accesses to the simulated function (IOTLB, then table walks).  Where the\n"
	"trace recorded them, the RPCITs and IOVAs of the replayed guest are checked\n"
	"against it.  Prints a summary of key: value lines.\n"
	"\n"
	"Designs: bare (the guest's table is the hardware's; more designs follow).\n"
	"Policies: lazy (Linux <= 6.6 default), strict, flush-queue (Linux 6.7+).\n"
	"Modes: functional (exact, untimed; the default), fast (the SystemC models,\n"
	"fixed latencies) and cycle (the models with contention: memory bandwidth,\n"
	"walkers, outstanding requests).  Timed modes add simulated time, DMA\n"
	"latency percentiles, IOTLB and walk figures.\n"
	"\n"
	"Exit status: 0 replayed and every check passed; 1 a check failed (an RPCIT\n"
	"or IOVA differs from the trace); 2 bad input (command line or trace).",
};

struct ReplayRun {
	std::string trace;
	ReplayOptions opts;
	uint64_t records = 0;
	bool binary = false;
};

nlohmann::ordered_json function_json(const FunctionStats &s)
{
	return {
		{ "mapped_pages", s.dma.mapped_pages },
		{ "unmapped_pages", s.dma.unmapped_pages },
		{ "global_rpcits", s.dma.global_rpcits },
		{ "sync_map_rpcits", s.dma.sync_map_rpcits },
		{ "sync_rpcits", s.dma.sync_rpcits },
		{ "busy_retries", s.dma.busy_retries },
		{ "insufficient_resources", s.dma.insufficient_resources },
		{ "map_errors", s.dma.map_errors },
		{ "unmap_errors", s.dma.unmap_errors },
		{ "rpcits", s.func.rpcits },
		{ "iotlb_hits", s.func.iotlb_hits },
		{ "iotlb_misses", s.func.iotlb_misses },
		{ "iotlb_flushed_entries", s.func.iotlb_flushed },
		{ "stale_translations", s.func.stale_hits },
		{ "dma_read_bytes", s.func.dma_read_bytes },
		{ "dma_write_bytes", s.func.dma_write_bytes },
		{ "error_events", s.func.error_events },
	};
}

nlohmann::ordered_json model_json(const ModelReport &m)
{
	return {
		{ "simulated_ns", m.simulated_ns },
		{ "simulated_cycles", m.simulated_cycles },
		{ "requests", m.requests },
		{ "iotlb_hits", m.iotlb_hits },
		{ "iotlb_misses", m.iotlb_misses },
		{ "table_walks", m.walks },
		{ "walk_cache_hits", m.walk_cache_hits },
		{ "memory_refs", m.memory_refs },
		{ "stale_translations", m.stale_hits },
		{ "faults", m.faults },
		{ "dma_latency_ns_p50", m.latency_p50_ns },
		{ "dma_latency_ns_p90", m.latency_p90_ns },
		{ "dma_latency_ns_p99", m.latency_p99_ns },
		{ "dma_latency_ns_max", m.latency_max_ns },
	};
}

nlohmann::ordered_json check_json(const CheckResult &c)
{
	return { { "recorded", c.recorded }, { "matched", c.matched },
		 { "mismatched", c.mismatched }, { "first_mismatch", c.first } };
}

nlohmann::ordered_json stats_json(const ReplayRun &run, const Replay &r)
{
	const ReplayStats &s = r.stats();
	nlohmann::ordered_json kinds, fns = nlohmann::ordered_json::array();

	for (int k = 0; k < ZTRACE_NR_KINDS; k++)
		kinds[ztrace_kind_name(static_cast<ztrace_kind>(k))] = s.by_kind[k];
	for (uint32_t i = 0; i < r.functions(); i++)
		fns.push_back(function_json(r.function_stats(i)));
	return {
		{ "schema", "zpcisim.replay.v1" },
		{ "trace", run.trace },
		{ "design", run.opts.design },
		{ "policy", policy_name(run.opts.policy) },
		{ "mode", mode_name(run.opts.mode) },
		{ "records", s.records },
		{ "records_by_kind", kinds },
		{ "map_failures", s.map_failures },
		{ "skipped_records", s.skipped },
		{ "dma_accesses", s.dma_accesses },
		{ "dma_bytes", s.dma_bytes },
		{ "dma_faults", s.dma_faults },
		{ "cpu_rpcit_ns", s.cpu_rpcit_ns },
		{ "rpcit_check", check_json(s.rpcit) },
		{ "iova_check", check_json(s.iova) },
		{ "translation_digest", hex(r.digest(), 16) },
		{ "functions", fns },
		{ "models", r.has_models() ? model_json(r.model_report()) : nlohmann::ordered_json() },
	};
}

std::string check_line(const CheckResult &c)
{
	if (!c.recorded)
		return "not recorded";
	if (!c.mismatched)
		return "ok, " + std::to_string(c.matched) + " matched";
	return "FAILED, " + std::to_string(c.mismatched) + " mismatched, " +
	       std::to_string(c.matched) + " matched; first: " + c.first;
}

void print_summary(std::ostream &out, const ReplayRun &run, const Replay &r)
{
	const ReplayStats &s = r.stats();
	FunctionStats total;

	for (uint32_t i = 0; i < r.functions(); i++) {
		FunctionStats f = r.function_stats(i);
		total.dma.mapped_pages += f.dma.mapped_pages;
		total.dma.unmapped_pages += f.dma.unmapped_pages;
		total.dma.global_rpcits += f.dma.global_rpcits;
		total.dma.sync_map_rpcits += f.dma.sync_map_rpcits;
		total.dma.sync_rpcits += f.dma.sync_rpcits;
		total.func.rpcits += f.func.rpcits;
		total.func.iotlb_hits += f.func.iotlb_hits;
		total.func.iotlb_misses += f.func.iotlb_misses;
		total.func.stale_hits += f.func.stale_hits;
		total.func.error_events += f.func.error_events;
	}
	// Translations are the functional function's, or the models' in timed modes.
	ModelReport m = r.model_report();
	uint64_t hits = r.has_models() ? m.iotlb_hits : total.func.iotlb_hits;
	uint64_t misses = r.has_models() ? m.iotlb_misses : total.func.iotlb_misses;
	uint64_t stale = r.has_models() ? m.stale_hits : total.func.stale_hits;
	uint64_t translations = hits + misses;
	out << "trace: " << run.trace << (run.binary ? " (binary)" : " (text)") << '\n'
	    << "design: " << run.opts.design << '\n'
	    << "policy: " << policy_name(run.opts.policy) << '\n'
	    << "mode: " << mode_name(run.opts.mode) << '\n'
	    << "functions: " << r.functions() << '\n'
	    << "records: " << s.records << '\n'
	    << "dma_api_calls: "
	    << s.by_kind[ZTRACE_MAP] + s.by_kind[ZTRACE_UNMAP] + s.by_kind[ZTRACE_MAP_SG] +
		       s.by_kind[ZTRACE_UNMAP_SG] + s.by_kind[ZTRACE_ALLOC] + s.by_kind[ZTRACE_FREE]
	    << '\n'
	    << "map_failures: " << s.map_failures << '\n'
	    << "mapped_pages: " << total.dma.mapped_pages << '\n'
	    << "unmapped_pages: " << total.dma.unmapped_pages << '\n'
	    << "device_accesses: " << s.dma_accesses << '\n'
	    << "device_bytes: " << s.dma_bytes << '\n'
	    << "translations: " << translations << '\n'
	    << "iotlb_hits: " << hits << '\n'
	    << "iotlb_misses: " << misses << '\n'
	    << "iotlb_hit_rate: ";
	if (translations)
		out << std::fixed << std::setprecision(4) << double(hits) / double(translations) << '\n';
	else
		out << "n/a\n";
	if (r.has_models()) {
		out << "table_walks: " << m.walks << '\n'
		    << "walk_cache_hits: " << m.walk_cache_hits << '\n'
		    << "memory_refs_per_walk: ";
		if (m.walks)
			out << std::setprecision(3) << double(m.memory_refs) / double(m.walks) << '\n';
		else
			out << "n/a\n";
		out << "simulated_ns: " << m.simulated_ns << '\n'
		    << "simulated_cycles: " << m.simulated_cycles << '\n'
		    << "dma_latency_ns_p50: " << m.latency_p50_ns << '\n'
		    << "dma_latency_ns_p90: " << m.latency_p90_ns << '\n'
		    << "dma_latency_ns_p99: " << m.latency_p99_ns << '\n'
		    << "dma_latency_ns_max: " << m.latency_max_ns << '\n';
	}
	out << "stale_translations: " << stale << '\n'
	    << "dma_faults: " << s.dma_faults << '\n'
	    << "error_events: " << total.func.error_events << '\n'
	    << "rpcits: " << total.func.rpcits << '\n'
	    << "rpcits_sync: " << total.dma.sync_rpcits << '\n'
	    << "rpcits_sync_map: " << total.dma.sync_map_rpcits << '\n'
	    << "rpcits_global: " << total.dma.global_rpcits << '\n'
	    << "cpu_rpcit_ns: " << s.cpu_rpcit_ns << '\n'
	    << "rpcit_check: " << check_line(s.rpcit) << '\n'
	    << "iova_check: " << check_line(s.iova) << '\n'
	    << "translation_digest: " << hex(r.digest(), 16) << '\n'
	    << "result: " << (r.checks_passed() ? "ok" : "check failed") << '\n';
}

uint64_t file_size(const std::string &path)
{
	struct stat st;
	return stat(path.c_str(), &st) ? 0 : st.st_size;
}

}  // namespace

int cmd_replay(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::positional_options_description pos;
	po::variables_map vm;
	ReplayRun run;
	std::string policy = "lazy", mode = "functional", stats_out, err;

	opts.add_options()
		("trace", po::value(&run.trace)->required(), "trace to replay (.ztr or .ztb)")
		("design", po::value(&run.opts.design)->default_value("bare"), "design under test")
		("policy", po::value(&policy)->default_value("lazy"),
		 "guest flush policy: lazy, strict or flush-queue")
		("mode", po::value(&mode)->default_value("functional"),
		 "simulation mode: functional, fast or cycle")
		("stats-json", po::value(&stats_out), "also write the stats as JSON to this file");
	pos.add("trace", 1);
	if (auto rc = parse_options(kSpec, args, opts, pos, vm, io))
		return *rc;
	if (!parse_policy(policy, &run.opts.policy))
		return command_error(kSpec, io, "--policy '" + policy +
					   "', expected lazy, strict or flush-queue", kExitUsage);
	if (!parse_mode(mode, &run.opts.mode))
		return command_error(kSpec, io, "--mode '" + mode +
					   "', expected functional, fast or cycle", kExitUsage);
	const auto &designs = replay_designs();
	if (std::find(designs.begin(), designs.end(), run.opts.design) == designs.end())
		return command_error(kSpec, io, "--design '" + run.opts.design +
					   "' is not available; designs: bare", kExitUsage);

	Reader r = open_trace(run.trace, &err);
	if (!r)
		return command_error(kSpec, io, err, kExitUsage);
	run.binary = ztrace_reader_encoding(r.get()) == ZTRACE_BINARY;
	std::unique_ptr<Replay> made;
	try {
		made = std::make_unique<Replay>(*ztrace_reader_header(r.get()), run.opts);
	} catch (const std::exception &e) {
		return command_error(kSpec, io, run.trace + ": " + e.what(), kExitUsage);
	}
	Replay &replay = *made;
	Progress progress(io.err, progress_wanted(io.err), "replay", file_size(run.trace));
	ztrace_rec rec;
	ztrace_diag diag;
	int rc;
	while ((rc = ztrace_next(r.get(), &rec, &diag)) == 1) {
		if (!replay.step(rec, r.get(), &err))
			return command_error(kSpec, io, err, kExitUsage);
		if ((replay.stats().records & 0xffff) == 0)
			progress.update(ztrace_reader_bytes(r.get()), replay.stats().records);
	}
	if (rc < 0)
		return command_error(kSpec, io, diag.msg, kExitUsage);
	replay.finish();

	if (!stats_out.empty() &&
	    !write_file_atomic(stats_out, stats_json(run, replay).dump(2) + "\n", &err))
		return command_error(kSpec, io, err);
	print_summary(io.out, run, replay);
	return replay.checks_passed() ? kExitOk : kExitFailure;
}

}  // namespace zpcisim
