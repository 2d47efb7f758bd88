// SPDX-License-Identifier: MIT
#include "function/zpci_function.h"

#include <algorithm>

#include "time/now.h"

namespace zpcisim {

ZpciFunction::ZpciFunction(sc_core::sc_module_name name, size_t index, zpci_func *f,
			   const ZpciFunctionParams &p)
	: sc_module(name), dma("dma"), index_(index), f_(f), p_(p), scratch_(ZPCI_PAGE_SIZE),
	  ns_(1, sc_core::SC_NS)
{
	if (p.event_driven)
		dma.register_nb_transport_bw(this, &ZpciFunction::nb_transport_bw);
}

// Fast mode: one page-sized request through `dma`, arriving at @arrival
// (@now is the kernel's time); returns when it completes.
inline uint64_t ZpciFunction::request(uint64_t iova, uint8_t *data, uint32_t len, zpci_dma_dir dir,
				      const sc_core::sc_time &now, const sc_core::sc_time &arrival,
				      bool *ok)
{
	tlm::tlm_generic_payload &t = trans_;
	sc_core::sc_time d = arrival - now;
	t.set_command(dir == ZPCI_DMA_WRITE ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
	t.set_address(iova);
	t.set_data_ptr(data ? data : scratch_.data());
	t.set_data_length(len);
	t.set_streaming_width(len);
	t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	dma->b_transport(t, d);
	*ok = t.is_response_ok();
	sc_core::sc_time end = now + d;
	if (wave_.w)
		show_request(arrival, arrival, end);
	return end.value();
}

bool ZpciFunction::access(uint64_t iova, uint64_t len, zpci_dma_dir dir,
			  const sc_core::sc_time &arrival, uint8_t *data)
{
	if (p_.event_driven) {
		const sc_core::sc_time t = now(*this);
		if (arrival > t)
			sc_core::sc_start(arrival - t);
		submit(iova, len, dir, 0, data);
		sc_core::sc_start();	// until nothing is left in flight
		return last_ok_;
	}
	const sc_core::sc_time kernel = now(*this);
	const uint64_t at = arrival.value();
	uint64_t done = at;
	bool all_ok = true;

	stats_.accesses++;
	while (len) {
		uint32_t chunk = std::min<uint64_t>(len, ZPCI_PAGE_SIZE - (iova & ~ZPCI_PAGE_MASK));
		uint64_t end, ticks;
		bool ok = true;

		if (hits_ && hits_->serve_hit(f_, iova, chunk, dir, data ? data : scratch_.data(),
					      &ticks))
			end = at + ticks;
		else
			end = request(iova, data, chunk, dir, kernel, arrival, &ok);
		stats_.requests++;
		done = std::max(done, end);
		if (!ok) {
			all_ok = false;
			break;
		}
		// Indexed, not branched on: reads and writes come in no order a
		// predictor could learn.
		stats_.dma_bytes[dir] += chunk;
		iova += chunk;
		len -= chunk;
		if (data)
			data += chunk;
	}
	stats_.failed += !all_ok;
	finished(at, done);
	return all_ok;
}

void ZpciFunction::finished(uint64_t arrival, uint64_t done)
{
	busy_until_ = std::max(busy_until_, done);
	last_latency_ = done - arrival;
	latency_ns_.add(to_ns(last_latency_));
}

// Cycle mode.  Accesses queue in arrival order; their requests are issued
// in that order while the window has room, and answered in whatever order
// the DTU finishes them.

void ZpciFunction::submit(uint64_t iova, uint64_t len, zpci_dma_dir dir, uint64_t tag,
			  uint8_t *data)
{
	uint32_t id = accesses_.take(
		Access{ iova, len, tag, data, dir, 0, 0, 0, true, now(*this), now(*this) });

	stats_.accesses++;
	if (!len) {
		finish(id);	// nothing to move: done as it arrives
		return;
	}
	issuing_.push_back(id);
	pump();
}

void ZpciFunction::pump()
{
	if (pumping_)
		return;	// an answer given at once, inside issue(): the loop goes on
	pumping_ = true;
	while (!issuing_.empty() && (!p_.outstanding || inflight_ < p_.outstanding))
		issue(issuing_.front());
	pumping_ = false;
}

// The next request of access @id.
void ZpciFunction::issue(uint32_t id)
{
	Access &a = accesses_[id];
	uint32_t chunk = std::min<uint64_t>(a.len, ZPCI_PAGE_SIZE - (a.iova & ~ZPCI_PAGE_MASK));
	Request *q;

	if (free_requests_.empty()) {
		requests_.push_back(std::make_unique<Request>());
		q = requests_.back().get();
		q->set_extension(&q->trace);
	} else {
		q = free_requests_.back();
		free_requests_.pop_back();
	}
	q->set_command(a.dir == ZPCI_DMA_WRITE ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
	q->set_address(a.iova);
	q->set_data_ptr(a.data ? a.data : scratch_.data());
	q->set_data_length(chunk);
	q->set_streaming_width(chunk);
	q->set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	q->access = id;
	q->issued = now(*this);
	q->trace = DtuTrace{};
	a.iova += chunk;
	a.len -= chunk;
	if (a.data)
		a.data += chunk;
	if (!a.len)
		issuing_.pop_front();
	a.inflight++;
	inflight_++;
	stats_.requests++;
	tlm::tlm_phase phase = tlm::BEGIN_REQ;
	sc_core::sc_time d = sc_core::SC_ZERO_TIME;
	if (dma->nb_transport_fw(*q, phase, d) == tlm::TLM_COMPLETED)
		answered(*q);	// refused at once
}

tlm::tlm_sync_enum ZpciFunction::nb_transport_bw(tlm::tlm_generic_payload &trans,
						 tlm::tlm_phase &phase, sc_core::sc_time &)
{
	if (phase == tlm::BEGIN_RESP)
		answered(static_cast<Request &>(trans));
	return tlm::TLM_COMPLETED;
}

void ZpciFunction::answered(Request &q)
{
	uint32_t id = q.access;
	Access &a = accesses_[id];
	bool ok = q.is_response_ok();

	a.inflight--;
	inflight_--;
	a.done = now(*this);
	a.walks += q.trace.walks;
	a.memory_refs += q.trace.memory_refs;
	if (wave_.w)
		show_request(a.arrival, q.issued, a.done);
	free_requests_.push_back(&q);
	if (ok) {
		stats_.dma_bytes[a.dir] += q.get_data_length();
	} else if (a.ok) {
		// The rest of a refused access is not issued.
		a.ok = false;
		if (a.len) {
			a.len = 0;
			issuing_.erase(std::find(issuing_.begin(), issuing_.end(), id));
		}
	}
	if (!a.inflight && !a.len)
		finish(id);
	pump();
}

void ZpciFunction::finish(uint32_t id)
{
	const Access a = accesses_[id];

	accesses_.put(id);
	stats_.failed += !a.ok;
	last_ok_ = a.ok;
	finished(a.arrival.value(), a.done.value());
	if (observer_)
		observer_->access_done(index_, AccessDone{ a.tag, a.ok, a.arrival.value(),
							   a.done.value(), a.walks, a.memory_refs });
}

void ZpciFunction::show_signals(Waveform &w, const sc_core::sc_time &clock)
{
	std::string n = name();

	wave_.w = &w;
	wave_.clock = clock;
	wave_.valid = w.wire(n, "req_valid", 1);
	wave_.ready = w.wire(n, "req_ready", 1, 1);
	wave_.response = w.wire(n, "rsp_valid", 8);
	wave_.inflight = w.wire(n, "inflight", 16);
	wave_.waiting = w.wire(n, "waiting", 16);
}

// A request that arrived at @arrival, was issued at @start and answered at @end.
void ZpciFunction::show_request(const sc_core::sc_time &arrival, const sc_core::sc_time &start,
				const sc_core::sc_time &end)
{
	Waveform &w = *wave_.w;

	w.interval(wave_.valid, arrival, start + wave_.clock);
	if (start > arrival) {
		w.interval(wave_.waiting, arrival, start);
		w.step(wave_.ready, arrival, -1);
		w.step(wave_.ready, start, 1);
	}
	w.interval(wave_.inflight, start, end);
	w.strobe(wave_.response, end, wave_.clock);
}

void ZpciFunction::register_stats(StatsRegistry &reg)
{
	std::string b = name();
	reg.add(b, "accesses", &stats_.accesses,
		"device accesses: one per trace dma record, or per element it touches");
	reg.add(b, "requests", &stats_.requests, "page-sized requests sent to the DTU");
	reg.add(b, "failed", &stats_.failed, "accesses with a refused request");
	reg.add(b, "dma_read_bytes", &stats_.dma_bytes[ZPCI_DMA_READ], "bytes the device read");
	reg.add(b, "dma_write_bytes", &stats_.dma_bytes[ZPCI_DMA_WRITE], "bytes the device wrote");
}

}  // namespace zpcisim
