// SPDX-License-Identifier: MIT
// What a replay is asked to run: the design, the guest, its policy, the
// timing mode, the hypervisor's limits, every model block's parameters, the
// cost table and the faults to inject; and the names of each choice, as the
// command line, the configuration and the reports spell them (read from
// the design and guest tables where there are tables).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <zpci/dma.h>
#include <zpci/machine.h>

#include "cpu/cpu_cost.h"
#include "system/system_params.h"

namespace zpcisim {

// How device accesses are simulated: by the functional function (exact,
// untimed), or by the SystemC models in one of their timing modes.
enum class ReplayMode { Functional, Fast, Cycle };

// How a replay keeps time.  trace: every record happens at the time the
// trace gives (open loop; the checks against a capture's RPCITs and IOVAs
// need it).  closed: the trace gives the work and its order within each
// request, the simulated system decides when it happens (vCPUs, locks,
// the device's queue and link), and the run reports throughput.
enum class Timing { Trace, Closed };

// The device behind each function, as closed-loop timing serves it: a
// request's transfer holds the link for bytes / bandwidth plus the DTU's
// translation time, then completes after the device's latency, which
// overlaps other requests' transfers.
struct DeviceParams {
	uint32_t queue_depth = 0;	// requests in flight; 0: the trace's, else 32
	double latency_ns = 10000;
	double bandwidth_mb_s = 3938;	// PCIe Gen3 x4 (docs/costs.md)
	// A request whose buffer could not be mapped runs again (schedule.h).
	double retry_delay_ns = 3e6;	// blk-mq's BLK_MQ_RESOURCE_DELAY
	uint32_t idle_retries = 1000;	// in a row without a completion, per slot; 0: fail at once
};

// A design of the table (zpci/design.h, docs/architecture.md) by its
// index, registered ones included: the table has their names and order.
enum class Design { Bare = ZPCI_DESIGN_BARE };

// Faults injected into a run, to exercise the guest's and the hypervisor's
// recovery paths (pin failures and limits are under pin and mapping_limit).
struct FaultInjection {
	uint32_t rpcit_busy_every = 0;	// every Nth RPCIT reaching a function: busy
	uint32_t rpcit_fail_every = 0;	// ... of the others: cc 1, insufficient resources
	uint64_t function_error_at_ns = 0;	// every function enters the error state then; 0: never
	uint32_t table_nomem_every = 0;	// every Nth table frame the guest allocates: none
};

// A device that DMAs again after the guest unmapped its buffer: what a
// malicious or buggy device, or one the hypervisor cannot stop in time,
// does inside the exposure window.  Every Nth unmap, unmap-sg or free, it
// accesses the buffer again delay_ns later at the IOVA the replayed guest
// had given it (writing, unless the buffer was to-device), so a trace's
// own mapping pattern measures how many such accesses still translate.
struct AdversaryParams {
	uint32_t every = 0;		// every Nth unmap; 0: no adversary
	double delay_ns = 0;		// after the unmap, in trace time
	uint32_t bytes = 0;		// per buffer (each element of a list); 0: all of it
	// It also accesses the buffer just before the unmap, as the device that
	// used it did: a capture without device records would otherwise leave
	// no translation cached to be stale, whatever the policy.
	bool touch = true;
	// A re-access that faults puts the function in the error state, as the
	// architecture has it; recover: reset it at once, as a recovering
	// guest would, so that every unmap is probed, not only those before
	// the first fault.
	bool recover = true;
};

// The guest's flush queues (Linux 6.7+'s lazy mode, policy flush-queue):
// their shape, as the kernel picks it from the refresh bit unless set, and
// custom sizes.  apply_guest_fq() puts them in the guest's DMA config.
struct GuestFqParams {
	zpci_fq_shape shape = ZPCI_FQ_AUTO;
	uint32_t entries = 0;		// per queue; 0: the shape's
	double timeout_ms = 0;		// 0: the shape's
};

// "auto", "per-cpu", "single": zpci_fq_shape's values.
const std::vector<std::string> &fq_shape_names();	// by value
bool parse_fq_shape(const std::string &name, zpci_fq_shape *shape);
const char *fq_shape_name(zpci_fq_shape shape);

template <>
inline constexpr ParamDecl param_keys<GuestFqParams>[] = {
	choice<&GuestFqParams::shape>(
		"flush_queue", fq_shape_names,
		"the flush queues of policy flush-queue: auto is what Linux 6.7+ picks, single "
		"with the refresh bit (a shadowing hypervisor), else per-cpu; per-cpu: a queue "
		"per CPU, 256 entries, 10 ms; single: one queue, 32768 entries, 1 s; source: "
		"Linux 6.7+ drivers/iommu/dma-iommu.c"),
	number<&GuestFqParams::entries>(
		"fq_entries", "entries", 0, 1 << 20,
		"entries per flush queue; 0: the shape's (per-cpu 256, single 32768; source: "
		"Linux 6.7+ drivers/iommu/dma-iommu.c)"),
	number<&GuestFqParams::timeout_ms>(
		"fq_timeout_ms", "ms", 0, 1e6,
		"flush-queue timeout, on the guest's timer wheel; 0: the shape's (per-cpu 10 ms, "
		"single 1000 ms; source: Linux 6.7+ drivers/iommu/dma-iommu.c)"),
};

// @p into the guest's DMA config (zpci_dma_cfg's fq_shape and fq): the
// defaults leave it as zpci_dma_default_cfg() made it.
void apply_guest_fq(const GuestFqParams &p, zpci_dma_cfg *cfg);

struct ReplayOptions {
	Design design = Design::Bare;
	zpci_guest_gen guest = ZPCI_GUEST_LINUX_6_1;
	uint32_t hz = ZPCI_HZ_DEFAULT;
	zpci_flush_policy policy = ZPCI_FLUSH_LAZY;
	GuestFqParams guest_fq;
	ReplayMode mode = ReplayMode::Functional;
	Timing timing = Timing::Trace;
	DeviceParams device;
	// Intercepting designs: shadow mappings at once (VFIO's dma_entry_limit).
	uint32_t mapping_limit = ZPCI_SHADOW_MAPPING_LIMIT_DEFAULT;
	// Pinning: the limit and injected failures ("and if pinning fails?").
	zpci_pin_cfg pin{ 0, 0, 0, 1 };
	// The functions honour 1 MiB and 2 GiB frames; the pinned designs map with them.
	bool large_frames = true;
	// The timed modes' blocks, before the mode's own settings (apply_mode);
	// system.vcd asks for a waveform.
	SystemParams system;
	CpuCostParams cost;
	FaultInjection inject;
	AdversaryParams adversary;
};

// The designs of the table (zpci/design.h), registered ones included: name
// i is design i's.  Valid until a design is registered or taken out.
const std::vector<std::string> &design_names();
// The designs and what each is, a line each, for help texts.
std::string designs_help();
bool parse_design(const std::string &name, Design *design);
// "bare,intercept-kvm": each a design, in order; false for a bad name,
// with @err saying what is wrong.
bool parse_designs(const std::string &list, std::vector<Design> *out, std::string *err);
const char *design_name(Design design);

bool parse_timing(const std::string &name, Timing *timing);
const char *timing_name(Timing timing);
const std::vector<std::string> &timing_names();	// by value

bool parse_mode(const std::string &name, ReplayMode *mode);
const char *mode_name(ReplayMode mode);
const std::vector<std::string> &mode_names();	// by value

// "lazy" -> ZPCI_FLUSH_LAZY; false for an unknown name.
bool parse_policy(const std::string &name, zpci_flush_policy *policy);
const char *policy_name(zpci_flush_policy policy);
const std::vector<std::string> &policy_names();	// by value
// "linux-6.1" -> ZPCI_GUEST_LINUX_6_1.
bool parse_guest(const std::string &name, zpci_guest_gen *gen);
const char *guest_name(zpci_guest_gen gen);
// Every guest's name: "linux-6.1, linux-6.7".
const std::vector<std::string> &guest_names();	// by value
// Every guest and what it is, from the table: "linux-6.1 is s390's own ...;
// linux-6.7 is ...".
std::string guests_described();

}  // namespace zpcisim
