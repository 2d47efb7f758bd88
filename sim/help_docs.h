// SPDX-License-Identifier: MIT
// The man page and the bash completion, made from the commands' own --help
// text, so that neither can drift from what the program says.
#pragma once

#include <iosfwd>

namespace zpcisim {

// zpcisim(1), in man(7) roff.
void print_man_page(std::ostream &out);
// A bash completion script: commands, subcommands and each one's flags.
void print_bash_completion(std::ostream &out);

}  // namespace zpcisim
