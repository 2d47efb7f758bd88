// SPDX-License-Identifier: MIT
#include "config.h"

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <sstream>
#include <toml++/toml.h>

#include <ztrace/lex.h>

namespace zpcisim {

namespace {

enum class Kind { U32, U64, Double, Bool, Choice };

// One key.  Numbers and booleans name their field; choices (enums) parse
// and print themselves.
struct Param {
	const char *key;
	Kind kind;
	const char *unit;	// "" for none
	const char *doc;	// the default's meaning and where it comes from
	void *(*field)(ReplayOptions &o);
	double min, max;	// numbers: the accepted range
	bool (*parse)(const std::string &s, ReplayOptions &o);
	std::string (*format)(const ReplayOptions &o);
	const char *choices;	// choices: the names parse takes
};

constexpr double kU32Max = 4294967295.0;
constexpr double kU64Max = 18446744073709551615.0;

#define FIELD(expr) [](ReplayOptions &o) -> void * { return &o.expr; }
#define NUM(key, kind, unit, min, max, expr, doc) \
	{ key, Kind::kind, unit, doc, FIELD(expr), min, max, nullptr, nullptr, nullptr }
#define FLAG(key, expr, doc) \
	{ key, Kind::Bool, "", doc, FIELD(expr), 0, 1, nullptr, nullptr, nullptr }
#define CHOICE(key, choices, doc, parse_fn, name_fn, expr)                                 \
	{ key, Kind::Choice, "", doc, nullptr, 0, 0,                                        \
	  [](const std::string &s, ReplayOptions &o) { return parse_fn(s, &o.expr); },     \
	  [](const ReplayOptions &o) { return std::string(name_fn(o.expr)); }, choices }

// A cache's keys (the IOTLB and the walk cache have the same five).
#define CACHE(prefix, member, what)                                                          \
	NUM(prefix ".entries", U32, "entries", 1, kU32Max, member.entries, what),            \
	NUM(prefix ".assoc", U32, "ways", 0, kU32Max, member.assoc,                          \
	    "ways per set; 0: fully associative (assumption: 4, as gem5)"),                  \
	CHOICE(prefix ".replacement", "lru, fifo, random", "replacement policy",              \
	       parse_replacement, replacement_name, member.policy),                          \
	NUM(prefix ".seed", U64, "", 0, kU64Max, member.seed, "seed of random replacement"), \
	FLAG(prefix ".enabled", member.enabled, "off: nothing is cached")

const Param kParams[] = {
	CHOICE("replay.design", "bare, intercept-user, intercept-kvm, nested-pinned, identity-pinned",
	       "the design under test", parse_design, design_name, design),
	CHOICE("replay.guest", guest_choices(),
	       "the guest kernel's DMA layer: linux-6.1 is s390's own (<= 6.6, the bitmap "
	       "allocator), linux-6.7 the generic DMA-IOMMU layer (top-down allocator with "
	       "caches, one IOVA range per scatter-gather list)",
	       parse_guest, guest_name, guest),
	NUM("replay.hz", U32, "Hz", 1, ZPCI_HZ_MAX, hz,
	    "the guest's timer ticks a second, for traces without tick records; its timers "
	    "(flush-queue timeout, IOVA cache trim) run on them (Debian's s390x kernels: 250)"),
	CHOICE("replay.policy", "lazy, strict, flush-queue",
	       "the guest's flush policy: lazy is Linux <= 6.6's default, flush-queue 6.7+'s "
	       "(linux-6.7 has no lazy mode without its queues)",
	       parse_policy, policy_name, policy),
	CHOICE("replay.mode", "functional, fast, cycle",
	       "functional: exact, untimed; fast: the models, fixed latencies; cycle: the "
	       "models with contention",
	       parse_mode, mode_name, mode),

	NUM("hypervisor.mapping_limit", U32, "mappings", 1, kU32Max, mapping_limit,
	    "intercepting designs: shadow mappings at once (VFIO dma_entry_limit default)"),
	NUM("hypervisor.pin_limit", U64, "bytes", 0, kU64Max, pin.limit_bytes,
	    "pinned memory limit, RLIMIT_MEMLOCK-like; 0: none"),
	NUM("hypervisor.pin_fail_every", U32, "pins", 0, kU32Max, pin.fail_every,
	    "inject: fail every Nth new pin; 0: never"),
	NUM("hypervisor.pin_fail_permille", U32, "per 1000", 0, 1000, pin.fail_permille,
	    "inject: fail this share of new pins, seeded; 0: never"),
	NUM("hypervisor.seed", U64, "", 0, kU64Max, pin.seed, "seed of injected failures"),

	NUM("inject.rpcit_busy_every", U32, "RPCITs", 0, kU32Max, inject.rpcit_busy_every,
	    "every Nth RPCIT reaching a function answers busy (cc 2); 0: never"),
	NUM("inject.rpcit_fail_every", U32, "RPCITs", 0, kU32Max, inject.rpcit_fail_every,
	    "every Nth of the others answers insufficient resources (cc 1); 0: never"),
	NUM("inject.table_nomem_every", U32, "frames", 0, kU32Max, inject.table_nomem_every,
	    "every Nth frame for the guest's DMA tables cannot be had; 0: never"),
	NUM("inject.function_error_at_ns", U64, "ns", 0, kU64Max, inject.function_error_at_ns,
	    "every function enters the error state at this trace time; 0: never"),

	NUM("memory.clock_ns", Double, "ns", 1e-3, 1e6, system.memory.clock_ns,
	    "clock period of the DMA path (assumption: 1 GHz)"),
	NUM("memory.latency_cycles", U32, "cycles", 0, kU32Max, system.memory.latency_cycles,
	    "request to first data (assumption, to calibrate)"),
	NUM("memory.bytes_per_cycle", U32, "bytes", 1, kU32Max, system.memory.bytes_per_cycle,
	    "bandwidth once data flows, cycle mode (assumption, to calibrate)"),

	NUM("dtu.clock_ns", Double, "ns", 1e-3, 1e6, system.dtu.clock_ns,
	    "DMA translation unit clock period (assumption: 1 GHz)"),
	NUM("dtu.iotlb_cycles", U32, "cycles", 0, kU32Max, system.dtu.iotlb_cycles,
	    "IOTLB lookup, hit or miss (assumption)"),
	FLAG("dtu.check_stale", system.dtu.check_stale,
	     "check every IOTLB hit against the current tables (stale uses counted)"),

	CACHE("iotlb", system.dtu.iotlb,
	      "IOTLB entries in total (assumption: 2048, as gem5's SMMUv3 main TLB)"),
	NUM("walker.concurrent_walks", U32, "walks", 0, kU32Max,
	    system.dtu.walker.concurrent_walks,
	    "table walks in flight, cycle mode; 0: unlimited (assumption: 16, as gem5)"),
	CACHE("walk_cache", system.dtu.walker.walk_cache,
	      "segment-table entries the walk cache holds (assumption: 64)"),
	NUM("function.outstanding", U32, "requests", 0, kU32Max, system.function.outstanding,
	    "device DMA requests in flight, cycle mode; 0: unlimited (assumption: 8)"),

	NUM("cost.rpcit_base_ns", Double, "ns", 0, 1e12, cost.rpcit_base_ns,
	    "RPCIT millicode, fixed part (assumption: 1 us; no public s390 figure)"),
	NUM("cost.rpcit_per_page_ns", Double, "ns", 0, 1e12, cost.rpcit_per_page_ns,
	    "RPCIT, per 4 KiB page of its range (assumption)"),
	NUM("cost.sie_exit_ns", Double, "ns", 0, 1e12, cost.sie_exit_ns,
	    "intercept: SIE exit and re-entry (assumption)"),
	NUM("cost.user_exit_ns", Double, "ns", 0, 1e12, cost.user_exit_ns,
	    "intercept in user space: to QEMU and back, on top of the SIE exit (assumption)"),
	NUM("cost.walk_entry_ns", Double, "ns", 0, 1e12, cost.walk_entry_ns,
	    "software walk of the guest's table, per entry read (assumption)"),
	NUM("cost.pin_page_ns", Double, "ns", 0, 1e12, cost.pin_page_ns,
	    "pin one pre-faulted 4 KiB page (VFIO measurement)"),
	NUM("cost.unpin_page_ns", Double, "ns", 0, 1e12, cost.unpin_page_ns,
	    "unpin one page (VFIO measurement)"),
	NUM("cost.map_call_ns", Double, "ns", 0, 1e12, cost.map_call_ns,
	    "one shadow mapping made from user space, a VFIO ioctl (assumption)"),
};

#undef CACHE
#undef CHOICE
#undef FLAG
#undef NUM
#undef FIELD

const Param *find_param(const std::string &key)
{
	for (const Param &p : kParams)
		if (key == p.key)
			return &p;
	return nullptr;
}

// Levenshtein distance, for "did you mean".
size_t distance(const std::string &a, const std::string &b)
{
	std::vector<size_t> row(b.size() + 1);

	for (size_t j = 0; j <= b.size(); j++)
		row[j] = j;
	for (size_t i = 1; i <= a.size(); i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= b.size(); j++) {
			size_t up = row[j];
			row[j] = std::min({ row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1]) });
			diag = up;
		}
	}
	return row[b.size()];
}

