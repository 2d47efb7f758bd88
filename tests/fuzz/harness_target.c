// SPDX-License-Identifier: MIT
/*
 * The harness server driven by a guest that writes anything into its
 * tables and memory and issues any instruction and device DMA.  Each input
 * is: one byte choosing the design, then requests, each
 *	u8 op, u16 len (little-endian), len bytes of arguments
 * sent with a proper header on a session already set up (function enabled,
 * a region-third table registered at TABLE_GPA).  Whatever the guest does,
 * every request gets one well-formed reply, and the device never reaches a
 * page that is not the guest's or not pinned: the isolation checker counts
 * no violation.  That is the hypervisor's whole job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zpci/harness_server.h>

#include <zpci/prng.h>

#include "harness/wire.h"
#include "targets.h"

#define TABLE_GPA	(16ULL << 20)
/* Small, so that the pinned designs' up-front pinning costs little per input. */
#define GUEST_MEM	(96ULL << 20)

struct script {
	struct zpci_harness_server *srv;
	struct zpci_wire_out req;
	u32 session, seq;
};

static void fail(const char *what, u16 op)
{
	fprintf(stderr, "harness target: %s (op %s)\n", what, zpci_wire_op_name(op));
	abort();
}

/* Send the request in s->req; check the reply; its status. */
static int send(struct script *s, u16 op, struct zpci_wire_in *payload)
{
	static struct zpci_wire_in in;
	struct zpci_wire_hdr h;
	const void *reply;
	size_t len;
	int status;

	zpci_harness_server_handle(s->srv, "fuzz", 4, s->req.buf, s->req.len, 0, &reply, &len);
	zpci_wire_in_init(&in, reply, len);
	if (zpci_wire_get_hdr(&in, &h) || h.op != (op | ZPCI_WIRE_REPLY) || h.seq != s->seq)
		fail("reply header", op);
	status = (int)zpci_wire_get_u32(&in);
	if (in.bad)
		fail("reply without status", op);
	if (status < 0) {
		char text[1024];

		zpci_wire_get_text(&in, text, sizeof(text));
		if (!zpci_wire_in_done(&in) || !text[0] || strchr(text, '\n'))
			fail("error reply without one line of reason", op);
	}
	if (op == ZPCI_WIRE_HELLO && !status)
		s->session = h.session;
	if (payload)
		*payload = in;
	return status;
}

static struct zpci_wire_out *begin(struct script *s, u16 op)
{
	struct zpci_wire_hdr h = { ZPCI_WIRE_MAGIC, ZPCI_WIRE_VERSION, op, s->session, ++s->seq };

	zpci_wire_out_reset(&s->req);
	zpci_wire_put_hdr(&s->req, &h);
	return &s->req;
}

/* A session with function 0 enabled and a table registered. */
static int set_up(struct script *s, enum zpci_design design)
{
	struct zpci_harness_cfg cfg = zpci_harness_default_cfg(design);
	struct zpci_fib fib = { .pba = cfg.sdma, .pal = cfg.edma,
				.iota = zpci_mk_iota(TABLE_GPA, ZPCI_IOTA_DT_RT) };
	struct zpci_wire_out *o;

	cfg.guest_mem = GUEST_MEM;
	zpci_wire_put_cfg(begin(s, ZPCI_WIRE_HELLO), &cfg);
	if (send(s, ZPCI_WIRE_HELLO, NULL))
		return -1;
	o = begin(s, ZPCI_WIRE_CLP_SET_FN);
	zpci_wire_put_u32(o, 0);
	zpci_wire_put_u32(o, ZPCI_HARNESS_FH);
	zpci_wire_put_u8(o, 1);
	send(s, ZPCI_WIRE_CLP_SET_FN, NULL);
	o = begin(s, ZPCI_WIRE_MPCIFC);
	zpci_wire_put_u32(o, 0);
	zpci_wire_put_u32(o, ZPCI_HARNESS_FH | ZPCI_FH_ENABLED);
	zpci_wire_put_u8(o, ZPCI_MOD_FC_REG_IOAT);
	zpci_wire_put_fib(o, &fib);
	send(s, ZPCI_WIRE_MPCIFC, NULL);
	return 0;
}

