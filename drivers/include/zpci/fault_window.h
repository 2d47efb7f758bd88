/* SPDX-License-Identifier: MIT */
/*
 * Injected failures at chosen points: let @pass events through, then fail
 * the next @fail.  Every countable injection in zpcisim (table memory,
 * pins, instruction outcomes, function errors) is one of these, so "fail
 * the third pin" means the same everywhere.
 */
#ifndef ZPCI_FAULT_WINDOW_H
#define ZPCI_FAULT_WINDOW_H

#include <zpci/types.h>

struct zpci_fault_window {
	u64 pass;	/* events still to let through */
	u64 fail;	/* events to fail after those */
	u64 fired;	/* events failed, over every arming */
};

static inline void zpci_fault_window_arm(struct zpci_fault_window *w, u64 pass, u64 fail)
{
	w->pass = pass;
	w->fail = fail;
}

/* Count one event; true if it must fail. */
static inline bool zpci_fault_window_hit(struct zpci_fault_window *w)
{
	if (!w->fail)
		return false;
	if (w->pass) {
		w->pass--;
		return false;
	}
	w->fail--;
	w->fired++;
	return true;
}

#endif /* ZPCI_FAULT_WINDOW_H */
