/* SPDX-License-Identifier: MIT */
/*
 * Output files, written the one way every command writes them.
 *
 * A regular file, or a path with nothing there yet, is written to a
 * temporary file beside it and renamed into place on commit: a reader never
 * sees half a file, and a failed run leaves what was there.  A symlink is
 * followed and its target replaced that way.  Anything else (a FIFO, a
 * terminal, /dev/null, /dev/full) is written through, as a shell's
 * redirection would.  "-" is standard output.
 *
 * Opening creates the temporary file, so a path that cannot take a file
 * fails before the work that fills it.  The temporary is named
 * ".zpcisim-tmp-PID-N.NAME" (NAME's extension kept, for writers that pick
 * the format by it): a later open of NAME removes those whose process is
 * gone, which is all that can be done after a SIGKILL.
 */
#ifndef ZTRACE_OUT_FILE_H
#define ZTRACE_OUT_FILE_H

#include <stddef.h>

#include <ztrace/lex.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ztrace_out;

/*
 * Open @path for writing.  @inputs (NULL-terminated, or NULL) are the files
 * the command reads: @path being one of them (same device and inode) is
 * refused.  0, or a negative errno with @diag naming @path: -EINVAL for a
 * path that is no place for an output (empty, an input, a directory).
 */
int ztrace_out_open(const char *path, const char *const *inputs, struct ztrace_out **o,
		    struct ztrace_diag *diag);
/* Append @len bytes.  0, or the negative errno of the first failed write. */
int ztrace_out_write(struct ztrace_out *o, const void *buf, size_t len);
/* The temporary file, for a writer that opens files by name; NULL when written through. */
const char *ztrace_out_tmp_path(const struct ztrace_out *o);
/* Flush, sync and rename into place.  Frees @o in any case; 0 or a negative errno. */
int ztrace_out_commit(struct ztrace_out *o, struct ztrace_diag *diag);
/* Give up: remove the temporary file (a written-through target keeps what it got).  Frees @o. */
void ztrace_out_abort(struct ztrace_out *o);

/*
 * From now on SIGINT, SIGTERM and SIGHUP (those not ignored) remove every
 * open output's temporary file, then end the process as the signal would.
 * For the process's entry; a command that handles them itself (a replay
 * reporting what it did) installs its own handler over this one.
 */
void ztrace_out_remove_on_signals(void);

#ifdef __cplusplus
}
#endif

#endif /* ZTRACE_OUT_FILE_H */
