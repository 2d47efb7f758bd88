// SPDX-License-Identifier: MIT
#include "counters.h"

#include <algorithm>
#include <stdexcept>

namespace zpcisim {

namespace {

// @stats += the counters of @table that @j, one block's object in a stats
// file, has.
void add_from(const zpci_counter *table, const nlohmann::ordered_json &j, void *stats)
{
	for (; table->name; table++) {
		auto it = j.find(table->name);
		if (it != j.end() && it->is_number_unsigned())
			zpci_counter_set(table, stats,
					 zpci_counter_get(table, stats) + it->get<uint64_t>());
	}
}

// The model counter of @m called @name ("dtu.walker.walks"): every timed
// run registers it, so its absence is a simulator bug.
uint64_t model_counter(const ModelReport &m, const std::string &name)
{
	for (const ModelReport::Counter &c : m.counters)
		if (c.name == name)
			return c.value;
	throw std::logic_error("no model counter " + name);
}

// The model counters every timed run registers, before any run: sweep's
// CSV header is written first, and a run's registry lives only as long as
// its models.  What registers depends on neither the parameters nor the
// trace (a second function's counters take the first's names in the
// views), so a timed run with the default options over a one-function
// header, built and never stepped, registers them all.
const ModelReport &declared_models()
{
	static const ModelReport m = [] {
		ztrace_header h{};
		ReplayOptions opts;

		h.guest_mem = 256ULL << 20;
		h.cpus = 1;
		h.nr_fns = 1;
		h.fn[0].fid = 1;
		h.fn[0].fh = 1;
		h.fn[0].sdma = 1ULL << 32;
		h.fn[0].edma = (1ULL << 57) - 1;
		opts.mode = ReplayMode::Fast;
		return Replay(h, opts).model_report();
	}();
	return m;
}

}  // namespace

const zpci_counter *const kColumnBlocks[5] = {
	zpci_dma_counters, zpci_monitor_fn_counters, zpci_shadow_counters, zpci_pin_counters,
	zpci_func_counters,
};

std::vector<Shown> shown(const zpci_counter *table, const void *stats, unsigned view)
{
	std::vector<Shown> v;

	for (; table->name; table++)
		if (table->show & view)
			v.push_back({ table, zpci_counter_get(table, stats) });
	return v;
}

std::vector<ModelShown> shown(const ModelReport &m, unsigned view)
{
	std::vector<ModelShown> v;

	for (const ModelReport::Counter &c : m.counters) {
		if (!(c.show & view))
			continue;
		auto same = std::find_if(v.begin(), v.end(),
					 [&](const ModelShown &s) { return s.name == c.shown_as; });
		if (same == v.end())
			v.push_back({ c.shown_as, c.value });
		else
			same->value += c.value;
	}
	return v;
}

std::vector<std::string> model_columns(unsigned view)
{
	std::vector<std::string> v;

	for (const ModelShown &c : shown(declared_models(), view))
		v.push_back(c.name);
	return v;
}

std::optional<double> memory_refs_per_walk(const ModelReport &m)
{
	uint64_t walks = model_counter(m, "dtu.walker.walks");

	if (!walks)
		return std::nullopt;
	return double(model_counter(m, "dtu.walker.memory_refs")) / double(walks);
}

const void *RunCounters::block(const zpci_counter *table) const
{
	if (table == zpci_dma_counters)
		return &fn.dma;
	if (table == zpci_monitor_fn_counters)
		return &fn.watch;
	if (table == zpci_func_counters)
		return &fn.func;
	if (table == zpci_shadow_counters)
		return &design.intercepts;
	if (table == zpci_pin_counters)
		return &design.pins;
	return nullptr;
}

RunCounters run_counters(const Replay &r)
{
	return { r.totals(), r.design_report() };
}

RunCounters run_counters(const nlohmann::ordered_json &stats)
{
	RunCounters t;
	auto functions = stats.find("functions"), models = stats.find("models"),
	     design = stats.find("design_report");

	if (functions != stats.end())
		for (const auto &f : *functions) {
			add_from(zpci_dma_counters, f, &t.fn.dma);
			add_from(zpci_monitor_fn_counters, f, &t.fn.watch);
			add_from(zpci_func_counters, f, &t.fn.func);
		}
	// In the timed modes the models translated: what they counted of the
	// function's (ModelReport::function, under its name) stands in for it.
	if (models != stats.end() && models->is_object())
		for (const zpci_counter *c = zpci_func_counters; c->name; c++) {
			auto it = models->find(c->name);
			if (it != models->end() && it->is_number_unsigned())
				zpci_counter_set(c, &t.fn.func, it->get<uint64_t>());
		}
	if (design != stats.end()) {
		add_from(zpci_shadow_counters, *design, &t.design.intercepts);
		add_from(zpci_pin_counters, *design, &t.design.pins);
	}
	return t;
}

uint64_t guest_rpcits(const zpci_dma_stats &s)
{
	return s.sync_rpcits + s.sync_map_rpcits + s.global_rpcits;
}

uint64_t translations(const zpci_func_stats &s)
{
	return s.iotlb_hits + s.iotlb_misses;
}

std::optional<double> iotlb_hit_rate(const zpci_func_stats &s)
{
	if (!translations(s))
		return std::nullopt;
	return double(s.iotlb_hits) / double(translations(s));
}

}  // namespace zpcisim
