// SPDX-License-Identifier: MIT
// zpcisim sensitivity: which assumptions move a closed-loop result.  Each
// cost and timing parameter is scaled down and up by --swing around its
// value, one at a time, and every design is replayed closed-loop at each
// point; the report lists, for each headline result, the parameters that
// move it, the largest first.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "format.h"
#include "interrupt.h"
#include "output.h"
#include "progress.h"
#include "replay_cli.h"

namespace zpcisim {

namespace {

const CommandSpec kSpec = {
	"sensitivity",
	"sensitivity TRACE [--designs LIST] [--keys LIST] [--swing F] [--min-change F]\n"
	"                          [--out CSV] [--config FILE] [--set KEY=VALUE]... [--mode M]",
	"Replay TRACE closed-loop (--timing closed) through each design, then again\n"
	"with each parameter scaled by 1 - F and 1 + F (--swing, default 0.5), one at a\n"
	"time, and report which parameters move each headline result and by how\n"
	"much, the largest first: each design's throughput (bare's in requests/s,\n"
	"the others' relative to bare's at the same point), its p99 request latency,\n"
	"and its CPU time per request.\n"
	"\n"
	"The parameters are every number of the cost table and the device (cost.*,\n"
	"device.*) and, in the timed modes, of the model blocks (memory, dtu,\n"
	"iotlb, walker, guest_walk_cache, host_walk_cache, stage2_cache, function),\n"
	"seeds and cache shapes (assoc) aside; --keys names others.  A\n"
	"device.queue_depth of 0 (the trace's) is scaled from the depth the run\n"
	"used.  A point whose scaled value is out of range or inconsistent (check)\n"
	"is skipped and said so.\n"
	"\n"
	"Exit status: 0 done; 2 bad input; 130 interrupted.",
	designs_help,
};

const char *const kSections[] = { "cost.", "device." };
const char *const kModelSections[] = { "memory.", "dtu.", "iotlb.", "walker.", "guest_walk_cache.",
				       "host_walk_cache.", "stage2_cache.", "function." };

bool starts_with(const std::string &s, const char *prefix)
{
	return s.compare(0, strlen(prefix), prefix) == 0;
}

std::vector<std::string> default_keys(bool timed)
{
	std::vector<std::string> keys;

	for (const std::string &k : config_number_keys()) {
		bool in = false;
		for (const char *s : kSections)
			in |= starts_with(k, s);
		for (const char *s : kModelSections)
			in |= timed && starts_with(k, s);
		std::string leaf = k.substr(k.rfind('.') + 1);
		if (in && leaf != "seed" && leaf != "assoc")
			keys.push_back(k);
	}
	return keys;
}

// One design's headline results at one point.
struct Result {
	bool ok = false;
	double throughput = 0;	// requests/s
	double p99_ns = 0;
	double cpu_per_request_ns = 0;
};

struct Metric {
	const char *name;
	double (*of)(const std::vector<Result> &at, size_t d, size_t bare);
};

// The results, for design @d at a point whose bare result is @bare
// (SIZE_MAX: bare was not run).
const Metric kMetrics[] = {
	{ "throughput",
	  [](const std::vector<Result> &at, size_t d, size_t bare) {
		  if (bare == SIZE_MAX || d == bare)
			  return at[d].throughput;
		  return at[bare].throughput ? at[d].throughput / at[bare].throughput : 0;
	  } },
	{ "p99_latency_ns", [](const std::vector<Result> &at, size_t d, size_t) { return at[d].p99_ns; } },
	{ "cpu_ns_per_request",
	  [](const std::vector<Result> &at, size_t d, size_t) { return at[d].cpu_per_request_ns; } },
};

Result result_of(const ClosedLoopReport &c)
{
	Result r;

	r.ok = true;
	r.throughput = c.requests_per_s();
	r.p99_ns = c.schedule.latency_ns.percentile(0.99);
	r.cpu_per_request_ns = c.cpu_ns_per_request();
	return r;
}

struct Point {
	std::string key, low, high;	// the values set; "" at the baseline
	std::string skipped;		// why, if it was
	std::vector<Result> low_at, high_at;
};

std::string scaled(double v, double factor, bool integer)
{
	std::ostringstream s;
	if (integer)
		s << std::llround(v * factor);
	else
		s << std::setprecision(10) << v * factor;
	return s.str();
}

std::string change(double v, double base)
{
	std::ostringstream s;
	if (!base)
		return "n/a";
	s << std::showpos << std::fixed << std::setprecision(1) << (v / base - 1) * 100 << '%';
	return s.str();
}

class Study {
public:
	Study(ReplayRun base, std::vector<Design> designs)
		: base_(std::move(base)), designs_(std::move(designs))
	{
		for (size_t d = 0; d < designs_.size(); d++)
			if (designs_[d] == Design::Bare)
				bare_ = d;
	}

