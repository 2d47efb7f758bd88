/* SPDX-License-Identifier: MIT */
/*
 * A count per page number, kept as runs: disjoint, sorted ranges of pages
 * that share one non-zero count, neighbours with equal counts merged.
 * Memory grows with the number of runs, not pages: all of a 1 TiB guest
 * pinned at once is one run.  Look-ups are a binary search.
 */
#ifndef ZPCI_RUNMAP_H
#define ZPCI_RUNMAP_H

#include <zpci/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zpci_run {
	u64 first, last;	/* pages, inclusive */
	u64 count;		/* never 0: pages without a count hold no run */
};

struct zpci_runmap {
	struct zpci_run *run;	/* sorted by first */
	size_t nr, cap;
	u64 pages;		/* pages with a non-zero count */
};

void zpci_runmap_init(struct zpci_runmap *m);
void zpci_runmap_destroy(struct zpci_runmap *m);

/* The count of @page; 0 when it has none. */
u64 zpci_runmap_get(const struct zpci_runmap *m, u64 page);
/*
 * The longest stretch from @page to at most @limit that has one count:
 * returns that count (0 for a gap) and its last page in *@last.
 */
u64 zpci_runmap_piece(const struct zpci_runmap *m, u64 page, u64 limit, u64 *last);
/*
 * Add @delta to the count of every page in [first, last].  0; -EINVAL
 * for @last before @first or UINT64_MAX, a count that would go below 0
 * or overflow; -ENOMEM.  On an error nothing changes.
 */
int zpci_runmap_add(struct zpci_runmap *m, u64 first, u64 last, s64 delta);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_RUNMAP_H */
