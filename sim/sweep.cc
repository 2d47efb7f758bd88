// SPDX-License-Identifier: MIT
#include "sweep.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <iomanip>
#include <sstream>

#include <zpci/digest.h>

#include "counters.h"

namespace zpcisim {

namespace {

// A metric column: its name (with its unit) and how to read it from a
// result and the blocks' counters read back from it.
struct Column {
	std::string name;
	std::function<std::string(const nlohmann::ordered_json &r, const RunCounters &t)> value;
};

std::string num(uint64_t v)
{
	return std::to_string(v);
}

std::string model(const nlohmann::ordered_json &r, const std::string &field)
{
	return r["models"].is_null() ? "" : num(r["models"][field].get<uint64_t>());
}

// A closed-loop figure (closed_loop_json()), rounded; none in open loop.
std::string closed(const nlohmann::ordered_json &r, const nlohmann::ordered_json::json_pointer &at)
{
	if (!r.contains("closed_loop"))
		return "";
	const auto &v = r["closed_loop"][at];
	return v.is_string() ? v.get<std::string>() : num(std::llround(v.get<double>()));
}

std::string design(const nlohmann::ordered_json &r, const char *field)
{
	return num(r["design_report"][field].get<uint64_t>());
}

#define TOP(name) { #name, [](const nlohmann::ordered_json &r, const RunCounters &) { return num(r[#name].get<uint64_t>()); } }
#define DESIGN(name) { #name, [](const nlohmann::ordered_json &r, const RunCounters &) { return design(r, #name); } }
#define CLOSED(name, at) { #name, [](const nlohmann::ordered_json &r, const RunCounters &) { return closed(r, nlohmann::ordered_json::json_pointer(at)); } }
#define MODEL(name) { #name, [](const nlohmann::ordered_json &r, const RunCounters &) { return model(r, #name); } }

// The counters of @table that its declaration shows in sweeps, a column each.
std::vector<Column> block(const zpci_counter *table)
{
	std::vector<Column> v;

	for (const zpci_counter *c = table; c->name; c++)
		if (c->show & ZPCI_SHOW_SWEEP)
			v.push_back({ c->name, [table, c](const nlohmann::ordered_json &,
							  const RunCounters &t) {
					     return num(zpci_counter_get(c, t.block(table)));
				     } });
	return v;
}

// The model counters that their registration shows in sweeps, a column
// each, read from the stats file's models object, which has them under
// their shown names.  The header comes before any run, so the names are
// those every timed run registers (model_columns()).
std::vector<Column> model_block()
{
	std::vector<Column> v;

	for (const std::string &name : model_columns(ZPCI_SHOW_SWEEP))
		v.push_back({ name, [name](const nlohmann::ordered_json &r, const RunCounters &) {
				     return model(r, name);
			     } });
	return v;
}

const std::vector<Column> &columns()
{
	static const std::vector<Column> all = [] {
		std::vector<Column> v = {
			TOP(records),
			TOP(dma_accesses),
			TOP(dma_bytes),
			{ "guest_rpcits",
			  [](const nlohmann::ordered_json &, const RunCounters &t) {
				  return num(guest_rpcits(t.fn.dma));
			  } },
			TOP(map_failures),
		};
		for (const zpci_counter *table : kColumnBlocks) {
			std::vector<Column> b = block(table);
			v.insert(v.end(), b.begin(), b.end());
		}
		v.push_back({ "iotlb_hit_rate",
			      [](const nlohmann::ordered_json &, const RunCounters &t) {
				      std::optional<double> rate = iotlb_hit_rate(t.fn.func);
				      std::ostringstream s;
				      if (rate)
					      s << std::fixed << std::setprecision(6) << *rate;
				      return s.str();
			      } });
		std::vector<Column> m = model_block();
		v.insert(v.end(), m.begin(), m.end());
		v.insert(v.end(), {
			MODEL(simulated_ns),
			MODEL(dma_latency_ns_p50),
			MODEL(dma_latency_ns_p99),
			TOP(cpu_rpcit_ns),
			DESIGN(cpu_hypervisor_ns),
			DESIGN(cpu_pin_setup_ns),
			{ "cpu_total_ns",
			  [](const nlohmann::ordered_json &r, const RunCounters &) {
				  const auto &d = r["design_report"];
				  return num(r["cpu_rpcit_ns"].get<uint64_t>() +
					     d["cpu_hypervisor_ns"].get<uint64_t>() +
					     d["cpu_pin_setup_ns"].get<uint64_t>());
			  } },
			TOP(stale_uses),
			TOP(stale_window_max_ns),
			TOP(exposed_pages),
			TOP(exposure_window_ns_p50),
			TOP(exposure_window_ns_max),
			TOP(isolation_violations),
			{ "translation_digest",
			  [](const nlohmann::ordered_json &r, const RunCounters &) {
				  return r["translation_digest"].get<std::string>();
			  } },
			// Closed-loop timing's (replay.timing=closed); empty in open loop.
			CLOSED(requests_per_s, "/requests_per_s"),
			CLOSED(failed_requests, "/failed_requests"),
			CLOSED(request_retries, "/retries"),
			CLOSED(bytes_per_s, "/bytes_per_s"),
			CLOSED(request_latency_ns_p50, "/latency_ns/p50"),
			CLOSED(request_latency_ns_p99, "/latency_ns/p99"),
			CLOSED(cpu_ns_per_request, "/cpu_ns_per_request"),
			CLOSED(bottleneck, "/bottleneck"),
		});
		return v;
	}();
	return all;
}

#undef TOP
#undef DESIGN
#undef MODEL
#undef CLOSED

std::string csv_field(const std::string &s)
{
	if (s.find_first_of(",\"\n") == std::string::npos)
		return s;
	std::string q = "\"";
	for (char c : s)
		q += c == '"' ? "\"\"" : std::string(1, c == '\n' ? ' ' : c);
	return q + "\"";
}

std::string hex(u64 v)
{
	char s[17];
	snprintf(s, sizeof(s), "%016llx", static_cast<unsigned long long>(v));
	return s;
}

// The digest of a file's bytes, read a MiB at a time (zpci_digest_bytes()
// folds each read's length in, so the read size is part of the definition).
bool file_digest(const std::string &path, u64 *digest, std::string *err)
{
	std::ifstream in(path, std::ios::binary);
	std::vector<char> buf(1 << 20);

	*digest = ZPCI_DIGEST_INIT;
	while (in) {
		in.read(buf.data(), std::streamsize(buf.size()));
		*digest = zpci_digest_bytes(*digest, buf.data(), size_t(in.gcount()));
	}
	if (in.eof())
		return true;
	*err = path + ": cannot read: " + strerror(errno);
	return false;
}

}  // namespace

bool sweep_inputs(const std::string &trace, std::string *inputs, std::string *err)
{
	u64 trace_digest, build_digest;

	// The program itself, not its version number: a rebuild after any
	// change may move a result, and a point must not outlive that.
	if (!file_digest(trace, &trace_digest, err) ||
	    !file_digest("/proc/self/exe", &build_digest, err))
		return false;
	*inputs = "trace " + hex(trace_digest) + " zpcisim " + hex(build_digest);
	return true;
}

std::vector<std::string> csv_split(const std::string &line)
{
	std::vector<std::string> out(1);
	bool quoted = false;

	for (size_t i = 0; i < line.size(); i++) {
		char c = line[i];
		if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"')
			out.back() += '"', i++;
		else if (c == '"')
			quoted = !quoted;
		else if (c == ',' && !quoted)
			out.emplace_back();
		else
			out.back() += c;
	}
	return out;
}

bool parse_axis(const std::string &text, SweepAxis *axis, std::string *err)
{
	size_t eq = text.find('=');
	Config probe;

	if (eq == std::string::npos || !eq || eq + 1 == text.size()) {
		*err = "'" + text + "' is not KEY=VALUE[,VALUE...]";
		return false;
	}
	axis->key = text.substr(0, eq);
	axis->values.clear();
	std::istringstream in(text.substr(eq + 1));
	for (std::string v; std::getline(in, v, ',');) {
		if (!probe.set(axis->key, v, err))
			return false;
		// The value as the configuration prints it: "1K" and "1024" are one point.
		axis->values.push_back(probe.get(axis->key));
	}
	return true;
}

Sweep::Sweep(const Config &base, std::vector<SweepAxis> axes, std::string inputs)
	: base_(base), axes_(std::move(axes)), inputs_(std::move(inputs)), points_(1)
{
	for (const SweepAxis &a : axes_)
		points_ *= a.values.size();
}

std::string Sweep::inputs_digest(size_t i) const
{
	std::string what = inputs_ + "\n" + base_.dump();
	std::vector<std::string> v = values(i);

	for (size_t a = 0; a < axes_.size(); a++)
		what += axes_[a].key + "=" + v[a] + "\n";
	return hex(zpci_digest_bytes(ZPCI_DIGEST_INIT, what.data(), what.size()));
}

std::vector<std::string> Sweep::values(size_t i) const
{
	std::vector<std::string> v(axes_.size());

	for (size_t a = axes_.size(); a-- > 0;) {
		v[a] = axes_[a].values[i % axes_[a].values.size()];
		i /= axes_[a].values.size();
	}
	return v;
}

nlohmann::ordered_json Sweep::point_json(size_t i) const
{
	nlohmann::ordered_json j = nlohmann::ordered_json::object();
	std::vector<std::string> v = values(i);

	for (size_t a = 0; a < axes_.size(); a++)
		j[axes_[a].key] = v[a];
	return j;
}

bool Sweep::config(size_t i, Config *c, std::string *err) const
{
	std::vector<std::string> v = values(i);

	*c = base_;
	for (size_t a = 0; a < axes_.size(); a++)
		if (!c->set(axes_[a].key, v[a], err))
			return false;
	return c->check(err);
}

std::string Sweep::csv_header() const
{
	std::string h = "point";

	for (const SweepAxis &a : axes_)
		h += "," + csv_field(a.key);
	h += ",status";
	for (const Column &c : columns())
		h += "," + c.name;
	return h + ",inputs_digest";
}

std::string Sweep::csv_row(size_t i, const nlohmann::ordered_json &result) const
{
	std::string row = std::to_string(i);

	for (const std::string &v : values(i))
		row += "," + csv_field(v);
	if (result.contains("error") || result.contains("invalid")) {
		row += "," + csv_field(result.contains("error")
					       ? "cannot_start: " + result["error"].get<std::string>()
					       : "invalid: " + result["invalid"].get<std::string>());
		row += std::string(columns().size(), ',');
		return row + "," + inputs_digest(i);
	}
	row += result["checks_passed"].get<bool>() ? ",ok" : ",check_failed";
	RunCounters t = run_counters(result);
	for (const Column &c : columns())
		row += "," + csv_field(c.value(result, t));
	return row + "," + inputs_digest(i);
}

bool Sweep::resume(const std::string &path, std::vector<std::string> *rows, size_t *stale,
		   std::string *err) const
{
	std::ifstream in(path);
	std::string line;
	size_t lineno = 1;

	rows->assign(points_, "");
	*stale = 0;
	if (!in)
		return true;	// nothing to resume
	if (!std::getline(in, line))
		return true;	// empty
	if (line != csv_header()) {
		*err = path + ":1: not the results of this sweep (the columns differ); "
			      "use another output file";
		return false;
	}
	while (std::getline(in, line)) {
		lineno++;
		if (line.empty() || in.eof())
			continue;	// the last line without its newline: cut short, redo it
		std::vector<std::string> f = csv_split(line);
		std::string digest = f.back();
		f.resize(std::min(f.size(), 1 + axes_.size()));
		char *end;
		unsigned long long i = strtoull(f[0].c_str(), &end, 10);
		if (f[0].empty() || *end || i >= points_ || f.size() != 1 + axes_.size() ||
		    std::vector<std::string>(f.begin() + 1, f.end()) != values(i)) {
			*err = path + ":" + std::to_string(lineno) +
			       ": not a point of this sweep (its values differ); use another output file";
			return false;
		}
		if (digest != inputs_digest(i))
			++*stale;
		else
			(*rows)[i] = line;
	}
	return true;
}

}  // namespace zpcisim
