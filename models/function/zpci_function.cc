// SPDX-License-Identifier: MIT
#include "function/zpci_function.h"

#include <algorithm>

#include "time/now.h"

namespace zpcisim {

ZpciFunction::ZpciFunction(sc_core::sc_module_name name, zpci_func *f, const ZpciFunctionParams &p)
	: sc_module(name), dma("dma"), f_(f), p_(p),
	  window_(p.outstanding, sc_core::SC_ZERO_TIME), scratch_(ZPCI_PAGE_SIZE),
	  ns_(1, sc_core::SC_NS)
{
}

// One page-sized request through `dma`, arriving at @arrival (@now is the
// kernel's time), after the window's wait; returns when it completes.
inline uint64_t ZpciFunction::request(uint64_t iova, uint8_t *data, uint32_t len, zpci_dma_dir dir,
				      const sc_core::sc_time &now, const sc_core::sc_time &arrival,
				      bool *ok)
{
	tlm::tlm_generic_payload &t = trans_;
	sc_core::sc_time start = arrival;

	// With a window, a request waits for the one `outstanding` before it.
	if (!window_.empty())
		start = std::max(start, window_[next_]);
	sc_core::sc_time d = start - now;
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
		show_request(arrival, start, end);
	if (!window_.empty()) {
		window_[next_] = end;
		if (++next_ == window_.size())
			next_ = 0;
	}
	return end.value();
}

bool ZpciFunction::access(uint64_t iova, uint64_t len, zpci_dma_dir dir,
			  const sc_core::sc_time &arrival, uint8_t *data)
{
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
	busy_until_ = std::max(busy_until_, done);
	last_latency_ = done - at;
	latency_ns_.add(to_ns(last_latency_));
	return all_ok;
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
