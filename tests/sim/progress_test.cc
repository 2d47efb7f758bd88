// SPDX-License-Identifier: MIT
// The progress line: a bar, the count, the rate and the time left, worked
// by hand; and a line cleared before anything else is printed.
#include <gtest/gtest.h>

#include <sstream>

#include "options.h"
#include "progress.h"

namespace zpcisim {
namespace {

TEST(Progress, ABarTheRateAndTheTimeLeft)
{
	std::ostringstream out;
	Progress p(out, true, "replay bare", 1000, "records");

	// 41 % of the bytes after 10 s: 8 of 20 marks; 4,194,304 records in
	// 10 s is 419k/s; 590 of 1000 left at 41 per second is 14 s.
	EXPECT_EQ(p.line(410, 4194304, 10.0),
		  "replay bare: [########............] 41% 4.19M records, 419k/s, 14s left");
	// Too early for a rate: the elapsed time only.
	EXPECT_EQ(p.line(1, 12, 0.2), "replay bare: [....................] 0% 12 records, 0s");
	// 999 left at 0.2 per second: 4995 s, 1 h 23 min.
	EXPECT_EQ(p.line(1, 1, 5.0),
		  "replay bare: [....................] 0% 1 records, 0.2/s, 1h23m left");
	// Done, or no total known: the elapsed time.
	EXPECT_EQ(p.line(1000, 2000, 125.0),
		  "replay bare: [####################] 100% 2k records, 16/s, 2m05s");
	Progress unknown(out, true, "sweep", 0, "points");
	EXPECT_EQ(unknown.line(3, 3, 2.0), "sweep: 3 points, 1.5/s, 2s");
}

TEST(Progress, AMessageGetsALineOfItsOwn)
{
	std::ostringstream err, out;
	CommandIo io{ out, err };
	Progress p(err, true, "sweep", 10, "points");

	p.update(3, 3);
	ASSERT_EQ(err.str().substr(0, 8), "\rsweep: ");
	command_error({ "sweep", "", "" }, io, "it broke");
	const std::string tail = "\033[K\r\033[Kzpcisim sweep: it broke\n";
	ASSERT_GT(err.str().size(), tail.size());
	EXPECT_EQ(err.str().substr(err.str().size() - tail.size()), tail) << err.str();

	std::ostringstream quiet;
	Progress off(quiet, false, "sweep", 10, "points");
	off.update(3, 3);
	off.finish();
	EXPECT_EQ(quiet.str(), "");
}

}  // namespace
}  // namespace zpcisim
