/* SPDX-License-Identifier: MIT */
/*
 * A counter, declared once beside the stats struct that holds it: the name
 * reports give it, its unit and what it counts.  Reports (the stats file,
 * the harness, telemetry) iterate a block's table instead of naming its
 * fields again, so a new counter is one table entry.
 */
#ifndef ZPCI_COUNTER_H
#define ZPCI_COUNTER_H

#include <stddef.h>

#include <zpci/arch.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zpci_counter {
	const char *name;	/* as reports spell it */
	const char *unit;	/* "pages", "bytes", ... */
	const char *desc;	/* one line: what it counts */
	size_t offset;		/* of its u64 in the block's stats struct */
	unsigned int shift;	/* reported as the value << shift (pages as bytes) */
};

/* A table's entries end with one whose name is NULL. */
#define ZPCI_COUNTER(type, field, name, unit, desc) \
	{ name, unit, desc, offsetof(type, field), 0 }
#define ZPCI_COUNTER_BYTES(type, field, name, desc) \
	{ name, "bytes", desc, offsetof(type, field), ZPCI_PAGE_SHIFT }
#define ZPCI_COUNTER_END { NULL, NULL, NULL, 0, 0 }

static inline u64 zpci_counter_get(const struct zpci_counter *c, const void *stats)
{
	return *(const u64 *)((const char *)stats + c->offset) << c->shift;
}

/*
 * @sum += @more, for the counters of @table only (structs of the same
 * type): a field no table lists is not summed.
 */
static inline void zpci_counters_add(const struct zpci_counter *table, void *sum,
				     const void *more)
{
	for (; table->name; table++)
		*(u64 *)((char *)sum + table->offset) +=
			*(const u64 *)((const char *)more + table->offset);
}

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_COUNTER_H */
