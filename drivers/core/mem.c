// SPDX-License-Identifier: MIT
/*
 * Sparse, page-granular physical memory and the big-endian entry accessors.
 *
 * Pages hang off a fixed-depth radix tree indexed by page frame number:
 * no hashing, no rehash pauses, and the same layout for the same accesses,
 * which keeps replays deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/arch.h>
#include <zpci/mem.h>

#define RADIX_BITS	10
#define RADIX_LEVELS	4
#define RADIX_FANOUT	(1u << RADIX_BITS)
#define SPARSE_MAX_SIZE	(1ULL << (RADIX_BITS * RADIX_LEVELS + ZPCI_PAGE_SHIFT))

struct radix_node {
	void *slot[RADIX_FANOUT];
};

/* Walks and table updates touch few pages, over and over: cache them. */
#define PAGE_CACHE	256

struct page_cache_entry {
	u64 pfn;		/* plus one; 0: empty */
	u8 *page;
};

struct zpci_sparse_mem {
	u64 size;
	u64 pages;
	u64 generation;		/* successful writes, plus one */
	struct radix_node *root;
	struct page_cache_entry cache[PAGE_CACHE];
};

static unsigned int radix_index(u64 pfn, int level)
{
	return (pfn >> (RADIX_BITS * (RADIX_LEVELS - 1 - level))) & (RADIX_FANOUT - 1);
}

/* sparse_page() past the cache: the radix walk, and the cache's fill. */
static u8 *sparse_page_uncached(struct zpci_sparse_mem *sm, u64 pfn, bool alloc)
{
	struct page_cache_entry *c = &sm->cache[pfn % PAGE_CACHE];
	void **slot = (void **)&sm->root;
	int level;

	for (level = 0; level < RADIX_LEVELS; level++) {
		if (!*slot) {
			if (!alloc)
				return NULL;
			*slot = calloc(1, sizeof(struct radix_node));
			if (!*slot)
				return NULL;
		}
		slot = &((struct radix_node *)*slot)->slot[radix_index(pfn, level)];
	}
	if (!*slot && alloc) {
		*slot = calloc(1, ZPCI_PAGE_SIZE);
		if (*slot)
			sm->pages++;
	}
	/* Only pages that exist are cached: a later write must allocate. */
	if (*slot) {
		c->pfn = pfn + 1;
		c->page = *slot;
	}
	return *slot;
}

/*
 * The page holding @pfn; with @alloc, created (zeroed) when missing.  The
 * cache nearly always knows, and every table-entry access asks: inline.
 */
static inline u8 *sparse_page(struct zpci_sparse_mem *sm, u64 pfn, bool alloc)
{
	const struct page_cache_entry *c = &sm->cache[pfn % PAGE_CACHE];

	if (c->pfn == pfn + 1)
		return c->page;
	return sparse_page_uncached(sm, pfn, alloc);
}

static int sparse_read(void *priv, phys_addr_t addr, void *buf, size_t len)
{
	struct zpci_sparse_mem *sm = priv;
	u8 *out = buf;

	if (!zpci_range_inside(addr, len, sm->size))
		return -EFAULT;
	while (len) {
		u64 off = addr & ~ZPCI_PAGE_MASK;
		size_t chunk = ZPCI_PAGE_SIZE - off < len ? ZPCI_PAGE_SIZE - off : len;
		const u8 *page = sparse_page(sm, addr >> ZPCI_PAGE_SHIFT, false);

		if (page)
			memcpy(out, page + off, chunk);
		else
			memset(out, 0, chunk);
		out += chunk;
		addr += chunk;
		len -= chunk;
	}
	return 0;
}

