// SPDX-License-Identifier: MIT
#include "replay_options.h"

#include <cmath>
#include <cstdio>
#include <iterator>

#include "format.h"

namespace zpcisim {

namespace {

const char *const kPolicyNames[] = { "lazy", "strict", "flush-queue" };
const char *const kModeNames[] = { "functional", "fast", "cycle" };
const char *const kTimingNames[] = { "trace", "closed" };
const char *const kFqShapeNames[] = { "auto", "per-cpu", "single" };
static_assert(std::size(kFqShapeNames) == ZPCI_NR_FQ_SHAPES);

}  // namespace

// Rebuilt only when the table changed: a caller may be iterating it while a
// replay inside its loop asks again.
const std::vector<std::string> &design_names()
{
	static std::vector<std::string> names;
	uint32_t n = zpci_nr_designs();
	bool same = names.size() == n;

	for (uint32_t d = 0; same && d < n; d++)
		same = names[d] == zpci_design_name(static_cast<zpci_design>(d));
	if (same)
		return names;
	names.clear();
	for (uint32_t d = 0; d < n; d++)
		names.push_back(zpci_design_name(static_cast<zpci_design>(d)));
	return names;
}

std::string designs_help()
{
	std::string s = "Designs:\n";

	for (uint32_t d = 0; d < zpci_nr_designs(); d++) {
		const zpci_design_ops *ops = zpci_design_get(static_cast<zpci_design>(d));
		char line[160];
		snprintf(line, sizeof(line), "  %-16s %s\n", ops->name, ops->summary);
		s += line;
	}
	return s;
}

// The index of @name in @names, as the enum @out.
template <typename Enum, size_t N>
bool parse_name(const char *const (&names)[N], const std::string &name, Enum *out)
{
	for (size_t i = 0; i < N; i++)
		if (name == names[i]) {
			*out = static_cast<Enum>(i);
			return true;
		}
	return false;
}

bool parse_policy(const std::string &name, zpci_flush_policy *policy)
{
	return parse_name(kPolicyNames, name, policy);
}

const char *policy_name(zpci_flush_policy policy)
{
	return kPolicyNames[policy];
}

bool parse_guest(const std::string &name, zpci_guest_gen *gen)
{
	return !zpci_guest_gen_parse(name.c_str(), gen);
}

const char *guest_name(zpci_guest_gen gen)
{
	return zpci_guest_gen_name(gen);
}

const std::vector<std::string> &guest_names()
{
	static const std::vector<std::string> names = [] {
		std::vector<std::string> v;
		for (int g = 0; g < ZPCI_NR_GUEST_GENS; g++)
			v.push_back(guest_name(static_cast<zpci_guest_gen>(g)));
		return v;
	}();
	return names;
}

std::string guests_described()
{
	std::string s;

	for (int g = 0; g < ZPCI_NR_GUEST_GENS; g++) {
		const zpci_guest_gen_ops *ops = zpci_guest_gen_get(static_cast<zpci_guest_gen>(g));
		s += std::string(g ? "; " : "") + ops->name + " is " + ops->desc;
	}
	return s;
}

bool parse_mode(const std::string &name, ReplayMode *mode)
{
	return parse_name(kModeNames, name, mode);
}

bool parse_design(const std::string &name, Design *design)
{
	zpci_design d;

	if (zpci_design_parse(name.c_str(), &d))
		return false;
	*design = static_cast<Design>(d);
	return true;
}

bool parse_designs(const std::string &list, std::vector<Design> *out, std::string *err)
{
	size_t start = 0;

	for (;;) {
		size_t comma = list.find(',', start);
		Design d;
		if (!parse_design(list.substr(start, comma - start), &d)) {
			*err = "'" + list + "': expected a comma-separated list of " +
			       join(design_names(), ", ");
			return false;
		}
		out->push_back(d);
		if (comma == std::string::npos)
			return true;
		start = comma + 1;
	}
}

const char *design_name(Design design)
{
	return zpci_design_name(static_cast<zpci_design>(design));
}

const char *mode_name(ReplayMode mode)
{
	return kModeNames[static_cast<int>(mode)];
}

const std::vector<std::string> &mode_names()
{
	static const std::vector<std::string> names(std::begin(kModeNames), std::end(kModeNames));
	return names;
}

bool parse_timing(const std::string &name, Timing *timing)
{
	return parse_name(kTimingNames, name, timing);
}

const char *timing_name(Timing timing)
{
	return kTimingNames[static_cast<int>(timing)];
}

const std::vector<std::string> &timing_names()
{
	static const std::vector<std::string> names(std::begin(kTimingNames),
						    std::end(kTimingNames));
	return names;
}

const std::vector<std::string> &policy_names()
{
	static const std::vector<std::string> names(std::begin(kPolicyNames),
						    std::end(kPolicyNames));
	return names;
}

bool parse_fq_shape(const std::string &name, zpci_fq_shape *shape)
{
	return parse_name(kFqShapeNames, name, shape);
}

const char *fq_shape_name(zpci_fq_shape shape)
{
	return kFqShapeNames[static_cast<int>(shape)];
}

const std::vector<std::string> &fq_shape_names()
{
	static const std::vector<std::string> names(std::begin(kFqShapeNames),
						    std::end(kFqShapeNames));
	return names;
}

void apply_guest_fq(const GuestFqParams &p, zpci_dma_cfg *cfg)
{
	cfg->fq_shape = p.shape;
	if (p.entries)
		cfg->fq.entries = p.entries;
	if (p.timeout_ms > 0)
		cfg->fq.timeout_ns = uint64_t(std::llround(p.timeout_ms * 1e6));
}

}  // namespace zpcisim
