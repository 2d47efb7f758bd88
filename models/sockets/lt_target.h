// SPDX-License-Identifier: MIT
// LtTarget: the forward interface of a loosely-timed TLM-2.0 target, for a
// block that is its socket's interface itself.
//
// A block implements b_transport; a non-blocking request completes at once
// through it (the base protocol's early completion), no DMI is granted,
// and debug accesses reach nothing unless the block says otherwise.  The
// convenience sockets of tlm_utils do the same through a dispatch that
// cost a third of a small block's time per request.
#pragma once

#include <tlm>

namespace zpcisim {

class LtTarget : public tlm::tlm_fw_transport_if<> {
public:
	tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload &trans, tlm::tlm_phase &phase,
					   sc_core::sc_time &delay) override
	{
		if (phase == tlm::BEGIN_REQ)
			b_transport(trans, delay);
		return tlm::TLM_COMPLETED;
	}
	bool get_direct_mem_ptr(tlm::tlm_generic_payload &, tlm::tlm_dmi &dmi) override
	{
		dmi.allow_none();
		return false;
	}
	unsigned int transport_dbg(tlm::tlm_generic_payload &) override { return 0; }
};

}  // namespace zpcisim
