// SPDX-License-Identifier: MIT
#include "config.h"

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <sstream>
#include <sys/stat.h>
#include <toml++/toml.h>

#include <ztrace/lex.h>

#include "format.h"

namespace zpcisim {

// The run's own keys; each model block declares its keys beside its Params
// (models/params/param.h), found here through the blocks that hold them.
template <>
inline constexpr ParamDecl param_keys<zpci_pin_cfg>[] = {
	number<&zpci_pin_cfg::limit_bytes>(
		"pin_limit", "bytes", "pinned memory limit, RLIMIT_MEMLOCK-like; 0: none"),
	number<&zpci_pin_cfg::fail_every>("pin_fail_every", "pins",
					  "inject: fail every Nth new pin; 0: never"),
	number<&zpci_pin_cfg::fail_permille>(
		"pin_fail_permille", "per 1000", 0, 1000,
		"inject: fail this share of new pins, seeded; 0: never"),
	number<&zpci_pin_cfg::seed>("seed", "", "seed of injected failures"),
};

template <>
inline constexpr ParamDecl param_keys<FaultInjection>[] = {
	number<&FaultInjection::rpcit_busy_every>("rpcit_busy_every", "RPCITs",
		"every Nth RPCIT reaching a function answers busy (cc 2); 0: never"),
	number<&FaultInjection::rpcit_fail_every>("rpcit_fail_every", "RPCITs",
		"every Nth of the others answers insufficient resources (cc 1); 0: never"),
	number<&FaultInjection::table_nomem_every>("table_nomem_every", "frames",
		"every Nth frame for the guest's DMA tables cannot be had; 0: never"),
	number<&FaultInjection::function_error_at_ns>("function_error_at_ns", "ns",
		"every function enters the error state at this trace time; 0: never"),
};

template <>
inline constexpr ParamDecl param_keys<AdversaryParams>[] = {
	number<&AdversaryParams::every>("every", "unmaps",
		"a device that DMAs again into every Nth buffer the guest unmapped; 0: none"),
	number<&AdversaryParams::delay_ns>("delay_ns", "ns", 0, 1e15,
		"how long after the unmap it does, in trace time"),
	number<&AdversaryParams::bytes>("bytes", "bytes",
		"bytes it accesses from the start of the buffer (of each element of a list); "
		"0: all of it"),
	flag<&AdversaryParams::touch>("touch",
		"it also accesses the buffer just before the unmap, as the device that used it "
		"did (a capture without device records caches no translation otherwise)"),
	flag<&AdversaryParams::recover>("recover",
		"a re-access that faults puts the function in the error state (the "
		"architecture); true: it is reset at once (MPCIFC reset error, reset blocked, "
		"as a recovering guest issues them), so that every unmap is probed; false: the "
		"rest of the run finds the function blocked"),
};

template <>
inline constexpr ParamDecl param_keys<DeviceParams>[] = {
	number<&DeviceParams::queue_depth>(
		"queue_depth", "requests",
		"closed-loop timing: requests in flight per function; 0: the trace's, else 32; "
		"assumption: 32, a usual fio iodepth for NVMe"),
	number<&DeviceParams::latency_ns>(
		"latency_ns", "ns", 0, 1e12,
		"closed-loop timing: the device's service time per request, overlapping others; "
		"source: Optane P4800X 4 KiB read, typical < 10 us (Intel; 8.9 us measured)"),
	number<&DeviceParams::bandwidth_mb_s>(
		"bandwidth_mb_s", "MB/s", 1, 1e9,
		"closed-loop timing: the link's bandwidth, one transfer at a time; derived: PCIe "
		"Gen3 x4, 4 x 8 GT/s x 128/130 / 8 = 3938 MB/s"),
	number<&DeviceParams::retry_delay_ns>(
		"retry_delay_ns", "ns", 0, 1e12,
		"closed-loop timing: a request whose buffer could not be mapped runs again when "
		"another of its function completes, or after this delay when none is in flight; "
		"source: Linux block/blk-mq.h, BLK_MQ_RESOURCE_DELAY, 3 ms"),
	number<&DeviceParams::idle_retries>(
		"idle_retries", "retries",
		"closed-loop timing: a function's such retries in a row without a request "
		"completing, per request its queue holds, after which its requests fail instead; "
		"0: fail at once (a NIC dropping the packet); assumption: blk-mq retries without "
		"end, 1000 bounds a run whose maps never succeed"),
};

namespace {

// The policy follows the guest generation until it is set (Config::set).
constexpr const char *kPolicyKey = "replay.policy";

// replay.guest's doc: each generation as its ops table describes it.
const char *guest_doc()
{
	static const std::string doc = "the guest kernel's DMA layer: " + guests_described();
	return doc.c_str();
}

// Every key: the run's by their full name, the blocks' in their sections.
const ParamDecl kOptions[] = {
	choice<&ReplayOptions::design>("replay.design", design_names, "the design under test"),
	choice<&ReplayOptions::guest>("replay.guest", guest_names, guest_doc()),
	number<&ReplayOptions::hz>(
		"replay.hz", "Hz", 1, ZPCI_HZ_MAX,
		"the guest's timer ticks a second, for traces without tick records; its timers "
		"(flush-queue timeout, IOVA cache trim) run on them (Debian's s390x kernels: 250)"),
	choice<&ReplayOptions::policy>(
		kPolicyKey, policy_names,
		"the guest's flush policy: lazy is Linux <= 6.6's default, flush-queue 6.7+'s "
		"(linux-6.7 has no lazy mode without its queues); unset, the guest's default"),
	choice<&ReplayOptions::mode>(
		"replay.mode", mode_names,
		"functional: exact, untimed; fast: the models, fixed latencies; cycle: the models "
		"with contention"),
	choice<&ReplayOptions::timing>(
		"replay.timing", timing_names,
		"trace: every record at its recorded time (open loop; checks against captures); "
		"closed: the trace gives the work, the simulated vCPUs, locks and device decide "
		"when (throughput)"),
	number<&ReplayOptions::mapping_limit>(
		"hypervisor.mapping_limit", "mappings", 1, UINT32_MAX,
		"intercepting designs: shadow mappings at once; source: vfio_iommu_type1's "
		"dma_entry_limit, U16_MAX"),
	flag<&ReplayOptions::large_frames>(
		"hypervisor.large_frames",
		"the functions honour frame control (EDAT-1 1 MiB segment and EDAT-2 2 GiB "
		"region-third frames) and the pinned designs map guest memory with them where "
		"aligned; false: 4 KiB pages only, as Linux's s390-iommu maps (a host table of "
		"2 KiB per MiB of guest)"),
	block<&ReplayOptions::pin>("hypervisor"),
	block<&ReplayOptions::inject>("inject"),
	block<&ReplayOptions::adversary>("adversary"),
	block<&ReplayOptions::device>("device"),
	block<&ReplayOptions::system>("system"),	// only blocks, each its own section
	block<&ReplayOptions::cost>("cost"),
	block<&ReplayOptions::guest_fq>("guest"),
};


// Every key, in dump order.
const std::vector<ParamKey> &params()
{
	static const std::vector<ParamKey> all = find_keys(kOptions, std::size(kOptions));
	return all;
}

const ParamKey *find_param(const std::string &key)
{
	for (const ParamKey &p : params())
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
	const ParamKey *best = nullptr;
	size_t best_d = 4;	// further than this is no suggestion

	for (const ParamKey &p : params()) {
		size_t len = p.key.size();
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
		msg += " (did you mean '" + best->key + "'?)";
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

bool parse_number(const ParamKey &p, const std::string &s, ReplayOptions &o, std::string *err)
{
	const ParamDecl &d = *p.decl;
	std::string range = d.kind == ParamKind::Double
				    ? format_double(d.min) + ".." + format_double(d.max)
				    : format_bound(d.min) + ".." + format_bound(d.max);
	if (d.kind == ParamKind::Double) {
		double v;
		auto r = std::from_chars(s.data(), s.data() + s.size(), v);
		if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v) ||
		    v < d.min || v > d.max) {
			*err = p.key + ": '" + s + "' is not a number in " + range;
			return false;
		}
		*static_cast<double *>(p.field(&o)) = v;
		return true;
	}
	u64 v;
	if (ztrace_parse_u64(s.c_str(), &v) || double(v) < d.min || double(v) > d.max) {
		*err = p.key + ": '" + s + "' is not a whole number in " + range;
		return false;
	}
	if (d.kind == ParamKind::U32)
		*static_cast<uint32_t *>(p.field(&o)) = v;
	else
		*static_cast<uint64_t *>(p.field(&o)) = v;
	return true;
}

// A choice's name.
const std::string &choice_name(const ParamKey &p, const ReplayOptions &o)
{
	return p.decl->names().at(p.decl->get(p.field(&o)));
}

std::string format_value(const ParamKey &p, const ReplayOptions &o)
{
	const void *f = p.field(&o);

	switch (p.decl->kind) {
	case ParamKind::U32:
		return std::to_string(*static_cast<const uint32_t *>(f));
	case ParamKind::U64:
		return std::to_string(*static_cast<const uint64_t *>(f));
	case ParamKind::Double:
		return format_double(*static_cast<const double *>(f));
	case ParamKind::Bool:
		return *static_cast<const bool *>(f) ? "true" : "false";
	default:
		return choice_name(p, o);
	}
}

// What config dump says of @p after its value, --help after its flag.
std::string describe(const ParamKey &p)
{
	std::string s;

	if (*p.decl->unit)
		s += std::string(p.decl->unit) + "; ";
	if (p.decl->kind == ParamKind::Choice)
		s += join(p.decl->names(), ", ") + "; ";
	return s + p.doc;
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
bool assign(const ParamKey &p, const std::string &key, const std::string &value,
	    ReplayOptions &opts, std::string *err)
{
	const std::vector<std::string> *names;
	size_t i;

	switch (p.decl->kind) {
	case ParamKind::Bool:
		if (value != "true" && value != "false") {
			*err = key + ": '" + value + "' is not true or false";
			return false;
		}
		*static_cast<bool *>(p.field(&opts)) = value == "true";
		return true;
	case ParamKind::Choice:
		names = &p.decl->names();
		i = std::find(names->begin(), names->end(), value) - names->begin();
		if (i == names->size()) {
			*err = key + ": '" + value + "' is not one of " + join(*names, ", ");
			return false;
		}
		p.decl->set(p.field(&opts), i);
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
		for (const ParamKey &p : params())
			v.push_back(p.key);
		return v;
	}();
	return keys;
}

std::vector<std::string> config_number_keys()
{
	std::vector<std::string> v;

	for (const ParamKey &p : params())
		if (p.decl->kind == ParamKind::U32 || p.decl->kind == ParamKind::U64 ||
		    p.decl->kind == ParamKind::Double)
			v.push_back(p.key);
	return v;
}

std::string config_key_unit(const std::string &key)
{
	const ParamKey *p = find_param(key);

	return p ? p->decl->unit : "";
}

std::pair<double, double> config_key_range(const std::string &key)
{
	const ParamKey *p = find_param(key);

	if (!p || p->decl->kind == ParamKind::Bool || p->decl->kind == ParamKind::Choice)
		return { 0, 0 };
	return { p->decl->min, p->decl->max };
}

std::string config_key_doc(const std::string &key)
{
	const ParamKey *p = find_param(key);

	return p ? describe(*p) : "";
}

bool Config::set(const std::string &key, const std::string &value, std::string *err,
		 const std::string &where)
{
	const ParamKey *p = find_param(key);

	if (!p) {
		*err = unknown_key(key);
		return false;
	}
	if (!assign(*p, key, value, opts, err))
		return false;
	where_[key] = where;
	// A guest generation runs its kernel's default policy (lazy for <= 6.6,
	// the flush queue for 6.7+) unless one was chosen.
	if (&opts.guest == p->field(&opts) && !where_.count(kPolicyKey))
		opts.policy = zpci_guest_gen_get(opts.guest)->lazy_policy;
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
	struct stat st;
	FILE *f = fopen(path.c_str(), "rb");

	if (!f) {
		*err = path + ": cannot read: " + std::strerror(errno);
		return false;
	}
	// A device or a pipe could stream without end: only files, and small.
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		*err = path + ": not a regular file; a configuration is a TOML file";
		return false;
	}
	while (text.size() <= kConfigFileMax && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		text.append(buf, n);
	int failed = ferror(f) ? errno : 0;
	fclose(f);
	if (failed) {
		*err = path + ": cannot read: " + std::strerror(failed);
		return false;
	}
	if (text.size() > kConfigFileMax) {
		*err = path + ": larger than " + std::to_string(kConfigFileMax >> 20) +
		       " MiB; a configuration has a few hundred keys";
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
	const TableWalkerParams &w = opts.system.dtu.walker;
	// Every cache's size (key, entries) and its ways (section.assoc).
	const struct {
		const char *section, *key;
		uint32_t entries, assoc;
	} caches[] = {
		{ "iotlb", "entries", opts.system.dtu.iotlb.entries, opts.system.dtu.iotlb.assoc },
		{ "stage2_cache", "entries", w.stage2_cache.entries, w.stage2_cache.assoc },
		{ "guest_walk_cache", "rfx", w.guest_walk_cache.rfx, w.guest_walk_cache.assoc },
		{ "guest_walk_cache", "rsx", w.guest_walk_cache.rsx, w.guest_walk_cache.assoc },
		{ "guest_walk_cache", "rtx", w.guest_walk_cache.rtx, w.guest_walk_cache.assoc },
		{ "guest_walk_cache", "sx", w.guest_walk_cache.sx, w.guest_walk_cache.assoc },
		{ "host_walk_cache", "rfx", w.host_walk_cache.rfx, w.host_walk_cache.assoc },
		{ "host_walk_cache", "rsx", w.host_walk_cache.rsx, w.host_walk_cache.assoc },
		{ "host_walk_cache", "rtx", w.host_walk_cache.rtx, w.host_walk_cache.assoc },
		{ "host_walk_cache", "sx", w.host_walk_cache.sx, w.host_walk_cache.assoc },
	};

	for (const auto &c : caches)
		if (c.assoc && c.entries % c.assoc) {
			std::string entries = std::string(c.section) + "." + c.key;
			std::string assoc = std::string(c.section) + ".assoc";
			*err = where({ assoc.c_str(), entries.c_str() }) + entries + " (" +
			       std::to_string(c.entries) + ") must be a multiple of " + assoc + " (" +
			       std::to_string(c.assoc) + ")";
			return false;
		}
	if (!zpci_guest_gen_has_policy(opts.guest, opts.policy)) {
		*err = where({ kPolicyKey, "replay.guest" }) + "replay.guest " +
		       guest_name(opts.guest) + " has no " + policy_name(opts.policy) +
		       " policy: its lazy mode is " +
		       policy_name(zpci_guest_gen_get(opts.guest)->lazy_policy);
		return false;
	}
	return true;
}

std::string Config::get(const std::string &key) const
{
	const ParamKey *p = find_param(key);

	return p ? format_value(*p, opts) : "";
}

nlohmann::ordered_json Config::json() const
{
	nlohmann::ordered_json j;

	for (const ParamKey &p : params()) {
		const void *f = p.field(&opts);
		switch (p.decl->kind) {
		case ParamKind::U32:
			j[p.key] = *static_cast<const uint32_t *>(f);
			break;
		case ParamKind::U64:
			j[p.key] = *static_cast<const uint64_t *>(f);
			break;
		case ParamKind::Double:
			j[p.key] = *static_cast<const double *>(f);
			break;
		case ParamKind::Bool:
			j[p.key] = *static_cast<const bool *>(f);
			break;
		default:
			j[p.key] = choice_name(p, opts);
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
	for (const ParamKey &p : params()) {
		const std::string &key = p.key;
		std::string sec = key.substr(0, key.find('.'));
		std::string value = format_value(p, opts);
		if (sec != section) {
			out << "\n[" << sec << "]\n";
			section = sec;
		}
		if (p.decl->kind == ParamKind::Choice)
			value = "\"" + value + "\"";
		out << key.substr(key.find('.') + 1) << " = " << value << "  # " << describe(p)
		    << '\n';
	}
	return out.str();
}

}  // namespace zpcisim
