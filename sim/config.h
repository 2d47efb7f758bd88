// SPDX-License-Identifier: MIT
// The configuration of a run: the design, the guest's flush policy, the
// timing mode, the hypervisor's limits and injected failures, every model
// block's parameters and the CPU cost table.  Each key ("iotlb.entries")
// is declared once, with its type, unit, range and documentation: the
// run's in config.cc, each model block's beside its Params struct, whose
// members hold the defaults.  A TOML file, `--set key=value` and the
// commands' shorthand flags all go through them, and `zpcisim config dump`
// prints the effective configuration as a file that reads back to the
// same run.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "replay.h"

namespace zpcisim {

// The largest configuration file read: `zpcisim config dump`, every key
// with its doc, is under 8 KiB.
constexpr size_t kConfigFileMax = 1 << 20;

class Config {
public:
	ReplayOptions opts;	// starts at the documented defaults

	// Set @key from text, given at @where ("FILE:LINE", "--set", ...) for
	// check() to name.  false with *err saying what is wrong (no place: the
	// caller knows where the text came from).
	bool set(const std::string &key, const std::string &value, std::string *err,
		 const std::string &where = "");
	// "key=value", as --set takes it.
	bool set(const std::string &assignment, std::string *err);
	// Apply a TOML file, a regular one of at most kConfigFileMax bytes;
	// false with *err as "FILE:LINE: what".
	bool load(const std::string &path, std::string *err);
	// The same for TOML @text, named @path in messages.
	bool read(const std::string &text, const std::string &path, std::string *err);
	// What single keys cannot say: an IOTLB's entries a multiple of its ways.
	// *err begins with where the offending keys were set.
	bool check(std::string *err) const;

	// The value of @key as --set would take it; "" for no such key.
	std::string get(const std::string &key) const;
	// Every key with its value, unit and documentation, as TOML.
	std::string dump() const;
	// Every key with its value, typed: what a result records of its run.
	nlohmann::ordered_json json() const;

private:
	std::map<std::string, std::string> where_;	// key -> where it was set
	// "WHERE: " of the first of @keys that was set, for check()'s messages.
	std::string where(std::initializer_list<const char *> keys) const;
};

// Every key, in dump order.
const std::vector<std::string> &config_keys();
// The keys whose values are numbers: what a study can scale.
std::vector<std::string> config_number_keys();
std::string config_key_unit(const std::string &key);
// A number key's accepted range, {min, max}; {0, 0} for other keys.
std::pair<double, double> config_key_range(const std::string &key);
// What `config dump` says of @key after its value: unit, choices and doc;
// "" for no such key.
std::string config_key_doc(const std::string &key);

}  // namespace zpcisim
