// SPDX-License-Identifier: MIT
/*
 * Remote harness requests, handled against in-process harnesses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zpci/harness_server.h>

#include "harness.h"
#include "wire.h"

struct session {
	u32 id;		/* 0: slot free */
	struct zpci_harness *h;
	u64 last_ms;
	/* The connection that opened it: the only one it answers. */
	u8 owner[ZPCI_HARNESS_CLIENT_MAX];
	size_t owner_len;
};

/* Who sent the request being handled. */
struct client {
	const void *key;
	size_t len;
};

struct zpci_harness_server {
	struct session *sessions;
	u32 max_sessions;
	u32 max_per_client;
	u64 idle_ms;
	u32 next_id;
	struct zpci_wire_out reply, payload;
	u8 *data;	/* scratch for memory and DMA payloads */
	char error[256];
	struct zpci_harness_server_stats stats;
};

/* One request: the arguments, the session, where the answer goes. */
struct request {
	struct zpci_harness_server *srv;
	struct client client;
	struct zpci_wire_hdr hdr;
	struct zpci_wire_in *in;
	struct session *s;
	struct zpci_wire_out *out;
};

static int refuse(struct request *r, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct request *r, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->srv->error, sizeof(r->srv->error), fmt, ap);
	va_end(ap);
	return rc;
}

/* The arguments were all there and nothing more. */
static int args_done(struct request *r)
{
	if (zpci_wire_in_done(r->in))
		return 0;
	return refuse(r, -EPROTO, "malformed %s request", zpci_wire_op_name(r->hdr.op));
}

/* The harness call failed: its reason is the reply's. */
static int harness_failed(struct request *r, int rc)
{
	return refuse(r, rc, "%s", zpci_harness_error(r->s->h));
}

static int get_hw(struct request *r, u32 fn, struct zpci_hw *hw)
{
	if (fn >= r->s->h->cfg.nr_fns)
		return refuse(r, -EINVAL, "no such function in this session");
	*hw = zpci_harness_hw(r->s->h, fn);
	return 0;
}

static int args_and_hw(struct request *r, u32 fn, struct zpci_hw *hw)
{
	int rc = args_done(r);

	return rc ? rc : get_hw(r, fn, hw);
}

static void close_session(struct zpci_harness_server *srv, struct session *s)
{
	zpci_harness_destroy(s->h);
	memset(s, 0, sizeof(*s));
	srv->stats.sessions--;
}

static bool owned_by(const struct session *s, const struct client *c)
{
	return s->id && s->owner_len == c->len && !memcmp(s->owner, c->key, c->len);
}

static u32 sessions_of(const struct zpci_harness_server *srv, const struct client *c)
{
	u32 i, n = 0;

	for (i = 0; i < srv->max_sessions; i++)
		n += owned_by(&srv->sessions[i], c);
	return n;
}

/* A fresh id no open session has, and that 0 never is. */
static u32 next_session_id(struct zpci_harness_server *srv)
{
	u32 i;

	do {
		if (!++srv->next_id)
			srv->next_id = 1;
		for (i = 0; i < srv->max_sessions; i++)
			if (srv->sessions[i].id == srv->next_id)
				break;
	} while (i < srv->max_sessions);
	return srv->next_id;
}

static int op_hello(struct request *r)
{
	struct zpci_harness_server *srv = r->srv;
	struct zpci_harness_cfg cfg;
	struct session *s = NULL;
	u32 i;

	zpci_wire_get_cfg(r->in, &cfg);
	if (args_done(r))
		return -EPROTO;
	if (sessions_of(srv, &r->client) >= srv->max_per_client)
		return refuse(r, -EBUSY, "this client has %u sessions open, the most one may: "
			      "close one first", srv->max_per_client);
	for (i = 0; i < srv->max_sessions && !s; i++)
		if (!srv->sessions[i].id)
			s = &srv->sessions[i];
	if (!s)
		return refuse(r, -EBUSY, "the server has all its sessions open: try later");
	s->h = zpci_harness_create(&cfg, srv->error, sizeof(srv->error));
	if (!s->h)
		return -EINVAL;
	s->id = next_session_id(srv);
	memcpy(s->owner, r->client.key, r->client.len);
	s->owner_len = r->client.len;
	s->last_ms = 0;
	r->s = s;
	srv->stats.sessions++;
	srv->stats.sessions_opened++;
	return 0;
}

