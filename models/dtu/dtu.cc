// SPDX-License-Identifier: MIT
#include "dtu/dtu.h"

#include <algorithm>

namespace zpcisim {

Dtu::Port::Port(Dtu &dtu, unsigned int index, zpci_func *f)
	: socket(sc_core::sc_gen_unique_name("port")), index(index), f(f), dtu_(dtu)
{
	socket.bind(*this);
}

Dtu::Dtu(sc_core::sc_module_name name, const std::vector<zpci_func *> &funcs, const DtuParams &p,
	 bool event_driven)
	: sc_module(name), mem("mem"), p_(p), event_driven_(event_driven),
	  clock_(p.clock_ns, sc_core::SC_NS), iotlb_latency_(p.iotlb_cycles * clock_),
	  iotlb_(p.iotlb), walker_(p.walker, clock_)
{
	for (zpci_func *f : funcs) {
		ports_.push_back(std::make_unique<Port>(*this, ports_.size(), f));
		f->hook = { flush_hook, this };
	}
	if (event_driven) {
		SC_METHOD(run);
		sensitive << due_.event();
		dont_initialize();
	}
}

void Dtu::flush_hook(void *ctx, u32 fh, dma_addr_t iova, u64 len)
{
	Dtu *d = static_cast<Dtu *>(ctx);

	if (!len) {
		d->iotlb_.invalidate_function(fh);
		d->walker_.invalidate_function(fh);
		d->drop_in_flight(fh, 0, UINT64_MAX);
		return;
	}
	uint64_t last = iova + len - 1 < iova ? UINT64_MAX : iova + len - 1;
	d->iotlb_.invalidate_range(fh, iova >> ZPCI_PAGE_SHIFT, last >> ZPCI_PAGE_SHIFT);
	d->walker_.invalidate(fh, iova, len);
	d->drop_in_flight(fh, iova >> ZPCI_PAGE_SHIFT, last >> ZPCI_PAGE_SHIFT);
}

// The walker's entry fetches: 8-byte reads through the memory socket.
bool Dtu::read_entry(uint64_t addr, const sc_core::sc_time &when, uint64_t *entry,
		     sc_core::sc_time &delay)
{
	tlm::tlm_generic_payload &t = fetch_;
	uint64_t be;
	sc_core::sc_time d = when - now(*this);

	t.set_command(tlm::TLM_READ_COMMAND);
	t.set_address(addr);
	t.set_data_ptr(reinterpret_cast<unsigned char *>(&be));
	t.set_data_length(8);
	t.set_streaming_width(8);
	t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	mem->b_transport(t, d);
	delay += d - (when - now(*this));
	if (!t.is_response_ok())
		return false;
	*entry = be64_to_cpu(be);	// entries are big-endian in memory
	return true;
}

// IOTLB, else walk, for a request arriving @delay after the current time;
// adds the time taken to @latency.  On a fault the function enters the
// error state.
bool Dtu::translate(Port &p, uint64_t iova, zpci_dma_dir dir, const sc_core::sc_time &delay,
		    uint64_t *addr, sc_core::sc_time &latency)
{
	uint64_t page = iova >> ZPCI_PAGE_SHIFT;
	auto hit = iotlb_.lookup(p.f->fh, page);

	latency += iotlb_latency_;
	if (hit && permits(*hit, dir)) {
		if (wave_.w)
			wave_.w->strobe(wave_.hit, now(*this) + delay + latency, clock_);
		*addr = hit_address(*hit, iova);
		stats_.stale_hits += is_stale(p.f, iova, dir, *addr);
		return true;
	}
	WalkResult r = walker_.walk(p.f->fh, p.f->space, p.f->nested_host, iova, dir, *this,
				    now(*this) + delay + latency);
	if (wave_.w)
		show_walk(r, now(*this) + delay + latency);
	latency += r.latency;
	if (r.fault != ZPCI_FAULT_NONE) {
		stats_.faults++;
		zpci_func_raise_error(p.f, zpci_fault_pec(r.fault), iova, dir == ZPCI_DMA_WRITE);
		return false;
	}
	*addr = r.addr;
	iotlb_.insert(p.f->fh, page, (r.addr & ZPCI_PAGE_MASK) | (r.readonly ? kReadonly : 0));
	return true;
}

void Dtu::b_transport(Port &p, tlm::tlm_generic_payload &trans, sc_core::sc_time &delay)
{
	uint64_t iova = trans.get_address(), addr;
	zpci_dma_dir dir = trans.is_write() ? ZPCI_DMA_WRITE : ZPCI_DMA_READ;

	stats_.requests++;
	if (!p.f->enabled || p.f->blocked) {
		stats_.blocked++;
		trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
		return;
	}
	if ((iova & ZPCI_PAGE_MASK) != ((iova + trans.get_data_length() - 1) & ZPCI_PAGE_MASK)) {
		trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);	// one page per request
		return;
	}
	sc_core::sc_time latency = sc_core::SC_ZERO_TIME;
	bool ok = translate(p, iova, dir, delay, &addr, latency);
	delay += latency;
	if (!ok) {
		trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
		return;
	}
	stats_.translations++;
	tlm::tlm_command cmd = trans.get_command();
	trans.set_address(addr);
	if (!p_.move_data)
		trans.set_command(tlm::TLM_IGNORE_COMMAND);
	mem->b_transport(trans, delay);
	trans.set_address(iova);
	trans.set_command(cmd);
	// A frame outside memory reaches nothing: a system error, not a use.
	if (trans.get_response_status() == tlm::TLM_ADDRESS_ERROR_RESPONSE) {
		zpci_func_raise_error(p.f, ZPCI_PEC_SYSTEM_ERROR, iova, dir == ZPCI_DMA_WRITE);
		return;
	}
	zpci_func_used(p.f, iova, addr, dir == ZPCI_DMA_WRITE);
}

