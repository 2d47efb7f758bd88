// SPDX-License-Identifier: MIT
/*
 * Output files: a temporary beside a regular target renamed into place, or
 * the target itself written through (see <ztrace/out_file.h>).
 */
#define _XOPEN_SOURCE 700	/* realpath, SA_RESETHAND */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ztrace/out_file.h>

#define TMP_PREFIX	".zpcisim-tmp-"
/* Outputs whose temporaries a signal removes; more at once are left to the next run's sweep. */
#define MAX_LIVE	32

struct ztrace_out {
	FILE *f;
	char *name;		/* for messages: the path as given */
	char *target;		/* what the rename replaces */
	char *tmp;		/* NULL when written through */
	pid_t owner;		/* a forked child must not remove its parent's */
	int err;		/* first failed write, negative errno */
};

static _Atomic(struct ztrace_out *) live[MAX_LIVE];
static atomic_uint tmp_serial;

static int fail(struct ztrace_diag *diag, const char *name, int err, const char *what)
{
	struct ztrace_pos pos = { name, 0 };

	ztrace_error(diag, &pos, "%s: %s", what, strerror(err));
	return -err;
}

static void track(struct ztrace_out *o)
{
	for (size_t i = 0; i < MAX_LIVE; i++) {
		struct ztrace_out *none = NULL;

		if (atomic_compare_exchange_strong(&live[i], &none, o))
			return;
	}
}

static void untrack(struct ztrace_out *o)
{
	for (size_t i = 0; i < MAX_LIVE; i++) {
		struct ztrace_out *mine = o;

		if (atomic_compare_exchange_strong(&live[i], &mine, NULL))
			return;
	}
}

static void out_free(struct ztrace_out *o)
{
	untrack(o);
	if (o->f)
		fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	free(o->name);
	free(o->target);
	free(o->tmp);
	free(o);
}

/* @path is the same file as one of @inputs: writing it would destroy what is being read. */
static int refuse_inputs(const char *path, const char *const *inputs, struct ztrace_diag *diag)
{
	struct stat out, in;
	struct ztrace_pos pos = { path, 0 };

	if (!inputs || stat(path, &out))
		return 0;
	for (; *inputs; inputs++)
		if (!stat(*inputs, &in) && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
			return ztrace_error(diag, &pos, "is the input %s: refusing to overwrite it",
					    *inputs);
	return 0;
}

/* Whether a process of that id may still be writing its temporary. */
static bool pid_alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH);
}

/*
 * ".zpcisim-tmp-PID-N.@base" in @d whose PID is gone: a run killed without a
 * chance to clean up.  Others' live temporaries, and other names', stay.
 */
static void remove_stale(DIR *d, const char *base)
{
	struct dirent *e;

	while ((e = readdir(d))) {
		char *at, *end;
		long pid;

		if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)))
			continue;
		at = e->d_name + strlen(TMP_PREFIX);
		pid = strtol(at, &end, 10);
		if (end == at || *end != '-')
			continue;
		at = end + 1;
		strtoul(at, &end, 10);
		if (end == at || *end != '.' || strcmp(end + 1, base))
			continue;
		if (pid != getpid() && !pid_alive(pid))
			unlinkat(dirfd(d), e->d_name, 0);
	}
}

/* A stream on @fd, just opened (-1: it failed, errno says why). */
static int open_stream(struct ztrace_out *o, int fd, const char *what, struct ztrace_diag *diag)
{
	if (fd < 0)
		return fail(diag, o->name, errno, what);
	o->f = fdopen(fd, "wb");
	if (o->f)
		return 0;
	close(fd);
	return fail(diag, o->name, ENOMEM, what);
}

/* Create the temporary beside o->target, sweeping away dead runs' ones first. */
static int create_tmp(struct ztrace_out *o, struct ztrace_diag *diag)
{
	const char *slash = strrchr(o->target, '/');
	const char *base = slash ? slash + 1 : o->target;
	/* "a/b" is in "a", "/b" in "/", "b" in "." */
	int dir_len = !slash ? 1 : slash == o->target ? 1 : (int)(slash - o->target);
	const char *dir = slash ? o->target : ".";
	size_t size = strlen(o->target) + strlen(TMP_PREFIX) + 48;
	char *dirname;
	DIR *d;

	if (!*base)
		return fail(diag, o->name, EISDIR, "cannot create");
	o->tmp = malloc(size);
	dirname = malloc(size);
	if (!o->tmp || !dirname) {
		free(o->tmp);
		o->tmp = NULL;
		free(dirname);
		return fail(diag, o->name, ENOMEM, "cannot create");
	}
	snprintf(dirname, size, "%.*s", dir_len, dir);
	snprintf(o->tmp, size, "%s/" TMP_PREFIX "%ld-%u.%s", dirname, (long)getpid(),
		 atomic_fetch_add(&tmp_serial, 1), base);
	d = opendir(dirname);
	free(dirname);
	if (d) {
		remove_stale(d, base);
		closedir(d);
	}
	track(o);
	/* On failure o->tmp is still ours to unlink: no one else uses our pid's names. */
	return open_stream(o, open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666),
			   "cannot create", diag);
}

