/* SPDX-License-Identifier: MIT */
/*
 * Injected failures at chosen points: let @pass events through, then fail
 * the next @fail; and, over a whole run, every @every-th event.  Every
 * countable injection in zpcisim (table memory, pins, instruction
 * outcomes, function errors) is one of these, so "fail the third pin"
 * means the same everywhere.
 */
#ifndef ZPCI_FAULT_WINDOW_H
#define ZPCI_FAULT_WINDOW_H

#include <zpci/types.h>

struct zpci_fault_window {
	u64 pass;	/* events still to let through */
	u64 fail;	/* events to fail after those */
	u64 every;	/* and every Nth event; 0: none */
	u64 seen;	/* events counted */
	u64 fired;	/* events failed, over every arming */
};

static inline void zpci_fault_window_arm(struct zpci_fault_window *w, u64 pass, u64 fail)
{
	w->pass = pass;
	w->fail = fail;
}

/* Fail every @n-th event from now on (0: stop). */
static inline void zpci_fault_window_every(struct zpci_fault_window *w, u64 n)
{
	w->every = n;
	w->seen = 0;
}

/* Count one event; true if it must fail. */
static inline bool zpci_fault_window_hit(struct zpci_fault_window *w)
{
	bool fire = false;

	w->seen++;
	if (w->every && w->seen % w->every == 0) {
		fire = true;
	} else if (w->fail) {
		if (w->pass) {
			w->pass--;
		} else {
			w->fail--;
			fire = true;
		}
	}
	w->fired += fire;
	return fire;
}

/*
 * How many events from now the next one to fail is (1: the very next);
 * 0 when none will.  For callers that count many events at once.
 */
static inline u64 zpci_fault_window_next(const struct zpci_fault_window *w)
{
	u64 n = w->every ? w->every - w->seen % w->every : 0;

	if (w->fail && (!n || w->pass + 1 < n))
		n = w->pass + 1;
	return n;
}

/* Count @n events, fewer than zpci_fault_window_next() says: none fails. */
static inline void zpci_fault_window_skip(struct zpci_fault_window *w, u64 n)
{
	w->seen += n;
	if (w->fail)
		w->pass -= n;
}

#endif /* ZPCI_FAULT_WINDOW_H */
