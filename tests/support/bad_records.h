// SPDX-License-Identifier: MIT
// The corpora of malformed trace records (tests/data/bad-records.tsv for
// version 1, bad-records-v2.tsv for version 2): each record with the error
// the reader must give for it.
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

// The same for the version-2 corpus.
inline const std::string kCorpusHeaderV2 =
	"zpci-trace 2\nguest memory=1G\n"
	"function 0 fid=0x10 fh=0x100 sdma=0x100000000 edma=0x1ffffffffffffff queue-depth=4\n"
	"0 0 attach\n";

inline std::vector<BadRecord> bad_records(const std::string &file = "bad-records.tsv")
{
	std::ifstream in(ZPCISIM_SOURCE_DIR "/tests/data/" + file);
	std::vector<BadRecord> v;
	std::string l;

	while (std::getline(in, l)) {
		auto tab = l.find('\t');
		if (l.empty() || l[0] == '#')
			continue;
		if (tab == std::string::npos)
			throw std::runtime_error(file + ": line without a tab: " + l);
		v.push_back({ l.substr(0, tab), l.substr(tab + 1) });
	}
	if (v.empty())
		throw std::runtime_error(file + ": missing or empty");
	return v;
}

struct BadCorpus {
	std::string header;	// the record goes on its line 5
	std::vector<BadRecord> records;
};

// Every corpus, with the header its records follow.
inline std::vector<BadCorpus> bad_corpora()
{
	return { { kCorpusHeader, bad_records() },
		 { kCorpusHeaderV2, bad_records("bad-records-v2.tsv") } };
}

}  // namespace zpcisim::test