static int open_target(struct ztrace_out *o, const char *path, struct ztrace_diag *diag)
{
	struct stat st;

	if (!strcmp(path, "-"))
		return open_stream(o, fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0), "cannot open", diag);
	if (!stat(path, &st)) {
		if (S_ISDIR(st.st_mode))
			return fail(diag, o->name, EISDIR, "cannot write");
		/* Not a file to replace: it takes the bytes as they come. */
		if (!S_ISREG(st.st_mode))
			return open_stream(o, open(path, O_WRONLY | O_CLOEXEC), "cannot open", diag);
		/* Through any symlinks: the target is replaced, the links stay. */
		o->target = realpath(path, NULL);
		if (!o->target)
			return fail(diag, o->name, errno, "cannot resolve");
		return create_tmp(o, diag);
	}
	if (errno != ENOENT)
		return fail(diag, o->name, errno, "cannot write");
	if (!lstat(path, &st))
		return fail(diag, o->name, ENOENT, "a symlink to nothing");
	o->target = strdup(path);
	if (!o->target)
		return fail(diag, o->name, ENOMEM, "cannot create");
	return create_tmp(o, diag);
}

int ztrace_out_open(const char *path, const char *const *inputs, struct ztrace_out **out,
		    struct ztrace_diag *diag)
{
	struct ztrace_pos nameless = { "''", 0 };
	struct ztrace_out *o;
	int rc;

	if (!*path)
		return ztrace_error(diag, &nameless, "an empty path names no file");
	rc = refuse_inputs(path, inputs, diag);
	if (rc)
		return rc;
	o = calloc(1, sizeof(*o));
	if (!o || !(o->name = strdup(strcmp(path, "-") ? path : "standard output"))) {
		free(o);
		return fail(diag, path, ENOMEM, "cannot create");
	}
	o->owner = getpid();
	rc = open_target(o, path, diag);
	if (rc) {
		out_free(o);
		return rc;
	}
	*out = o;
	return 0;
}

int ztrace_out_write(struct ztrace_out *o, const void *buf, size_t len)
{
	if (!o->err && fwrite(buf, 1, len, o->f) != len)
		o->err = errno ? -errno : -EIO;
	return o->err;
}

const char *ztrace_out_tmp_path(const struct ztrace_out *o)
{
	return o->tmp;
}

int ztrace_out_commit(struct ztrace_out *o, struct ztrace_diag *diag)
{
	int rc = o->err;

	if (fflush(o->f) && !rc)
		rc = -errno;
	/* A full disk may tell only now; better than after the rename. */
	if (o->tmp && !rc && fsync(fileno(o->f)))
		rc = -errno;
	if (fclose(o->f) && !rc)
		rc = -errno;
	o->f = NULL;
	if (!rc && o->tmp && rename(o->tmp, o->target))
		rc = -errno;
	if (rc) {
		fail(diag, o->name, -rc, "cannot write");
	} else if (o->tmp) {
		untrack(o);
		free(o->tmp);
		o->tmp = NULL;
	}
	out_free(o);
	return rc;
}

void ztrace_out_abort(struct ztrace_out *o)
{
	out_free(o);
}

static void remove_tmps_and_die(int sig)
{
	for (size_t i = 0; i < MAX_LIVE; i++) {
		struct ztrace_out *o = atomic_load(&live[i]);

		if (o && o->tmp && o->owner == getpid())
			unlink(o->tmp);
	}
	raise(sig);	/* SA_RESETHAND: the default action this time */
}

void ztrace_out_remove_on_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { 0 }, old;

	sa.sa_handler = remove_tmps_and_die;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!sigaction(sigs[i], NULL, &old) && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
}