static int sparse_write(void *priv, phys_addr_t addr, const void *buf, size_t len)
{
	struct zpci_sparse_mem *sm = priv;
	const u8 *in = buf;

	if (!zpci_range_inside(addr, len, sm->size))
		return -EFAULT;
	while (len) {
		u64 off = addr & ~ZPCI_PAGE_MASK;
		size_t chunk = ZPCI_PAGE_SIZE - off < len ? ZPCI_PAGE_SIZE - off : len;
		u8 *page = sparse_page(sm, addr >> ZPCI_PAGE_SHIFT, true);

		if (!page)
			return -ENOMEM;
		memcpy(page + off, in, chunk);
		sm->generation++;
		in += chunk;
		addr += chunk;
		len -= chunk;
	}
	return 0;
}

static int sparse_read64(void *priv, phys_addr_t addr, u64 *val)
{
	struct zpci_sparse_mem *sm = priv;
	const u8 *page;
	u64 v;

	if (!zpci_range_inside(addr, 8, sm->size))
		return -EFAULT;
	page = sparse_page(sm, addr >> ZPCI_PAGE_SHIFT, false);
	if (!page) {
		*val = 0;
		return 0;
	}
	memcpy(&v, page + (addr & ~ZPCI_PAGE_MASK), 8);
	*val = be64_to_cpu(v);
	return 0;
}

static int sparse_write64(void *priv, phys_addr_t addr, u64 val)
{
	struct zpci_sparse_mem *sm = priv;
	u8 *page;
	u64 v = cpu_to_be64(val);

	if (!zpci_range_inside(addr, 8, sm->size))
		return -EFAULT;
	page = sparse_page(sm, addr >> ZPCI_PAGE_SHIFT, true);
	if (!page)
		return -ENOMEM;
	memcpy(page + (addr & ~ZPCI_PAGE_MASK), &v, 8);
	sm->generation++;
	return 0;
}

static const struct zpci_mem_ops sparse_mem_ops = {
	.read = sparse_read,
	.write = sparse_write,
	.read64 = sparse_read64,
	.write64 = sparse_write64,
};

struct zpci_sparse_mem *zpci_sparse_mem_create(u64 size)
{
	struct zpci_sparse_mem *sm;

	if (!size || !zpci_is_aligned(size, ZPCI_PAGE_SIZE) || size > SPARSE_MAX_SIZE)
		return NULL;
	sm = calloc(1, sizeof(*sm));
	if (sm) {
		sm->size = size;
		sm->generation = 1;
	}
	return sm;
}

static void radix_free(void *node, int level)
{
	unsigned int i;

	if (!node)
		return;
	if (level < RADIX_LEVELS)
		for (i = 0; i < RADIX_FANOUT; i++)
			radix_free(((struct radix_node *)node)->slot[i], level + 1);
	free(node);
}

void zpci_sparse_mem_destroy(struct zpci_sparse_mem *sm)
{
	if (!sm)
		return;
	radix_free(sm->root, 0);
	free(sm);
}

struct zpci_mem zpci_sparse_mem_view(struct zpci_sparse_mem *sm)
{
	struct zpci_mem m = { .ops = &sparse_mem_ops, .priv = sm, .generation = &sm->generation };

	return m;
}

u64 zpci_sparse_mem_size(const struct zpci_sparse_mem *sm)
{
	return sm->size;
}

u64 zpci_sparse_mem_pages(const struct zpci_sparse_mem *sm)
{
	return sm->pages;
}

int zpci_mem_read64(const struct zpci_mem *m, phys_addr_t addr, u64 *val)
{
	u64 v;
	int rc;

	if (m->ops->read64 && zpci_is_aligned(addr, 8))
		return m->ops->read64(m->priv, addr, val);
	rc = zpci_mem_read(m, addr, &v, sizeof(v));
	if (!rc)
		*val = be64_to_cpu(v);
	return rc;
}

int zpci_mem_write64(const struct zpci_mem *m, phys_addr_t addr, u64 val)
{
	u64 v = cpu_to_be64(val);

	if (m->ops->write64 && zpci_is_aligned(addr, 8))
		return m->ops->write64(m->priv, addr, val);
	return zpci_mem_write(m, addr, &v, sizeof(v));
}
