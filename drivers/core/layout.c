// SPDX-License-Identifier: MIT
/*
 * Guest layouts and the guest-physical view of host memory.
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/arch.h>
#include <zpci/layout.h>
#include <zpci/prng.h>

static int cmp_hpa(const void *a, const void *b)
{
	const struct zpci_extent *x = a, *y = b;

	return (x->hpa > y->hpa) - (x->hpa < y->hpa);
}

static int layout_alloc(struct zpci_layout *l, u64 guest_size, u64 chunk)
{
	size_t n = guest_size / chunk;

	memset(l, 0, sizeof(*l));
	l->by_gpa = calloc(n, sizeof(*l->by_gpa));
	l->by_hpa = calloc(n, sizeof(*l->by_hpa));
	if (!l->by_gpa || !l->by_hpa) {
		zpci_layout_destroy(l);
		return -ENOMEM;
	}
	l->guest_size = guest_size;
	l->chunk = chunk;
	if (!(chunk & (chunk - 1)))
		l->chunk_shift = __builtin_ctzll(chunk);
	l->nr_extents = n;
	return 0;
}

static void layout_index_hpa(struct zpci_layout *l)
{
	memcpy(l->by_hpa, l->by_gpa, l->nr_extents * sizeof(*l->by_hpa));
	qsort(l->by_hpa, l->nr_extents, sizeof(*l->by_hpa), cmp_hpa);
}

static bool layout_args_ok(u64 guest_size, u64 chunk, phys_addr_t host_base)
{
	return guest_size && chunk && zpci_is_aligned(chunk, ZPCI_PAGE_SIZE) &&
	       guest_size % chunk == 0 && zpci_is_aligned(host_base, ZPCI_PAGE_SIZE) &&
	       host_base + guest_size > host_base;
}

int zpci_layout_init_contiguous(struct zpci_layout *l, u64 guest_size,
				phys_addr_t host_base)
{
	int rc;

	if (!layout_args_ok(guest_size, guest_size, host_base))
		return -EINVAL;
	rc = layout_alloc(l, guest_size, guest_size);
	if (rc)
		return rc;
	l->by_gpa[0] = (struct zpci_extent){ .gpa = 0, .hpa = host_base, .len = guest_size };
	layout_index_hpa(l);
	return 0;
}

int zpci_layout_init_scattered(struct zpci_layout *l, u64 guest_size, u64 chunk,
			       phys_addr_t host_base, u64 seed)
{
	struct zpci_prng prng;
	size_t n, i;
	int rc;

	if (!layout_args_ok(guest_size, chunk, host_base))
		return -EINVAL;
	n = guest_size / chunk;
	rc = layout_alloc(l, guest_size, chunk);
	if (rc)
		return rc;
	for (i = 0; i < n; i++)
		l->by_gpa[i] = (struct zpci_extent){ .gpa = i * chunk, .hpa = i, .len = chunk };
	/* Fisher-Yates over the host slot numbers, then scale to addresses. */
	zpci_prng_seed(&prng, seed);
	for (i = n - 1; i > 0; i--) {
		size_t j = zpci_prng_below(&prng, i + 1);
		phys_addr_t t = l->by_gpa[i].hpa;

		l->by_gpa[i].hpa = l->by_gpa[j].hpa;
		l->by_gpa[j].hpa = t;
	}
	for (i = 0; i < n; i++)
		l->by_gpa[i].hpa = host_base + l->by_gpa[i].hpa * chunk;
	layout_index_hpa(l);
	return 0;
}

void zpci_layout_destroy(struct zpci_layout *l)
{
	free(l->by_gpa);
	free(l->by_hpa);
	memset(l, 0, sizeof(*l));
}

/*
 * Guest accesses may straddle extents; split them so each piece goes to
 * its own host range.
 */
static int guest_view_access(struct zpci_guest_view *gv, phys_addr_t gpa,
			     u8 *rbuf, const u8 *wbuf, size_t len)
{
	const struct zpci_layout *l = gv->layout;

	if (!zpci_range_inside(gpa, len, l->guest_size))
		return -EFAULT;
	while (len) {
		const struct zpci_extent *e = zpci_layout_extent(l, gpa, false);
		u64 off = gpa - e->gpa;
		size_t chunk = e->len - off < len ? e->len - off : len;
		int rc;

		if (rbuf)
			rc = zpci_mem_read(&gv->host, e->hpa + off, rbuf, chunk);
		else
			rc = zpci_mem_write(&gv->host, e->hpa + off, wbuf, chunk);
		if (rc)
			return rc;
		if (rbuf)
			rbuf += chunk;
		else
			wbuf += chunk;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

static int guest_view_read(void *priv, phys_addr_t addr, void *buf, size_t len)
{
	return guest_view_access(priv, addr, buf, NULL, len);
}

static int guest_view_write(void *priv, phys_addr_t addr, const void *buf, size_t len)
{
	return guest_view_access(priv, addr, NULL, buf, len);
}

static const struct zpci_mem_ops guest_view_ops = {
	.read = guest_view_read,
	.write = guest_view_write,
};

struct zpci_mem zpci_guest_view_mem(struct zpci_guest_view *gv)
{
	struct zpci_mem m = { .ops = &guest_view_ops, .priv = gv };

	return m;
}
