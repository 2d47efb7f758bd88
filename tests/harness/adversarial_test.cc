// SPDX-License-Identifier: MIT
// Adversarial guests: a guest that drives the function itself, with tables
// that point outside its memory or at themselves, entries of the wrong
// type, entries changed behind the IOTLB's back, RPCITs over everything,
// a mapping limit run dry, and DMA after the function is disabled.  For
// each case and design, the architected outcome (the RPCIT's cc/status,
// whether the device's DMA went through, the function's error state) is
// the one below, the isolation checker counts nothing, and no pin is left.
#include <gtest/gtest.h>

#include <string>

#include <zpci/harness.h>

#include "support/table_builder.h"

namespace zpcisim {
namespace {

constexpr uint64_t kTables = 16ULL << 20;	// the guest's tables
constexpr uint64_t kFrame = 32ULL << 20;	// a page of its own
constexpr uint64_t kOther = 33ULL << 20;	// another
constexpr uint64_t kSdma = 0x100000000ULL;

// A guest with its own hand-built table, registered on function 0.
class HostileGuest {
public:
	explicit HostileGuest(zpci_design design, uint32_t mapping_limit = 0) : design_(design)
	{
		zpci_harness_cfg cfg = zpci_harness_default_cfg(design);
		char err[256];
		if (mapping_limit)
			cfg.mapping_limit = mapping_limit;
		h_ = zpci_harness_create(&cfg, err, sizeof(err));
		if (!h_)
			throw std::runtime_error(err);
		hw_ = zpci_harness_hw(h_, 0);
		mem_ = zpci_harness_guest_mem(h_);
		tb_ = std::make_unique<test::TableBuilder>(mem_, kTables);
		zpci_clp_fn fn;
		hw_.ops->clp_query_fn(hw_.priv, ZPCI_HARNESS_FID, &fn);
		hw_.ops->clp_set_fn(hw_.priv, fn.fh, true, &fh_);
		zpci_fib fib{};
		fib.pba = fn.sdma;
		fib.pal = fn.edma;
		fib.iota = tb_->iota();
		registered_ = hw_.ops->mpcifc(hw_.priv, fh_, ZPCI_MOD_FC_REG_IOAT, &fib).cc == ZPCI_CC_OK;
		sdma_ = fn.sdma;
	}
	~HostileGuest() { zpci_harness_destroy(h_); }

