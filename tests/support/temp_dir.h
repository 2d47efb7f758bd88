// SPDX-License-Identifier: MIT
// A scratch directory removed with everything in it when the test ends.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace zpcisim::test {

class TempDir {
public:
	TempDir()
	{
		char tmpl[] = "/tmp/zpcisim-test-XXXXXX";
		if (!mkdtemp(tmpl))
			throw std::runtime_error("cannot make a temporary directory");
		path_ = tmpl;
	}
	~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;

	std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
	std::string path_;
};

// A whole file's bytes ("" if it cannot be read).
inline std::string slurp(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

}  // namespace zpcisim::test