static int op_bye(struct request *r)
{
	if (args_done(r))
		return -EPROTO;
	close_session(r->srv, r->s);
	r->s = NULL;
	return 0;
}

static int op_ping(struct request *r)
{
	return args_done(r);
}

static int op_clp_query_fn(struct request *r)
{
	u32 fn = zpci_wire_get_u32(r->in), fid = zpci_wire_get_u32(r->in);
	struct zpci_clp_fn q = { 0 };
	struct zpci_hw hw;
	int rc;

	rc = args_and_hw(r, fn, &hw);
	if (rc)
		return rc;
	rc = hw.ops->clp_query_fn(hw.priv, fid, &q);
	zpci_wire_put_u32(r->out, rc);
	zpci_wire_put_u32(r->out, q.fid);
	zpci_wire_put_u32(r->out, q.fh);
	zpci_wire_put_u8(r->out, q.pfgid);
	zpci_wire_put_u64(r->out, q.sdma);
	zpci_wire_put_u64(r->out, q.edma);
	return 0;
}

static int op_clp_query_group(struct request *r)
{
	u32 fn = zpci_wire_get_u32(r->in);
	u8 pfgid = zpci_wire_get_u8(r->in);
	struct zpci_clp_group g = { 0 };
	struct zpci_hw hw;
	int rc;

	rc = args_and_hw(r, fn, &hw);
	if (rc)
		return rc;
	rc = hw.ops->clp_query_group(hw.priv, pfgid, &g);
	zpci_wire_put_u32(r->out, rc);
	zpci_wire_put_u8(r->out, g.pfgid);
	zpci_wire_put_u8(r->out, g.refresh);
	return 0;
}

static int op_clp_set_fn(struct request *r)
{
	u32 fn = zpci_wire_get_u32(r->in), fh = zpci_wire_get_u32(r->in), new_fh = 0;
	bool enable = zpci_wire_get_u8(r->in);
	struct zpci_hw hw;
	int rc;

	rc = args_and_hw(r, fn, &hw);
	if (rc)
		return rc;
	rc = hw.ops->clp_set_fn(hw.priv, fh, enable, &new_fh);
	zpci_wire_put_u32(r->out, rc);
	zpci_wire_put_u32(r->out, new_fh);
	return 0;
}

static int op_mpcifc(struct request *r)
{
	u32 fn = zpci_wire_get_u32(r->in), fh = zpci_wire_get_u32(r->in);
	u8 oc = zpci_wire_get_u8(r->in);
	struct zpci_fib fib;
	struct zpci_hw hw;
	int rc;

	zpci_wire_get_fib(r->in, &fib);
	rc = args_and_hw(r, fn, &hw);
	if (rc)
		return rc;
	zpci_wire_put_result(r->out, hw.ops->mpcifc(hw.priv, fh, oc, &fib));
	return 0;
}

static int op_stpcifc(struct request *r)
{
	u32 fn = zpci_wire_get_u32(r->in), fh = zpci_wire_get_u32(r->in);
	struct zpci_fib fib = { 0 };
	struct zpci_hw hw;
	int rc;

	rc = args_and_hw(r, fn, &hw);
	if (rc)
		return rc;
	zpci_wire_put_result(r->out, hw.ops->stpcifc(hw.priv, fh, &fib));
	zpci_wire_put_fib(r->out, &fib);
	return 0;
}

static int op_rpcit(struct request *r)
{
	u32 fn = zpci_wire_get_u32(r->in), fh = zpci_wire_get_u32(r->in);
	u64 iova = zpci_wire_get_u64(r->in), len = zpci_wire_get_u64(r->in);
	struct zpci_hw hw;
	int rc;

	rc = args_and_hw(r, fn, &hw);
	if (rc)
		return rc;
	zpci_wire_put_result(r->out, hw.ops->rpcit(hw.priv, fh, iova, len));
	return 0;
}

/* The arguments, and a payload length the server takes. */
static int args_and_len(struct request *r, u32 len)
{
	int rc = args_done(r);

	if (rc || len <= ZPCI_WIRE_MAX_DATA)
		return rc;
	return refuse(r, -EINVAL, "%s of more than 1 MiB at once", zpci_wire_op_name(r->hdr.op));
}

static int op_mem_read(struct request *r)
{
	u64 addr = zpci_wire_get_u64(r->in);
	u32 len = zpci_wire_get_u32(r->in);
	struct zpci_mem mem = zpci_harness_guest_mem(r->s->h);
	int rc;

	rc = args_and_len(r, len);
	if (rc)
		return rc;
	if (zpci_mem_read(&mem, addr, r->srv->data, len))
		return refuse(r, -EFAULT, "guest memory read outside guest memory");
	zpci_wire_put_bytes(r->out, r->srv->data, len);
	return 0;
}