// Cycle mode.  A request's life: accepted at once (END_REQ), through the
// lookup pipeline, then either to memory or to a walk (its own or one in
// flight for its page), and answered (BEGIN_RESP) when its data has moved.

tlm::tlm_sync_enum Dtu::begin_request(Port &p, tlm::tlm_generic_payload &trans,
				      tlm::tlm_phase &phase)
{
	uint64_t iova = trans.get_address(), at = ticks();

	if (phase != tlm::BEGIN_REQ)
		return tlm::TLM_COMPLETED;	// END_RESP: nothing is held for it
	stats_.requests++;
	if ((iova & ZPCI_PAGE_MASK) != ((iova + trans.get_data_length() - 1) & ZPCI_PAGE_MASK)) {
		trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);	// one page per request
		return tlm::TLM_COMPLETED;
	}
	zpci_dma_dir dir = trans.is_write() ? ZPCI_DMA_WRITE : ZPCI_DMA_READ;
	uint32_t r = reqs_.take(Request{ &p, &trans, iova, 0, dir, kNone, kNone, false });
	// The pipeline takes one request a cycle; its answer comes
	// iotlb_cycles later.
	uint64_t start = std::max(at, next_lookup_);
	next_lookup_ = start + clock_.value();
	due_.push(at, start + iotlb_latency_.value(), Item{ Due::Lookup, r });
	phase = tlm::END_REQ;
	return tlm::TLM_UPDATED;
}

void Dtu::run()
{
	uint64_t at = ticks();
	Item it;

	while (due_.pop_due(at, &it)) {
		switch (it.what) {
		case Due::Lookup:
			lookup(it.index);
			break;
		case Due::Walk:
			walk_done(it.index);
			break;
		case Due::Data:
			data_done(it.index);
			break;
		}
	}
	due_.rearm(at);
}

// The lookup's answer.  The function's state is read now, not when the
// request arrived: an earlier request's fault blocks those behind it.
void Dtu::lookup(uint32_t r)
{
	Request &q = reqs_[r];
	zpci_func *f = q.port->f;

	if (!f->enabled || f->blocked) {
		stats_.blocked++;
		respond(r, tlm::TLM_GENERIC_ERROR_RESPONSE);
		return;
	}
	auto hit = iotlb_.lookup(f->fh, q.iova >> ZPCI_PAGE_SHIFT);
	if (!hit || !permits(*hit, q.dir)) {
		miss(r);
		return;
	}
	if (wave_.w)
		wave_.w->strobe(wave_.hit, now(*this), clock_);
	q.addr = hit_address(*hit, q.iova);
	stats_.stale_hits += is_stale(f, q.iova, q.dir, q.addr);
	to_memory(r);
}

