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

#include <zpci/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zpci_harness_server;

struct zpci_harness_server_stats {
	u64 requests;
	u64 errors;		/* replies with a negative status */
	u64 sessions_opened;
	u64 sessions_reaped;	/* closed for being idle */
	u32 sessions;		/* open now */
};

/* At most @max_sessions at once; a session idle for @idle_ms is closed. */
struct zpci_harness_server *zpci_harness_server_create(u32 max_sessions, u64 idle_ms);
void zpci_harness_server_destroy(struct zpci_harness_server *srv);

/*
 * Handle the request in @req at time @now_ms.  The reply is in *@reply
 * (@reply_len bytes, valid until the next call); there is always one.
 */
void zpci_harness_server_handle(struct zpci_harness_server *srv, const void *req, size_t len,
				u64 now_ms, const void **reply, size_t *reply_len);

/* Close the sessions idle since before @now_ms - idle_ms. */
void zpci_harness_server_reap(struct zpci_harness_server *srv, u64 now_ms);

struct zpci_harness_server_stats zpci_harness_server_stats(const struct zpci_harness_server *srv);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_HARNESS_SERVER_H */
