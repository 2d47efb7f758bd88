/* SPDX-License-Identifier: MIT */
/*
 * Traces: what a guest did, streamed record by record in either encoding
 * (traces/FORMAT.md).  Readers and writers use constant memory whatever the
 * trace length; writers write output files (<ztrace/out_file.h>): a
 * temporary renamed into place on success, so a failed run leaves no
 * half-written trace behind.
 */
#ifndef ZTRACE_TRACE_H
#define ZTRACE_TRACE_H

#include <stdio.h>

#include <zpci/xlate.h>
#include <ztrace/lex.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The newest version this library reads and writes; it reads every older one
 * too.  Version 3 files end with an end marker (record count; binary: a
 * checksum), so that a trace cut short or damaged is an error.
 */
#define ZTRACE_VERSION		3
#define ZTRACE_MAX_FNS		16
#define ZTRACE_MAX_SG		1024	/* elements in one map-sg: fits a text line */
#define ZTRACE_TEXT_LINE_MAX	(64 * 1024)
#define ZTRACE_BIN_MAGIC	"ZPCITRB1"

enum ztrace_encoding {
	ZTRACE_TEXT,
	ZTRACE_BINARY,
};

struct ztrace_fn {
	u32 fid;
	u32 fh;
	u8 pfgid;
	dma_addr_t sdma;
	dma_addr_t edma;
	bool refresh;
	u32 queue_depth;	/* requests the device takes at once; 0: not given (v2) */
};

#define ZTRACE_MAX_QUEUE_DEPTH	65536	/* NVMe's largest queue */

struct ztrace_header {
	/*
	 * The format version: a reader sets the file's.  Given to a writer, 0
	 * asks for the newest, ZTRACE_VERSION; 1 and 2 are written as they
	 * always were, without an end marker; a writer of version 1 refuses
	 * req keys.
	 */
	u32 version;
	u64 guest_mem;
	u32 cpus;
	bool rpcit_log;		/* every RPCIT the guest issued is recorded */
	u32 nr_fns;
	struct ztrace_fn fn[ZTRACE_MAX_FNS];
};

enum ztrace_kind {
	ZTRACE_ATTACH,
	ZTRACE_DETACH,
	ZTRACE_MAP,
	ZTRACE_UNMAP,
	ZTRACE_MAP_SG,
	ZTRACE_UNMAP_SG,
	ZTRACE_ALLOC,
	ZTRACE_FREE,
	ZTRACE_DMA,
	ZTRACE_DMA_IOVA,
	ZTRACE_RPCIT,
	ZTRACE_TICK,
	ZTRACE_TIMERS,
	ZTRACE_NR_KINDS,
};

/* Optional keys present in a record */
#define ZTRACE_HAS_IOVA		0x1
#define ZTRACE_HAS_CPU		0x2
#define ZTRACE_HAS_REQ		0x4	/* version 2 */

/* A req ID is any number but this one. */
#define ZTRACE_REQ_MAX		(UINT64_MAX - 1)

struct ztrace_sg {
	phys_addr_t pa;
	u64 len;
};

struct ztrace_rec {
	enum ztrace_kind kind;
	u8 flags;		/* ZTRACE_HAS_* */
	u64 time;		/* ns */
	u32 fn;
	u64 id;
	phys_addr_t pa;
	u64 len;
	u64 off;		/* dma: offset into the mapping (map-sg: through its elements) */
	dma_addr_t iova;	/* dma-iova, rpcit; map/alloc: the recorded handle */
	u64 jiffies;		/* tick, timers */
	u64 req;		/* the request it belongs to (ZTRACE_HAS_REQ) */
	enum dma_data_direction dir;
	enum zpci_dma_dir access;
	u32 cpu;
	u32 nr_sg;
	const struct ztrace_sg *sg;	/* owned by whoever filled the record */
};

const char *ztrace_kind_name(enum ztrace_kind kind);

/* Reading */

struct ztrace_reader;

/* Open @path, either encoding (told apart by the binary magic). */
int ztrace_open(const char *path, struct ztrace_reader **r, struct ztrace_diag *diag);
/* Read from @f (named @name), e.g. an in-memory stream; @f stays the caller's. */
int ztrace_open_stream(FILE *f, const char *name, struct ztrace_reader **r,
		       struct ztrace_diag *diag);
const struct ztrace_header *ztrace_reader_header(const struct ztrace_reader *r);
enum ztrace_encoding ztrace_reader_encoding(const struct ztrace_reader *r);
/*
 * 1 and *rec filled (valid until the next call), 0 at the end, -EINVAL.  In
 * version 3 the end is the end marker, checked: a trace without one, or
 * whose count or checksum disagrees, is an error, never a clean end.
 */