// A miss joins the walk in flight for its page, or starts one if a
// register is free, or waits for one.
void Dtu::miss(uint32_t r)
{
	const Request &q = reqs_[r];
	uint64_t page = q.iova >> ZPCI_PAGE_SHIFT;

	for (uint32_t w : walking_) {
		Walk &k = walks_[w];
		if (k.fh == q.port->f->fh && k.page == page && k.dir == q.dir && !k.dropped) {
			reqs_[k.last].next = r;
			k.last = r;
			stats_.walk_merges++;
			if (wave_.w)
				wave_.w->strobe(wave_.miss, now(*this), clock_);
			return;
		}
	}
	if (p_.mshrs && walking_.size() >= p_.mshrs) {
		stats_.mshr_waits++;
		mshr_wait_.push_back(r);
		return;
	}
	start_walk(r);
}

void Dtu::start_walk(uint32_t r)
{
	const Request &q = reqs_[r];
	zpci_func *f = q.port->f;
	uint32_t w = walks_.take(
			  Walk{ f->fh, q.iova >> ZPCI_PAGE_SHIFT, q.dir, r, r, false, {} });
	Walk &k = walks_[w];

	k.r = walker_.walk(f->fh, f->space, f->nested_host, q.iova, q.dir, *this, now(*this));
	if (DtuTrace *t = q.trans->get_extension<DtuTrace>()) {
		t->walks++;
		t->memory_refs += k.r.memory_refs;
	}
	if (wave_.w)
		show_walk(k.r, now(*this));
	walking_.push_back(w);
	due_.push(ticks(), ticks() + k.r.latency.value(), Item{ Due::Walk, w });
}

// The walk ends: the IOTLB is filled now, not when it started, unless an
// invalidation covered it meanwhile; its requests go on.
void Dtu::walk_done(uint32_t w)
{
	Walk k = walks_[w];

	walking_.erase(std::find(walking_.begin(), walking_.end(), w));
	walks_.put(w);
	if (k.r.fault == ZPCI_FAULT_NONE) {
		if (k.dropped)
			stats_.dropped_fills++;
		else
			iotlb_.insert(k.fh, k.page,
				      (k.r.addr & ZPCI_PAGE_MASK) | (k.r.readonly ? kReadonly : 0));
	}
	for (uint32_t r = k.first, next; r != kNone; r = next) {
		Request &q = reqs_[r];
		next = q.next;
		if (k.r.fault != ZPCI_FAULT_NONE) {
			fault(r, k.r.fault);
			continue;
		}
		q.addr = hit_address(k.r.addr, q.iova);
		// What the walk read may have been unmapped since.
		if (k.dropped && is_stale(q.port->f, q.iova, q.dir, q.addr)) {
			q.stale = true;
			stats_.inflight_stale++;
		}
		to_memory(r);
	}
	while (!mshr_wait_.empty() && (!p_.mshrs || walking_.size() < p_.mshrs)) {
		uint32_t r = mshr_wait_.front();
		mshr_wait_.pop_front();
		lookup(r);	// the fill it waited behind may serve it
	}
}