/* Every record is read and checked before any is written: all or nothing. */
static int op_mem_write(struct request *r)
{
	struct zpci_mem mem = zpci_harness_guest_mem(r->s->h);
	u64 size = r->s->h->cfg.guest_mem;
	size_t records = r->in->off;
	u32 n = zpci_wire_get_u32(r->in), i;
	bool outside = false;
	int rc;

	for (i = 0; i < n && !r->in->bad; i++) {
		u64 addr = zpci_wire_get_u64(r->in);
		u32 len = zpci_wire_get_u32(r->in);

		zpci_wire_get_bytes(r->in, len);
		outside |= addr > size || len > size - addr;
	}
	rc = args_done(r);
	if (rc)
		return rc;
	if (outside)
		return refuse(r, -EFAULT, "guest memory write outside guest memory");
	r->in->off = records + 4;
	for (i = 0; i < n; i++) {
		u64 addr = zpci_wire_get_u64(r->in);
		u32 len = zpci_wire_get_u32(r->in);

		if (zpci_mem_write(&mem, addr, zpci_wire_get_bytes(r->in, len), len))
			return refuse(r, -EFAULT, "guest memory write outside guest memory");
	}
	return 0;
}

static int op_dma(struct request *r)
{
	u32 fn = zpci_wire_get_u32(r->in);
	u8 dir = zpci_wire_get_u8(r->in), with_data = zpci_wire_get_u8(r->in);
	u64 iova = zpci_wire_get_u64(r->in);
	u32 len = zpci_wire_get_u32(r->in);
	bool carries = with_data && dir == ZPCI_DMA_WRITE;
	const void *in_data = carries ? zpci_wire_get_bytes(r->in, len) : NULL;
	void *buf = with_data ? r->srv->data : NULL;
	phys_addr_t landed[ZPCI_WIRE_MAX_DMA_PAGES];
	struct zpci_monitor_writes writes = { landed, 0, ZPCI_WIRE_MAX_DMA_PAGES };
	u32 i;
	int rc;

	rc = args_and_len(r, len);
	if (rc)
		return rc;
	if (dir != ZPCI_DMA_READ && dir != ZPCI_DMA_WRITE)
		return refuse(r, -EINVAL, "dma direction must be read or write");
	if (carries)
		memcpy(buf, in_data, len);
	rc = zpci_harness_dma_writes(r->s->h, fn, iova, buf, len, dir, carries ? &writes : NULL);
	if (rc)
		return harness_failed(r, rc);
	if (with_data && dir == ZPCI_DMA_READ)
		zpci_wire_put_bytes(r->out, buf, len);
	if (!carries)
		return 0;
	/* The client's copy of guest memory follows this list: it must be whole. */
	if (writes.nr != zpci_wire_dma_pages(iova, len))
		return refuse(r, -EIO, "server lost track of where the device wrote");
	zpci_wire_put_u32(r->out, writes.nr);
	for (i = 0; i < writes.nr; i++)
		zpci_wire_put_u64(r->out, landed[i]);
	return 0;
}

static int op_inject(struct request *r)
{
	u32 fn = zpci_wire_get_u32(r->in), fault = zpci_wire_get_u32(r->in);
	u64 pass = zpci_wire_get_u64(r->in), fail = zpci_wire_get_u64(r->in);
	int rc;

	if (args_done(r))
		return -EPROTO;
	/* The table pool is the client's; its exhaustion never comes here. */
	if (fault >= ZPCI_NR_HFAULTS || fault == ZPCI_HFAULT_NOMEM)
		return refuse(r, -EINVAL, "fault kind cannot be injected by the server");
	rc = zpci_harness_inject(r->s->h, fn, fault, pass, fail);
	return rc ? harness_failed(r, rc) : 0;
}

static int op_counters(struct request *r)
{
	u32 fn = zpci_wire_get_u32(r->in);
	struct zpci_harness_counters c;
	int rc;

	if (args_done(r))
		return -EPROTO;
	rc = zpci_harness_read_counters(r->s->h, fn, &c);
	if (rc)
		return harness_failed(r, rc);
	zpci_wire_put_counters(r->out, &c);
	return 0;
}

