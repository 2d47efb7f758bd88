// SPDX-License-Identifier: MIT
/*
 * The remote harness: the same API, every call a request to `zpcisim serve`
 * over a ZeroMQ DEALER socket.  A round trip costs far more than the work
 * behind most requests, so the client saves them where the answer is known
 * without asking:
 *
 *  - guest-memory writes are sent ahead, without waiting for their replies
 *    (at most ZPCI_WIRE_MAX_IN_FLIGHT at once); the server answers in
 *    order, so the replies are read, and checked, before the next one that
 *    is waited for;
 *  - guest memory read is kept, a page at a time: nothing but the device's
 *    DMA changes guest memory behind the driver's back, and the reply to a
 *    device write says which guest page each of its IOVA pages landed in,
 *    so the kept pages take the same bytes (a failed write, whose reply
 *    cannot say, forgets them all).
 *
 * A reply that comes after its request timed out is recognised by its
 * sequence number and dropped; a reply missing from the sequence (the
 * server dropped it) breaks the harness, as a timeout does: the server may
 * have lost the request or the session, so nothing that follows could be
 * trusted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "harness.h"
#include "wire.h"

struct remote;

struct remote_fn {
	struct remote *r;
	u32 index;
};

/*
 * Guest memory as last read or written, a page per slot, in sets of a few
 * ways: a driver's buffers and its tables sit a power of two apart, and
 * one slot per page number would have them evict each other on every use.
 */
#define CACHE_WAYS	4
#define CACHE_SET_BITS	6
#define CACHE_PAGES	(CACHE_WAYS << CACHE_SET_BITS)

struct cached_page {
	phys_addr_t pa;
	u64 generation;		/* valid while it is the cache's */
	u64 used;		/* when last looked up: the least recent goes first */
	u8 data[ZPCI_PAGE_SIZE];
};

struct remote {
	struct zpci_harness h;
	void *ctx, *sock;
	char endpoint[128];
	int timeout_ms;
	u32 session, seq;
	u32 unanswered;		/* requests sent whose reply is not read yet */
	enum zpci_wire_op op;		/* of the request being built */
	u64 sent[ZPCI_WIRE_NR_OPS];	/* requests sent, by op */
	bool broken;
	struct cached_page *cache;
	u8 *cache_fetch;	/* pages on their way into the cache */
	u64 cache_generation;	/* from 1; bumping it forgets every page */
	u64 cache_clock;	/* lookups so far */
	struct remote_fn fns[ZPCI_HARNESS_MAX_FNS];
	struct zpci_wire_out req;
	struct zpci_wire_out writes;	/* one mem-write request, gathering; unsent */
	u32 nr_writes;			/* its records */
	zmq_msg_t reply;
	bool have_reply;
};

static struct remote *to_remote(struct zpci_harness *h)
{
	return (struct remote *)((char *)h - offsetof(struct remote, h));
}

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Start a request in @o: the header, its seq 0 until it is sent (gathered
 * writes go out first, and replies are matched by seq in sending order).
 */
static struct zpci_wire_out *begin_in(struct remote *r, struct zpci_wire_out *o,
				      enum zpci_wire_op op)
{
	struct zpci_wire_hdr h = { ZPCI_WIRE_MAGIC, ZPCI_WIRE_VERSION, op, r->session, 0 };

	zpci_wire_out_reset(o);
	zpci_wire_put_hdr(o, &h);
	return o;
}

/* Start a request in r->req; the caller adds the arguments. */
static struct zpci_wire_out *begin(struct remote *r, enum zpci_wire_op op)
{
	r->op = op;
	return begin_in(r, &r->req, op);
}

static int broken(struct remote *r, const char *why)
{
	r->broken = true;
	zpci_harness_fail(&r->h, "%s: %s", r->endpoint, why);
	return -EIO;
}

/* Send the request built in @o, numbered now; its reply is read later. */
static int send_frame(struct remote *r, struct zpci_wire_out *o, enum zpci_wire_op op)
{
	if (r->broken)
		return -EIO;
	if (o->failed)
		return broken(r, "out of memory for a request");
	zpci_wire_patch_u32(o, ZPCI_WIRE_SEQ_OFF, ++r->seq);
	if (zmq_send(r->sock, o->buf, o->len, 0) < 0)
		return broken(r, zmq_strerror(zmq_errno()));
	r->unanswered++;
	r->sent[op]++;
	return 0;
}

