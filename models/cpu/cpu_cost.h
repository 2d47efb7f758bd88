// SPDX-License-Identifier: MIT
// CpuCost: the CPU time the DMA path costs, from a table of per-operation
// costs.  Timing of the DMA path itself is the other blocks' business;
// this is what the guest (and, in the intercepting designs, the
// hypervisor) spends issuing it.
//
// Models: RPCIT executed by the machine (a fixed part and a part per 4 KiB
// page of its range); for the intercepting designs, the SIE exit and
// re-entry, the exit to user space and back (QEMU), the software walk of
// the guest's table per entry read, pinning and unpinning per page, and, in
// user space, QEMU's look-up of every page of the flushed range in its own
// IOTLB and one VFIO ioctl per map and per unmap call.
// Every default says where it comes from (source, derived or assumption);
// docs/costs.md has the full citations and what each one counts.
#pragma once

#include <cstdint>
#include <string>

#include "params/param.h"
#include "stats/stats.h"

namespace zpcisim {

struct CpuCostParams {
	double dma_call_ns = 200;
	double table_entry_ns = 10;
	double rpcit_base_ns = 1000;
	double rpcit_per_page_ns = 1;
	double sie_exit_ns = 1500;
	double user_exit_ns = 10000;
	double walk_entry_ns = 20;
	double page_compare_ns = 20;
	double pin_page_ns = 170;
	double unpin_page_ns = 40;
	double map_call_ns = 500;
};

// A cost: ns, up to 1000 s.
template <auto M>
constexpr ParamDecl cost(const char *name, const char *doc)
{
	return number<M>(name, "ns", 0, 1e12, doc);
}

// Each doc ends "source: ...", "derived: ..." or "assumption: ..." (a test
// holds every cost and timing key to it); docs/costs.md says more.
template <>
inline constexpr ParamDecl param_keys<CpuCostParams>[] = {
	cost<&CpuCostParams::dma_call_ns>(
		"dma_call_ns",
		"guest DMA-API call (map, unmap, alloc, free), fixed part: IOVA allocation and "
		"bookkeeping; assumption: about 1,000 cycles at 5.2 GHz, no s390 figure is public"),
	cost<&CpuCostParams::table_entry_ns>(
		"table_entry_ns",
		"guest: one DMA-table entry written or invalidated; assumption: a store and its "
		"share of the barrier, about 50 cycles at 5.2 GHz"),
	cost<&CpuCostParams::rpcit_base_ns>(
		"rpcit_base_ns",
		"RPCIT executed by the machine, fixed part; assumption: 1 us, no public figure for "
		"RPCIT on LPAR"),
	cost<&CpuCostParams::rpcit_per_page_ns>(
		"rpcit_per_page_ns",
		"RPCIT, per 4 KiB page of its range, up to iotlb.entries pages (derived: a longer "
		"range can only purge what the IOTLB holds, so the machine scans the IOTLB instead); "
		"assumption: 1 ns, no public figure"),
	cost<&CpuCostParams::sie_exit_ns>(
		"sie_exit_ns",
		"intercept: SIE exit and re-entry with KVM's dispatch of the intercept; "
		"assumption: 1.5 us, no public s390 figure"),
	cost<&CpuCostParams::user_exit_ns>(
		"user_exit_ns",
		"intercept in user space: KVM_RUN back to QEMU and in again, on top of the SIE "
		"exit; assumption: 10 us, no public s390 figure"),
	cost<&CpuCostParams::walk_entry_ns>(
		"walk_entry_ns",
		"software walk of the guest's table, per entry read (walks start at the top); "
		"assumption: about 100 cycles at 5.2 GHz, a load that misses the L1"),
	cost<&CpuCostParams::page_compare_ns>(
		"page_compare_ns",
		"intercept in user space: per 4 KiB page of the flushed range, skipped blocks "
		"included, QEMU's look-up in its own IOTLB (a hash table); assumption: as "
		"walk_entry_ns"),
	cost<&CpuCostParams::pin_page_ns>(
		"pin_page_ns",
		"pin and IOMMU-map one pre-faulted 4 KiB page inside a VFIO map; source: 16 GiB "
		"mapped in 0.726 s (A. Williamson, kvm list, 5 Jun 2025)"),
	cost<&CpuCostParams::unpin_page_ns>(
		"unpin_page_ns",
		"unpin and IOMMU-unmap one 4 KiB page inside a VFIO unmap; source: 16 GiB "
		"unmapped in 0.169 s (A. Williamson, kvm list, 5 Jun 2025)"),
	cost<&CpuCostParams::map_call_ns>(
		"map_call_ns",
		"one VFIO map or unmap ioctl from user space, fixed part (its pages cost apart); "
		"assumption: a system call and VFIO's bookkeeping, no public per-call figure"),
};

struct CpuCostStats {
	uint64_t rpcits = 0;
	uint64_t rpcit_pages = 0;
	uint64_t rpcit_ns = 0;
};

// Work the DMA path did, to be costed: the guest's own, and what an
// intercepting hypervisor did for it (RPCITs are costed as they reach the
// function, by rpcit()).
struct CpuWork {
	uint64_t calls = 0;		// guest DMA-API calls
	uint64_t table_entries = 0;	// guest DMA-table entries written or invalidated
	uint64_t intercepts = 0;
	uint64_t entries_read = 0;
	uint64_t pages_compared = 0;	// pages of the flushed ranges, holes included
	uint64_t pins = 0;
	uint64_t unpins = 0;
	uint64_t maps = 0;		// one map call each
	uint64_t unmap_calls = 0;
	bool user_space = false;	// QEMU (intercept-user) or KVM (intercept-kvm)

	// The work done between @before and this, both running sums.
	CpuWork since(const CpuWork &before) const;
};

// The CPU time of some work, by who spends it and under what.
struct CpuTime {
	double guest_ns = 0;
	double exit_ns = 0;	// SIE exit and re-entry, before the handler takes any lock
	double kernel_ns = 0;	// the host kernel's handling: walk (KVM), pins, unpins
	double user_ns = 0;	// QEMU's: the exit to user space, its walk, its VFIO calls
};

class CpuCost {
public:
	// @iotlb_entries: the most translations an RPCIT can have to purge.
	explicit CpuCost(const CpuCostParams &p = {}, uint64_t iotlb_entries = UINT64_MAX)
		: p_(p), purge_max_pages_(iotlb_entries)
	{
	}

	// An RPCIT over @len bytes; returns its cost in ns.
	uint64_t rpcit(uint64_t len);
	CpuTime time(const CpuWork &w) const;
	// The hypervisor CPU time of @w, in ns (RPCITs it issued not included).
	uint64_t intercepts(const CpuWork &w) const;
	// Pinning @pages pages up front (the fully-pinned designs), in ns.
	uint64_t pin_all(uint64_t pages) const;

	const CpuCostParams &params() const { return p_; }
	const CpuCostStats &stats() const { return stats_; }
	void register_stats(StatsRegistry &reg, const std::string &block);

private:
	CpuCostParams p_;
	uint64_t purge_max_pages_;
	CpuCostStats stats_;
};

}  // namespace zpcisim
