// SPDX-License-Identifier: MIT
/*
 * Page-number radix map.  A leaf slot holds the value shifted left by one
 * with bit 0 set; 0 means empty.  Every node counts the values below it.
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/pagemap.h>

#define PM_BITS		13
#define PM_FANOUT	(1u << PM_BITS)
#define PM_LEVELS	4
#define PM_PAGE_MAX	((1ULL << (PM_BITS * PM_LEVELS)) - 1)

zpci_static_assert(PM_BITS * PM_LEVELS == 52, "covers 52-bit page numbers");

struct zpci_pagemap_node {
	u64 count;
	union {
		struct zpci_pagemap_node *child[PM_FANOUT];
		u64 slot[PM_FANOUT];		/* at the last level */
	};
};

static unsigned int index_at(u64 page, int level)
{
	return (page >> (PM_BITS * (PM_LEVELS - 1 - level))) & (PM_FANOUT - 1);
}

/* Last page number of the subtree at @level that holds @page. */
static u64 subtree_last(u64 page, int level)
{
	int shift = PM_BITS * (PM_LEVELS - level);

	return shift >= 64 ? UINT64_MAX : page | ((1ULL << shift) - 1);
}

void zpci_pagemap_init(struct zpci_pagemap *m)
{
	memset(m, 0, sizeof(*m));
}

static void node_free(struct zpci_pagemap_node *n, int level)
{
	unsigned int i;

	if (!n)
		return;
	if (level < PM_LEVELS - 1)
		for (i = 0; i < PM_FANOUT; i++)
			node_free(n->child[i], level + 1);
	free(n);
}

void zpci_pagemap_destroy(struct zpci_pagemap *m)
{
	node_free(m->root, 0);
	while (m->nr_spare)
		free(m->spare[--m->nr_spare]);
	memset(m, 0, sizeof(*m));
}

/* A zeroed node: a spare if there is one (64 KiB not cleared again). */
static struct zpci_pagemap_node *node_get(struct zpci_pagemap *m)
{
	if (m->nr_spare)
		return m->spare[--m->nr_spare];
	return calloc(1, sizeof(struct zpci_pagemap_node));
}

/* @n has emptied: its count and every slot are zero, its children gone. */
static void node_put(struct zpci_pagemap *m, struct zpci_pagemap_node *n)
{
	if (m->nr_spare < ZPCI_PAGEMAP_SPARES)
		m->spare[m->nr_spare++] = n;
	else
		free(n);
}

bool zpci_pagemap_get(const struct zpci_pagemap *m, u64 page, u64 *val)
{
	const struct zpci_pagemap_node *n = m->root;
	u64 v;
	int level;

	if (page > PM_PAGE_MAX)
		return false;
	for (level = 0; n && level < PM_LEVELS - 1; level++)
		n = n->child[index_at(page, level)];
	if (!n)
		return false;
	v = n->slot[index_at(page, PM_LEVELS - 1)];
	if (!v)
		return false;
	*val = v >> 1;
	return true;
}

/*
 * Undo a set that ran out of memory: the nodes it made at levels [from, to),
 * hanging from *@made, each pointing only at the next, go back empty, so
 * no empty node ever hangs in the tree.
 */
static void unmake(struct zpci_pagemap *m, struct zpci_pagemap_node **made, int from, int to,
		   u64 page)
{
	struct zpci_pagemap_node *n = *made, *next;
	int level;

	*made = NULL;
	for (level = from; level < to; level++, n = next) {
		next = n->child[index_at(page, level)];
		n->child[index_at(page, level)] = NULL;
		node_put(m, n);
	}
}

/*
 * The leaf that holds @page, with the nodes above it in @path (root
 * first); missing nodes are made.  NULL when memory runs out, and then
 * no node made here is left hanging.
 */
static struct zpci_pagemap_node *leaf_of(struct zpci_pagemap *m, u64 page,
					 struct zpci_pagemap_node *path[PM_LEVELS])
{
	struct zpci_pagemap_node **slot = &m->root, **made = NULL;
	int level, made_level = 0;

	for (level = 0; level < PM_LEVELS; level++) {
		if (!*slot) {
			*slot = node_get(m);
			if (!*slot) {
				if (made)
					unmake(m, made, made_level, level, page);
				return NULL;
			}
			if (!made) {
				made = slot;
				made_level = level;
			}
		}
		path[level] = *slot;
		if (level < PM_LEVELS - 1)
			slot = &(*slot)->child[index_at(page, level)];
	}
	return path[PM_LEVELS - 1];
}