std::string unknown_key(const std::string &key)
{
	const Param *best = nullptr;
	size_t best_d = 4;	// further than this is no suggestion

	for (const Param &p : kParams) {
		size_t len = strlen(p.key);
		// The lengths alone put it too far: skip the quadratic distance.
		if ((key.size() > len ? key.size() - len : len - key.size()) >= best_d)
			continue;
		size_t d = distance(key, p.key);
		if (d < best_d) {
			best_d = d;
			best = &p;
		}
	}
	std::string msg = "unknown key '" + key + "'";
	if (best)
		msg += " (did you mean '" + std::string(best->key) + "'?)";
	return msg + "; 'zpcisim config dump' lists every key";
}

std::string format_double(double v)
{
	char buf[64];
	auto r = std::to_chars(buf, buf + sizeof(buf), v);
	std::string s(buf, r.ptr);
	// TOML wants a float to look like one.
	if (s.find_first_of(".en") == std::string::npos)
		s += ".0";
	return s;
}

// A whole-number bound, kept as a double: UINT64_MAX reads back as 2^64.
std::string format_bound(double b)
{
	return b >= 18446744073709551616.0 ? std::to_string(UINT64_MAX) : std::to_string(uint64_t(b));
}

bool parse_number(const Param &p, const std::string &s, ReplayOptions &o, std::string *err)
{
	std::string range = p.kind == Kind::Double ? format_double(p.min) + ".." + format_double(p.max)
						   : format_bound(p.min) + ".." + format_bound(p.max);
	if (p.kind == Kind::Double) {
		double v;
		auto r = std::from_chars(s.data(), s.data() + s.size(), v);
		if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v) ||
		    v < p.min || v > p.max) {
			*err = std::string(p.key) + ": '" + s + "' is not a number in " + range;
			return false;
		}
		*static_cast<double *>(p.field(o)) = v;
		return true;
	}
	u64 v;
	if (ztrace_parse_u64(s.c_str(), &v) || double(v) < p.min || double(v) > p.max) {
		*err = std::string(p.key) + ": '" + s + "' is not a whole number in " + range;
		return false;
	}
	if (p.kind == Kind::U32)
		*static_cast<uint32_t *>(p.field(o)) = v;
	else
		*static_cast<uint64_t *>(p.field(o)) = v;
	return true;
}