static void check_isolation(struct script *s)
{
	struct zpci_wire_in in;

	begin(s, ZPCI_WIRE_VIOLATIONS);
	if (send(s, ZPCI_WIRE_VIOLATIONS, &in) == 0 && zpci_wire_get_u64(&in) != 0) {
		char first[1024];

		zpci_wire_get_text(&in, first, sizeof(first));
		fprintf(stderr, "harness target: isolation broken: %s\n", first);
		abort();
	}
}

int zpcisim_fuzz_harness(const uint8_t *data, size_t size)
{
	struct script s = { 0 };

	if (!size)
		return 0;
	s.srv = zpci_harness_server_create(1, 1, ~0ULL);
	if (!s.srv || set_up(&s, data[0] % ZPCI_NR_DESIGNS))
		fail("set-up", ZPCI_WIRE_HELLO);
	data++;
	size--;
	while (size >= 3) {
		/* Every op but hello: the session is the one set up. */
		u16 op = ZPCI_WIRE_BYE + data[0] % (ZPCI_WIRE_NR_OPS - ZPCI_WIRE_BYE);
		size_t len = data[1] | data[2] << 8;

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		zpci_wire_put_bytes(begin(&s, op), data, len);
		send(&s, op, NULL);
		data += len;
		size -= len;
	}
	check_isolation(&s);
	zpci_harness_server_destroy(s.srv);
	zpci_wire_out_free(&s.req);
	return 0;
}

/* Script building: one request of @op with the arguments in @args. */
static void put_request(struct zpci_wire_out *o, u16 op, const struct zpci_wire_out *args)
{
	zpci_wire_put_u8(o, op - ZPCI_WIRE_BYE);
	zpci_wire_put_u16(o, args->len);
	zpci_wire_put_bytes(o, args->buf, args->len);
}

static void put_entry_write(struct zpci_wire_out *o, struct zpci_wire_out *args, u64 gpa, u64 entry)
{
	u64 be = cpu_to_be64(entry);

	zpci_wire_out_reset(args);
	zpci_wire_put_u32(args, 1);	/* records */
	zpci_wire_put_u64(args, gpa);
	zpci_wire_put_u32(args, sizeof(be));
	zpci_wire_put_bytes(args, &be, sizeof(be));
	put_request(o, ZPCI_WIRE_MEM_WRITE, args);
}

/* IOVAs in the first 64 pages of a few segments and regions of the aperture. */
static u64 guest_iova(struct zpci_prng *r)
{
	return 0x100000000ULL + (zpci_prng_below(r, 64) << ZPCI_PAGE_SHIFT) +
	       (zpci_prng_below(r, 4) << 20) + (zpci_prng_below(r, 4) << 31);
}

/* The tables below the registered one: one per region entry, one per segment. */
static u64 segment_table(u64 iova)
{
	return TABLE_GPA + (1 + (zpci_rtx(iova) & 15)) * ZPCI_TABLE_SIZE;
}

static u64 page_table(u64 iova)
{
	return TABLE_GPA + 17 * ZPCI_TABLE_SIZE +
	       ((zpci_rtx(iova) * 4 + zpci_sx(iova)) & 63) * ZPCI_PT_SIZE;
}

/* A frame: mostly the guest's, sometimes outside it or in its own tables. */
static u64 guest_frame(struct zpci_prng *r)
{
	static const u64 wild[] = { 1ULL << 40, 256ULL << 20, TABLE_GPA, 0 };

	if (zpci_prng_below(r, 8))
		return (1 + zpci_prng_below(r, 8 << 8)) << ZPCI_PAGE_SHIFT;
	return wild[zpci_prng_below(r, 4)];
}

/* Map one page the way a guest does: region, segment and page entry. */
static void put_map(struct zpci_prng *r, struct zpci_wire_out *o, struct zpci_wire_out *args)
{
	u64 iova = guest_iova(r);

	put_entry_write(o, args, TABLE_GPA + zpci_rtx(iova) * ZPCI_ENTRY_SIZE,
			zpci_mk_rte(segment_table(iova), ZPCI_TABLE_TYPE_RTX));
	put_entry_write(o, args, segment_table(iova) + zpci_sx(iova) * ZPCI_ENTRY_SIZE,
			zpci_mk_ste(page_table(iova)));
	put_entry_write(o, args, page_table(iova) + zpci_px(iova) * ZPCI_ENTRY_SIZE,
			zpci_mk_pte(guest_frame(r), zpci_prng_below(r, 4) == 0));
}