static int settle(struct remote *r, u32 keep);

/* The writes gathered, sent ahead as one request. */
static int send_writes(struct remote *r)
{
	int rc;

	if (!r->nr_writes)
		return 0;
	zpci_wire_patch_u32(&r->writes, ZPCI_WIRE_HDR_LEN, r->nr_writes);
	r->nr_writes = 0;
	/* Room for the request that may follow at once. */
	rc = settle(r, ZPCI_WIRE_MAX_IN_FLIGHT - 2);
	return rc ? rc : send_frame(r, &r->writes, ZPCI_WIRE_MEM_WRITE);
}

/* Send the request built in r->req, after the writes before it; its reply is read later. */
static int send_request(struct remote *r)
{
	int rc = send_writes(r);

	return rc ? rc : send_frame(r, &r->req, r->op);
}

/*
 * The reply to the oldest request still unanswered, by @deadline.  Replies
 * come in the order of their requests: an older one is a late answer to a
 * request given up on, and skipped; a newer one means the server dropped
 * the reply waited for.
 */
static int next_reply(struct remote *r, u64 deadline, struct zpci_wire_in *in,
		      struct zpci_wire_hdr *h)
{
	u32 oldest = r->seq - r->unanswered + 1;
	char why[96];

	for (;;) {
		u64 now = now_ms();
		int left;

		if (now >= deadline)
			break;
		left = deadline - now;
		zmq_setsockopt(r->sock, ZMQ_RCVTIMEO, &left, sizeof(left));
		if (r->have_reply)
			zmq_msg_close(&r->reply);
		zmq_msg_init(&r->reply);
		r->have_reply = true;
		if (zmq_msg_recv(&r->reply, r->sock, 0) < 0) {
			if (zmq_errno() == EINTR)
				continue;
			if (zmq_errno() == EAGAIN)
				break;
			return broken(r, zmq_strerror(zmq_errno()));
		}
		zpci_wire_in_init(in, zmq_msg_data(&r->reply), zmq_msg_size(&r->reply));
		if (zpci_wire_get_hdr(in, h))
			return broken(r, "the server answered with something that is not a reply");
		if (h->seq == oldest) {
			r->unanswered--;
			return 0;
		}
		if (h->seq - oldest < r->unanswered)
			return broken(r, "the server dropped a reply (more requests in flight "
					 "than it queues)");
	}
	snprintf(why, sizeof(why), "no answer within %d ms (is `zpcisim serve` running there?)",
		 r->timeout_ms);
	return broken(r, why);
}

/* The status that starts a reply: 0, or -errno with the server's reason recorded. */
static int reply_status(struct remote *r, struct zpci_wire_in *in)
{
	int rc = (int)zpci_wire_get_u32(in);
	char text[256];

	if (in->bad)
		return broken(r, "a reply too short to read");
	if (rc >= 0)
		return 0;
	zpci_wire_get_text(in, text, sizeof(text));
	zpci_harness_fail(&r->h, "%s: %s", r->endpoint, text);
	return rc;
}

/* Read the replies to requests sent ahead until at most @keep remain unread. */
static int settle(struct remote *r, u32 keep)
{
	u64 deadline = now_ms() + r->timeout_ms;
	struct zpci_wire_in in;
	struct zpci_wire_hdr h;
	int rc;

	if (r->broken)
		return -EIO;
	while (r->unanswered > keep) {
		rc = next_reply(r, deadline, &in, &h);
		if (rc)
			return rc;
		/* Nothing waits for this answer any more: a refusal breaks the harness. */
		if (reply_status(r, &in) || !zpci_wire_in_done(&in))
			return broken(r, r->h.error[0] ? r->h.error : "a malformed reply");
	}
	return 0;
}

/*
 * Send the request built in r->req and read the reply's status into @in's
 * place after it.  0 with @in at the payload, or -errno with the reason
 * recorded (the server's own words for a refused request).
 */
static int call(struct remote *r, struct zpci_wire_in *in)
{
	struct zpci_wire_hdr h;
	int rc;

	rc = send_request(r);
	if (!rc)
		rc = settle(r, 1);
	if (!rc)
		rc = next_reply(r, now_ms() + r->timeout_ms, in, &h);
	if (!rc)
		rc = reply_status(r, in);
	if (rc)
		return rc;
	if (h.session)
		r->session = h.session;
	return 0;
}

