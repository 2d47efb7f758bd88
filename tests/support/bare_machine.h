// SPDX-License-Identifier: MIT
// A bare-metal machine for driver tests: guest memory, the guest's table
// pool, and the functional zPCI function the guest DMA layer drives,
// through the machine's instruments (the RPCIT log, injected outcomes).
#pragma once

#include <zpci/dma.h>
#include <zpci/func.h>
#include <zpci/monitor.h>

#include "support/table_builder.h"

namespace zpcisim::test {

struct BareMachineCfg {
	uint64_t guest_mem = 1ULL << 30;
	uint64_t sdma = 0x100000000ULL;		// QEMU's default
	uint64_t edma = (1ULL << 57) - 1;
	bool refresh = false;
};

class BareMachine {
public:
	static constexpr uint32_t kFid = 0x10;
	static constexpr uint32_t kFh = 0x100;
	static constexpr uint64_t kPoolBase = 512ULL << 20;
	static constexpr uint64_t kPoolSize = 64ULL << 20;

	explicit BareMachine(const BareMachineCfg &c = {}) : mem_(c.guest_mem)
	{
		zpci_func_cfg fc{ kFid, kFh, 1, c.sdma, c.edma, c.refresh, false };
		zpci_pin_cfg pc{};
		if (zpci_func_init(&func_, &fc, mem_.view(), c.guest_mem) ||
		    zpci_frame_pool_init(&pool_, kPoolBase, kPoolSize) ||
		    zpci_layout_init_contiguous(&layout_, c.guest_mem, 0) ||
		    zpci_pin_init(&pins_, &pc) ||
		    zpci_monitor_init(&mon_, 1, &layout_, &pins_, false, nullptr,
				      nullptr))
			throw std::runtime_error("cannot build the bare machine");
		hw_ = zpci_monitor_tap(&mon_, 0, &func_, zpci_func_hw(&func_));
	}
	~BareMachine()
	{
		zpci_monitor_destroy(&mon_);
		zpci_pin_destroy(&pins_);
		zpci_layout_destroy(&layout_);
		zpci_func_destroy(&func_);
		zpci_frame_pool_destroy(&pool_);
	}
	BareMachine(const BareMachine &) = delete;
	BareMachine &operator=(const BareMachine &) = delete;

	int attach(zpci_dma_dev *dev, const zpci_dma_cfg &cfg)
	{
		return zpci_dma_attach(dev, hw_, mem_.view(), &pool_, &cfg);
	}

	zpci_mem mem() { return mem_.view(); }
	zpci_func &func() { return func_; }
	zpci_frame_pool &pool() { return pool_; }
	// Every RPCIT the guest issued, in order (nothing takes them).
	const zpci_monitor_fn &watch() const { return mon_.fns[0]; }
	zpci_fault_window *window(zpci_inject what) { return zpci_monitor_window(&mon_, 0, what); }

private:
	SparseMem mem_;
	zpci_func func_{};
	zpci_frame_pool pool_{};
	zpci_layout layout_{};
	zpci_pinner pins_{};
	zpci_monitor mon_{};
	zpci_hw hw_{};
};

}  // namespace zpcisim::test