std::string format_value(const Param &p, const ReplayOptions &o)
{
	ReplayOptions &m = const_cast<ReplayOptions &>(o);	// fields are only read

	switch (p.kind) {
	case Kind::U32:
		return std::to_string(*static_cast<uint32_t *>(p.field(m)));
	case Kind::U64:
		return std::to_string(*static_cast<uint64_t *>(p.field(m)));
	case Kind::Double:
		return format_double(*static_cast<double *>(p.field(m)));
	case Kind::Bool:
		return *static_cast<bool *>(p.field(m)) ? "true" : "false";
	default:
		return p.format(o);
	}
}

// A TOML value as --set would have it.
bool node_text(const toml::node &n, std::string *out)
{
	if (auto v = n.as_string())
		*out = v->get();
	else if (auto i = n.as_integer())
		*out = std::to_string(i->get());
	else if (auto f = n.as_floating_point())
		*out = format_double(f->get());
	else if (auto b = n.as_boolean())
		*out = b->get() ? "true" : "false";
	else
		return false;
	return true;
}

// "FILE:LINE" of a value, and the same as a message's prefix.
std::string location(const std::string &path, const toml::source_region &src)
{
	return path + ":" + std::to_string(src.begin.line);
}

std::string place(const std::string &path, const toml::source_region &src)
{
	return location(path, src) + ": ";
}