/* The payload was all there. */
static int finish(struct remote *r, struct zpci_wire_in *in)
{
	return zpci_wire_in_done(in) ? 0 : broken(r, "a malformed reply");
}

static const struct zpci_insn_result insn_gone = { ZPCI_CC_NOT_OP, 0 };

static int remote_clp_query_fn(void *priv, u32 fid, struct zpci_clp_fn *fn)
{
	struct remote_fn *rf = priv;
	struct zpci_wire_out *o = begin(rf->r, ZPCI_WIRE_CLP_QUERY_FN);
	struct zpci_wire_in in;
	int rc;

	zpci_wire_put_u32(o, rf->index);
	zpci_wire_put_u32(o, fid);
	if (call(rf->r, &in))
		return -ENODEV;
	rc = (int)zpci_wire_get_u32(&in);
	fn->fid = zpci_wire_get_u32(&in);
	fn->fh = zpci_wire_get_u32(&in);
	fn->pfgid = zpci_wire_get_u8(&in);
	fn->sdma = zpci_wire_get_u64(&in);
	fn->edma = zpci_wire_get_u64(&in);
	return finish(rf->r, &in) ? -ENODEV : rc;
}

static int remote_clp_query_group(void *priv, u8 pfgid, struct zpci_clp_group *grp)
{
	struct remote_fn *rf = priv;
	struct zpci_wire_out *o = begin(rf->r, ZPCI_WIRE_CLP_QUERY_GROUP);
	struct zpci_wire_in in;
	int rc;

	zpci_wire_put_u32(o, rf->index);
	zpci_wire_put_u8(o, pfgid);
	if (call(rf->r, &in))
		return -ENODEV;
	rc = (int)zpci_wire_get_u32(&in);
	grp->pfgid = zpci_wire_get_u8(&in);
	grp->refresh = zpci_wire_get_u8(&in);
	return finish(rf->r, &in) ? -ENODEV : rc;
}

static int remote_clp_set_fn(void *priv, u32 fh, bool enable, u32 *new_fh)
{
	struct remote_fn *rf = priv;
	struct zpci_wire_out *o = begin(rf->r, ZPCI_WIRE_CLP_SET_FN);
	struct zpci_wire_in in;
	int rc;

	zpci_wire_put_u32(o, rf->index);
	zpci_wire_put_u32(o, fh);
	zpci_wire_put_u8(o, enable);
	if (call(rf->r, &in))
		return -ENODEV;
	rc = (int)zpci_wire_get_u32(&in);
	*new_fh = zpci_wire_get_u32(&in);
	return finish(rf->r, &in) ? -ENODEV : rc;
}

/* Send an instruction built in r->req; its outcome, cc 3 if the server is gone. */
static struct zpci_insn_result call_insn(struct remote *r, struct zpci_fib *fib)
{
	struct zpci_insn_result res;
	struct zpci_wire_in in;

	if (call(r, &in))
		return insn_gone;
	res = zpci_wire_get_result(&in);
	if (fib)
		zpci_wire_get_fib(&in, fib);
	return finish(r, &in) ? insn_gone : res;
}

static struct zpci_insn_result remote_mpcifc(void *priv, u32 fh, u8 oc,
					     const struct zpci_fib *fib)
{
	struct remote_fn *rf = priv;
	struct zpci_wire_out *o = begin(rf->r, ZPCI_WIRE_MPCIFC);

	zpci_wire_put_u32(o, rf->index);
	zpci_wire_put_u32(o, fh);
	zpci_wire_put_u8(o, oc);
	zpci_wire_put_fib(o, fib);
	return call_insn(rf->r, NULL);
}

static struct zpci_insn_result remote_stpcifc(void *priv, u32 fh, struct zpci_fib *fib)
{
	struct remote_fn *rf = priv;
	struct zpci_wire_out *o = begin(rf->r, ZPCI_WIRE_STPCIFC);

	zpci_wire_put_u32(o, rf->index);
	zpci_wire_put_u32(o, fh);
	return call_insn(rf->r, fib);
}

