// SPDX-License-Identifier: MIT
// The corpus of malformed trace records (tests/data/bad-records.tsv): each
// record with the error the reader must give for it.
#pragma once

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace zpcisim::test {

struct BadRecord {
	std::string line, error;
};

// A trace header every corpus record is appended to, after "0 0 attach"
// (so the record is on line 5).
inline const std::string kCorpusHeader =
	"zpci-trace 1\nguest memory=1G\n"
	"function 0 fid=0x10 fh=0x100 sdma=0x100000000 edma=0x1ffffffffffffff\n"
	"0 0 attach\n";

inline std::vector<BadRecord> bad_records()
{
	std::ifstream in(ZPCISIM_SOURCE_DIR "/tests/data/bad-records.tsv");
	std::vector<BadRecord> v;
	std::string l;

	while (std::getline(in, l)) {
		auto tab = l.find('\t');
		if (l.empty() || l[0] == '#')
			continue;
		if (tab == std::string::npos)
			throw std::runtime_error("bad-records.tsv: line without a tab: " + l);
		v.push_back({ l.substr(0, tab), l.substr(tab + 1) });
	}
	if (v.empty())
		throw std::runtime_error("bad-records.tsv: missing or empty");
	return v;
}

}  // namespace zpcisim::test
