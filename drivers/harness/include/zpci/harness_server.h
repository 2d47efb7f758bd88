/* SPDX-License-Identifier: MIT */
/*
 * The simulator's side of the remote harness: sessions, each an in-process
 * harness, and the handling of one request message into one reply.  The
 * socket loop around it is `zpcisim serve`; nothing here touches a socket,
 * so a request that is garbage, or a client that never comes back, costs
 * one error reply or one idle session, never the server.
 */
#ifndef ZPCI_HARNESS_SERVER_H
#define ZPCI_HARNESS_SERVER_H

#include <stddef.h>

#include <zpci/harness.h>
#include <zpci/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zpci_harness_server;

/*
 * What the socket loop around the server sets: the longest message either
 * way (the largest payload, its header and arguments), and how many
 * messages it queues per connection each way.  A longer frame closes its
 * connection unread; a reply beyond the queue is dropped (PROTOCOL.md).
 */
#define ZPCI_HARNESS_SERVER_MAX_MSG	(ZPCI_HARNESS_MAX_DMA + 64)
#define ZPCI_HARNESS_SERVER_HWM		128

struct zpci_harness_server_stats {
	u64 requests;
	u64 errors;		/* replies with a negative status */
	u64 sessions_opened;
	u64 sessions_reaped;	/* closed for being idle */
	u32 sessions;		/* open now */
};

/* The longest client key (a ZeroMQ routing id is at most 255 bytes). */
#define ZPCI_HARNESS_CLIENT_MAX	255

/*
 * At most @max_sessions at once, @max_per_client of them one client's; a
 * session idle for @idle_ms is closed.
 */
struct zpci_harness_server *zpci_harness_server_create(u32 max_sessions, u32 max_per_client,
						       u64 idle_ms);
void zpci_harness_server_destroy(struct zpci_harness_server *srv);

/*
 * Handle the request in @req from @client at time @now_ms.  @client is the
 * key of the connection it came on (the ROUTER routing id): a session
 * answers only the client that opened it, so a client that does not hold
 * the key cannot use, or close, another's session by guessing its id.  The
 * reply is in *@reply (@reply_len bytes, valid until the next call); there
 * is always one.
 */
void zpci_harness_server_handle(struct zpci_harness_server *srv, const void *client,
				size_t client_len, const void *req, size_t len, u64 now_ms,
				const void **reply, size_t *reply_len);

/*
 * Reply to @req (@len bytes: the first frame of a request that came in
 * several) with -EPROTO and @why, echoing its header if it has one.
 */
void zpci_harness_server_reject(struct zpci_harness_server *srv, const void *req, size_t len,
				const char *why, const void **reply, size_t *reply_len);

/* Close the sessions idle since before @now_ms - idle_ms. */
void zpci_harness_server_reap(struct zpci_harness_server *srv, u64 now_ms);

struct zpci_harness_server_stats zpci_harness_server_stats(const struct zpci_harness_server *srv);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_HARNESS_SERVER_H */