// Set @p, the parameter @key names, from @value.
bool assign(const Param &p, const std::string &key, const std::string &value,
	    ReplayOptions &opts, std::string *err)
{
	switch (p.kind) {
	case Kind::Bool:
		if (value != "true" && value != "false") {
			*err = key + ": '" + value + "' is not true or false";
			return false;
		}
		*static_cast<bool *>(p.field(opts)) = value == "true";
		return true;
	case Kind::Choice:
		if (!p.parse(value, opts)) {
			*err = key + ": '" + value + "' is not one of " + p.choices;
			return false;
		}
		return true;
	default:
		return parse_number(p, value, opts, err);
	}
}

}  // namespace

const std::vector<std::string> &config_keys()
{
	static const std::vector<std::string> keys = [] {
		std::vector<std::string> v;
		for (const Param &p : kParams)
			v.push_back(p.key);
		return v;
	}();
	return keys;
}

bool Config::set(const std::string &key, const std::string &value, std::string *err,
		 const std::string &where)
{
	const Param *p = find_param(key);

	if (!p) {
		*err = unknown_key(key);
		return false;
	}
	if (!assign(*p, key, value, opts, err))
		return false;
	where_[key] = where;
	return true;
}

bool Config::set(const std::string &assignment, std::string *err)
{
	size_t eq = assignment.find('=');

	if (eq == std::string::npos || !eq) {
		*err = "'" + assignment + "' is not KEY=VALUE";
		return false;
	}
	return set(assignment.substr(0, eq), assignment.substr(eq + 1), err,
		   "--set " + assignment);
}

std::string Config::where(std::initializer_list<const char *> keys) const
{
	for (const char *k : keys) {
		auto it = where_.find(k);
		if (it != where_.end() && !it->second.empty())
			return it->second + ": ";
	}
	return "";
}