	test::TableBuilder &tables() { return *tb_; }
	std::string rpcit(uint64_t iova, uint64_t len)
	{
		zpci_insn_result r = hw_.ops->rpcit(hw_.priv, fh_, iova, len);
		return "cc" + std::to_string(r.cc) + (r.cc == 1 ? "/" + std::to_string(r.status) : "");
	}
	// A device write at @iova; the identity design has no IOVAs, so its
	// device addresses the guest's own frame (what the table would map).
	std::string dma(uint64_t iova)
	{
		uint8_t b[64] = {};
		uint64_t at = design_ == ZPCI_DESIGN_IDENTITY_PINNED ? kFrame + (iova - kSdma) : iova;
		return zpci_harness_dma(h_, 0, at, b, sizeof(b), ZPCI_DMA_WRITE) ? "refused" : "ok";
	}
	// Register the table again over [sdma, @pal], whatever CLP said the
	// aperture is: 0, or the instruction's cc.
	int reregister(uint64_t pal)
	{
		zpci_fib fib{};
		fib.pba = sdma_;
		fib.pal = pal;
		fib.iota = tb_->iota();
		hw_.ops->mpcifc(hw_.priv, fh_, ZPCI_MOD_FC_DEREG_IOAT, &fib);
		return hw_.ops->mpcifc(hw_.priv, fh_, ZPCI_MOD_FC_REG_IOAT, &fib).cc;
	}
	void disable() { hw_.ops->clp_set_fn(hw_.priv, fh_, false, &fh_); }
	bool registered() const { return registered_; }
	zpci_harness_counters counters()
	{
		zpci_harness_counters c{};
		zpci_harness_read_counters(h_, 0, &c);
		return c;
	}
	// What the isolation checker saw: nothing, or the first violation.
	std::string violations()
	{
		char first[256];
		long long n = zpci_harness_violations(h_, first, sizeof(first));
		return n ? std::to_string(n) + ": " + first : "";
	}

private:
	zpci_design design_;
	zpci_harness *h_ = nullptr;
	zpci_hw hw_{};
	uint64_t sdma_ = 0;
	zpci_mem mem_{};
	std::unique_ptr<test::TableBuilder> tb_;
	uint32_t fh_ = 0;
	bool registered_ = false;
};

// One case: what the guest does, returning "rpcit ..., dma ..." as it went.
struct Case {
	const char *name;
	std::string (*run)(HostileGuest &g);
	uint32_t mapping_limit;
	// The outcome per design, in enum zpci_design order.
	const char *expect[ZPCI_NR_DESIGNS];
};

// An RPCIT of @len from the aperture's start, then a device write there, in
// that order (the operands of + are not sequenced).
std::string rpcit_then_dma(HostileGuest &g, uint64_t len)
{
	std::string r = "rpcit " + g.rpcit(kSdma, len);
	return r + ", dma " + g.dma(kSdma);
}

std::string outside_memory(HostileGuest &g)
{
	// A segment table far beyond the guest's memory.
	g.tables().write(g.tables().rtto() + zpci_rtx(kSdma) * 8,
			 zpci_mk_rte(1ULL << 40, ZPCI_TABLE_TYPE_RTX));
	return rpcit_then_dma(g, 4096);
}

std::string frame_outside_memory(HostileGuest &g)
{
	g.tables().map_4k(kSdma, 1ULL << 40, false);
	return rpcit_then_dma(g, 4096);
}

std::string table_points_at_itself(HostileGuest &g)
{
	g.tables().write(g.tables().rtto() + zpci_rtx(kSdma) * 8,
			 zpci_mk_rte(g.tables().rtto(), ZPCI_TABLE_TYPE_RTX));
	return rpcit_then_dma(g, 4096);
}

std::string wrong_table_type(HostileGuest &g)
{
	g.tables().map_4k(kSdma, kFrame, false);
	uint64_t rte_addr = g.tables().rtto() + zpci_rtx(kSdma) * 8;
	uint64_t rte = g.tables().read(rte_addr);
	g.tables().write(rte_addr, (rte & ~ZPCI_TABLE_TYPE_MASK) | ZPCI_TABLE_TYPE_SX);
	return rpcit_then_dma(g, 4096);
}

// Mapped and used, then pointed elsewhere without an RPCIT: the device may
// still use the old page (the guest's own), never anything else.
std::string flipped_after_rpcit(HostileGuest &g)
{
	g.tables().map_4k(kSdma, kFrame, false);
	std::string r = rpcit_then_dma(g, 4096);
	g.tables().map_4k(kSdma, kOther, false);
	return r + ", dma after flip " + g.dma(kSdma);
}

std::string rpcit_everything(HostileGuest &g)
{
	g.tables().map_4k(kSdma, kFrame, false);
	return rpcit_then_dma(g, 1ULL << 42);
}

// 64 pages against a limit of 16, never flushing, over an aperture the
// guest widened past the 16 pages CLP gave it.
std::string exhaust_mapping_limit(HostileGuest &g)
{
	std::string first_refusal = "none";
	int cc = g.reregister(kSdma + 64 * 4096 - 1);

	for (uint64_t i = 0; i < 64; i++) {
		g.tables().map_4k(kSdma + i * 4096, kFrame + i * 4096, false);
		std::string r = g.rpcit(kSdma + i * 4096, 4096);
		if (r != "cc0" && first_refusal == "none")
			first_refusal = r + " at page " + std::to_string(i);
	}
	std::string dma = g.dma(kSdma);
	return "register cc" + std::to_string(cc) + ", first refusal " + first_refusal + ", dma " +
	       dma;
}

std::string dma_storm_after_disable(HostileGuest &g)
{
	g.tables().map_4k(kSdma, kFrame, false);
	g.rpcit(kSdma, 4096);
	g.disable();
	int ok = 0;
	for (int i = 0; i < 1000; i++)
		ok += g.dma(kSdma) == "ok";
	return "dma after disable ok " + std::to_string(ok) + "/1000";
}

// Designs: bare, intercept-user, intercept-kvm, nested-pinned, identity-pinned.
// The intercepting hypervisor walks at RPCIT and answers cc 1 status 8 for a
// table it cannot walk; the others find out at the device's walk, which
// puts the function in the error state.  The identity design has no guest
// table: whatever the guest writes in one, its device reaches its memory.
const Case kCases[] = {
	{ "SegmentTableOutsideGuestMemory", outside_memory, 0,
	  { "rpcit cc0, dma refused", "rpcit cc1/8, dma refused", "rpcit cc1/8, dma refused",
	    "rpcit cc0, dma refused", "rpcit cc0, dma ok" } },
	{ "FrameOutsideGuestMemory", frame_outside_memory, 0,
	  { "rpcit cc0, dma refused", "rpcit cc1/8, dma refused", "rpcit cc1/8, dma refused",
	    "rpcit cc0, dma refused", "rpcit cc0, dma ok" } },
	// Read as a segment table, the region table's entry 0 is invalid: nothing
	// to shadow, and the device's walk finds the same invalid entry.
	{ "TablePointsAtItself", table_points_at_itself, 0,
	  { "rpcit cc0, dma refused", "rpcit cc0, dma refused", "rpcit cc0, dma refused",
	    "rpcit cc0, dma refused", "rpcit cc0, dma ok" } },
	{ "WrongTableType", wrong_table_type, 0,
	  { "rpcit cc0, dma refused", "rpcit cc1/8, dma refused", "rpcit cc1/8, dma refused",
	    "rpcit cc0, dma refused", "rpcit cc0, dma ok" } },
	{ "EntryFlippedAfterRpcit", flipped_after_rpcit, 0,
	  { "rpcit cc0, dma ok, dma after flip ok", "rpcit cc0, dma ok, dma after flip ok",
	    "rpcit cc0, dma ok, dma after flip ok", "rpcit cc0, dma ok, dma after flip ok",
	    "rpcit cc0, dma ok, dma after flip ok" } },
	{ "RpcitOverAllFourTiB", rpcit_everything, 0,
	  { "rpcit cc0, dma ok", "rpcit cc0, dma ok", "rpcit cc0, dma ok", "rpcit cc0, dma ok",
	    "rpcit cc0, dma ok" } },
	// The identity design refuses any table: the guest has none to register.
	{ "MappingLimitRunDryNeverFlushed", exhaust_mapping_limit, 16,
	  { "register cc0, first refusal none, dma ok",
	    "register cc0, first refusal cc1/16 at page 16, dma ok",
	    "register cc0, first refusal cc1/16 at page 16, dma ok",
	    "register cc0, first refusal none, dma ok", "register cc1, first refusal none, dma ok" } },
	{ "DmaStormAfterDisable", dma_storm_after_disable, 0,
	  { "dma after disable ok 0/1000", "dma after disable ok 0/1000",
	    "dma after disable ok 0/1000", "dma after disable ok 0/1000",
	    "dma after disable ok 0/1000" } },
};

struct Point {
	const Case *c;
	zpci_design design;
};

class Adversarial : public testing::TestWithParam<Point> {};

TEST_P(Adversarial, ArchitectedOutcomeIsolatedAndNoPinLeft)
{
	const Case &c = *GetParam().c;
	zpci_design d = GetParam().design;
	std::string outcome;
	zpci_harness_counters after{};
	{
		HostileGuest g(d, c.mapping_limit);
		outcome = c.run(g);
		EXPECT_EQ(g.violations(), "");
		after = g.counters();
		// The machine keeps only what its design pins up front.
		g.disable();
		zpci_harness_counters end = g.counters();
		bool all_pinned = d == ZPCI_DESIGN_NESTED_PINNED || d == ZPCI_DESIGN_IDENTITY_PINNED;
		EXPECT_EQ(end.pins.pinned_pages, all_pinned ? (256ULL << 20) / ZPCI_PAGE_SIZE : 0u);
	}
	EXPECT_EQ(outcome, c.expect[d]) << c.name << " on " << zpci_design_name(d);
	// A refused DMA is the function's error state, with its event.
	if (outcome.find("dma refused") != std::string::npos) {
		EXPECT_GE(after.func.error_events, 1u);
	}
}

std::vector<Point> points()
{
	std::vector<Point> v;
	for (const Case &c : kCases)
		for (int d = 0; d < ZPCI_NR_DESIGNS; d++)
			v.push_back({ &c, static_cast<zpci_design>(d) });
	return v;
}

INSTANTIATE_TEST_SUITE_P(Cases, Adversarial, testing::ValuesIn(points()),
			 [](const testing::TestParamInfo<Point> &i) {
				 std::string s = std::string(i.param.c->name) + "_" +
						 zpci_design_name(i.param.design);
				 for (char &ch : s)
					 if (ch == '-')
						 ch = '_';
				 return s;
			 });

}  // namespace
}  // namespace zpcisim