static struct zpci_insn_result remote_rpcit(void *priv, u32 fh, dma_addr_t iova, u64 len)
{
	struct remote_fn *rf = priv;
	struct zpci_wire_out *o = begin(rf->r, ZPCI_WIRE_RPCIT);

	zpci_wire_put_u32(o, rf->index);
	zpci_wire_put_u32(o, fh);
	zpci_wire_put_u64(o, iova);
	zpci_wire_put_u64(o, len);
	return call_insn(rf->r, NULL);
}

static const struct zpci_hw_ops remote_hw_ops = {
	.clp_query_fn = remote_clp_query_fn,
	.clp_query_group = remote_clp_query_group,
	.clp_set_fn = remote_clp_set_fn,
	.mpcifc = remote_mpcifc,
	.stpcifc = remote_stpcifc,
	.rpcit = remote_rpcit,
};

/* The ways @page may sit in, chosen by a multiplicative hash of its number. */
static struct cached_page *cache_set(struct remote *r, phys_addr_t page)
{
	u64 h = (page >> ZPCI_PAGE_SHIFT) * 0x9e3779b97f4a7c15ULL;

	return &r->cache[(h >> (64 - CACHE_SET_BITS)) * CACHE_WAYS];
}

static bool cache_holds(const struct remote *r, const struct cached_page *c, phys_addr_t page)
{
	return c->generation == r->cache_generation && c->pa == page;
}

static struct cached_page *cache_lookup(struct remote *r, phys_addr_t page)
{
	struct cached_page *set = cache_set(r, page);
	u32 i;

	for (i = 0; i < CACHE_WAYS; i++)
		if (cache_holds(r, &set[i], page)) {
			set[i].used = ++r->cache_clock;
			return &set[i];
		}
	return NULL;
}

/* Where @page goes: its own slot if it has one (never two copies), else the least recent. */
static struct cached_page *cache_place(struct remote *r, phys_addr_t page)
{
	struct cached_page *set = cache_set(r, page), *victim = set;
	u32 i;

	for (i = 0; i < CACHE_WAYS; i++) {
		if (cache_holds(r, &set[i], page))
			return &set[i];
		if (set[i].generation != r->cache_generation)
			victim = &set[i];
		else if (victim->generation == r->cache_generation && set[i].used < victim->used)
			victim = &set[i];
	}
	return victim;
}

/* The device wrote guest memory somewhere: forget every page. */
static void cache_forget(struct remote *r)
{
	r->cache_generation++;
}

/*
 * Copy [addr, addr + len) between @buf and the cached pages: into @buf
 * (@to_buf) only if every page is cached, else nothing; from @buf into
 * whichever pages are.  Whether every page was cached.
 */
static bool cache_copy(struct remote *r, phys_addr_t addr, void *buf, size_t len, bool to_buf)
{
	phys_addr_t page;
	size_t done = 0;

	for (page = addr & ZPCI_PAGE_MASK; page < addr + len; page += ZPCI_PAGE_SIZE)
		if (!cache_lookup(r, page) && to_buf)
			return false;
	for (page = addr & ZPCI_PAGE_MASK; page < addr + len; page += ZPCI_PAGE_SIZE) {
		struct cached_page *c = cache_lookup(r, page);
		u64 off = page < addr ? addr - page : 0;
		u64 n = ZPCI_PAGE_SIZE - off < len - done ? ZPCI_PAGE_SIZE - off : len - done;

		if (c && to_buf)
			memcpy((char *)buf + done, c->data + off, n);
		else if (c)
			memcpy(c->data + off, (const char *)buf + done, n);
		done += n;
	}
	return true;
}

/* Memory moves in pieces of at most ZPCI_WIRE_MAX_DATA. */
static int fetch(struct remote *r, phys_addr_t addr, void *buf, size_t len)
{
	while (len) {
		u32 n = len < ZPCI_WIRE_MAX_DATA ? len : ZPCI_WIRE_MAX_DATA;
		struct zpci_wire_out *o = begin(r, ZPCI_WIRE_MEM_READ);
		struct zpci_wire_in in;
		const void *data;

		zpci_wire_put_u64(o, addr);
		zpci_wire_put_u32(o, n);
		if (call(r, &in))
			return -EIO;
		data = zpci_wire_get_bytes(&in, n);
		if (finish(r, &in))
			return -EIO;
		memcpy(buf, data, n);
		buf = (char *)buf + n;
		addr += n;
		len -= n;
	}
	return 0;
}

