/* SPDX-License-Identifier: MIT */
/*
 * The remote harness protocol, version 4: one ZeroMQ frame per message,
 * little-endian, described in PROTOCOL.md.  Both ends encode and decode
 * through these helpers only; a decoder never reads past the frame and
 * says "bad" instead.
 */
#ifndef ZPCI_WIRE_H
#define ZPCI_WIRE_H

#include <stddef.h>

#include <zpci/harness.h>
#include <zpci/harness_server.h>

#define ZPCI_WIRE_MAGIC		0x4943507aU	/* "zPCI" */
#define ZPCI_WIRE_VERSION	4
#define ZPCI_WIRE_REPLY		0x8000	/* in op: this answers a request */
#define ZPCI_WIRE_HDR_LEN	16
#define ZPCI_WIRE_SEQ_OFF	12	/* of seq in the header */
#define ZPCI_WIRE_MAX_DATA	ZPCI_HARNESS_MAX_DMA	/* memory and DMA payloads */
#define ZPCI_WIRE_MAX_RPCITS	4096	/* RPCIT log records per reply */
/* A mem-write request: the header and a count, then records of an address, a length and bytes. */
#define ZPCI_WIRE_WRITES_HDR_LEN	(ZPCI_WIRE_HDR_LEN + 4)
#define ZPCI_WIRE_WRITE_REC_LEN		12
/* The most pages one DMA spans: where a write landed is one record each. */
#define ZPCI_WIRE_MAX_DMA_PAGES	(ZPCI_WIRE_MAX_DATA / ZPCI_PAGE_SIZE + 1)
#define ZPCI_WIRE_MAX_MSG	ZPCI_HARNESS_SERVER_MAX_MSG
/* Requests a client may have sent and not yet read the reply of: well
 * inside the replies the server keeps for it. */
#define ZPCI_WIRE_MAX_IN_FLIGHT	(ZPCI_HARNESS_SERVER_HWM / 4)

enum zpci_wire_op {
	ZPCI_WIRE_HELLO = 1,	/* cfg -> a session */
	ZPCI_WIRE_BYE,
	ZPCI_WIRE_PING,
	ZPCI_WIRE_CLP_QUERY_FN,
	ZPCI_WIRE_CLP_QUERY_GROUP,
	ZPCI_WIRE_CLP_SET_FN,
	ZPCI_WIRE_MPCIFC,
	ZPCI_WIRE_STPCIFC,
	ZPCI_WIRE_RPCIT,
	ZPCI_WIRE_MEM_READ,
	ZPCI_WIRE_MEM_WRITE,
	ZPCI_WIRE_DMA,
	ZPCI_WIRE_INJECT,
	ZPCI_WIRE_COUNTERS,
	ZPCI_WIRE_RPCITS,
	ZPCI_WIRE_VIOLATIONS,
	ZPCI_WIRE_NR_OPS,
};

struct zpci_wire_hdr {
	u32 magic;
	u16 version;
	u16 op;
	u32 session;	/* 0 in HELLO; the server's answer to it after */
	u32 seq;	/* echoed in the reply */
};

/* A message being built; on allocation failure it says so once, at the end. */
struct zpci_wire_out {
	u8 *buf;
	size_t len, cap;
	bool failed;
};

void zpci_wire_out_reset(struct zpci_wire_out *o);
void zpci_wire_out_free(struct zpci_wire_out *o);
void zpci_wire_put_u8(struct zpci_wire_out *o, u8 v);
void zpci_wire_put_u16(struct zpci_wire_out *o, u16 v);
void zpci_wire_put_u32(struct zpci_wire_out *o, u32 v);
void zpci_wire_put_u64(struct zpci_wire_out *o, u64 v);
void zpci_wire_put_bytes(struct zpci_wire_out *o, const void *p, size_t n);
/* Overwrite the u32 at @off, written earlier (a count known only later). */
void zpci_wire_patch_u32(struct zpci_wire_out *o, size_t off, u32 v);
void zpci_wire_put_hdr(struct zpci_wire_out *o, const struct zpci_wire_hdr *h);
/* A length-prefixed (u16) text, cut at 1000 bytes. */
void zpci_wire_put_text(struct zpci_wire_out *o, const char *s);

/* A message being read. */
struct zpci_wire_in {
	const u8 *p;
	size_t len, off;
	bool bad;	/* read past the end, or a value out of range */
};

void zpci_wire_in_init(struct zpci_wire_in *in, const void *p, size_t len);
u8 zpci_wire_get_u8(struct zpci_wire_in *in);
u16 zpci_wire_get_u16(struct zpci_wire_in *in);
u32 zpci_wire_get_u32(struct zpci_wire_in *in);
u64 zpci_wire_get_u64(struct zpci_wire_in *in);
/* @n bytes in place, or NULL (and bad). */
const void *zpci_wire_get_bytes(struct zpci_wire_in *in, size_t n);
void zpci_wire_get_text(struct zpci_wire_in *in, char *buf, size_t len);
/* The header; -EPROTO for a bad magic or length, -EPROTONOSUPPORT for a version. */
int zpci_wire_get_hdr(struct zpci_wire_in *in, struct zpci_wire_hdr *h);
/* Everything read and nothing left over. */
bool zpci_wire_in_done(const struct zpci_wire_in *in);

/* The structures that cross, each encoded one way only. */
void zpci_wire_put_cfg(struct zpci_wire_out *o, const struct zpci_harness_cfg *cfg);
void zpci_wire_get_cfg(struct zpci_wire_in *in, struct zpci_harness_cfg *cfg);
void zpci_wire_put_fib(struct zpci_wire_out *o, const struct zpci_fib *fib);
void zpci_wire_get_fib(struct zpci_wire_in *in, struct zpci_fib *fib);
void zpci_wire_put_result(struct zpci_wire_out *o, struct zpci_insn_result r);
struct zpci_insn_result zpci_wire_get_result(struct zpci_wire_in *in);
void zpci_wire_put_counters(struct zpci_wire_out *o, const struct zpci_harness_counters *c);
void zpci_wire_get_counters(struct zpci_wire_in *in, struct zpci_harness_counters *c);
void zpci_wire_put_rpcit(struct zpci_wire_out *o, const struct zpci_rpcit_rec *r);
void zpci_wire_get_rpcit(struct zpci_wire_in *in, struct zpci_rpcit_rec *r);

const char *zpci_wire_op_name(u16 op);

/* The IOVA pages a DMA of @len bytes at @iova spans. */
static inline u32 zpci_wire_dma_pages(u64 iova, u64 len)
{
	return len ? ((iova + len - 1) >> ZPCI_PAGE_SHIFT) - (iova >> ZPCI_PAGE_SHIFT) + 1 : 0;
}

#endif /* ZPCI_WIRE_H */
