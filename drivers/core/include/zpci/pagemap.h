/* SPDX-License-Identifier: MIT */
/*
 * A map from page numbers (52 bits) to 63-bit values, as a radix tree of
 * four 13-bit levels.  Pages handed out in runs (IOVAs) share leaves, so
 * neighbouring operations stay in cache, and clearing a range visits only
 * the leaves it covers; empty subtrees are freed as they empty.
 */
#ifndef ZPCI_PAGEMAP_H
#define ZPCI_PAGEMAP_H

#include <zpci/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZPCI_PAGEMAP_VALUE_MAX	(UINT64_MAX >> 1)

struct zpci_pagemap_node;

/* Emptied nodes kept for reuse: a map that empties and refills does not churn. */
#define ZPCI_PAGEMAP_SPARES	4

struct zpci_pagemap {
	struct zpci_pagemap_node *root;
	u64 used;		/* pages with a value */
	struct zpci_pagemap_node *spare[ZPCI_PAGEMAP_SPARES];	/* all zero */
	unsigned int nr_spare;
};

void zpci_pagemap_init(struct zpci_pagemap *m);
void zpci_pagemap_destroy(struct zpci_pagemap *m);

/* The value of @page, in *val; false when it has none. */
bool zpci_pagemap_get(const struct zpci_pagemap *m, u64 page, u64 *val);
/*
 * Give pages [first, last] the value @val.  0; -EINVAL for a value over
 * ZPCI_PAGEMAP_VALUE_MAX, a page number over 52 bits (no 4K page of a
 * 64-bit address space is one) or @last before @first; or -ENOMEM, and
 * then the pages from @first up to some multiple of 8192 may have it.
 */
int zpci_pagemap_set(struct zpci_pagemap *m, u64 first, u64 last, u64 val);
/* Drop the values of pages [first, last]; returns how many there were. */
u64 zpci_pagemap_clear(struct zpci_pagemap *m, u64 first, u64 last);

/* Told each page and value a drain drops, in page order. */
struct zpci_pagemap_visitor {
	void (*fn)(void *ctx, u64 page, u64 val);
	void *ctx;
};

/* zpci_pagemap_clear(), telling @v of each value dropped. */
u64 zpci_pagemap_drain(struct zpci_pagemap *m, u64 first, u64 last,
		       const struct zpci_pagemap_visitor *v);
u64 zpci_pagemap_clear_all(struct zpci_pagemap *m);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_PAGEMAP_H */