/* Read whole pages, so that the next read of them is answered here. */
static int remote_mem_read(void *priv, phys_addr_t addr, void *buf, size_t len)
{
	struct remote *r = to_remote(priv);
	phys_addr_t first = addr & ZPCI_PAGE_MASK, page;
	size_t span = ((addr + len + ZPCI_PAGE_SIZE - 1) & ZPCI_PAGE_MASK) - first;
	u8 *pages;
	int rc;

	if (cache_copy(r, addr, buf, len, true))
		return 0;
	if (span > CACHE_PAGES * ZPCI_PAGE_SIZE)
		return fetch(r, addr, buf, len);
	pages = r->cache_fetch;
	rc = fetch(r, first, pages, span);
	if (rc)
		return rc;
	for (page = first; page < first + span; page += ZPCI_PAGE_SIZE) {
		struct cached_page *c = cache_place(r, page);

		c->pa = page;
		c->generation = r->cache_generation;
		c->used = ++r->cache_clock;
		memcpy(c->data, pages + (page - first), ZPCI_PAGE_SIZE);
	}
	memcpy(buf, pages + (addr - first), len);
	return 0;
}

/*
 * Written through the cache and gathered, to go ahead of the next request
 * (or when a request holds no more).  What the server would refuse is
 * refused here, where the caller still waits for the answer.
 */
static int remote_mem_write(void *priv, phys_addr_t addr, const void *buf, size_t len)
{
	struct remote *r = to_remote(priv);

	if (addr > r->h.cfg.guest_mem || len > r->h.cfg.guest_mem - addr) {
		zpci_harness_fail(&r->h, "%s: guest memory write outside guest memory",
				  r->endpoint);
		return -EIO;
	}
	cache_copy(r, addr, (void *)buf, len, false);
	while (len) {
		size_t held = r->nr_writes ? r->writes.len - ZPCI_WIRE_WRITES_HDR_LEN : 0;
		size_t room = ZPCI_WIRE_MAX_DATA - held;
		u32 n;

		if (room <= ZPCI_WIRE_WRITE_REC_LEN) {
			if (send_writes(r))
				return -EIO;
			continue;
		}
		n = len < room - ZPCI_WIRE_WRITE_REC_LEN ? len : room - ZPCI_WIRE_WRITE_REC_LEN;
		if (!r->nr_writes) {
			/* The count goes first: filled in when sent. */
			zpci_wire_put_u32(begin_in(r, &r->writes, ZPCI_WIRE_MEM_WRITE), 0);
		}
		zpci_wire_put_u64(&r->writes, addr);
		zpci_wire_put_u32(&r->writes, n);
		zpci_wire_put_bytes(&r->writes, buf, n);
		r->nr_writes++;
		buf = (const char *)buf + n;
		addr += n;
		len -= n;
	}
	return 0;
}

static const struct zpci_mem_ops remote_mem_ops = {
	.read = remote_mem_read,
	.write = remote_mem_write,
};

/*
 * The device's write landed where the reply says, a page per IOVA page it
 * spans: the cached pages among those take the same bytes.
 */
static int follow_device_write(struct remote *r, struct zpci_wire_in *in, dma_addr_t iova,
			       const u8 *data, u64 len, struct zpci_monitor_writes *writes)
{
	u32 n = zpci_wire_get_u32(in), i;
	u64 done = 0;

	if (n != zpci_wire_dma_pages(iova, len))
		return broken(r, "a dma reply that does not say where each page landed");
	for (i = 0; i < n; i++) {
		phys_addr_t page = zpci_wire_get_u64(in);
		u64 off = (iova + done) & ~ZPCI_PAGE_MASK;
		u64 chunk = ZPCI_PAGE_SIZE - off < len - done ? ZPCI_PAGE_SIZE - off : len - done;

		if (page != ZPCI_MONITOR_NOT_GUEST &&
		    (page & ~ZPCI_PAGE_MASK || page >= r->h.cfg.guest_mem))
			return broken(r, "a dma reply naming a page outside guest memory");
		if (page != ZPCI_MONITOR_NOT_GUEST)
			cache_copy(r, page + off, (void *)(data + done), chunk, false);
		if (writes && i < writes->max)
			writes->pages[i] = page;
		done += chunk;
	}
	if (writes)
		writes->nr = n;
	return finish(r, in);
}