int ztrace_next(struct ztrace_reader *r, struct ztrace_rec *rec, struct ztrace_diag *diag);
/* Records read so far, and a "file:line" / "file: record N" position. */
u64 ztrace_reader_records(const struct ztrace_reader *r);
void ztrace_reader_where(const struct ztrace_reader *r, char *buf, size_t len);
/* Bytes read so far (for progress). */
u64 ztrace_reader_bytes(const struct ztrace_reader *r);
void ztrace_close(struct ztrace_reader *r);

/* Writing */

struct ztrace_writer;

/*
 * Start writing @path (an output file: <ztrace/out_file.h>), refusing it
 * when it is one of @inputs (NULL-terminated, or NULL).  0 or a negative
 * errno; a failed write or commit is one too.
 */
int ztrace_create(const char *path, enum ztrace_encoding enc, const struct ztrace_header *h,
		  const char *const *inputs, struct ztrace_writer **w, struct ztrace_diag *diag);
int ztrace_write(struct ztrace_writer *w, const struct ztrace_rec *rec, struct ztrace_diag *diag);
/* Finish and rename into place.  Frees @w in any case. */
int ztrace_commit(struct ztrace_writer *w, struct ztrace_diag *diag);
/* Give up: remove the temporary file.  Frees @w. */
void ztrace_abort(struct ztrace_writer *w);

/* The encoding a path's extension asks for: .ztb binary, else text. */
enum ztrace_encoding ztrace_encoding_for(const char *path);

/* Text form of one record, NUL-terminated; returns its length, or -ENOSPC. */
int ztrace_format(const struct ztrace_rec *rec, char *buf, size_t len);
/* The version @h is written in: its own, or the newest. */
u32 ztrace_header_version(const struct ztrace_header *h);
/* Text form of the header (every line, newline-terminated). */
int ztrace_format_header(const struct ztrace_header *h, char *buf, size_t len);

/*
 * The rules of a header's values, for readers, writers and whoever fills a header
 * (an importer): the
 * guest's, and function @i's.  0, or -EINVAL with @diag at @pos.
 */
int ztrace_guest_check(u64 memory, u64 cpus, const struct ztrace_pos *pos,
		       struct ztrace_diag *diag);
int ztrace_fn_check(const struct ztrace_header *h, u32 i, const struct ztrace_pos *pos,
		    struct ztrace_diag *diag);

/* Meaning: IDs, offsets, addresses, functions (see FORMAT.md "Errors") */

struct ztrace_checker;

struct ztrace_checker *ztrace_checker_create(const struct ztrace_header *h);
void ztrace_checker_destroy(struct ztrace_checker *c);
/*
 * 0, or -EINVAL with @diag saying what is wrong, without a position: the
 * caller puts the reader's in front.  A trace may end with live mappings
 * (a capture cut short); it may not detach a function that still has some.
 */
int ztrace_check(struct ztrace_checker *c, const struct ztrace_rec *rec,
		 struct ztrace_diag *diag);

#define ZTRACE_NO_SLOT	UINT32_MAX
/*
 * The live slot of the ID the last record checked made, used or ended
 * (ZTRACE_NO_SLOT for other records, or a record refused): a small number,
 * a live ID's alone and reused once it ends, so that the caller's state
 * for IDs can live in an array it indexes with no look-up of its own.
 */
u32 ztrace_checker_slot(const struct ztrace_checker *c);

/*
 * Requests (version 2, FORMAT.md "Requests"): what the last record checked
 * did to the request its req= names.  OPENED: it is the request's first
 * record; CLOSED: its last, and the req ID is free again.  Both for a
 * request of one record; 0 for a record in the middle of one, or without
 * req=.  A detach closes what is still open on its function (requests
 * that hold nothing but never met their closing rule) with no event:
 * ztrace_checker_open_requests() before it says how many.
 */
#define ZTRACE_REQ_OPENED	0x1
#define ZTRACE_REQ_CLOSED	0x2
u32 ztrace_checker_req_event(const struct ztrace_checker *c);
/*
 * The request's slot, ZTRACE_NO_SLOT for a record without req= (or one
 * refused): like ztrace_checker_slot(), small, an open request's alone, and
 * reused once it closes, for the caller's per-request arrays.
 */
u32 ztrace_checker_req_slot(const struct ztrace_checker *c);
/* Requests open now on function @fn. */
u32 ztrace_checker_open_requests(const struct ztrace_checker *c, u32 fn);

#ifdef __cplusplus
}
#endif

#endif /* ZTRACE_TRACE_H */
