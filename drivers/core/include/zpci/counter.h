/* SPDX-License-Identifier: MIT */
/*
 * A counter, declared once beside the stats struct that holds it: the name
 * reports give it, its unit, what it counts and which views show it.
 * Reports (the stats file, the harness, the summary, compare, sweep,
 * telemetry) iterate a block's table instead of naming its fields again,
 * so a new counter is one table entry.
 */
#ifndef ZPCI_COUNTER_H
#define ZPCI_COUNTER_H

#include <stddef.h>
#include <string.h>

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
	unsigned int show;	/* ZPCI_SHOW_*: the views that show it */
};

/*
 * The views that show a counter besides the stats file and the harness,
 * which carry every one.  A view shows a block's counters in table order,
 * at the block's place; a new counter appears in the views its
 * declaration names with no other change.
 */
#define ZPCI_SHOW_SUMMARY	0x1	/* a line of the replay's summary */
#define ZPCI_SHOW_COMPARE	0x2	/* a column of compare's table */
#define ZPCI_SHOW_SWEEP		0x4	/* a column of sweep's CSV */
#define ZPCI_SHOW_LIVE		0x8	/* in live telemetry (zpcisim monitor) */
/*
 * For the SystemC models' counters (StatsRegistry) only.  The stats file's
 * models.counters has every one under its full name; the models object
 * itself has, under the names the views give them, those a view above
 * shows and those with this flag, which shows a counter there alone.
 */
#define ZPCI_SHOW_MODELS	0x10

/* A table's entries end with one whose name is NULL. */
#define ZPCI_COUNTER(type, field, name, unit, desc, show) \
	{ name, unit, desc, offsetof(type, field), 0, show }
#define ZPCI_COUNTER_BYTES(type, field, name, desc, show) \
	{ name, "bytes", desc, offsetof(type, field), ZPCI_PAGE_SHIFT, show }
#define ZPCI_COUNTER_END { NULL, NULL, NULL, 0, 0, 0 }

static inline u64 zpci_counter_get(const struct zpci_counter *c, const void *stats)
{
	return *(const u64 *)((const char *)stats + c->offset) << c->shift;
}

/* The inverse of zpci_counter_get: @value as reported, back into @stats. */
static inline void zpci_counter_set(const struct zpci_counter *c, void *stats, u64 value)
{
	*(u64 *)((char *)stats + c->offset) = value >> c->shift;
}

/* @table's counter called @name, or NULL. */
static inline const struct zpci_counter *zpci_counter_find(const struct zpci_counter *table,
							   const char *name)
{
	for (; table->name; table++)
		if (!strcmp(table->name, name))
			return table;
	return NULL;
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
