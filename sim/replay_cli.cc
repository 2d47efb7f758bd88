// SPDX-License-Identifier: MIT
#include "replay_cli.h"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sys/stat.h>

#include "counters.h"
#include "format.h"
#include "interrupt.h"
#include "output.h"
#include "plugin.h"
#include "progress.h"
#include "requests.h"
#include "stats/histogram.h"
#include "trace_io.h"

namespace zpcisim {

namespace {

// One block's counters into @j, and their meaning into @described under
// @prefix (the counter's place in the stats file).
void add_counters(nlohmann::ordered_json &j, const zpci_counter *table, const void *stats,
		  const std::string &prefix, nlohmann::ordered_json *described)
{
	for (; table->name; table++) {
		j[table->name] = zpci_counter_get(table, stats);
		if (described)
			(*described)[prefix + table->name] = { { "unit", table->unit },
								{ "description", table->desc } };
	}
}

// A function's counters: its guest DMA layer's, what reached it, its own.
nlohmann::ordered_json function_json(const FunctionStats &s, nlohmann::ordered_json *described)
{
	nlohmann::ordered_json j = nlohmann::ordered_json::object();

	add_counters(j, zpci_dma_counters, &s.dma, "functions[].", described);
	add_counters(j, zpci_monitor_fn_counters, &s.watch, "functions[].", described);
	add_counters(j, zpci_func_counters, &s.func, "functions[].", described);
	return j;
}

nlohmann::ordered_json model_json(const ModelReport &m, nlohmann::ordered_json *described)
{
	nlohmann::ordered_json counters = nlohmann::ordered_json::object();
	nlohmann::ordered_json j = {
		{ "simulated_ns", m.simulated_ns },
		{ "simulated_cycles", m.simulated_cycles },
		{ "requests", m.requests },
	};

	std::vector<const ModelReport::Counter *> by_name;

	for (const auto &c : m.counters)
		by_name.push_back(&c);
	// Every counter, by its full name in name order: the stats file's own
	// order, whatever the order blocks register in.
	std::sort(by_name.begin(), by_name.end(),
		  [](const auto *a, const auto *b) { return a->name < b->name; });
	for (const auto *c : by_name) {
		counters[c->name] = c->value;
		(*described)["models.counters." + c->name] = { { "description", c->description } };
	}
	// The function's counters the models count in its place, by its names.
	for (const auto &[c, value] : m.function)
		j[c->name] = value;
	// The models' own that a view, or this object alone (ZPCI_SHOW_MODELS),
	// shows: any flag.
	for (const ModelShown &c : shown(m, ~0u))
		j[c.name] = c.value;
	j.update(nlohmann::ordered_json{
		{ "dma_latency_ns_p50", m.latency_p50_ns },
		{ "dma_latency_ns_p90", m.latency_p90_ns },
		{ "dma_latency_ns_p99", m.latency_p99_ns },
		{ "dma_latency_ns_max", m.latency_max_ns },
		{ "dma_latency_histogram_ns", m.latency_histogram_ns },
		{ "counters", counters },
	});
	return j;
}

nlohmann::ordered_json design_json(const DesignReport &d, nlohmann::ordered_json *described)
{
	nlohmann::ordered_json j = nlohmann::ordered_json::object();

	add_counters(j, zpci_shadow_counters, &d.intercepts, "design_report.", described);
	add_counters(j, zpci_pin_counters, &d.pins, "design_report.", described);
	j["pins_balanced"] = d.pins_balanced;
	j["cpu_hypervisor_ns"] = d.cpu_hypervisor_ns;
	j["cpu_pin_setup_ns"] = d.cpu_pin_setup_ns;
	return j;
}

// The run's every key, typed: what reproduces it.
nlohmann::ordered_json config_json(const ReplayOptions &opts)
{
	Config c;

	c.opts = opts;
	return c.json();
}

nlohmann::ordered_json check_json(const CheckResult &c)
{
	return { { "recorded", c.recorded }, { "matched", c.matched },
		 { "mismatched", c.mismatched }, { "first_mismatch", c.first },
		 { "not_comparable", c.not_comparable } };
}

nlohmann::ordered_json adversary_json(const AdversaryParams &p, const AdversaryStats &a)
{
	if (!p.every)
		return nullptr;
	return { { "every", p.every },	     { "delay_ns", p.delay_ns },
		 { "bytes", p.bytes },	     { "touch", p.touch },
		 { "touches", a.touches },   { "scheduled", a.scheduled },
		 { "accesses", a.accesses }, { "stale", a.stale },
		 { "recover", p.recover },   { "reused", a.reused },
		 { "faulted", a.faulted },   { "blocked", a.blocked },
		 { "beyond_end", a.beyond_end } };
}

}  // namespace

nlohmann::ordered_json replay_json(const ReplayRun &run, const Replay &r)
{
	const ReplayStats &s = r.stats();
	const zpci_monitor &mon = r.monitor();
	Histogram stale(mon.stale_windows), exposure(mon.exposure_windows);
	nlohmann::ordered_json kinds, fns = nlohmann::ordered_json::array();
	nlohmann::ordered_json described = nlohmann::ordered_json::object();

	for (int k = 0; k < ZTRACE_NR_KINDS; k++)
		kinds[ztrace_kind_name(static_cast<ztrace_kind>(k))] = s.by_kind[k];
	for (uint32_t i = 0; i < r.functions(); i++)
		fns.push_back(function_json(r.function_stats(i), &described));
	// Braced-list elements are evaluated in order: "descriptions", last, has
	// every block's.
	nlohmann::ordered_json j = {
		{ "schema", "zpcisim.replay.v2" },
		{ "trace", run.trace },
		{ "design", design_name(run.opts.design) },
		{ "policy", policy_name(run.opts.policy) },
		{ "mode", mode_name(run.opts.mode) },
		{ "partial", run.partial },
		{ "records", s.records },
		{ "records_by_kind", kinds },
		{ "map_failures", s.map_failures },
		{ "skipped_records", s.skipped },
		{ "dma_accesses", s.dma_accesses },
		{ "dma_bytes", s.dma_bytes },
		{ "dma_faults", s.dma_faults },
		{ "cpu_rpcit_ns", s.cpu_rpcit_ns },
		{ "stale_uses", mon.stale_uses },
		{ "stale_window_max_ns", stale.max() },
		{ "stale_window_histogram_ns", stale.buckets() },
		{ "exposed_pages", exposure.count() },
		{ "exposed_pages_at_end", s.exposed_at_end },
		{ "exposure_window_ns_p50", exposure.percentile(0.5) },
		{ "exposure_window_ns_max", exposure.max() },
		{ "exposure_window_histogram_ns", exposure.buckets() },
		{ "pinned_bytes_series", s.pinned_series },
		{ "isolation_violations", mon.violations },
		{ "first_violation", s.first_violation },
		{ "injected_faults", r.injected_faults() },
		{ "adversary", adversary_json(run.opts.adversary, s.adversary) },
		{ "design_report", design_json(r.design_report(), &described) },
		{ "rpcit_check", check_json(s.rpcit) },
		{ "iova_check", check_json(s.iova) },
		{ "translation_digest", hex(mon.digest, 16) },
		{ "config", config_json(run.opts) },
		{ "telemetry", run.telemetry ? nlohmann::ordered_json{ { "endpoint", run.telemetry->endpoint() },
								      { "messages_sent", run.telemetry->sent() },
								      { "messages_dropped", run.telemetry->dropped() } }
					     : nlohmann::ordered_json() },
		{ "functions", fns },
		{ "models", r.has_models() ? model_json(r.model_report(), &described)
					   : nlohmann::ordered_json() },
		// What each block's counter above means, by its place in this file.
		{ "descriptions", described },
	};
	if (run.closed)
		j["closed_loop"] = closed_loop_json(*run.closed);
	return j;
}

nlohmann::ordered_json live_json(const Replay &r)
{
	const ReplayStats &s = r.stats();
	RunCounters t = run_counters(r);
	std::optional<double> hit_rate = iotlb_hit_rate(t.fn.func);
	nlohmann::ordered_json j = {
		{ "records", s.records },
		{ "dma_accesses", s.dma_accesses },
		{ "dma_bytes", s.dma_bytes },
		{ "dma_faults", s.dma_faults },
		{ "guest_rpcits", guest_rpcits(t.fn.dma) },
	};
	auto add = [&](const zpci_counter *table) {
		for (const Shown &c : shown(table, t.block(table), ZPCI_SHOW_LIVE))
			j[c.counter->name] = c.value;
	};

	add(zpci_dma_counters);
	add(zpci_monitor_fn_counters);
	add(zpci_func_counters);
	j["iotlb_hit_rate"] = hit_rate ? nlohmann::ordered_json(*hit_rate)
				       : nlohmann::ordered_json();	// none yet
	add(zpci_shadow_counters);
	add(zpci_pin_counters);
	j.update(nlohmann::ordered_json{
		{ "cpu_rpcit_ns", s.cpu_rpcit_ns },
		{ "cpu_hypervisor_ns", t.design.cpu_hypervisor_ns },
		{ "stale_uses", r.monitor().stale_uses },
		{ "isolation_violations", r.monitor().violations },
	});
	return j;
}

namespace {

std::string check_line(const CheckResult &c)
{
	if (!c.not_comparable.empty())
		return "not comparable: " + c.not_comparable;
	if (!c.recorded)
		return "not recorded";
	if (!c.mismatched)
		return "ok, " + std::to_string(c.matched) + " matched";
	char agreement[32];
	snprintf(agreement, sizeof(agreement), " (%.1f%% agree)",
		 100.0 * c.matched / (c.matched + c.mismatched));
	return "FAILED, " + std::to_string(c.mismatched) + " mismatched, " +
	       std::to_string(c.matched) + " matched" + agreement + "; first: " + c.first;
}

// "adversary: 287 accesses 10000 ns after every unmap: 280 stale, ..."
void print_adversary(std::ostream &out, const AdversaryParams &p, const AdversaryStats &a)
{
	out << "adversary: " << a.accesses << " accesses " << static_cast<uint64_t>(p.delay_ns)
	    << " ns after ";
	if (p.every > 1)
		out << "one unmap in " << p.every;
	else
		out << "every unmap";
	out << ": " << a.stale << " stale, " << a.reused << " to a buffer mapped again, "
	    << a.faulted << " faulted";
	if (a.blocked)
		out << ", " << a.blocked << " blocked (function in the error state)";
	if (a.beyond_end)
		out << "; " << a.beyond_end << " due after the trace's end, not made";
	out << '\n';
}

// A block's summary lines: its counters that the summary shows.
void print_block(std::ostream &out, const RunCounters &t, const zpci_counter *table)
{
	for (const Shown &c : shown(table, t.block(table), ZPCI_SHOW_SUMMARY))
		out << c.counter->name << ": " << c.value << '\n';
}

}  // namespace

void print_replay_summary(std::ostream &out, const ReplayRun &run, const Replay &r)
{
	const ReplayStats &s = r.stats();
	RunCounters t = run_counters(r);
	ModelReport m = r.model_report();
	std::optional<double> hit_rate = iotlb_hit_rate(t.fn.func);

	out << "trace: " << run.trace << (run.binary ? " (binary)" : " (text)") << '\n'
	    << "design: " << design_name(run.opts.design) << '\n'
	    << "guest: " << guest_name(run.opts.guest) << '\n'
	    << "policy: " << policy_name(run.opts.policy) << '\n'
	    << "mode: " << mode_name(run.opts.mode) << '\n'
	    << "functions: " << r.functions() << '\n';
	if (run.partial)
		out << "partial: yes, interrupted after " << s.records << " records\n";
	out << "records: " << s.records << '\n'
	    << "dma_api_calls: "
	    << s.by_kind[ZTRACE_MAP] + s.by_kind[ZTRACE_UNMAP] + s.by_kind[ZTRACE_MAP_SG] +
		       s.by_kind[ZTRACE_UNMAP_SG] + s.by_kind[ZTRACE_ALLOC] + s.by_kind[ZTRACE_FREE]
	    << '\n'
	    << "map_failures: " << s.map_failures << '\n';
	print_block(out, t, zpci_dma_counters);
	out << "device_accesses: " << s.dma_accesses << '\n'
	    << "device_bytes: " << s.dma_bytes << '\n';
	print_block(out, t, zpci_func_counters);
	out << "translations: " << translations(t.fn.func) << '\n'
	    << "iotlb_hit_rate: ";
	if (hit_rate)
		out << std::fixed << std::setprecision(4) << *hit_rate << '\n';
	else
		out << "n/a\n";
	if (r.has_models()) {
		std::optional<double> refs_per_walk = memory_refs_per_walk(m);
		for (const ModelShown &c : shown(m, ZPCI_SHOW_SUMMARY))
			out << c.name << ": " << c.value << '\n';
		out << "memory_refs_per_walk: ";
		if (refs_per_walk)
			out << std::setprecision(3) << *refs_per_walk << '\n';
		else
			out << "n/a\n";
		out << "simulated_ns: " << m.simulated_ns << '\n'
		    << "simulated_cycles: " << m.simulated_cycles << '\n'
		    << "dma_latency_ns_p50: " << m.latency_p50_ns << '\n'
		    << "dma_latency_ns_p90: " << m.latency_p90_ns << '\n'
		    << "dma_latency_ns_p99: " << m.latency_p99_ns << '\n'
		    << "dma_latency_ns_max: " << m.latency_max_ns << '\n';
	}
	out << "dma_faults: " << s.dma_faults << '\n';
	print_block(out, t, zpci_monitor_fn_counters);
	out << "cpu_rpcit_ns: " << s.cpu_rpcit_ns << '\n';
	const DesignReport &d = t.design;
	const zpci_design_ops *design = zpci_design_get(static_cast<zpci_design>(run.opts.design));
	if (design->intercepts) {
		print_block(out, t, zpci_shadow_counters);
		out << "cpu_hypervisor_ns: " << d.cpu_hypervisor_ns << '\n';
	}
	if (design->hosted) {
		print_block(out, t, zpci_pin_counters);
		out << "cpu_pin_setup_ns: " << d.cpu_pin_setup_ns << '\n'
		    << "pins_balanced: " << (d.pins_balanced ? "yes" : "NO") << '\n';
	}
	if (run.opts.adversary.every)
		print_adversary(out, run.opts.adversary, s.adversary);
	out << "stale_uses: " << r.monitor().stale_uses << '\n'
	    << "stale_window_max_ns: " << r.monitor().stale_windows.max << '\n'
	    << "isolation_violations: " << r.monitor().violations << '\n';
	if (r.monitor().violations)
		out << "first_violation: " << s.first_violation << '\n';
	out
	    << "rpcit_check: " << check_line(s.rpcit) << '\n'
	    << "iova_check: " << check_line(s.iova) << '\n'
	    << "translation_digest: " << hex(r.monitor().digest, 16) << '\n';
	if (run.closed)
		print_closed_loop(out, *run.closed);
	if (run.telemetry)
		out << "telemetry: " << run.telemetry->endpoint() << ", " << run.telemetry->sent()
		    << " messages sent, " << run.telemetry->dropped() << " dropped\n";
	out << "result: " << (r.checks_passed() ? "ok" : "check failed") << '\n';
}

namespace {

uint64_t file_size(const std::string &path)
{
	struct stat st;
	return stat(path.c_str(), &st) ? 0 : st.st_size;
}

}  // namespace

namespace {

// Each shorthand flag and the key it sets.
const std::pair<const char *, const char *> kShorthands[] = {
	{ "design", "replay.design" },
	{ "guest", "replay.guest" },
	{ "policy", "replay.policy" },
	{ "mode", "replay.mode" },
	{ "timing", "replay.timing" },
	{ "mapping-limit", "hypervisor.mapping_limit" },
	{ "pin-limit", "hypervisor.pin_limit" },
	{ "pin-fail-every", "hypervisor.pin_fail_every" },
	{ "pin-fail-permille", "hypervisor.pin_fail_permille" },
	{ "seed", "hypervisor.seed" },
};

}  // namespace

void ConfigArgs::add_to(po::options_description &opts, bool with_design)
{
	opts.add_options()
		("config", po::value(&file), "configuration file (TOML; see 'zpcisim config dump')")
		("set", po::value(&sets)->composing(), "set one key: --set iotlb.entries=256");
	for (const auto &[flag, key] : kShorthands) {
		if (!with_design && std::string(flag) == "design")
			continue;
		opts.add_options()(flag, po::value<std::string>(),
				   (std::string(key) + ": " + config_key_doc(key)).c_str());
	}
}

std::optional<int> ConfigArgs::apply(const CommandSpec &spec, const po::variables_map &vm,
				     CommandIo &io, Config *c, bool check) const
{
	std::string err;

	if (!file.empty() && !c->load(file, &err))
		return command_error(spec, io, err, kExitUsage);
	for (const auto &[flag, key] : kShorthands)
		if (vm.count(flag) && !c->set(key, vm[flag].as<std::string>(), &err,
					      "--" + std::string(flag)))
			return command_error(spec, io, "--" + std::string(flag) + ": " +
						       err.substr(std::string(key).size() + 2),
					     kExitUsage);
	for (const std::string &s : sets)
		if (!c->set(s, &err))
			return command_error(spec, io, "--set " + err, kExitUsage);
	if (check && !c->check(&err))
		return command_error(spec, io, err, kExitUsage);
	return std::nullopt;
}

DesignsArgs::DesignsArgs() : designs(join(design_names(), ",")) {}

void DesignsArgs::add_to(po::options_description &opts, po::positional_options_description &pos)
{
	opts.add_options()
		("trace", po::value(&trace)->required(), "trace to replay (.ztr or .ztb)")
		("designs", po::value(&designs), "designs, comma-separated (default: every design)");
	config_args.add_to(opts, false);
	pos.add("trace", 1);
}

std::optional<int> DesignsArgs::apply(const CommandSpec &spec, const po::variables_map &vm,
				      CommandIo &io)
{
	std::string err;

	if (auto rc = config_args.apply(spec, vm, io, &config))
		return rc;
	if (!parse_designs(designs, &list, &err))
		return command_error(spec, io, "--designs " + err, kExitUsage);
	return std::nullopt;
}

ReplayRun DesignsArgs::base() const
{
	ReplayRun run;

	run.trace = trace;
	run.opts = config.opts;
	return run;
}

namespace {

struct Interrupted {};

int run_closed(const CommandSpec &spec, ReplayRun &run, CommandIo &io, ztrace_reader *r,
	       Replay &replay, Progress &progress)
{
	auto tick = [&](uint64_t records) {
		if (interrupted())
			throw Interrupted{};
		progress.update(ztrace_reader_bytes(r), records);
	};

	try {
		run.closed = run_closed_loop(r, replay, run.opts, tick);
	} catch (const Interrupted &) {
		run.partial = true;
	} catch (const RequestReader::BadTrace &e) {
		return command_error(spec, io, e.what(), kExitUsage);
	}
	replay.finish();
	if (run.telemetry)
		run.telemetry->publish(live_json(replay), 1.0, true);
	return kExitOk;
}

}  // namespace

namespace {

// The keys that size what a replay builds before its first record.
const char *const kSizingKeys[] = { "iotlb.entries", "guest_walk_cache.sx", "host_walk_cache.sx",
				    "stage2_cache.entries", "walker.concurrent_walks",
				    "function.outstanding", "guest.fq_entries" };

// What a replay builds up front, as an out-of-memory message names it.
std::string what_is_built(const ReplayRun &run, const ztrace_header &h)
{
	Config c;
	std::string s = "a guest of " + std::to_string(h.guest_mem >> 20) + " MiB under " +
			design_name(run.opts.design);

	c.opts = run.opts;
	if (run.opts.mode == ReplayMode::Functional)
		return s;
	for (const char *key : kSizingKeys)
		s += std::string(", ") + key + "=" + c.get(key);
	return s;
}

// Build the replay of @run; an exit status after a one-line error, or nullopt.
std::optional<int> build_replay(const CommandSpec &spec, const ReplayRun &run,
				const ztrace_header &header, CommandIo &io,
				std::unique_ptr<Replay> *out)
{
	try {
		*out = std::make_unique<Replay>(header, run.opts);
	} catch (const Replay::Refused &e) {
		return command_error(spec, io, run.trace + ": header: " + e.what(), kExitUsage);
	} catch (const std::bad_alloc &) {
		// The header and the configuration asked for it: bad input.
		return command_error(spec, io, run.trace + ": out of memory building " +
					       what_is_built(run, header), kExitUsage);
	} catch (const PluginError &e) {
		return command_error(spec, io, e.what(), kExitResource);
	} catch (const std::exception &e) {
		return command_error(spec, io, run.trace + ": " + e.what(), kExitFailure);
	}
	return std::nullopt;
}

// Step @r's records through @replay; an exit status after a one-line error,
// or nullopt when the trace ended or the run was interrupted.
std::optional<int> step_records(const CommandSpec &spec, ReplayRun &run, CommandIo &io,
				ztrace_reader *r, Replay &replay, Progress &progress, uint64_t size)
{
	auto fraction = [&] { return size ? double(ztrace_reader_bytes(r)) / size : -1.0; };
	ztrace_rec rec;
	ztrace_diag diag;
	std::string err;
	int rc;

	while ((rc = ztrace_next(r, &rec, &diag)) == 1) {
		if (interrupted()) {
			run.partial = true;
			break;
		}
		if (!replay.step(rec, r, &err))
			return command_error(spec, io, err, kExitUsage);
		if ((replay.stats().records & 0xffff) == 0)
			progress.update(ztrace_reader_bytes(r), replay.stats().records);
		if (run.telemetry && (replay.stats().records & 0xff) == 0 && run.telemetry->due())
			run.telemetry->publish(live_json(replay), fraction(), false);
	}
	if (rc < 0 && !run.partial)
		return command_error(spec, io, diag.msg, kExitUsage);
	replay.finish();
	if (run.telemetry)
		run.telemetry->publish(live_json(replay), fraction(), true);
	return std::nullopt;
}

// Where @r is, for a message: "FILE:LINE", or the trace and record.
std::string position(const ReplayRun &run, ztrace_reader *r, bool closed)
{
	char buf[512];

	if (closed)
		return run.trace;
	ztrace_reader_where(r, buf, sizeof(buf));
	return buf;
}

}  // namespace

int run_replay(const CommandSpec &spec, ReplayRun &run, CommandIo &io,
	       std::unique_ptr<Replay> *out)
{
	InterruptScope interrupt;
	std::string err;
	Reader r = open_trace(run.trace, &err);

	if (!r)
		return command_error(spec, io, err, kExitUsage);
	run.binary = ztrace_reader_encoding(r.get()) == ZTRACE_BINARY;
	ztrace_header header = *ztrace_reader_header(r.get());
	bool closed = run.opts.timing == Timing::Closed;
	// A capture's RPCITs come in its own order; closed loop makes another.
	if (closed)
		header.rpcit_log = false;
	if (auto rc = build_replay(spec, run, header, io, out))
		return *rc;
	Replay &replay = **out;
	replay.set_timeline(run.timeline);
	std::string what = std::string(spec.name) + " " + design_name(run.opts.design);
	uint64_t size = file_size(run.trace);
	Progress progress(io.err, progress_wanted(io.err), what.c_str(), size);
	try {
		if (closed)
			return run_closed(spec, run, io, r.get(), replay, progress);
		if (auto rc = step_records(spec, run, io, r.get(), replay, progress, size))
			return *rc;
	} catch (const Replay::Stopped &e) {
		// Closed loop reads no trace position: the message names the record.
		std::string trace = closed ? run.trace + ": " : "";
		return command_error(spec, io, trace + e.what(), kExitFailure);
	} catch (const std::bad_alloc &) {
		// The records asked for it: bad input, named by the last one read.
		return command_error(spec, io, position(run, r.get(), closed) +
					       ": out of memory replaying this record",
				     kExitUsage);
	}
	return kExitOk;
}

}  // namespace zpcisim
