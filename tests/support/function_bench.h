// SPDX-License-Identifier: MIT
// A test bench for one functional zPCI function: 64 MiB of memory, a table
// builder, and the function's instructions (hw_, which a test may route
// through something in front of it).
#pragma once

#include <gtest/gtest.h>

#include <zpci/func.h>

#include "support/table_builder.h"

namespace zpcisim::test {

class FunctionBench : public ::testing::Test {
public:
	static constexpr uint64_t kSdma = 0x100000000ULL;
	static constexpr uint64_t kMem = 64ULL << 20;

protected:
	FunctionBench() : mem_(kMem), tb_(mem_.view(), 0x10000)
	{
		zpci_func_cfg cfg{ 0x10, 0x100, 1, kSdma, kSdma + (1ULL << 30) - 1, false, false };
		EXPECT_EQ(zpci_func_init(&f_, &cfg, mem_.view(), kMem), 0);
		hw_ = zpci_func_hw(&f_);
	}
	~FunctionBench() override { zpci_func_destroy(&f_); }

	// Enabled, with the builder's table registered for the first MiB.
	void enable_and_register()
	{
		ASSERT_EQ(hw_.ops->clp_set_fn(hw_.priv, 0x100, true, &fh_), 0);
		zpci_fib fib{};
		fib.pba = kSdma;
		fib.pal = kSdma + (1 << 20) - 1;
		fib.iota = tb_.iota();
		ASSERT_EQ(hw_.ops->mpcifc(hw_.priv, fh_, ZPCI_MOD_FC_REG_IOAT, &fib).cc, 0);
	}

	zpci_insn_result rpcit(uint64_t iova, uint64_t len)
	{
		return hw_.ops->rpcit(hw_.priv, fh_, iova, len);
	}

	SparseMem mem_;
	TableBuilder tb_;
	zpci_func f_{};
	zpci_hw hw_{};
	uint32_t fh_ = 0;
};

}  // namespace zpcisim::test
