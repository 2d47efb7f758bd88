// SPDX-License-Identifier: MIT
// zpcisim compare: one trace through every design, side by side.
#include <algorithm>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "counters.h"
#include "format.h"
#include "interrupt.h"
#include "output.h"
#include "replay_cli.h"

namespace zpcisim {

namespace {

const CommandSpec kSpec = {
	"compare",
	"compare TRACE [--designs LIST] [--config FILE] [--set KEY=VALUE]... [--policy P]\n"
	"                      [--mode M] [--timing T] [--stats-json OUT] [fault options]",
	"Replay TRACE through each design (all of them by default) with the same guest\n"
	"policy and mode, and print one row per design: the guest's RPCITs, the\n"
	"hypervisor's intercepts and host RPCITs, pins, unpins and peak pinned memory,\n"
	"IOTLB hit rate, memory references per table walk, simulated cycles, the\n"
	"median device-access latency, the CPU time the cost table gives, stale\n"
	"translations used, isolation violations, and whether the device reached\n"
	"the same guest pages as under the first design (same_pages), and the checks\n"
	"against what the trace recorded that failed (checks: ok, or rpcit, iova,\n"
	"isolation, pins).  A capture's RPCITs are not compared under a design that\n"
	"offers its guest the other refresh bit (its guest issues other RPCITs, as\n"
	"the kernel would), nor its IOVAs under identity-pinned; a note says so.\n"
	"With --timing closed a second table gives each design's throughput, also\n"
	"against the first design's (vs_first), the requests that failed and the\n"
	"retries of those whose buffer could not be mapped, request latency, CPU by guest,\n"
	"hypervisor and user space and per request, and its bottleneck\n"
	"(docs/closed-loop.md); same_pages is n/a, each design running its own order.\n"
	"The default mode is cycle; functional has no times to show.\n"
	"\n"
	"Exit status: 0 every design ran clean; 1 a check failed in some design (the\n"
	"row says which); 2 bad input; 130 interrupted (SIGINT): the designs done so\n"
	"far, the last one partial.",
	designs_help,
};

struct Row {
	std::string design;
	uint64_t map_failures = 0;
	RunCounters t;
	ModelReport m;
	bool models = false;
	uint64_t stale = 0, stale_window_ns = 0;
	uint64_t violations = 0, cpu_ns = 0;
	uint64_t digest = 0, dma_accesses = 0;
	bool checks_passed = false;
	std::string checks;		// "ok", or the checks that failed
	std::vector<std::string> not_compared;	// "RPCITs: why", "IOVAs: why"
	std::optional<ClosedLoopReport> closed;
};

// The checks a replay failed, by name, or "ok".
std::string failed_checks(const Replay &r)
{
	std::string failed;
	auto check = [&failed](bool passed, const char *name) {
		if (!passed)
			failed += (failed.empty() ? "" : ",") + std::string(name);
	};

	check(!r.stats().rpcit.mismatched, "rpcit");
	check(!r.stats().iova.mismatched, "iova");
	check(!r.monitor().violations, "isolation");
	check(r.design_report().pins_balanced, "pins");
	return failed.empty() ? "ok" : failed;
}

Row row_of(const std::string &design, const Replay &r, const ReplayRun &run)
{
	Row row;

	row.closed = run.closed;
	row.design = design;
	row.t = run_counters(r);
	row.models = r.has_models();
	row.m = r.model_report();
	row.stale = r.monitor().stale_uses;
	row.stale_window_ns = r.monitor().stale_windows.max;
	row.map_failures = r.stats().map_failures;
	row.violations = r.monitor().violations;
	row.cpu_ns = r.stats().cpu_rpcit_ns + row.t.design.cpu_hypervisor_ns +
		     row.t.design.cpu_pin_setup_ns;
	row.digest = r.monitor().digest;
	row.dma_accesses = r.stats().dma_accesses;
	row.checks_passed = r.checks_passed();
	row.checks = failed_checks(r);
	for (const auto &[what, check] : { std::pair{ "RPCITs", &r.stats().rpcit },
					   std::pair{ "IOVAs", &r.stats().iova } })
		if (!check->not_comparable.empty())
			row.not_compared.push_back(std::string(what) + " not compared: " +
						   check->not_comparable);
	return row;
}

std::string fixed(std::optional<double> v, int precision)
{
	std::ostringstream s;
	if (!v)
		return "n/a";
	s << std::fixed << std::setprecision(precision) << *v;
	return s.str();
}

std::string ratio(uint64_t num, uint64_t den, int precision)
{
	return fixed(den ? std::optional<double>(double(num) / double(den)) : std::nullopt,
		     precision);
}

// A counter's column: bytes in MiB, to stay narrow.
std::string head_of(const zpci_counter *c)
{
	std::string name = c->name;
	const std::string bytes = "_bytes";

	if (std::string(c->unit) == "bytes" && name.size() > bytes.size() &&
	    name.compare(name.size() - bytes.size(), bytes.size(), bytes) == 0)
		return name.substr(0, name.size() - bytes.size()) + "_MiB";
	return name;
}

std::string cell_of(const Shown &c)
{
	if (std::string(c.counter->unit) == "bytes")
		return ratio(c.value, 1 << 20, 1);
	return std::to_string(c.value);
}

// A header and rows, each column as wide as its widest cell.
void print_cells(std::ostream &out, const std::vector<std::string> &heads,
		 const std::vector<std::vector<std::string>> &cells)
{
	std::vector<size_t> width;
	for (const std::string &h : heads)
		width.push_back(h.size());
	for (const auto &c : cells)
		for (size_t i = 0; i < c.size(); i++)
			width[i] = std::max(width[i], c[i].size());
	for (size_t i = 0; i < width.size(); i++)
		out << std::left << std::setw(width[i] + 2) << heads[i];
	out << '\n';
	for (const auto &c : cells) {
		for (size_t i = 0; i < c.size(); i++)
			out << std::setw(width[i] + 2) << c[i];
		out << '\n';
	}
}

// The cells of the model counters compare shows (@columns), n/a for a
// row without models.
void model_cells(std::vector<std::string> &row, const Row &r,
		 const std::vector<std::string> &columns)
{
	std::vector<ModelShown> got = shown(r.m, ZPCI_SHOW_COMPARE);

	for (const std::string &name : columns) {
		auto it = std::find_if(got.begin(), got.end(),
				       [&](const ModelShown &c) { return c.name == name; });
		row.push_back(it != got.end() ? std::to_string(it->value) : "n/a");
	}
}

void print_table(std::ostream &out, const std::vector<Row> &rows)
{
	std::vector<std::string> heads = { "design", "guest_rpcits" };
	std::vector<std::string> models = model_columns(ZPCI_SHOW_COMPARE);
	for (const zpci_counter *table : kColumnBlocks)
		for (const zpci_counter *c = table; c->name; c++)
			if (c->show & ZPCI_SHOW_COMPARE)
				heads.push_back(head_of(c));
	heads.push_back("iotlb_hit_rate");
	heads.insert(heads.end(), models.begin(), models.end());
	heads.insert(heads.end(), { "refs_per_walk", "cycles", "dma_p50_ns", "cpu_ms",
				    "stale_uses", "stale_window_ns", "violations", "map_failures",
				    "same_pages", "checks" });
	std::vector<std::vector<std::string>> cells;
	for (const Row &r : rows) {
		std::vector<std::string> row = { r.design,
						 std::to_string(guest_rpcits(r.t.fn.dma)) };
		for (const zpci_counter *table : kColumnBlocks)
			for (const Shown &c : shown(table, r.t.block(table), ZPCI_SHOW_COMPARE))
				row.push_back(cell_of(c));
		row.push_back(fixed(iotlb_hit_rate(r.t.fn.func), 4));
		model_cells(row, r, models);
		row.insert(row.end(), {
			r.models ? fixed(memory_refs_per_walk(r.m), 2) : "n/a",
			r.models ? std::to_string(r.m.simulated_cycles) : "n/a",
			r.models ? std::to_string(r.m.latency_p50_ns) : "n/a",
			ratio(r.cpu_ns, 1000000, 3), std::to_string(r.stale),
			std::to_string(r.stale_window_ns), std::to_string(r.violations),
			std::to_string(r.map_failures),
			// Another schedule, another order: the digest cannot compare.
			r.closed ? "n/a" : r.digest == rows.front().digest ? "yes" : "NO",
			r.checks,
		});
		cells.push_back(row);
	}
	print_cells(out, heads, cells);
}

// Closed-loop timing: what each design got done, against the first
// design's (bare's, by default) throughput.
void print_throughput(std::ostream &out, const std::vector<Row> &rows)
{
	const char *const heads[] = { "design", "requests_per_s", "vs_first", "failed", "retries",
				      "MB_per_s", "latency_p50_ns", "latency_p99_ns", "cpu_guest",
				      "cpu_hypervisor", "cpu_user", "cpu_ns_per_request", "bottleneck" };
	std::vector<std::vector<std::string>> cells;
	if (!rows.front().closed)
		return;		// interrupted before the first design finished
	const ClosedLoopReport &first = *rows.front().closed;
	for (const Row &r : rows) {
		if (!r.closed)
			continue;
		const ClosedLoopReport &c = *r.closed;
		const ScheduleResult &s = c.schedule;
		auto share = [&](CpuRole role) { return percent(c.cpu_share(role)); };
		cells.push_back({
			r.design, std::to_string(std::llround(c.requests_per_s())),
			ratio(std::llround(c.requests_per_s() * 1000),
			      std::llround(first.requests_per_s() * 1000), 3),
			std::to_string(s.failed), std::to_string(s.retries),
			std::to_string(std::llround(c.bytes_per_s() / 1e6)),
			std::to_string(s.latency_ns.percentile(0.50)),
			std::to_string(s.latency_ns.percentile(0.99)),
			share(CpuRole::Guest), share(CpuRole::Hypervisor), share(CpuRole::User),
			s.requests ? std::to_string(std::llround(c.cpu_ns_per_request())) : "n/a",
			c.bottleneck,
		});
	}
	out << "closed loop:\n";
	print_cells(out, { std::begin(heads), std::end(heads) }, cells);
}

}  // namespace

int cmd_compare(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::positional_options_description pos;
	po::variables_map vm;
	DesignsArgs common;
	std::string stats_out, err;

	common.config.opts.mode = ReplayMode::Cycle;	// compare's default: the timed models
	opts.add_options()("stats-json", po::value(&stats_out),
			   "also write every design's stats as JSON");
	common.add_to(opts, pos);
	if (auto rc = parse_options(kSpec, args, opts, pos, vm, io))
		return *rc;
	if (auto rc = common.apply(kSpec, vm, io))
		return *rc;
	ReplayRun base = common.base();
	OutputFile stats_file;
	if (auto rc = open_output(kSpec, io, vm, "stats-json", &stats_file, { base.trace }))
		return *rc;

	std::vector<Row> rows;
	nlohmann::ordered_json all = nlohmann::ordered_json::array();
	InterruptScope interrupt;
	bool partial = false;
	for (Design d : common.list) {
		ReplayRun run = base;
		std::unique_ptr<Replay> replay;

		run.opts.design = d;
		if (int rc = run_replay(kSpec, run, io, &replay))
			return rc;
		rows.push_back(row_of(design_name(d), *replay, run));
		if (stats_file.is_open())
			all.push_back(replay_json(run, *replay));
		partial = run.partial || interrupted();
		if (partial)
			break;
	}
	io.out << "trace: " << base.trace << '\n'
	       << "guest: " << guest_name(base.opts.guest) << '\n'
	       << "policy: " << policy_name(base.opts.policy) << '\n'
	       << "mode: " << mode_name(base.opts.mode) << '\n';
	if (partial)
		io.out << "partial: yes, interrupted in design " << rows.back().design << '\n';
	io.out << "Each row is the same guest under one design: what the design costs "
		  "(cpu_ms: RPCITs,\nintercepts, pinning), whether it isolates "
		  "(stale_uses, violations), whether the device\nreached the same guest "
		  "pages (same_pages), and the checks against the trace (checks).\n";
	print_table(io.out, rows);
	if (std::all_of(rows.begin(), rows.end(), [](const Row &r) { return !r.dma_accesses; }))
		io.out << "note: the trace holds no device accesses (a capture records the "
			  "guest's calls only),\nso the IOTLB, walk and latency columns have "
			  "nothing to show\n";
	for (const Row &r : rows)
		for (const std::string &why : r.not_compared)
			io.out << "note: " << r.design << ": " << why << '\n';
	if (base.opts.timing == Timing::Closed)
		print_throughput(io.out, rows);
	bool ok = true;
	for (const Row &r : rows)
		ok &= r.checks_passed;
	io.out << "result: " << (ok ? "ok" : "check failed") << '\n' << std::flush;
	if (stats_file.is_open()) {
		stats_file.write(all.dump(2) + "\n");
		if (stats_file.commit(&err))
			return command_error(kSpec, io, err, kExitResource);
	}
	if (partial)
		return interrupted_exit_code();
	return ok ? kExitOk : kExitFailure;
}

}  // namespace zpcisim
