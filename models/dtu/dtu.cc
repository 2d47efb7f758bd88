// SPDX-License-Identifier: MIT
#include "dtu/dtu.h"

#include "time/now.h"

namespace zpcisim {

Dtu::Port::Port(Dtu &dtu, unsigned int index, zpci_func *f)
	: socket(sc_core::sc_gen_unique_name("port")), index(index), f(f), dtu_(dtu)
{
	socket.bind(*this);
}

Dtu::Dtu(sc_core::sc_module_name name, const std::vector<zpci_func *> &funcs, const DtuParams &p)
	: sc_module(name), mem("mem"), p_(p), clock_(p.clock_ns, sc_core::SC_NS),
	  iotlb_latency_(p.iotlb_cycles * clock_), iotlb_(p.iotlb), walker_(p.walker, clock_)
{
	for (zpci_func *f : funcs) {
		ports_.push_back(std::make_unique<Port>(*this, ports_.size(), f));
		f->hook = { flush_hook, this };
	}
}

void Dtu::flush_hook(void *ctx, u32 fh, dma_addr_t iova, u64 len)
{
	Dtu *d = static_cast<Dtu *>(ctx);

	if (!len) {
		d->iotlb_.invalidate_function(fh);
		d->walker_.invalidate_function(fh);
		return;
	}
	uint64_t last = iova + len - 1 < iova ? UINT64_MAX : iova + len - 1;
	d->iotlb_.invalidate_range(fh, iova >> ZPCI_PAGE_SHIFT, last >> ZPCI_PAGE_SHIFT);
	d->walker_.invalidate(fh, iova, len);
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
