// SPDX-License-Identifier: MIT
/*
 * Encoding and decoding of the remote harness protocol.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "wire.h"

#define WIRE_MAX_TEXT	1000

static const char *const op_names[ZPCI_WIRE_NR_OPS] = {
	[ZPCI_WIRE_HELLO] = "hello",
	[ZPCI_WIRE_BYE] = "bye",
	[ZPCI_WIRE_PING] = "ping",
	[ZPCI_WIRE_CLP_QUERY_FN] = "clp-query-fn",
	[ZPCI_WIRE_CLP_QUERY_GROUP] = "clp-query-group",
	[ZPCI_WIRE_CLP_SET_FN] = "clp-set-fn",
	[ZPCI_WIRE_MPCIFC] = "mpcifc",
	[ZPCI_WIRE_STPCIFC] = "stpcifc",
	[ZPCI_WIRE_RPCIT] = "rpcit",
	[ZPCI_WIRE_MEM_READ] = "mem-read",
	[ZPCI_WIRE_MEM_WRITE] = "mem-write",
	[ZPCI_WIRE_DMA] = "dma",
	[ZPCI_WIRE_INJECT] = "inject",
	[ZPCI_WIRE_COUNTERS] = "counters",
	[ZPCI_WIRE_RPCITS] = "rpcits",
	[ZPCI_WIRE_VIOLATIONS] = "violations",
};

const char *zpci_wire_op_name(u16 op)
{
	op &= ~ZPCI_WIRE_REPLY;
	return op && op < ZPCI_WIRE_NR_OPS ? op_names[op] : "?";
}

void zpci_wire_out_reset(struct zpci_wire_out *o)
{
	o->len = 0;
	o->failed = false;
}

void zpci_wire_out_free(struct zpci_wire_out *o)
{
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

void zpci_wire_put_bytes(struct zpci_wire_out *o, const void *p, size_t n)
{
	if (o->failed)
		return;
	if (n > o->cap - o->len) {
		size_t cap = o->cap ? o->cap : 256;
		u8 *buf;

		while (cap - o->len < n)
			cap *= 2;
		buf = realloc(o->buf, cap);
		if (!buf) {
			o->failed = true;
			return;
		}
		o->buf = buf;
		o->cap = cap;
	}
	if (n)
		memcpy(o->buf + o->len, p, n);
	o->len += n;
}

/* Little-endian whatever the host, one byte at a time. */
static void put_le(struct zpci_wire_out *o, u64 v, int bytes)
{
	u8 b[8];
	int i;

	for (i = 0; i < bytes; i++, v >>= 8)
		b[i] = v & 0xff;
	zpci_wire_put_bytes(o, b, bytes);
}

void zpci_wire_put_u8(struct zpci_wire_out *o, u8 v)
{
	put_le(o, v, 1);
}

void zpci_wire_put_u16(struct zpci_wire_out *o, u16 v)
{
	put_le(o, v, 2);
}

void zpci_wire_put_u32(struct zpci_wire_out *o, u32 v)
{
	put_le(o, v, 4);
}

void zpci_wire_put_u64(struct zpci_wire_out *o, u64 v)
{
	put_le(o, v, 8);
}

void zpci_wire_patch_u32(struct zpci_wire_out *o, size_t off, u32 v)
{
	int i;

	if (o->failed || off + 4 > o->len)
		return;
	for (i = 0; i < 4; i++, v >>= 8)
		o->buf[off + i] = v & 0xff;
}

void zpci_wire_put_hdr(struct zpci_wire_out *o, const struct zpci_wire_hdr *h)
{
	zpci_wire_put_u32(o, h->magic);
	zpci_wire_put_u16(o, h->version);
	zpci_wire_put_u16(o, h->op);
	zpci_wire_put_u32(o, h->session);
	zpci_wire_put_u32(o, h->seq);
}

void zpci_wire_put_text(struct zpci_wire_out *o, const char *s)
{
	size_t n = strlen(s);

	if (n > WIRE_MAX_TEXT)
		n = WIRE_MAX_TEXT;
	zpci_wire_put_u16(o, n);
	zpci_wire_put_bytes(o, s, n);
}