static int op_rpcits(struct request *r)
{
	u32 fn = zpci_wire_get_u32(r->in);
	u64 from = zpci_wire_get_u64(r->in);
	u32 max = zpci_wire_get_u32(r->in);
	struct zpci_rpcit_rec recs[64];
	u32 sent = 0;

	if (args_done(r))
		return -EPROTO;
	if (max > ZPCI_WIRE_MAX_RPCITS)
		max = ZPCI_WIRE_MAX_RPCITS;
	/* The count goes first: fill it in once known. */
	zpci_wire_put_u32(r->out, 0);
	while (sent < max) {
		size_t want = max - sent < 64 ? max - sent : 64;
		long n = zpci_harness_rpcits(r->s->h, fn, from + sent, recs, want);
		long i;

		if (n < 0)
			return harness_failed(r, n);
		for (i = 0; i < n; i++)
			zpci_wire_put_rpcit(r->out, &recs[i]);
		sent += n;
		if ((size_t)n < want)
			break;
	}
	zpci_wire_patch_u32(r->out, 0, sent);
	return 0;
}

static int op_violations(struct request *r)
{
	char first[256];
	long long n;

	if (args_done(r))
		return -EPROTO;
	n = zpci_harness_violations(r->s->h, first, sizeof(first));
	if (n < 0)
		return harness_failed(r, n);
	zpci_wire_put_u64(r->out, n);
	zpci_wire_put_text(r->out, first);
	return 0;
}

struct op {
	int (*handle)(struct request *r);
	bool needs_session;
};

static const struct op ops[ZPCI_WIRE_NR_OPS] = {
	[ZPCI_WIRE_HELLO] = { op_hello, false },
	[ZPCI_WIRE_BYE] = { op_bye, true },
	[ZPCI_WIRE_PING] = { op_ping, false },
	[ZPCI_WIRE_CLP_QUERY_FN] = { op_clp_query_fn, true },
	[ZPCI_WIRE_CLP_QUERY_GROUP] = { op_clp_query_group, true },
	[ZPCI_WIRE_CLP_SET_FN] = { op_clp_set_fn, true },
	[ZPCI_WIRE_MPCIFC] = { op_mpcifc, true },
	[ZPCI_WIRE_STPCIFC] = { op_stpcifc, true },
	[ZPCI_WIRE_RPCIT] = { op_rpcit, true },
	[ZPCI_WIRE_MEM_READ] = { op_mem_read, true },
	[ZPCI_WIRE_MEM_WRITE] = { op_mem_write, true },
	[ZPCI_WIRE_DMA] = { op_dma, true },
	[ZPCI_WIRE_INJECT] = { op_inject, true },
	[ZPCI_WIRE_COUNTERS] = { op_counters, true },
	[ZPCI_WIRE_RPCITS] = { op_rpcits, true },
	[ZPCI_WIRE_VIOLATIONS] = { op_violations, true },
};

/* Session @id, if @c opened it: another client's is as good as unknown. */
static struct session *find_session(struct zpci_harness_server *srv, u32 id,
				    const struct client *c)
{
	u32 i;

	for (i = 0; id && i < srv->max_sessions; i++)
		if (srv->sessions[i].id == id && owned_by(&srv->sessions[i], c))
			return &srv->sessions[i];
	return NULL;
}

static int dispatch(struct request *r)
{
	struct zpci_harness_server *srv = r->srv;
	int rc = zpci_wire_get_hdr(r->in, &r->hdr);
	const struct op *op;

	if (rc == -EPROTONOSUPPORT)
		return refuse(r, rc, "protocol version %u not supported: this server speaks %u",
			      r->hdr.version, ZPCI_WIRE_VERSION);
	if (rc || r->hdr.op & ZPCI_WIRE_REPLY || !r->hdr.op || r->hdr.op >= ZPCI_WIRE_NR_OPS)
		return refuse(r, -EPROTO, "not a zpcisim harness request");
	op = &ops[r->hdr.op];
	if (op->needs_session) {
		r->s = find_session(srv, r->hdr.session, &r->client);
		if (!r->s)
			return refuse(r, -ENOENT,
				      "no such session (the server restarted, or it was idle too long)");
	}
	return op->handle(r);
}

static void begin_request(struct request *r, const void *req, size_t len)
{
	struct zpci_harness_server *srv = r->srv;

	zpci_wire_in_init(r->in, req, len);
	zpci_wire_out_reset(&srv->reply);
	zpci_wire_out_reset(&srv->payload);
	srv->error[0] = '\0';
	srv->stats.requests++;
}

