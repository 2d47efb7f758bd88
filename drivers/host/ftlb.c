// SPDX-License-Identifier: MIT
/*
 * Flush-tracking IOTLB as a radix tree over the 52-bit IOVA page number:
 * four levels of 13 bits.  A leaf entry is the frame with bit 0 "valid"
 * and bit 1 "read-only" (frames are page aligned); every node counts its
 * valid descendants so that empty subtrees are freed as flushes empty them.
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/ftlb.h>

#define FTLB_BITS	13
#define FTLB_FANOUT	(1u << FTLB_BITS)
#define FTLB_LEVELS	4
#define FTLB_VALID	1ULL
#define FTLB_READONLY	2ULL

zpci_static_assert(FTLB_BITS * FTLB_LEVELS + ZPCI_PAGE_SHIFT == 64, "covers the IOVA space");

struct zpci_ftlb_node {
	u64 count;				/* valid entries below */
	union {
		struct zpci_ftlb_node *child[FTLB_FANOUT];
		u64 entry[FTLB_FANOUT];		/* at the last level */
	};
};

static unsigned int index_at(u64 pfn, int level)
{
	return (pfn >> (FTLB_BITS * (FTLB_LEVELS - 1 - level))) & (FTLB_FANOUT - 1);
}

/* Last page number of the subtree at @level that holds @pfn. */
static u64 subtree_last(u64 pfn, int level)
{
	int shift = FTLB_BITS * (FTLB_LEVELS - level);

	return shift >= 64 ? UINT64_MAX >> ZPCI_PAGE_SHIFT : pfn | ((1ULL << shift) - 1);
}

int zpci_ftlb_init(struct zpci_ftlb *tlb)
{
	memset(tlb, 0, sizeof(*tlb));
	return 0;
}

static void node_free(struct zpci_ftlb_node *n, int level)
{
	unsigned int i;

	if (!n)
		return;
	if (level < FTLB_LEVELS - 1)
		for (i = 0; i < FTLB_FANOUT; i++)
			node_free(n->child[i], level + 1);
	free(n);
}

void zpci_ftlb_destroy(struct zpci_ftlb *tlb)
{
	node_free(tlb->root, 0);
	memset(tlb, 0, sizeof(*tlb));
}

bool zpci_ftlb_lookup(const struct zpci_ftlb *tlb, dma_addr_t iova, struct zpci_ftlb_entry *e)
{
	const struct zpci_ftlb_node *n = tlb->root;
	u64 pfn = iova >> ZPCI_PAGE_SHIFT, v;
	int level;

	for (level = 0; n && level < FTLB_LEVELS - 1; level++)
		n = n->child[index_at(pfn, level)];
	if (!n)
		return false;
	v = n->entry[index_at(pfn, FTLB_LEVELS - 1)];
	if (!(v & FTLB_VALID))
		return false;
	e->frame = v & ZPCI_PAGE_MASK;
	e->readonly = v & FTLB_READONLY;
	return true;
}

int zpci_ftlb_insert(struct zpci_ftlb *tlb, dma_addr_t iova, phys_addr_t frame, bool readonly)
{
	struct zpci_ftlb_node **slot = &tlb->root, *path[FTLB_LEVELS];
	u64 pfn = iova >> ZPCI_PAGE_SHIFT, *v;
	int level;

	for (level = 0; level < FTLB_LEVELS; level++) {
		if (!*slot) {
			*slot = calloc(1, sizeof(**slot));
			if (!*slot)
				return -ENOMEM;
		}
		path[level] = *slot;
		if (level < FTLB_LEVELS - 1)
			slot = &(*slot)->child[index_at(pfn, level)];
	}
	v = &path[FTLB_LEVELS - 1]->entry[index_at(pfn, FTLB_LEVELS - 1)];
	if (!(*v & FTLB_VALID)) {
		for (level = 0; level < FTLB_LEVELS; level++)
			path[level]->count++;
		tlb->used++;
	}
	*v = (frame & ZPCI_PAGE_MASK) | FTLB_VALID | (readonly ? FTLB_READONLY : 0);
	return 0;
}

/*
 * Drop the valid entries of [first, last] below @n at @level; returns how
 * many.  Subtrees left empty are freed (*np cleared).
 */
static u64 flush_node(struct zpci_ftlb_node **np, int level, u64 first, u64 last)
{
	struct zpci_ftlb_node *n = *np;
	u64 dropped = 0, pfn;

	if (!n)
		return 0;
	for (pfn = first;;) {
		unsigned int i = index_at(pfn, level);
		u64 end = subtree_last(pfn, level + 1);

		if (end > last)
			end = last;
		if (level == FTLB_LEVELS - 1) {
			dropped += n->entry[i] & FTLB_VALID;
			n->entry[i] = 0;
		} else if (n->child[i]) {
			dropped += flush_node(&n->child[i], level + 1, pfn, end);
		}
		if (end == last)
			break;
		pfn = end + 1;
	}
	n->count -= dropped;
	if (!n->count) {
		node_free(n, level);
		*np = NULL;
	}
	return dropped;
}

u64 zpci_ftlb_flush(struct zpci_ftlb *tlb, dma_addr_t iova, u64 len)
{
	u64 first, last, dropped;

	if (!len || !tlb->root)
		return 0;
	first = iova >> ZPCI_PAGE_SHIFT;
	last = (iova + len - 1 < iova ? UINT64_MAX : iova + len - 1) >> ZPCI_PAGE_SHIFT;
	dropped = flush_node(&tlb->root, 0, first, last);
	tlb->used -= dropped;
	return dropped;
}

u64 zpci_ftlb_flush_all(struct zpci_ftlb *tlb)
{
	u64 dropped = tlb->used;

	zpci_ftlb_destroy(tlb);
	return dropped;
}