static int remote_dma(struct zpci_harness *h, u32 fn, dma_addr_t iova, void *buf, u64 len,
		      enum zpci_dma_dir dir, struct zpci_monitor_writes *writes)
{
	struct remote *r = to_remote(h);
	struct zpci_wire_out *o = begin(r, ZPCI_WIRE_DMA);
	bool carries = buf && dir == ZPCI_DMA_WRITE;
	struct zpci_wire_in in;
	const void *data = NULL;
	int rc;

	zpci_wire_put_u32(o, fn);
	zpci_wire_put_u8(o, dir);
	zpci_wire_put_u8(o, buf != NULL);
	zpci_wire_put_u64(o, iova);
	zpci_wire_put_u32(o, len);
	if (carries)
		zpci_wire_put_bytes(o, buf, len);
	rc = call(r, &in);
	if (rc) {
		/* The pages before a fault moved, and the reply does not say which. */
		if (carries)
			cache_forget(r);
		return rc;
	}
	if (carries)
		return follow_device_write(r, &in, iova, buf, len, writes);
	if (buf)
		data = zpci_wire_get_bytes(&in, len);
	if (finish(r, &in))
		return -EIO;
	if (data)
		memcpy(buf, data, len);
	return 0;
}

static int remote_inject(struct zpci_harness *h, u32 fn, enum zpci_harness_fault fault, u64 pass,
			 u64 fail)
{
	struct remote *r = to_remote(h);
	struct zpci_wire_out *o = begin(r, ZPCI_WIRE_INJECT);
	struct zpci_wire_in in;
	int rc;

	zpci_wire_put_u32(o, fn);
	zpci_wire_put_u32(o, fault);
	zpci_wire_put_u64(o, pass);
	zpci_wire_put_u64(o, fail);
	rc = call(r, &in);
	return rc ? rc : finish(r, &in);
}

static int remote_counters(struct zpci_harness *h, u32 fn, struct zpci_harness_counters *c)
{
	struct remote *r = to_remote(h);
	struct zpci_wire_out *o = begin(r, ZPCI_WIRE_COUNTERS);
	struct zpci_wire_in in;
	int rc;

	zpci_wire_put_u32(o, fn);
	rc = call(r, &in);
	if (rc)
		return rc;
	zpci_wire_get_counters(&in, c);
	return finish(r, &in);
}

static long remote_rpcits(struct zpci_harness *h, u32 fn, u64 from, struct zpci_rpcit_rec *out,
			  size_t max)
{
	struct remote *r = to_remote(h);
	size_t got = 0;

	while (got < max) {
		u32 want = max - got < ZPCI_WIRE_MAX_RPCITS ? max - got : ZPCI_WIRE_MAX_RPCITS;
		struct zpci_wire_out *o = begin(r, ZPCI_WIRE_RPCITS);
		struct zpci_wire_in in;
		u32 n, i;
		int rc;

		zpci_wire_put_u32(o, fn);
		zpci_wire_put_u64(o, from + got);
		zpci_wire_put_u32(o, want);
		rc = call(r, &in);
		if (rc)
			return rc;
		n = zpci_wire_get_u32(&in);
		if (n > want)
			return broken(r, "more RPCITs than asked for");
		for (i = 0; i < n; i++)
			zpci_wire_get_rpcit(&in, &out[got + i]);
		if (finish(r, &in))
			return -EIO;
		got += n;
		if (n < want)
			break;
	}
	return got;
}

static long long remote_violations(struct zpci_harness *h, char *first, size_t len)
{
	struct remote *r = to_remote(h);
	struct zpci_wire_in in;
	char text[256];
	u64 n;
	int rc;

	begin(r, ZPCI_WIRE_VIOLATIONS);
	rc = call(r, &in);
	if (rc)
		return rc;
	n = zpci_wire_get_u64(&in);
	zpci_wire_get_text(&in, text, sizeof(text));
	if (finish(r, &in))
		return -EIO;
	if (first && len)
		snprintf(first, len, "%s", text);
	return n;
}

