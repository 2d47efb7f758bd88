// SPDX-License-Identifier: MIT
#include "waveform/waveform.h"

#include <stdexcept>

namespace zpcisim {

namespace {

// A VCD identifier: printable characters, base 94.
std::string vcd_code(size_t n)
{
	std::string s;

	do {
		s += char('!' + n % 94);
		n /= 94;
	} while (n);
	return s;
}

uint64_t ps(const sc_core::sc_time &t)
{
	return static_cast<uint64_t>(t.to_seconds() * 1e12 + 0.5);
}

}  // namespace

Waveform::Waveform(const std::string &path) : out_(fopen(path.c_str(), "w"))
{
	if (!out_)
		throw std::runtime_error(path + ": cannot write the waveform");
}

Waveform::~Waveform()
{
	settle_all();
	fclose(out_);
}

Waveform::Signal Waveform::wire(const std::string &scope, const std::string &name, unsigned width,
				int64_t initial)
{
	wires_.push_back({ scope, name, vcd_code(wires_.size()), width, initial, 0 });
	return wires_.size() - 1;
}

void Waveform::step(Signal s, const sc_core::sc_time &t, int64_t delta)
{
	pending_.push({ ps(t), seq_++, s, delta });
}

uint64_t Waveform::shown(const Wire &w) const
{
	if (w.count <= 0)
		return 0;
	if (w.width == 1)
		return 1;
	uint64_t max = w.width >= 64 ? UINT64_MAX : (uint64_t(1) << w.width) - 1;
	return std::min<uint64_t>(w.count, max);
}

void Waveform::write_value(const Wire &w)
{
	uint64_t v = shown(w);

	if (w.width == 1) {
		fprintf(out_, "%c%s\n", v ? '1' : '0', w.code.c_str());
		return;
	}
	char bits[65];
	int n = 0;
	do {
		bits[n++] = char('0' + (v & 1));
		v >>= 1;
	} while (v);
	fputc('b', out_);
	while (n)
		fputc(bits[--n], out_);
	fprintf(out_, " %s\n", w.code.c_str());
}

// Scopes open and close as the wires' dotted scopes change, in the order
// the wires were declared.
void Waveform::write_header()
{
	std::vector<std::string> open;

	fprintf(out_, "$timescale 1 ps $end\n");
	for (const Wire &w : wires_) {
		std::vector<std::string> path;
		for (size_t at = 0, dot;; at = dot + 1) {
			dot = w.scope.find('.', at);
			path.push_back(w.scope.substr(at, dot - at));
			if (dot == std::string::npos)
				break;
		}
		size_t common = 0;
		while (common < open.size() && common < path.size() && open[common] == path[common])
			common++;
		for (; open.size() > common; open.pop_back())
			fprintf(out_, "$upscope $end\n");
		for (; open.size() < path.size(); open.push_back(path[open.size()]))
			fprintf(out_, "$scope module %s $end\n", path[open.size()].c_str());
		fprintf(out_, "$var wire %u %s %s", w.width, w.code.c_str(), w.name.c_str());
		fprintf(out_, w.width > 1 ? " [%u:0] $end\n" : " $end\n", w.width - 1);
	}
	for (; !open.empty(); open.pop_back())
		fprintf(out_, "$upscope $end\n");
	fprintf(out_, "$enddefinitions $end\n#0\n$dumpvars\n");
	for (Wire &w : wires_) {
		w.shown = shown(w);
		write_value(w);
	}
	fprintf(out_, "$end\n");
	started_ = true;
}

// The changes before @end_ps (through it when @inclusive), an instant at a
// time: each signal written once per instant, if what it shows changed.
void Waveform::write_until(uint64_t end_ps, bool inclusive)
{
	if (!started_)
		write_header();
	while (!pending_.empty()) {
		uint64_t t = pending_.top().t;
		if (t > end_ps || (t == end_ps && !inclusive))
			break;
		std::vector<Signal> touched;
		while (!pending_.empty() && pending_.top().t == t) {
			const Change &c = pending_.top();
			wires_[c.s].count += c.delta;
			touched.push_back(c.s);
			pending_.pop();
		}
		t = std::max(t, written_ps_);
		bool stamped = false;
		for (Signal s : touched) {
			Wire &w = wires_[s];
			if (shown(w) == w.shown)
				continue;
			if (!stamped && t != stamped_ps_)
				fprintf(out_, "#%llu\n", (unsigned long long)t);
			stamped = true;
			stamped_ps_ = t;
			w.shown = shown(w);
			write_value(w);
		}
		written_ps_ = t;
	}
}

void Waveform::settle(const sc_core::sc_time &t)
{
	write_until(ps(t), false);
}

void Waveform::settle_all()
{
	write_until(UINT64_MAX, true);
}

}  // namespace zpcisim