void Dtu::fault(uint32_t r, zpci_fault fault)
{
	Request &q = reqs_[r];

	// The first fault of a walk blocks the function; the requests that
	// waited with it are refused as those behind it are.
	if (q.port->f->blocked) {
		stats_.blocked++;
		respond(r, tlm::TLM_GENERIC_ERROR_RESPONSE);
		return;
	}
	stats_.faults++;
	zpci_func_raise_error(q.port->f, zpci_fault_pec(fault), q.iova, q.dir == ZPCI_DMA_WRITE);
	respond(r, tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

void Dtu::to_memory(uint32_t r)
{
	Request &q = reqs_[r];
	tlm::tlm_generic_payload &t = *q.trans;
	sc_core::sc_time d = sc_core::SC_ZERO_TIME;
	tlm::tlm_command cmd = t.get_command();

	stats_.translations++;
	t.set_address(q.addr);
	if (!p_.move_data)
		t.set_command(tlm::TLM_IGNORE_COMMAND);
	mem->b_transport(t, d);
	t.set_address(q.iova);
	t.set_command(cmd);
	q.inflight = uint32_t(inflight_.size());
	inflight_.push_back(r);
	due_.push(ticks(), ticks() + d.value(), Item{ Due::Data, r });
}

void Dtu::data_done(uint32_t r)
{
	Request &q = reqs_[r];
	zpci_func *f = q.port->f;

	inflight_[q.inflight] = inflight_.back();
	reqs_[inflight_.back()].inflight = q.inflight;
	inflight_.pop_back();
	q.inflight = kNone;
	// A frame outside memory reaches nothing: a system error, not a use.
	if (q.trans->get_response_status() == tlm::TLM_ADDRESS_ERROR_RESPONSE) {
		zpci_func_raise_error(f, ZPCI_PEC_SYSTEM_ERROR, q.iova, q.dir == ZPCI_DMA_WRITE);
		respond(r, tlm::TLM_ADDRESS_ERROR_RESPONSE);
		return;
	}
	zpci_func_used(f, q.iova, q.addr, q.dir == ZPCI_DMA_WRITE);
	respond(r, tlm::TLM_OK_RESPONSE);
}

void Dtu::respond(uint32_t r, tlm::tlm_response_status status)
{
	Request q = reqs_[r];
	tlm::tlm_phase phase = tlm::BEGIN_RESP;
	sc_core::sc_time d = sc_core::SC_ZERO_TIME;

	reqs_.put(r);
	q.trans->set_response_status(status);
	q.port->socket->nb_transport_bw(*q.trans, phase, d);	// takes it: TLM_COMPLETED
}

// An invalidation of @fh's pages [first, last], now: walks over them fill
// nothing, and translations in flight that the tables no longer give are
// uses of a stale translation.  Whether the architecture drains such
// requests before RPCIT completes is not public (docs/models.md); this is
// the side that counts the exposure.
void Dtu::drop_in_flight(uint32_t fh, uint64_t first, uint64_t last)
{
	for (uint32_t w : walking_) {
		Walk &k = walks_[w];
		if (k.fh == fh && k.page >= first && k.page <= last)
			k.dropped = true;
	}
	for (uint32_t r : inflight_) {
		Request &q = reqs_[r];
		uint64_t page = q.iova >> ZPCI_PAGE_SHIFT;
		if (q.stale || q.port->f->fh != fh || page < first || page > last)
			continue;
		if (is_stale(q.port->f, q.iova, q.dir, q.addr)) {
			q.stale = true;
			stats_.inflight_stale++;
		}
	}
}

void Dtu::register_stats(StatsRegistry &reg)
{
	std::string b = name();

	// Its parts' first: views list the walks before the faults they end in.
	iotlb_.register_stats(reg, b + ".iotlb");
	walker_.register_stats(reg, b + ".walker");
	reg.add(b, "requests", &stats_.requests, "device DMA requests (one page each)");
	reg.add(b, "translations", &stats_.translations, "requests translated and sent to memory");
	reg.add(b, "faults", &stats_.faults, "requests that faulted (error event raised)",
		ZPCI_SHOW_MODELS);
	reg.add(b, "blocked", &stats_.blocked, "requests refused: function disabled or in error");
	reg.add(b, "stale_hits", &stats_.stale_hits, "IOTLB hits the current tables would not give");
	if (!event_driven_)
		return;
	reg.add(b, "walk_merges", &stats_.walk_merges, "misses that joined a walk of their page");
	reg.add(b, "mshr_waits", &stats_.mshr_waits, "misses that waited for a free register");
	reg.add(b, "dropped_fills", &stats_.dropped_fills,
		"walks an invalidation kept out of the IOTLB");
	reg.add(b, "inflight_stale", &stats_.inflight_stale,
		"translations in flight that an invalidation made stale");
}

void Dtu::show_signals(Waveform &w)
{
	std::string n = name();

	wave_.w = &w;
	wave_.hit = w.wire(n + ".iotlb", "hit", 8);
	wave_.miss = w.wire(n + ".iotlb", "miss", 8);
	wave_.walking = w.wire(n + ".walker", "walking", 16);
	wave_.waiting = w.wire(n + ".walker", "waiting", 16);
	wave_.fault = w.wire(n, "fault", 8);
	for (size_t i = 0; i < walker_.slots(); i++)
		wave_.busy.push_back(w.wire(n + ".walker", "busy" + std::to_string(i), 1));
}

// A lookup that missed at @missed, and the walk it started.
void Dtu::show_walk(const WalkResult &r, const sc_core::sc_time &missed)
{
	sc_core::sc_time done = missed + r.latency;

	wave_.w->strobe(wave_.miss, missed, clock_);
	wave_.w->interval(wave_.waiting, missed, r.start);
	wave_.w->interval(wave_.walking, r.start, done);
	if (r.slot >= 0)
		wave_.w->interval(wave_.busy[r.slot], r.start, done);
	if (r.fault != ZPCI_FAULT_NONE)
		wave_.w->strobe(wave_.fault, done, clock_);
}

}  // namespace zpcisim