/* The reply to @r: its status @rc, then the payload or the reason. */
static void finish_reply(struct request *r, int rc, const void **reply, size_t *reply_len)
{
	struct zpci_harness_server *srv = r->srv;
	struct zpci_wire_hdr h;

	h = (struct zpci_wire_hdr){ ZPCI_WIRE_MAGIC, ZPCI_WIRE_VERSION,
				    r->hdr.op | ZPCI_WIRE_REPLY, r->s ? r->s->id : r->hdr.session,
				    r->hdr.seq };
	zpci_wire_put_hdr(&srv->reply, &h);
	zpci_wire_put_u32(&srv->reply, rc);
	if (rc) {
		srv->stats.errors++;
		zpci_wire_put_text(&srv->reply, srv->error);
	} else {
		zpci_wire_put_bytes(&srv->reply, srv->payload.buf, srv->payload.len);
	}
	if (srv->reply.failed) {
		/* Not even a reply fits: answer with the bare header. */
		srv->reply.len = ZPCI_WIRE_HDR_LEN;
	}
	*reply = srv->reply.buf;
	*reply_len = srv->reply.len;
}

void zpci_harness_server_handle(struct zpci_harness_server *srv, const void *client,
				size_t client_len, const void *req, size_t len, u64 now_ms,
				const void **reply, size_t *reply_len)
{
	struct zpci_wire_in in;
	struct request r = { .srv = srv, .in = &in, .out = &srv->payload };
	int rc;

	/* A longer key cannot come from ZeroMQ; cut, it still names one client. */
	r.client = (struct client){ client, client_len < ZPCI_HARNESS_CLIENT_MAX
						    ? client_len : ZPCI_HARNESS_CLIENT_MAX };
	begin_request(&r, req, len);
	rc = dispatch(&r);
	if (!rc && srv->payload.failed)
		rc = refuse(&r, -ENOMEM, "server out of memory");
	if (r.s)
		r.s->last_ms = now_ms;
	finish_reply(&r, rc, reply, reply_len);
}

void zpci_harness_server_reject(struct zpci_harness_server *srv, const void *req, size_t len,
				const char *why, const void **reply, size_t *reply_len)
{
	struct zpci_wire_in in;
	struct request r = { .srv = srv, .in = &in, .out = &srv->payload };

	begin_request(&r, req, len);
	/* Echo what header there is, so that the client can match the reply. */
	zpci_wire_get_hdr(&in, &r.hdr);
	finish_reply(&r, refuse(&r, -EPROTO, "%s", why), reply, reply_len);
}

void zpci_harness_server_reap(struct zpci_harness_server *srv, u64 now_ms)
{
	u32 i;

	for (i = 0; i < srv->max_sessions; i++) {
		struct session *s = &srv->sessions[i];

		if (s->id && now_ms - s->last_ms > srv->idle_ms && now_ms > s->last_ms) {
			close_session(srv, s);
			srv->stats.sessions_reaped++;
		}
	}
}

struct zpci_harness_server *zpci_harness_server_create(u32 max_sessions, u32 max_per_client,
						       u64 idle_ms)
{
	struct zpci_harness_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	srv->max_sessions = max_sessions;
	srv->max_per_client = max_per_client;
	srv->idle_ms = idle_ms;
	srv->sessions = calloc(max_sessions ? max_sessions : 1, sizeof(*srv->sessions));
	srv->data = malloc(ZPCI_WIRE_MAX_DATA);
	/* Room for a bare reply header, whatever memory does later. */
	zpci_wire_put_bytes(&srv->reply, &srv->stats, ZPCI_WIRE_HDR_LEN);
	if (!srv->sessions || !srv->data || srv->reply.failed) {
		zpci_harness_server_destroy(srv);
		return NULL;
	}
	return srv;
}

void zpci_harness_server_destroy(struct zpci_harness_server *srv)
{
	u32 i;

	if (!srv)
		return;
	for (i = 0; srv->sessions && i < srv->max_sessions; i++)
		if (srv->sessions[i].id)
			close_session(srv, &srv->sessions[i]);
	free(srv->sessions);
	free(srv->data);
	zpci_wire_out_free(&srv->reply);
	zpci_wire_out_free(&srv->payload);
	free(srv);
}

struct zpci_harness_server_stats zpci_harness_server_stats(const struct zpci_harness_server *srv)
{
	return srv->stats;
}