/* A leaf at a time: a run of pages is one descent per 8192 of them. */
int zpci_pagemap_set(struct zpci_pagemap *m, u64 first, u64 last, u64 val)
{
	struct zpci_pagemap_node *path[PM_LEVELS], *leaf;
	u64 stored = val << 1 | 1, page, end, added;
	unsigned int i, end_i;
	int level;

	if (val > ZPCI_PAGEMAP_VALUE_MAX || last > PM_PAGE_MAX || first > last)
		return -EINVAL;
	for (page = first;; page = end + 1) {
		end = subtree_last(page, PM_LEVELS - 1);
		if (end > last)
			end = last;
		leaf = leaf_of(m, page, path);
		if (!leaf)
			return -ENOMEM;
		added = 0;
		end_i = index_at(end, PM_LEVELS - 1);
		for (i = index_at(page, PM_LEVELS - 1); i <= end_i; i++) {
			added += !leaf->slot[i];
			leaf->slot[i] = stored;
		}
		for (level = 0; level < PM_LEVELS; level++)
			path[level]->count += added;
		m->used += added;
		if (end == last)
			return 0;
	}
}

/* Clear [first, last], which lie in leaf @n: a plain loop over its slots. */
static u64 clear_leaf(struct zpci_pagemap_node *n, u64 first, u64 last,
		      const struct zpci_pagemap_visitor *v)
{
	unsigned int i = index_at(first, PM_LEVELS - 1), end = index_at(last, PM_LEVELS - 1);
	u64 dropped = 0, page = first;

	for (; i <= end; i++, page++) {
		if (!n->slot[i])
			continue;
		if (v)
			v->fn(v->ctx, page, n->slot[i] >> 1);
		n->slot[i] = 0;
		dropped++;
	}
	return dropped;
}

/* Clear [first, last] below *np at @level; puts away what empties. */
static u64 clear_node(struct zpci_pagemap *m, struct zpci_pagemap_node **np, int level, u64 first,
		      u64 last, const struct zpci_pagemap_visitor *v)
{
	struct zpci_pagemap_node *n = *np;
	u64 dropped = 0, page;

	if (!n)
		return 0;
	if (level == PM_LEVELS - 1) {
		dropped = clear_leaf(n, first, last, v);
	} else {
		for (page = first;;) {
			unsigned int i = index_at(page, level);
			u64 end = subtree_last(page, level + 1);

			if (end > last)
				end = last;
			if (n->child[i])
				dropped += clear_node(m, &n->child[i], level + 1, page, end, v);
			if (end == last)
				break;
			page = end + 1;
		}
	}
	n->count -= dropped;
	if (!n->count) {
		node_put(m, n);
		*np = NULL;
	}
	return dropped;
}

/* One page, the common case (page-sized mappings), without the range walk. */
static u64 clear_one(struct zpci_pagemap *m, u64 page, const struct zpci_pagemap_visitor *v)
{
	struct zpci_pagemap_node **path[PM_LEVELS], **slot = &m->root;
	u64 *val;
	int level;

	for (level = 0; level < PM_LEVELS; level++) {
		if (!*slot)
			return 0;
		path[level] = slot;
		if (level < PM_LEVELS - 1)
			slot = &(*slot)->child[index_at(page, level)];
	}
	val = &(*path[PM_LEVELS - 1])->slot[index_at(page, PM_LEVELS - 1)];
	if (!*val)
		return 0;
	if (v)
		v->fn(v->ctx, page, *val >> 1);
	*val = 0;
	for (level = PM_LEVELS - 1; level >= 0; level--) {
		if (--(*path[level])->count)
			continue;
		node_put(m, *path[level]);
		*path[level] = NULL;
	}
	m->used--;
	return 1;
}

u64 zpci_pagemap_drain(struct zpci_pagemap *m, u64 first, u64 last,
		       const struct zpci_pagemap_visitor *v)
{
	u64 dropped;

	if (last > PM_PAGE_MAX)
		last = PM_PAGE_MAX;
	if (last < first || !m->root)
		return 0;
	if (first == last)
		return clear_one(m, first, v);
	dropped = clear_node(m, &m->root, 0, first, last, v);
	m->used -= dropped;
	return dropped;
}

u64 zpci_pagemap_clear(struct zpci_pagemap *m, u64 first, u64 last)
{
	return zpci_pagemap_drain(m, first, last, NULL);
}

u64 zpci_pagemap_clear_all(struct zpci_pagemap *m)
{
	u64 dropped = m->used;

	zpci_pagemap_destroy(m);
	return dropped;
}