static void remote_destroy(struct zpci_harness *h)
{
	struct remote *r = to_remote(h);
	struct zpci_wire_in in;

	/* Close the session if the server can still hear us; never wait long. */
	if (r->session && !r->broken) {
		if (r->timeout_ms > 500)
			r->timeout_ms = 500;
		begin(r, ZPCI_WIRE_BYE);
		call(r, &in);
	}
	if (r->have_reply)
		zmq_msg_close(&r->reply);
	if (r->sock)
		zmq_close(r->sock);
	if (r->ctx)
		zmq_ctx_term(r->ctx);
	zpci_wire_out_free(&r->req);
	zpci_wire_out_free(&r->writes);
	free(r->cache);
	free(r->cache_fetch);
	zpci_harness_destroy_common(h);
	free(r);
}

static const struct zpci_harness_backend remote_backend = {
	.mem_ops = &remote_mem_ops,
	.dma = remote_dma,
	.inject = remote_inject,
	.counters = remote_counters,
	.rpcits = remote_rpcits,
	.violations = remote_violations,
	.destroy = remote_destroy,
};

u64 zpci_harness_remote_requests(struct zpci_harness *h, u16 op)
{
	struct remote *r = to_remote(h);
	u64 n = 0;
	u16 i;

	if (h->be != &remote_backend || op >= ZPCI_WIRE_NR_OPS)
		return 0;
	for (i = op ? op : 1; i < (op ? op + 1 : ZPCI_WIRE_NR_OPS); i++)
		n += r->sent[i];
	return n;
}

static int open_socket(struct remote *r)
{
	int linger = 0;
	int64_t max_msg = ZPCI_WIRE_MAX_MSG;

	r->ctx = zmq_ctx_new();
	if (!r->ctx)
		return -1;
	r->sock = zmq_socket(r->ctx, ZMQ_DEALER);
	if (!r->sock)
		return -1;
	/* Never hang at close on requests the server will not take. */
	zmq_setsockopt(r->sock, ZMQ_LINGER, &linger, sizeof(linger));
	/* Nor read a reply longer than any the protocol has. */
	zmq_setsockopt(r->sock, ZMQ_MAXMSGSIZE, &max_msg, sizeof(max_msg));
	zmq_setsockopt(r->sock, ZMQ_SNDTIMEO, &r->timeout_ms, sizeof(r->timeout_ms));
	return zmq_connect(r->sock, r->endpoint);
}

struct zpci_harness *zpci_harness_connect(const char *endpoint,
					  const struct zpci_harness_cfg *cfg, int timeout_ms,
					  char *err, size_t errlen)
{
	struct remote *r;
	struct zpci_wire_in in;
	u32 i;

	if (zpci_harness_check_cfg(cfg, err, errlen))
		return NULL;
	if (strlen(endpoint) >= sizeof(r->endpoint) || timeout_ms <= 0) {
		snprintf(err, errlen, "harness: endpoint too long or timeout not positive");
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r) {
		r->cache = calloc(CACHE_PAGES, sizeof(*r->cache));
		r->cache_fetch = malloc(CACHE_PAGES * ZPCI_PAGE_SIZE);
		r->cache_generation = 1;
	}
	if (!r || !r->cache || !r->cache_fetch || zpci_harness_init_common(&r->h, cfg)) {
		snprintf(err, errlen, "harness: out of memory");
		if (r) {
			free(r->cache);
			free(r->cache_fetch);
		}
		free(r);
		return NULL;
	}
	r->h.be = &remote_backend;
	strcpy(r->endpoint, endpoint);
	r->timeout_ms = timeout_ms;
	for (i = 0; i < cfg->nr_fns; i++) {
		r->fns[i] = (struct remote_fn){ r, i };
		r->h.fn_hw[i] = (struct zpci_hw){ &remote_hw_ops, &r->fns[i] };
	}
	if (open_socket(r)) {
		snprintf(err, errlen, "%s: %s", endpoint, zmq_strerror(zmq_errno()));
		remote_destroy(&r->h);
		return NULL;
	}
	zpci_wire_put_cfg(begin(r, ZPCI_WIRE_HELLO), cfg);
	if (call(r, &in) || finish(r, &in)) {
		snprintf(err, errlen, "%s", r->h.error);
		r->session = 0;
		remote_destroy(&r->h);
		return NULL;
	}
	return &r->h;
}
