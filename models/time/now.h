// SPDX-License-Identifier: MIT
// now(): the kernel time of a module's own simulation.
//
// sc_time_stamp() is a call into the SystemC library that finds the
// current context first; a module knows its context, whose time is two
// loads away.  Every DMA request reads the time at least once.
#pragma once

#include <systemc>

namespace zpcisim {

inline const sc_core::sc_time &now(const sc_core::sc_object &module)
{
	return module.simcontext()->time_stamp();
}

}  // namespace zpcisim
