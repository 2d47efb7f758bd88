// SPDX-License-Identifier: MIT
#include "replay.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <stdexcept>

#include <zpci/digest.h>

#include "format.h"

namespace zpcisim {

namespace {

std::string rpcit_text(uint64_t iova, uint64_t len)
{
	return "rpcit " + hex(iova) + " +" + hex(len);
}

// The function's counters the models count in its place in the timed
// modes, where the device's translations are theirs: the one place that
// says which model counter stands for which of the function's.
struct ModelMeasure {
	size_t offset;	// in struct zpci_func_stats
	uint64_t ModelTotals::*value;
};

const ModelMeasure kModelMeasures[] = {
	{ offsetof(zpci_func_stats, iotlb_hits), &ModelTotals::iotlb_hits },
	{ offsetof(zpci_func_stats, iotlb_misses), &ModelTotals::iotlb_misses },
	{ offsetof(zpci_func_stats, stale_hits), &ModelTotals::stale_hits },
};

// Those counters, as the function's table has them, with the models' values.
std::vector<std::pair<const zpci_counter *, uint64_t>> model_measured(const ModelTotals &t)
{
	std::vector<std::pair<const zpci_counter *, uint64_t>> v;

	for (const zpci_counter *c = zpci_func_counters; c->name; c++)
		for (const ModelMeasure &m : kModelMeasures)
			if (m.offset == c->offset)
				v.emplace_back(c, t.*m.value << c->shift);
	return v;
}

}  // namespace

// The machine and its design, as the harness builds them too.
struct Replay::Machine : zpci_machine {
	explicit Machine(const zpci_machine_cfg &cfg, const std::vector<zpci_func_cfg> &fns)
	{
		int rc = zpci_machine_init(this, &cfg, fns.data(), fns.size());

		if (zpci_machine_refused(rc))
			throw Refused(error);
		if (rc)
			throw std::runtime_error(error);
	}
	~Machine() { zpci_machine_destroy(this); }
	Machine(const Machine &) = delete;
	Machine &operator=(const Machine &) = delete;
};

// What the replay keeps of a live trace ID, in the slot the checker gave it.
struct Replay::Mapping {
	bool live = false;
	bool failed = false;
	ztrace_kind kind = ZTRACE_MAP;
	uint64_t handle = 0;		// the IOVA; map-sg: its first element's
	uint64_t len = 0;
	dma_data_direction dir = DMA_BIDIRECTIONAL;
	std::vector<zpci_sg> sg;		// map-sg: what the guest layer filled
	std::vector<uint64_t> elem_iova;	// map-sg: each element's IOVA
	uint32_t in_flight = 0;			// cycle mode: device accesses not finished
};

struct Replay::Function {
	uint32_t index = 0;
	zpci_machine_fn *mf = nullptr;	// the function and the design in front of it
	zpci_func &func() { return mf->func; }
	zpci_dma_dev dev{};
	bool attached = false;
	FunctionStats final_stats;
	zpci_monitor_fn *watch = nullptr;	// the machine's instruments, on this function
	std::deque<zpci_rpcit_rec> unmatched;	// issued, not yet seen in the trace
	zpci_shadow_stats seen{};		// the hypervisor's work already on the timeline
};

// The machine's config from the options; the functions from the header.
static zpci_machine_cfg machine_cfg(const ztrace_header &h, const ReplayOptions &opts)
{
	zpci_machine_cfg c{};

	c.design = static_cast<zpci_design>(opts.design);
	c.guest_mem = h.guest_mem;
	c.mapping_limit = opts.mapping_limit;
	c.pin = opts.pin;
	c.large_frames = opts.large_frames;
	// What reached the hardware: a capture's RPCITs are checked against it,
	// and an injected outcome is the hardware's.
	c.tap_at = ZPCI_TAP_FUNCTION;
	return c;
}

static std::vector<zpci_func_cfg> function_cfgs(const ztrace_header &h)
{
	std::vector<zpci_func_cfg> v;

	for (uint32_t i = 0; i < h.nr_fns; i++) {
		const ztrace_fn &t = h.fn[i];
		v.push_back({ t.fid, t.fh, t.pfgid, t.sdma, t.edma, t.refresh, false });
	}
	return v;
}

Replay::Replay(const ztrace_header &h, const ReplayOptions &opts)
	: header_(h), opts_(opts), checker_(ztrace_checker_create(&h), ztrace_checker_destroy),
	  machine_(std::make_unique<Machine>(machine_cfg(h, opts), function_cfgs(h))),
	  cpu_(opts.cost, opts.system.dtu.iotlb.entries)
{
	zpci_monitor &mon = machine_->mon;

	if (!checker_)
		throw std::bad_alloc();
	stats_.rpcit.recorded = h.rpcit_log;
	for (uint32_t i = 0; i < h.nr_fns; i++) {
		auto f = std::make_unique<Function>();

		f->index = i;
		f->mf = &machine_->fns[i];
		f->watch = &mon.fns[i];
		zpci_fault_window_every(zpci_monitor_window(&mon, i, ZPCI_INJECT_RPCIT_BUSY),
					opts.inject.rpcit_busy_every);
		zpci_fault_window_every(zpci_monitor_window(&mon, i, ZPCI_INJECT_RPCIT_INSUFF),
					opts.inject.rpcit_fail_every);
		fns_.push_back(std::move(f));
	}
	zpci_fault_window_every(zpci_monitor_window(&mon, 0, ZPCI_INJECT_TABLE_NOMEM),
				opts.inject.table_nomem_every);
	mon.func_error_at = opts.inject.function_error_at_ns;
	if (opts.mode != ReplayMode::Functional) {
		std::vector<zpci_func *> funcs;

		for (auto &f : fns_)
			funcs.push_back(&f->func());
		models_ = make_timed_models(zpci_machine_host_mem(machine_.get()),
					    zpci_machine_host_size(machine_.get()), funcs,
					    opts.system, opts.mode);
		// The cost table is a block too: its counters beside the others'.
		cpu_.register_stats(models_->stats(), "cpu");
		in_flight_ = models_->event_driven();
		if (in_flight_) {
			models_->observe(this);
			models_->stats().add("replay", "unmap_waits", &unmap_waits_,
					     "unmaps that waited for the device's accesses to "
					     "finish (simulated time ran ahead of the trace's)");
		}
	}
}

Replay::~Replay()
{
	models_.reset();	// before the functions they are attached to
	for (auto &f : fns_)
		if (f->attached)
			zpci_dma_detach(&f->dev);
}

const zpci_monitor &Replay::monitor() const
{
	return machine_->mon;
}

DesignReport Replay::design_report() const
{
	const Machine &m = *machine_;
	DesignReport d;
	CpuWork w;

	w.user_space = m.design->user_space;
	for (const auto &f : fns_) {
		const zpci_shadow_stats *intercepts = zpci_machine_intercepts(&m, f->mf);
		if (!intercepts)
			continue;
		const zpci_shadow_stats &s = *intercepts;
		zpci_counters_add(zpci_shadow_counters, &d.intercepts, &s);
		w.intercepts += s.intercepts;
		w.entries_read += s.entries_read;
		w.pages_compared += s.pages_compared;
		w.maps += s.maps;
		w.unmap_calls += s.unmap_calls;
	}
	d.pins = m.pins.stats;
	w.pins = d.pins.pins;
	w.unpins = d.pins.unpins;
	if (w.intercepts)
		d.cpu_hypervisor_ns = cpu_.intercepts(w);
	d.cpu_pin_setup_ns = cpu_.pin_all(m.pin_setup_pages);
	// Once every function is detached, only the pinned designs hold pins:
	// all of guest memory.
	if (finished_)
		d.pins_balanced = zpci_machine_pins_balanced(&m);
	return d;
}

const zpci_design_ops &Replay::design() const
{
	return *machine_->design;
}

Work Replay::work() const
{
	Work w;

	w.cpu.user_space = machine_->design->user_space;
	for (const auto &f : fns_) {
		const zpci_dma_stats &now = f->dev.stats, &before = f->final_stats.dma;
		w.cpu.table_entries += before.mapped_pages + before.unmapped_pages;
		if (f->attached)
			w.cpu.table_entries += now.mapped_pages + now.unmapped_pages;
		const zpci_shadow_stats *s = zpci_machine_intercepts(machine_.get(), f->mf);
		if (!s)
			continue;
		w.cpu.intercepts += s->intercepts;
		w.cpu.entries_read += s->entries_read;
		w.cpu.pages_compared += s->pages_compared;
		w.cpu.maps += s->maps;
		w.cpu.unmap_calls += s->unmap_calls;
	}
	w.cpu.pins = machine_->pins.stats.pins;
	w.cpu.unpins = machine_->pins.stats.unpins;
	w.rpcit_ns = stats_.cpu_rpcit_ns;
	w.device_done_ns = device_done_ns_;
	return w;
}

uint32_t Replay::functions() const
{
	return fns_.size();
}

FunctionStats Replay::function_stats(uint32_t fn) const
{
	const Function &f = *fns_[fn];
	FunctionStats s = f.final_stats;

	if (f.attached)
		zpci_counters_add(zpci_dma_counters, &s.dma, &f.dev.stats);
	s.func = f.mf->func.stats;
	s.watch = f.watch->stats;
	return s;
}

void Replay::detach(Function &f)
{
	zpci_dma_detach(&f.dev);
	zpci_counters_add(zpci_dma_counters, &f.final_stats.dma, &f.dev.stats);
	f.attached = false;
}

uint64_t Replay::injected_faults() const
{
	return zpci_monitor_injected(&machine_->mon, -1);
}

// Evenly spaced in trace time: when the series is full, every other point
// goes and the spacing doubles.  The test is inline: most records are not
// due for a sample.
void Replay::sample_pinned(uint64_t now, bool last)
{
	if (last || stats_.pinned_series.empty() || now >= next_sample_)
		add_pinned_sample(now);
}

void Replay::add_pinned_sample(uint64_t now)
{
	auto &series = stats_.pinned_series;

	series.push_back({ now, machine_->pins.stats.pinned_pages << ZPCI_PAGE_SHIFT });
	if (timeline_)
		timeline_->counter("pinned", now, series.back().second);
	next_sample_ = now + sample_step_;
	if (series.size() <= kPinnedSamples)
		return;
	for (size_t i = 0; 2 * i < series.size(); i++)
		series[i] = series[2 * i];
	series.resize((series.size() + 1) / 2);
	sample_step_ *= 2;
}

void Replay::mismatch(CheckResult &c, const std::string &what)
{
	if (!c.mismatched++)
		c.first = what;
}

bool Replay::attach(Function &f, std::string *err)
{
	zpci_dma_cfg cfg = zpci_dma_default_cfg(header_.fn[f.index].fid, opts_.policy,
						header_.guest_mem);
	cfg.cpus = header_.cpus;
	cfg.gen = opts_.guest;
	cfg.hz = opts_.hz;
	cfg.identity = machine_->design->identity;
	apply_guest_fq(opts_.guest_fq, &cfg);
	uint64_t injected = injected_faults();
	int rc = zpci_dma_attach(&f.dev, f.mf->guest_hw, zpci_machine_guest_mem(machine_.get()),
				 &machine_->guest_pool,
				 &cfg);
	if (rc) {
		std::string what = where() + ": function " + std::to_string(f.index) +
				   " attach failed: ";
		if (injected_faults() != injected)
			throw Stopped(what + strerror(-rc) + " after an injected fault; the guest " +
				      "cannot use the function");
		*err = what + (f.dev.why[0] ? f.dev.why : strerror(-rc));
		return false;
	}
	f.attached = true;
	// The RPCITs a capture holds follow the refresh bit its guest saw.  A
	// design that offers the other makes the guest issue other RPCITs, as
	// the kernel would; they say nothing of the guest layer, so they are
	// not compared.
	if (stats_.rpcit.recorded && f.dev.refresh != header_.fn[f.index].refresh) {
		stats_.rpcit.recorded = false;
		stats_.rpcit.not_comparable = std::string("the traced guest saw the refresh bit ") +
					      (header_.fn[f.index].refresh ? "on" : "off") + ", " +
					      design_name(opts_.design) + " offers it " +
					      (f.dev.refresh ? "on" : "off");
	}
	return true;
}

std::string Replay::where() const
{
	char buf[512];

	if (!pos_)
		return "record " + std::to_string(stats_.records);
	ztrace_reader_where(pos_, buf, sizeof(buf));
	return buf;
}

// The mapping of the ID the record the checker just passed used or ended:
// in its slot, which a map record filled.
inline Replay::Mapping &Replay::mapping()
{
	return maps_[ztrace_checker_slot(checker_.get())];
}

// The slot of the ID a map record made.
Replay::Mapping &Replay::new_mapping()
{
	uint32_t slot = ztrace_checker_slot(checker_.get());

	if (slot >= maps_.size())
		maps_.resize(slot + 1);
	return maps_[slot];
}

void Replay::map(Function &f, const ztrace_rec &rec)
{
	Mapping m;
	dma_addr_t h = 0;
	int rc;

	m.live = true;
	m.kind = rec.kind;
	m.len = rec.len;
	m.dir = rec.kind == ZTRACE_ALLOC ? DMA_BIDIRECTIONAL : rec.dir;
	if (rec.kind == ZTRACE_ALLOC)
		rc = zpci_dma_alloc_coherent(&f.dev, rec.pa, rec.len, &h);
	else
		rc = zpci_dma_map_page(&f.dev, rec.pa, rec.len, rec.dir, &h);
	m.failed = rc != 0;
	m.handle = h;
	stats_.map_failures += m.failed;
	if (!m.failed)
		note_pages(f, h, m.len, false);
	if (!m.failed && (rec.flags & ZTRACE_HAS_IOVA)) {
		if (f.dev.cfg.identity) {
			stats_.iova.not_comparable = std::string(design_name(opts_.design)) +
						     " hands out guest-physical addresses as IOVAs";
		} else {
			stats_.iova.recorded = true;
			if (h == rec.iova)
				stats_.iova.matched++;
			else
				mismatch(stats_.iova, where() + ": the trace recorded IOVA " +
							      hex(rec.iova) + ", the replayed guest returned " +
							      hex(h));
		}
	}
	new_mapping() = std::move(m);
}

void Replay::map_sg(Function &f, const ztrace_rec &rec)
{
	Mapping m;

	m.live = true;
	m.kind = ZTRACE_MAP_SG;
	m.dir = rec.dir;
	m.sg.resize(rec.nr_sg);
	for (uint32_t i = 0; i < rec.nr_sg; i++) {
		m.sg[i].pa = rec.sg[i].pa;
		m.sg[i].length = rec.sg[i].len;
		m.len += rec.sg[i].len;
	}
	int count = zpci_dma_map_sg(&f.dev, m.sg.data(), rec.nr_sg, rec.dir);
	m.failed = count < 0;
	stats_.map_failures += m.failed;
	// Each element's IOVA: segments take whole elements, in order.
	for (int seg = 0, e = 0; seg < count; seg++) {
		uint64_t pos = 0;
		while (pos < m.sg[seg].dma_length && e < (int)rec.nr_sg) {
			m.elem_iova.push_back(m.sg[seg].dma_address + pos);
			pos += rec.sg[e++].len;
		}
	}
	if (!m.elem_iova.empty())
		m.handle = m.elem_iova[0];
	note_elements(f, m, false);
	new_mapping() = std::move(m);
}

// The guest's pages from @iova for @len: unmapped now, or mapped again.
void Replay::note_pages(Function &f, uint64_t iova, uint64_t len, bool unmapped)
{
	if (!unmapped)
		zpci_monitor_mapped(f.watch, iova, len);
	else if (zpci_monitor_unmapped(f.watch, iova, len))
		throw std::bad_alloc();
}

// note_pages() of a scatter-gather mapping's elements, a run of abutting
// IOVAs at a time: a storage request's elements are usually one run.
void Replay::note_elements(Function &f, const Mapping &m, bool unmapped)
{
	for (size_t e = 0; e < m.elem_iova.size();) {
		uint64_t iova = m.elem_iova[e], len = 0;

		while (e < m.elem_iova.size() && m.elem_iova[e] == iova + len)
			len += m.sg[e++].length;
		note_pages(f, iova, len, unmapped);
	}
}

void Replay::unmap(Function &f, const ztrace_rec &rec)
{
	Mapping &m = mapping();

	if (in_flight_)
		wait_for_device(m);
	if (!m.failed && opts_.adversary.every && ++unmaps_ % opts_.adversary.every == 0)
		plan_reaccess(f, m);
	if (!m.failed && m.kind == ZTRACE_MAP_SG) {
		note_elements(f, m, true);
	} else if (!m.failed) {
		note_pages(f, m.handle, m.len, true);
	}
	if (m.failed)
		stats_.skipped++;
	else if (rec.kind == ZTRACE_UNMAP_SG)
		zpci_dma_unmap_sg(&f.dev, m.sg.data(), m.sg.size(), m.dir);
	else if (rec.kind == ZTRACE_FREE)
		zpci_dma_free_coherent(&f.dev, m.len, m.handle);
	else
		zpci_dma_unmap_page(&f.dev, m.handle, m.len, m.dir);
	m = Mapping{};
}

// The adversarial device's accesses to @m, which the guest is about to
// unmap: each element at the IOVA the replayed guest gave it, now (touch)
// and after the delay.
void Replay::plan_reaccess(Function &f, const Mapping &m)
{
	const AdversaryParams &a = opts_.adversary;
	uint64_t due = now_ + static_cast<uint64_t>(a.delay_ns);
	zpci_dma_dir dir = m.dir == DMA_TO_DEVICE ? ZPCI_DMA_READ : ZPCI_DMA_WRITE;
	auto plan = [&](uint64_t iova, uint64_t len) {
		if (a.bytes)
			len = std::min<uint64_t>(len, a.bytes);
		if (a.touch) {
			stats_.dma_accesses++;
			stats_.adversary.touches++;
			device(f, iova, len, dir, now_);
		}
		reaccess_.push({ due, stats_.adversary.scheduled++, f.index, iova, len, dir });
	};

	if (m.kind != ZTRACE_MAP_SG) {
		plan(m.handle, m.len);
		return;
	}
	for (size_t e = 0; e < m.elem_iova.size(); e++)
		plan(m.elem_iova[e], m.sg[e].length);
}

// Make the adversarial accesses due by @time (ns), the next record's.
void Replay::reaccess_due(uint64_t time)
{
	while (!reaccess_.empty() && reaccess_.top().due <= time) {
		reaccess(reaccess_.top());
		reaccess_.pop();
	}
}

void Replay::reaccess(const Reaccess &r)
{
	Function &f = *fns_[r.fn];
	zpci_monitor &mon = machine_->mon;
	AdversaryStats &a = stats_.adversary;
	uint64_t stale = mon.stale_uses;
	bool was_blocked = f.func().blocked;

	now_ = r.due;
	zpci_monitor_set_time(&mon, now_);
	stats_.dma_accesses++;
	a.accesses++;
	bool ok = device(f, r.iova, r.len, r.dir, r.due);
	// Its outcome decides what comes next: cycle mode waits for it.
	if (in_flight_) {
		settle_device();
		ok = last_ok_;
	}
	if (mon.stale_uses != stale)
		a.stale++;
	else if (ok)
		a.reused++;
	else if (was_blocked)
		a.blocked++;
	else
		a.faulted++;
	if (!was_blocked && f.func().blocked && opts_.adversary.recover) {
		zpci_hw hw = zpci_func_hw(&f.func());
		zpci_fib none{};

		hw.ops->mpcifc(hw.priv, f.func().fh, ZPCI_MOD_FC_RESET_ERROR, &none);
		hw.ops->mpcifc(hw.priv, f.func().fh, ZPCI_MOD_FC_RESET_BLOCK, &none);
	}
}

// Cycle mode: the access is submitted when the simulation reaches @time,
// and counted when it finishes (access_done()): true until then.
bool Replay::device_access(Function &f, uint64_t iova, uint64_t len, zpci_dma_dir dir,
			   uint64_t time, Mapping *m)
{
	bool ok;

	stats_.dma_bytes += len;
	if (in_flight_) {
		uint32_t slot = m ? uint32_t(m - maps_.data()) : kNoSlot;
		uint64_t tag = 0;
		if (m || timeline_) {
			InFlight a{ slot, iova, len, dir };
			tag = in_flight_at_.take(a) + 1;
			if (m)
				m->in_flight++;
		}
		models_->submit(f.index, iova, len, dir, time, tag);
		return true;
	}
	if (models_) {
		ok = models_->access(f.index, iova, len, dir, time, &latency_ns_);
		device_done_ns_ = std::max<uint64_t>(device_done_ns_, time + latency_ns_);
	} else {
		ok = zpci_monitor_dma(f.watch, iova, nullptr, len, dir) == 0;
	}
	stats_.dma_faults += !ok;
	if (__builtin_expect(machine_->mon.violations && stats_.first_violation.empty(), 0))
		note_violation();
	return ok;
}

void Replay::access_done(size_t function, const AccessDone &a)
{
	const uint64_t ns = models_->ticks_per_ns();

	last_ok_ = a.ok;
	stats_.dma_faults += !a.ok;
	device_done_ns_ = std::max(device_done_ns_, a.done / ns);
	if (__builtin_expect(machine_->mon.violations && stats_.first_violation.empty(), 0))
		note_violation();
	if (!a.tag)
		return;
	const InFlight &t = in_flight_at_[a.tag - 1];
	in_flight_at_.put(uint32_t(a.tag - 1));
	if (t.slot != kNoSlot)
		maps_[t.slot].in_flight--;
	if (timeline_)
		timeline_->span(function, "device",
				t.dir == ZPCI_DMA_WRITE ? "dma write" : "dma read", a.arrival / ns,
				(a.done - a.arrival) / ns,
				{ { "iova", hex(t.iova) }, { "len", t.len }, { "ok", a.ok },
				  { "walks", a.walks }, { "memory_refs", a.memory_refs } });
}

// The driver unmaps once the device has said it is done: a trace's unmap
// follows the device's accesses to the mapping, and if the simulated
// device takes longer than the real one did, the unmap waits for it
// (simulated time runs ahead of the trace's).  An access not into a
// mapping (dma-iova, the adversary's) is not waited for: it races.
void Replay::wait_for_device(const Mapping &m)
{
	if (!m.in_flight)
		return;
	unmap_waits_++;
	while (m.in_flight && models_->step())
		;
}

void Replay::settle_device()
{
	if (in_flight_)
		models_->run_all();
}

// Small, so that it inlines into its callers: the timeline's work, out of
// line, would give every access its stack frame.
bool Replay::device(Function &f, uint64_t iova, uint64_t len, zpci_dma_dir dir, uint64_t time,
		    Mapping *m)
{
	if (timeline_ && !in_flight_)
		return device_on_timeline(f, iova, len, dir, time);
	return device_access(f, iova, len, dir, time, m);
}

// device(), with the access and the walks it took on the timeline.
bool Replay::device_on_timeline(Function &f, uint64_t iova, uint64_t len, zpci_dma_dir dir,
				uint64_t time)
{
	ModelWalks before = models_ ? models_->walks() : ModelWalks{};
	bool ok = device_access(f, iova, len, dir, time, nullptr);
	nlohmann::ordered_json args = { { "iova", hex(iova) }, { "len", len }, { "ok", ok } };
	uint64_t latency = 0;
	if (models_) {
		ModelWalks after = models_->walks();
		latency = latency_ns_;
		args["walks"] = after.walks - before.walks;
		args["memory_refs"] = after.memory_refs - before.memory_refs;
	}
	timeline_->span(f.index, "device", dir == ZPCI_DMA_WRITE ? "dma write" : "dma read", time,
			latency, std::move(args));
	return ok;
}

void Replay::access(Function &f, const ztrace_rec &rec)
{
	stats_.dma_accesses++;
	if (rec.kind == ZTRACE_DMA_IOVA) {
		device(f, rec.iova, rec.len, rec.access, rec.time);
		return;
	}
	Mapping &m = mapping();
	if (m.failed) {
		stats_.skipped++;
		return;
	}
	if (m.kind != ZTRACE_MAP_SG) {
		device(f, m.handle + rec.off, rec.len, rec.access, rec.time, &m);
		return;
	}
	// Through the elements, each piece at its element's IOVA.
	uint64_t off = rec.off, left = rec.len;
	for (size_t e = 0; e < m.elem_iova.size() && left; e++) {
		uint64_t elen = m.sg[e].length;
		if (off >= elen) {
			off -= elen;
			continue;
		}
		uint64_t n = std::min(left, elen - off);
		device(f, m.elem_iova[e] + off, n, rec.access, rec.time, &m);
		left -= n;
		off = 0;
	}
}

// The first isolation violation, where the trace was when it happened.
void Replay::note_violation()
{
	char what[256];

	zpci_monitor_describe_violation(&machine_->mon, what, sizeof(what));
	stats_.first_violation = where() + ": " + what;
}

// The RPCITs that reached the function since the last look: their cost, and
// what the trace's log must match (the monitor closes the windows they
// flushed).  The test is inline: most records issue none.
void Replay::collect_rpcits(Function &f)
{
	if (f.watch->nr_log)
		take_rpcit_log(f);
}

void Replay::take_rpcit_log(Function &f)
{
	size_t n;
	const zpci_rpcit_rec *log = zpci_monitor_take_rpcits(f.watch, &n);

	for (size_t i = 0; i < n; i++) {
		const zpci_rpcit_rec &rec = log[i];
		uint64_t cost = cpu_.rpcit(rec.len);
		stats_.cpu_rpcit_ns += cost;
		if (timeline_)
			timeline_->span(f.index, "rpcit", "rpcit", now_, cost,
					{ { "iova", hex(rec.iova) }, { "len", rec.len },
					  { "cc", rec.result.cc }, { "status", rec.result.status } });
	}
	if (stats_.rpcit.recorded)
		f.unmatched.insert(f.unmatched.end(), log, log + n);
}

void Replay::check_rpcit(Function &f, const ztrace_rec &rec)
{
	if (f.unmatched.empty()) {
		mismatch(stats_.rpcit, where() + ": the trace recorded " + rpcit_text(rec.iova, rec.len) +
					       ", the replayed guest issued none");
		return;
	}
	const zpci_rpcit_rec &got = f.unmatched.front();
	if (got.iova == rec.iova && got.len == rec.len)
		stats_.rpcit.matched++;
	else
		mismatch(stats_.rpcit, where() + ": the trace recorded " + rpcit_text(rec.iova, rec.len) +
					       ", the replayed guest issued " +
					       rpcit_text(got.iova, got.len));
	f.unmatched.pop_front();
}

// The guest's jiffies and timers, in every function's DMA layer.
void Replay::tick(const ztrace_rec &rec)
{
	for (auto &f : fns_) {
		if (!f->attached)
			continue;
		if (rec.kind == ZTRACE_TICK) {
			zpci_dma_tick(&f->dev, rec.jiffies);
			continue;
		}
		if (stats_.rpcit.recorded)
			check_none_pending(*f);
		zpci_dma_run_timers(&f->dev, rec.jiffies);
		collect_rpcits(*f);
	}
}

// The trace records each RPCIT right after the call that issued it.
void Replay::check_none_pending(Function &f)
{
	if (f.unmatched.empty())
		return;
	const zpci_rpcit_rec &got = f.unmatched.front();
	mismatch(stats_.rpcit, where() + ": the replayed guest issued " + rpcit_text(got.iova, got.len) +
				       " that the trace does not record");
	f.unmatched.clear();
}

bool Replay::step(const ztrace_rec &rec, const ztrace_reader *pos, std::string *err)
{
	Function &f = *fns_[rec.fn];
	ztrace_diag diag;

	pos_ = pos;
	if (__builtin_expect(!reaccess_.empty(), 0))
		reaccess_due(rec.time);
	// What the device does before this record, happens before it.
	if (in_flight_)
		models_->run_until(rec.time);
	now_ = rec.time;
	sample_pinned(now_, false);
	zpci_monitor_set_time(&machine_->mon, now_);
	if (ztrace_check(checker_.get(), &rec, &diag)) {
		*err = where() + ": " + diag.msg;
		return false;
	}
	stats_.records++;
	stats_.by_kind[rec.kind]++;
	if (rec.kind == ZTRACE_RPCIT) {
		if (stats_.rpcit.recorded)
			check_rpcit(f, rec);
		return true;
	}
	if (rec.kind == ZTRACE_TICK || rec.kind == ZTRACE_TIMERS) {
		tick(rec);
		return true;
	}
	if (stats_.rpcit.recorded)
		check_none_pending(f);
	if (f.attached) {
		zpci_dma_set_time(&f.dev, rec.time);
		if (rec.flags & ZTRACE_HAS_CPU)
			zpci_dma_set_cpu(&f.dev, rec.cpu);
	}
	switch (rec.kind) {
	case ZTRACE_ATTACH:
		if (!attach(f, err))
			return false;
		zpci_dma_set_time(&f.dev, rec.time);
		break;
	case ZTRACE_DETACH:
		detach(f);
		break;
	case ZTRACE_MAP:
	case ZTRACE_ALLOC:
		map(f, rec);
		break;
	case ZTRACE_MAP_SG:
		map_sg(f, rec);
		break;
	case ZTRACE_UNMAP:
	case ZTRACE_UNMAP_SG:
	case ZTRACE_FREE:
		unmap(f, rec);
		break;
	case ZTRACE_DMA:
	case ZTRACE_DMA_IOVA:
		access(f, rec);
		break;
	default:
		break;
	}
	collect_rpcits(f);
	if (timeline_)
		timeline_record(f, rec);
	return true;
}

// The guest's call, and the hypervisor's work it caused, on the timeline.
void Replay::timeline_record(Function &f, const ztrace_rec &rec)
{
	CpuWork now;

	if (rec.kind != ZTRACE_DMA && rec.kind != ZTRACE_DMA_IOVA) {
		nlohmann::ordered_json args = { { "id", rec.id } };
		uint32_t slot = ztrace_checker_slot(checker_.get());
		if (slot < maps_.size() && maps_[slot].live) {
			const Mapping &m = maps_[slot];
			args["iova"] = hex(m.handle);
			args["len"] = m.len;
			args["failed"] = m.failed;
		}
		timeline_->instant(f.index, "guest", ztrace_kind_name(rec.kind), now_, std::move(args));
	}
	const zpci_pin_stats &pins = machine_->pins.stats;
	now.pins = pins.pins - seen_pins_;
	now.unpins = pins.unpins - seen_unpins_;
	seen_pins_ = pins.pins;
	seen_unpins_ = pins.unpins;
	const zpci_shadow_stats *intercepts = zpci_machine_intercepts(machine_.get(), f.mf);
	if (!intercepts)
		return;
	const zpci_shadow_stats &s = *intercepts;
	now.user_space = machine_->design->user_space;
	now.intercepts = s.intercepts - f.seen.intercepts;
	now.entries_read = s.entries_read - f.seen.entries_read;
	now.pages_compared = s.pages_compared - f.seen.pages_compared;
	now.maps = s.maps - f.seen.maps;
	now.unmap_calls = s.unmap_calls - f.seen.unmap_calls;
	f.seen = s;
	if (now.intercepts)
		timeline_->span(f.index, "hypervisor", "intercept", now_, cpu_.intercepts(now),
				{ { "intercepts", now.intercepts }, { "entries_read", now.entries_read },
				  { "shadow_maps", now.maps }, { "pins", now.pins },
				  { "unpins", now.unpins } });
}

void Replay::finish()
{
	settle_device();
	sample_pinned(now_, true);
	stats_.adversary.beyond_end = reaccess_.size();
	reaccess_ = {};
	for (auto &f : fns_) {
		collect_rpcits(*f);
		if (stats_.rpcit.recorded)
			check_none_pending(*f);
		stats_.exposed_at_end += f->watch->unmapped_at.used;
		if (!f->attached)
			continue;
		// The replay's own teardown, which the trace does not record.
		detach(*f);
		collect_rpcits(*f);
		f->unmatched.clear();
	}
	pos_ = nullptr;
	finished_ = true;
}

FunctionStats Replay::totals() const
{
	FunctionStats t;

	for (uint32_t i = 0; i < functions(); i++) {
		FunctionStats f = function_stats(i);
		zpci_counters_add(zpci_dma_counters, &t.dma, &f.dma);
		zpci_counters_add(zpci_monitor_fn_counters, &t.watch, &f.watch);
		zpci_counters_add(zpci_func_counters, &t.func, &f.func);
	}
	if (models_)
		for (const auto &[c, value] : model_measured(models_->totals()))
			zpci_counter_set(c, &t.func, value);
	return t;
}

ModelReport Replay::model_report() const
{
	if (!models_)
		return {};
	ModelReport r = models_->report();
	r.function = model_measured(models_->totals());
	return r;
}

}  // namespace zpcisim