bool Config::load(const std::string &path, std::string *err)
{
	std::string text;
	char buf[65536];
	size_t n;
	FILE *f = fopen(path.c_str(), "rb");

	if (!f) {
		*err = path + ": cannot read: " + std::strerror(errno);
		return false;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		text.append(buf, n);
	int failed = ferror(f) ? errno : 0;
	fclose(f);
	if (failed) {
		*err = path + ": cannot read: " + std::strerror(failed);
		return false;
	}
	return read(text, path, err);
}

bool Config::read(const std::string &text, const std::string &path, std::string *err)
{
	toml::table root;

	try {
		root = toml::parse(text, path);
	} catch (const toml::parse_error &e) {
		std::string what(e.description());
		std::replace(what.begin(), what.end(), '\n', ' ');
		*err = place(path, e.source()) + what;
		return false;
	}
	for (auto &&[section, node] : root) {
		const toml::table *t = node.as_table();
		if (!t) {
			*err = place(path, node.source()) + "'" + std::string(section.str()) +
			       "' must be a [section] of keys";
			return false;
		}
		for (auto &&[name, value] : *t) {
			std::string key = std::string(section.str()) + "." + std::string(name.str());
			std::string text, why;
			if (!find_param(key)) {
				*err = place(path, value.source()) + unknown_key(key);
				return false;
			}
			if (!node_text(value, &text)) {
				*err = place(path, value.source()) + key +
				       ": a string, number or boolean is expected";
				return false;
			}
			if (!set(key, text, &why, location(path, value.source()))) {
				*err = place(path, value.source()) + why;
				return false;
			}
		}
	}
	return true;
}

bool Config::check(std::string *err) const
{
	const CacheParams *caches[] = { &opts.system.dtu.iotlb, &opts.system.dtu.walker.walk_cache };
	const char *names[] = { "iotlb", "walk_cache" };

	for (int i = 0; i < 2; i++)
		if (caches[i]->assoc && caches[i]->entries % caches[i]->assoc) {
			std::string entries = std::string(names[i]) + ".entries";
			std::string assoc = std::string(names[i]) + ".assoc";
			*err = where({ assoc.c_str(), entries.c_str() }) +
			       std::string(names[i]) + ".entries (" + std::to_string(caches[i]->entries) +
			       ") must be a multiple of " + names[i] + ".assoc (" +
			       std::to_string(caches[i]->assoc) + ")";
			return false;
		}
	if (!zpci_guest_gen_has_policy(opts.guest, opts.policy)) {
		*err = where({ "replay.policy", "replay.guest" }) + "replay.guest " +
		       guest_name(opts.guest) + " has no " + policy_name(opts.policy) +
		       " policy: its lazy mode is " +
		       policy_name(zpci_guest_gen_get(opts.guest)->lazy_policy);
		return false;
	}
	return true;
}

std::string Config::get(const std::string &key) const
{
	const Param *p = find_param(key);

	return p ? format_value(*p, opts) : "";
}

nlohmann::ordered_json Config::json() const
{
	ReplayOptions &o = const_cast<ReplayOptions &>(opts);	// fields are only read
	nlohmann::ordered_json j;

	for (const Param &p : kParams) {
		switch (p.kind) {
		case Kind::U32:
			j[p.key] = *static_cast<uint32_t *>(p.field(o));
			break;
		case Kind::U64:
			j[p.key] = *static_cast<uint64_t *>(p.field(o));
			break;
		case Kind::Double:
			j[p.key] = *static_cast<double *>(p.field(o));
			break;
		case Kind::Bool:
			j[p.key] = *static_cast<bool *>(p.field(o));
			break;
		case Kind::Choice:
			j[p.key] = p.format(opts);
			break;
		}
	}
	return j;
}

std::string Config::dump() const
{
	std::ostringstream out;
	std::string section;

	out << "# zpcisim configuration: every key, its effective value, unit and meaning.\n"
	    << "# Read back with --config; change one with --set section.key=value.\n";
	for (const Param &p : kParams) {
		std::string key = p.key;
		std::string sec = key.substr(0, key.find('.'));
		std::string value = format_value(p, opts);
		if (sec != section) {
			out << "\n[" << sec << "]\n";
			section = sec;
		}
		if (p.kind == Kind::Choice)
			value = "\"" + value + "\"";
		out << key.substr(key.find('.') + 1) << " = " << value << "  # ";
		if (*p.unit)
			out << p.unit << "; ";
		if (p.choices)
			out << p.choices << "; ";
		out << p.doc << '\n';
	}
	return out.str();
}

}  // namespace zpcisim