	// Every design at @config; false (with @err) when a replay failed.
	bool run(const Config &config, std::vector<Result> *out, ClosedLoopReport *first,
		 std::string *err)
	{
		out->clear();
		for (Design d : designs_) {
			ReplayRun r = base_;
			std::unique_ptr<Replay> replay;
			std::ostringstream quiet;
			CommandIo inner{ quiet, quiet };

			r.opts = config.opts;
			r.opts.design = d;
			r.opts.timing = Timing::Closed;
			if (run_replay(kSpec, r, inner, &replay) || !r.closed) {
				*err = quiet.str().empty() ? "interrupted" : quiet.str();
				return false;
			}
			out->push_back(result_of(*r.closed));
			if (first && out->size() == 1)
				*first = *r.closed;
		}
		return true;
	}

	size_t bare() const { return bare_; }
	const std::vector<Design> &designs() const { return designs_; }

private:
	ReplayRun base_;
	std::vector<Design> designs_;
	size_t bare_ = SIZE_MAX;
};

struct Row {
	size_t metric;
	size_t design;
	const Point *point;
	double base, low, high, swing;
};

void print_baseline(std::ostream &out, const Study &st, const std::vector<Result> &base)
{
	out << "baseline:\n";
	out << std::left << std::setw(18) << "  design" << std::setw(18) << "requests_per_s"
	    << std::setw(20) << "throughput_vs_bare" << std::setw(16) << "p99_latency_ns"
	    << "cpu_ns_per_request\n";
	for (size_t d = 0; d < base.size(); d++) {
		std::ostringstream vs;
		if (st.bare() != SIZE_MAX)
			vs << std::fixed << std::setprecision(3)
			   << kMetrics[0].of(base, d, d == st.bare() ? SIZE_MAX : st.bare());
		else
			vs << "n/a";
		out << "  " << std::setw(16) << design_name(st.designs()[d]) << std::setw(18)
		    << std::llround(base[d].throughput) << std::setw(20)
		    << (d == st.bare() ? "1.000" : vs.str()) << std::setw(16)
		    << std::llround(base[d].p99_ns) << std::llround(base[d].cpu_per_request_ns)
		    << '\n';
	}
}

std::vector<Row> rows_of(const Study &st, const std::vector<Result> &base,
			 const std::vector<Point> &points, double min_change)
{
	std::vector<Row> rows;

	for (size_t mi = 0; mi < std::size(kMetrics); mi++)
		for (size_t d = 0; d < st.designs().size(); d++) {
			const Metric &m = kMetrics[mi];
			double b = m.of(base, d, st.bare());
			for (const Point &p : points) {
				if (!p.skipped.empty() || !b)
					continue;
				double lo = m.of(p.low_at, d, st.bare());
				double hi = m.of(p.high_at, d, st.bare());
				double swing = std::max(std::fabs(lo / b - 1), std::fabs(hi / b - 1));
				if (swing >= min_change)
					rows.push_back({ mi, d, &p, b, lo, hi, swing });
			}
		}
	std::stable_sort(rows.begin(), rows.end(), [](const Row &a, const Row &b) {
		if (a.metric != b.metric)
			return a.metric < b.metric;
		if (a.design != b.design)
			return a.design < b.design;
		return a.swing > b.swing;
	});
	return rows;
}

void print_rows(std::ostream &out, const Study &st, const std::vector<Row> &rows,
		double swing)
{
	out << "what moves each result (" << std::llround(swing * 100)
	    << "% down, up; the largest first):\n";
	out << std::left << std::setw(22) << "  result" << std::setw(17) << "design"
	    << std::setw(28) << "key" << std::setw(10) << "down" << "up\n";
	for (const Row &r : rows)
		out << "  " << std::setw(20) << kMetrics[r.metric].name << std::setw(17)
		    << design_name(st.designs()[r.design]) << std::setw(28) << r.point->key
		    << std::setw(10) << change(r.low, r.base) << change(r.high, r.base) << '\n';
}

std::string csv(const Study &st, const std::vector<Row> &rows)
{
	std::ostringstream s;

	s << std::setprecision(10)
	  << "result,design,key,value_down,value_up,result_base,result_down,result_up\n";
	for (const Row &r : rows)
		s << kMetrics[r.metric].name << ',' << design_name(st.designs()[r.design]) << ',' << r.point->key
		  << ',' << r.point->low << ',' << r.point->high << ',' << r.base << ',' << r.low
		  << ',' << r.high << '\n';
	return s.str();
}

}  // namespace

int cmd_sensitivity(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::positional_options_description pos;
	po::variables_map vm;
	DesignsArgs common;
	std::string keys, out_path, err;
	double swing = 0.5, min_change = 0.01;

	opts.add_options()
		("keys", po::value(&keys), "parameters to scale, comma-separated (default: see above)")
		("swing", po::value(&swing)->default_value(0.5), "scale each by 1 - F and 1 + F")
		("min-change", po::value(&min_change)->default_value(0.01),
		 "leave out results that move less than this share")
		("out", po::value(&out_path), "also write every row as CSV");
	common.add_to(opts, pos);
	if (auto rc = parse_options(kSpec, args, opts, pos, vm, io))
		return *rc;
	if (auto rc = common.apply(kSpec, vm, io))
		return *rc;
	const Config &config = common.config;
	ReplayRun base = common.base();
	if (!(swing > 0 && swing < 1))
		return command_error(kSpec, io, "--swing: expected a share between 0 and 1", kExitUsage);
	std::vector<std::string> vary = default_keys(config.opts.mode != ReplayMode::Functional);
	if (vm.count("keys")) {
		vary.clear();
		std::vector<std::string> numbers = config_number_keys();
		for (size_t start = 0, comma;; start = comma + 1) {
			comma = keys.find(',', start);
			std::string k = keys.substr(start, comma - start);
			if (std::find(numbers.begin(), numbers.end(), k) == numbers.end())
				return command_error(kSpec, io, "--keys: '" + k + "' is not a number key "
							   "(see 'zpcisim config dump')", kExitUsage);
			vary.push_back(k);
			if (comma == std::string::npos)
				break;
		}
	}

	OutputFile out_file;
	if (auto rc = open_output(kSpec, io, vm, "out", &out_file, { base.trace }))
		return *rc;

	InterruptScope interrupt;
	Study st(base, common.list);
	std::vector<Result> baseline;
	ClosedLoopReport first;
	if (!st.run(config, &baseline, &first, &err))
		return command_error(kSpec, io, err, interrupted() ? interrupted_exit_code() : kExitUsage);
	std::vector<Point> points(vary.size());
	Progress progress(io.err, progress_wanted(io.err), "sensitivity", vary.size(), "points");
	for (size_t i = 0; i < vary.size(); i++) {
		Point &p = points[i];
		std::string v = config.get(vary[i]);
		double value = std::stod(v);
		bool integer = v.find_first_not_of("0123456789") == std::string::npos;
		p.key = vary[i];
		if (p.key == "device.queue_depth" && value == 0 && !first.queue_depth.empty())
			value = first.queue_depth[0];
		if (value == 0) {
			p.skipped = "its value is 0";
			continue;
		}
		p.low = scaled(value, 1 - swing, integer);
		p.high = scaled(value, 1 + swing, integer);
		for (auto [val, at] : { std::pair{ &p.low, &p.low_at }, { &p.high, &p.high_at } }) {
			Config c = config;
			std::string why;
			if (!c.set(p.key, *val, &why) || !c.check(&why)) {
				p.skipped = why;
				break;
			}
			if (!st.run(c, at, nullptr, &err))
				return command_error(kSpec, io, err, interrupted() ? interrupted_exit_code() : kExitUsage);
		}
		progress.update(i + 1, i + 1);
	}

	std::vector<Row> rows = rows_of(st, baseline, points, min_change);
	progress.finish();
	io.out << "trace: " << base.trace << '\n'
	       << "mode: " << mode_name(config.opts.mode) << '\n'
	       << "policy: " << policy_name(config.opts.policy) << '\n';
	print_baseline(io.out, st, baseline);
	print_rows(io.out, st, rows, swing);
	for (const Point &p : points)
		if (!p.skipped.empty())
			io.out << "skipped: " << p.key << ": " << p.skipped << '\n';
	io.out << std::flush;
	if (out_file.is_open()) {
		out_file.write(csv(st, rows));
		if (out_file.commit(&err))
			return command_error(kSpec, io, err, kExitResource);
	}
	return kExitOk;
}

}  // namespace zpcisim