void zpci_wire_in_init(struct zpci_wire_in *in, const void *p, size_t len)
{
	in->p = p;
	in->len = len;
	in->off = 0;
	in->bad = false;
}

const void *zpci_wire_get_bytes(struct zpci_wire_in *in, size_t n)
{
	const u8 *p;

	if (in->bad || n > in->len - in->off) {
		in->bad = true;
		return NULL;
	}
	p = in->p + in->off;
	in->off += n;
	return p;
}

static u64 get_le(struct zpci_wire_in *in, int bytes)
{
	const u8 *b = zpci_wire_get_bytes(in, bytes);
	u64 v = 0;
	int i;

	if (!b)
		return 0;
	for (i = bytes - 1; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

u8 zpci_wire_get_u8(struct zpci_wire_in *in)
{
	return get_le(in, 1);
}

u16 zpci_wire_get_u16(struct zpci_wire_in *in)
{
	return get_le(in, 2);
}

u32 zpci_wire_get_u32(struct zpci_wire_in *in)
{
	return get_le(in, 4);
}

u64 zpci_wire_get_u64(struct zpci_wire_in *in)
{
	return get_le(in, 8);
}

void zpci_wire_get_text(struct zpci_wire_in *in, char *buf, size_t len)
{
	size_t n = zpci_wire_get_u16(in);
	const char *s = zpci_wire_get_bytes(in, n);

	if (!len)
		return;
	if (!s)
		n = 0;
	if (n >= len)
		n = len - 1;
	if (n)
		memcpy(buf, s, n);
	buf[n] = '\0';
}

int zpci_wire_get_hdr(struct zpci_wire_in *in, struct zpci_wire_hdr *h)
{
	h->magic = zpci_wire_get_u32(in);
	h->version = zpci_wire_get_u16(in);
	h->op = zpci_wire_get_u16(in);
	h->session = zpci_wire_get_u32(in);
	h->seq = zpci_wire_get_u32(in);
	if (in->bad || h->magic != ZPCI_WIRE_MAGIC)
		return -EPROTO;
	return h->version == ZPCI_WIRE_VERSION ? 0 : -EPROTONOSUPPORT;
}

bool zpci_wire_in_done(const struct zpci_wire_in *in)
{
	return !in->bad && in->off == in->len;
}

void zpci_wire_put_cfg(struct zpci_wire_out *o, const struct zpci_harness_cfg *cfg)
{
	zpci_wire_put_u32(o, cfg->design);
	zpci_wire_put_u32(o, cfg->nr_fns);
	zpci_wire_put_u64(o, cfg->guest_mem);
	zpci_wire_put_u64(o, cfg->sdma);
	zpci_wire_put_u64(o, cfg->edma);
	zpci_wire_put_u8(o, cfg->refresh);
	zpci_wire_put_u32(o, cfg->mapping_limit);
	zpci_wire_put_u64(o, cfg->pin.limit_bytes);
	zpci_wire_put_u32(o, cfg->pin.fail_every);
	zpci_wire_put_u32(o, cfg->pin.fail_permille);
	zpci_wire_put_u64(o, cfg->pin.seed);
}

void zpci_wire_get_cfg(struct zpci_wire_in *in, struct zpci_harness_cfg *cfg)
{
	u32 design = zpci_wire_get_u32(in);

	memset(cfg, 0, sizeof(*cfg));
	/* Out of range stays out of range, for the config check to refuse. */
	cfg->design = design < ZPCI_NR_DESIGNS ? (enum zpci_design)design : ZPCI_NR_DESIGNS;
	cfg->nr_fns = zpci_wire_get_u32(in);
	cfg->guest_mem = zpci_wire_get_u64(in);
	cfg->sdma = zpci_wire_get_u64(in);
	cfg->edma = zpci_wire_get_u64(in);
	cfg->refresh = zpci_wire_get_u8(in) != 0;
	cfg->mapping_limit = zpci_wire_get_u32(in);
	cfg->pin.limit_bytes = zpci_wire_get_u64(in);
	cfg->pin.fail_every = zpci_wire_get_u32(in);
	cfg->pin.fail_permille = zpci_wire_get_u32(in);
	cfg->pin.seed = zpci_wire_get_u64(in);
}

void zpci_wire_put_fib(struct zpci_wire_out *o, const struct zpci_fib *fib)
{
	zpci_wire_put_u64(o, fib->pba);
	zpci_wire_put_u64(o, fib->pal);
	zpci_wire_put_u64(o, fib->iota);
	zpci_wire_put_u8(o, fib->enabled | fib->blocked << 1 | fib->error << 2);
	zpci_wire_put_u64(o, fib->dma_read_bytes);
	zpci_wire_put_u64(o, fib->dma_write_bytes);
}

void zpci_wire_get_fib(struct zpci_wire_in *in, struct zpci_fib *fib)
{
	u8 flags;

	fib->pba = zpci_wire_get_u64(in);
	fib->pal = zpci_wire_get_u64(in);
	fib->iota = zpci_wire_get_u64(in);
	flags = zpci_wire_get_u8(in);
	fib->enabled = flags & 1;
	fib->blocked = flags & 2;
	fib->error = flags & 4;
	fib->dma_read_bytes = zpci_wire_get_u64(in);
	fib->dma_write_bytes = zpci_wire_get_u64(in);
}

void zpci_wire_put_result(struct zpci_wire_out *o, struct zpci_insn_result r)
{
	zpci_wire_put_u8(o, r.cc);
	zpci_wire_put_u8(o, r.status);
}

struct zpci_insn_result zpci_wire_get_result(struct zpci_wire_in *in)
{
	struct zpci_insn_result r;

	r.cc = zpci_wire_get_u8(in) & 3;
	r.status = zpci_wire_get_u8(in);
	return r;
}

/*
 * Every counter the blocks' tables list crosses by its name, with its
 * value as the table reports it (bytes, not pages): a reader needs no
 * struct layout, and the two ends may list different counters.
 */
void zpci_wire_put_counters(struct zpci_wire_out *o, const struct zpci_harness_counters *c)
{
	const struct zpci_harness_block *b;
	const struct zpci_counter *k;
	size_t at = o->len;
	u32 n = 0;

	zpci_wire_put_u32(o, 0);
	for (b = zpci_harness_blocks; b->table; b++)
		for (k = b->table; k->name; k++, n++) {
			zpci_wire_put_text(o, k->name);
			zpci_wire_put_u64(o, zpci_counter_get(k, (const char *)c + b->offset));
		}
	zpci_wire_patch_u32(o, at, n);
}

/* The counter named by @len bytes at @name, and in *@stats its block of @c. */
static const struct zpci_counter *find_counter(struct zpci_harness_counters *c, const char *name,
					       size_t len, void **stats)
{
	const struct zpci_harness_block *b;
	const struct zpci_counter *k;

	for (b = zpci_harness_blocks; b->table; b++)
		for (k = b->table; k->name; k++)
			if (strlen(k->name) == len && !memcmp(k->name, name, len)) {
				*stats = (char *)c + b->offset;
				return k;
			}
	return NULL;
}

void zpci_wire_get_counters(struct zpci_wire_in *in, struct zpci_harness_counters *c)
{
	u32 n = zpci_wire_get_u32(in);
	u32 i;

	memset(c, 0, sizeof(*c));
	/* A newer peer may count more: take the names we know, skip the rest. */
	for (i = 0; i < n && !in->bad; i++) {
		size_t len = zpci_wire_get_u16(in);
		const char *name = zpci_wire_get_bytes(in, len);
		u64 value = zpci_wire_get_u64(in);
		const struct zpci_counter *k;
		void *stats;

		if (name && !in->bad && (k = find_counter(c, name, len, &stats)))
			zpci_counter_set(k, stats, value);
	}
}

void zpci_wire_put_rpcit(struct zpci_wire_out *o, const struct zpci_rpcit_rec *r)
{
	zpci_wire_put_u32(o, r->fh);
	zpci_wire_put_u64(o, r->iova);
	zpci_wire_put_u64(o, r->len);
	zpci_wire_put_result(o, r->result);
}

void zpci_wire_get_rpcit(struct zpci_wire_in *in, struct zpci_rpcit_rec *r)
{
	r->fh = zpci_wire_get_u32(in);
	r->iova = zpci_wire_get_u64(in);
	r->len = zpci_wire_get_u64(in);
	r->result = zpci_wire_get_result(in);
}
