// SPDX-License-Identifier: MIT
// A sixth design, added the way a new one is: one entry of the design
// table and its own code, here in this file.  Every command then knows it
// by name, builds it, checks it and lists it, with nothing else touched.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include <zpci/machine.h>

#include "replay.h"
#include "support/cli_run.h"

namespace zpcisim {
namespace {

using test::CliRun;
using test::line_of;
using test::run;

const std::string kSample = ZPCISIM_SOURCE_DIR "/traces/samples/net-small.ztr";

// A pass-through hypervisor: no intercepts, no pins, but state of its own
// per function, which the machine must build and destroy.
struct Passthrough {
	int builds = 0;
};

int build_passthrough(zpci_machine *m, zpci_machine_fn *mf, zpci_hw host)
{
	(void)m;
	mf->design = new Passthrough{ 1 };
	mf->guest_hw = host;
	return 0;
}

void destroy_passthrough(zpci_machine_fn *mf)
{
	delete static_cast<Passthrough *>(mf->design);
}

const zpci_design_ops kToy = {
	"toy-passthrough", "a test's design: the guest's instructions passed straight through",
	false, false, false, false, build_passthrough, destroy_passthrough, nullptr,
};

class DesignTable : public ::testing::Test {
protected:
	void SetUp() override { ASSERT_EQ(zpci_design_register(&kToy), ZPCI_NR_DESIGNS); }
	void TearDown() override { EXPECT_EQ(zpci_design_unregister(&kToy), 0); }
};

TEST_F(DesignTable, ANewDesignIsKnownByName)
{
	enum zpci_design d;
	EXPECT_EQ(zpci_design_parse("toy-passthrough", &d), 0);
	EXPECT_EQ(d, ZPCI_NR_DESIGNS);
	EXPECT_EQ(design_names().back(), "toy-passthrough");
	EXPECT_EQ(zpci_design_register(&kToy), -EEXIST);
	CliRun help = run({ "replay", "--help" });
	EXPECT_NE(help.out.find("toy-passthrough  a test's design"), std::string::npos) << help.out;
}

// Replayed through the new design, the guest reaches the same pages as on
// bare metal, and every check holds.
TEST_F(DesignTable, ANewDesignReplaysAndChecksLikeTheOthers)
{
	CliRun bare = run({ "replay", kSample, "--design", "bare" });
	CliRun toy = run({ "replay", kSample, "--design", "toy-passthrough" });
	ASSERT_EQ(toy.rc, 0) << toy.err;
	EXPECT_EQ(line_of(toy.out, "design"), "toy-passthrough");
	EXPECT_EQ(line_of(toy.out, "result"), "ok");
	EXPECT_EQ(line_of(toy.out, "translation_digest"), line_of(bare.out, "translation_digest"));
	EXPECT_EQ(line_of(toy.out, "intercepts"), "");	// it intercepts nothing
	CliRun set = run({ "replay", kSample, "--set", "replay.design=toy-passthrough" });
	EXPECT_EQ(set.rc, 0) << set.err;
}

TEST_F(DesignTable, CompareListsANewDesign)
{
	CliRun r = run({ "compare", kSample, "--mode", "functional" });
	ASSERT_EQ(r.rc, 0) << r.err;
	size_t row = r.out.find("\ntoy-passthrough ");
	ASSERT_NE(row, std::string::npos) << r.out;
	std::string line = r.out.substr(row + 1, r.out.find('\n', row + 1) - row - 1);
	EXPECT_NE(line.find(" yes"), std::string::npos) << line;	// same_pages
}

}  // namespace
}  // namespace zpcisim