/* An entry written where it should not be, or with bits it should not have. */
static void put_damage(struct zpci_prng *r, struct zpci_wire_out *o, struct zpci_wire_out *args)
{
	u64 iova = guest_iova(r);
	u64 where[] = { TABLE_GPA + zpci_rtx(iova) * ZPCI_ENTRY_SIZE,
			segment_table(iova) + zpci_sx(iova) * ZPCI_ENTRY_SIZE,
			page_table(iova) + zpci_px(iova) * ZPCI_ENTRY_SIZE };
	u64 what[] = { zpci_mk_pte(0, false) | ZPCI_PTE_INVALID,	/* unmap */
		       zpci_mk_rte(TABLE_GPA, ZPCI_TABLE_TYPE_RTX),	/* points at itself */
		       zpci_mk_rte(1ULL << 40, ZPCI_TABLE_TYPE_RTX),	/* outside the guest */
		       zpci_mk_rte(segment_table(iova), ZPCI_TABLE_TYPE_SX),	/* wrong type */
		       zpci_prng_next(r) };

	put_entry_write(o, args, where[zpci_prng_below(r, 3)], what[zpci_prng_below(r, 5)]);
}

static void put_rpcit(struct zpci_prng *r, struct zpci_wire_out *o, struct zpci_wire_out *args)
{
	/* Mostly a few pages; sometimes "the whole 4 TiB". */
	u64 len = zpci_prng_below(r, 8) ? (1 + zpci_prng_below(r, 16)) << ZPCI_PAGE_SHIFT
					: 1ULL << 42;

	zpci_wire_out_reset(args);
	zpci_wire_put_u32(args, 0);
	zpci_wire_put_u32(args, ZPCI_HARNESS_FH | ZPCI_FH_ENABLED);
	zpci_wire_put_u64(args, guest_iova(r));
	zpci_wire_put_u64(args, len);
	put_request(o, ZPCI_WIRE_RPCIT, args);
}

static void put_dma(struct zpci_prng *r, struct zpci_wire_out *o, struct zpci_wire_out *args)
{
	zpci_wire_out_reset(args);
	zpci_wire_put_u32(args, 0);
	zpci_wire_put_u8(args, zpci_prng_below(r, 2));
	zpci_wire_put_u8(args, 0);
	zpci_wire_put_u64(args, guest_iova(r) + zpci_prng_below(r, ZPCI_PAGE_SIZE));
	zpci_wire_put_u32(args, 1 + zpci_prng_below(r, 2 * ZPCI_PAGE_SIZE));
	put_request(o, ZPCI_WIRE_DMA, args);
}

/* Recovery, as a guest does after an error: reset the error, then the block. */
static void put_recovery(struct zpci_wire_out *o, struct zpci_wire_out *args)
{
	static const u8 steps[] = { ZPCI_MOD_FC_RESET_ERROR, ZPCI_MOD_FC_RESET_BLOCK };
	size_t i;

	for (i = 0; i < 2; i++) {
		zpci_wire_out_reset(args);
		zpci_wire_put_u32(args, 0);
		zpci_wire_put_u32(args, ZPCI_HARNESS_FH | ZPCI_FH_ENABLED);
		zpci_wire_put_u8(args, steps[i]);
		zpci_wire_put_fib(args, &(struct zpci_fib){ 0 });
		put_request(o, ZPCI_WIRE_MPCIFC, args);
	}
}

size_t zpcisim_fuzz_harness_script(u64 seed, uint8_t *buf, size_t cap)
{
	struct zpci_wire_out o = { 0 }, args = { 0 };
	struct zpci_prng r;
	size_t n, i;

	zpci_prng_seed(&r, seed);
	zpci_wire_put_u8(&o, seed % ZPCI_NR_DESIGNS);
	n = 16 + zpci_prng_below(&r, 64);
	for (i = 0; i < n; i++) {
		switch (zpci_prng_below(&r, 8)) {
		case 0:
		case 1:
			put_map(&r, &o, &args);
			break;
		case 2:
			put_damage(&r, &o, &args);
			break;
		case 3:
		case 4:
			put_rpcit(&r, &o, &args);
			break;
		case 5:
		case 6:
			put_dma(&r, &o, &args);
			break;
		default:
			put_recovery(&o, &args);
			break;
		}
	}
	n = o.failed ? 0 : o.len < cap ? o.len : cap;
	if (n)
		memcpy(buf, o.buf, n);
	zpci_wire_out_free(&o);
	zpci_wire_out_free(&args);
	return n;
}
