// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zpci/xlate.h>
#include <ztrace/image.h>
#include <ztrace/trace.h>

#include "targets.h"

/* One line, naming the input: what a person sees for bad input. */
static void check_diag(const struct ztrace_diag *diag)
{
	size_t n = strlen(ZPCISIM_FUZZ_INPUT);

	if (strncmp(diag->msg, ZPCISIM_FUZZ_INPUT, n) || diag->msg[n] != ':' ||
	    strchr(diag->msg, '\n') || strlen(diag->msg) <= n + 2) {
		fprintf(stderr, "bad diagnostic: '%s'\n", diag->msg);
		abort();
	}
}

/* An in-memory stream over @data; NULL for empty input (fmemopen refuses it). */
static FILE *open_bytes(const uint8_t *data, size_t size)
{
	if (!size)
		return NULL;
	return fmemopen((void *)data, size, "r");
}

static void read_records(struct ztrace_reader *r)
{
	struct ztrace_checker *c = ztrace_checker_create(ztrace_reader_header(r));
	struct ztrace_diag diag = { { 0 } };
	struct ztrace_rec rec;
	int rc;

	if (!c)
		return;
	while ((rc = ztrace_next(r, &rec, &diag)) == 1)
		if (ztrace_check(c, &rec, &diag))
			break;
	if (rc < 0)
		check_diag(&diag);
	ztrace_checker_destroy(c);
}

static bool same_record(const struct ztrace_rec *a, const struct ztrace_rec *b)
{
	u32 i;

	if (a->kind != b->kind || a->flags != b->flags || a->time != b->time || a->fn != b->fn ||
	    a->id != b->id || a->pa != b->pa || a->len != b->len || a->off != b->off ||
	    a->iova != b->iova || a->jiffies != b->jiffies || a->dir != b->dir ||
	    a->access != b->access || a->cpu != b->cpu || a->nr_sg != b->nr_sg)
		return false;
	for (i = 0; i < a->nr_sg; i++)
		if (a->sg[i].pa != b->sg[i].pa || a->sg[i].len != b->sg[i].len)
			return false;
	return true;
}

/* More than any one binary record can read (ZTRACE_BIN_REC_MAX, 32 KiB). */
#define FUZZ_PADDING	(40 * 1024)

/*
 * A binary record is decoded by a fast path when a whole record's worth of
 * bytes follows it, by the careful decoder near the end.  Fuzz inputs are
 * short, so the input is read again followed by zeros (records of their
 * own): the same records must come back, and the same error, unless the
 * input ends inside a record or before a version-3 trace's end marker.
 */
/* The input ended inside a record, or (version 3) before its end marker. */
static bool ends_early(const char *msg)
{
	return strstr(msg, "truncated record") || strstr(msg, "end record cut short") ||
	       strstr(msg, "cut short?");
}

static void compare_padded(const uint8_t *data, size_t size)
{
	uint8_t *padded = calloc(1, size + FUZZ_PADDING);
	struct ztrace_reader *plain = NULL, *roomy = NULL;
	struct ztrace_diag d1 = { { 0 } }, d2 = { { 0 } };
	struct ztrace_rec a, b;
	FILE *f1, *f2;
	int rc1, rc2;

	if (!padded)
		return;
	memcpy(padded, data, size);
	f1 = open_bytes(data, size);
	f2 = open_bytes(padded, size + FUZZ_PADDING);
	if (f1 && f2 && !ztrace_open_stream(f1, ZPCISIM_FUZZ_INPUT, &plain, &d1) &&
	    !ztrace_open_stream(f2, ZPCISIM_FUZZ_INPUT, &roomy, &d2) &&
	    ztrace_reader_encoding(plain) == ZTRACE_BINARY) {
		while ((rc1 = ztrace_next(plain, &a, &d1)) == 1) {
			rc2 = ztrace_next(roomy, &b, &d2);
			if (rc2 != 1 || !same_record(&a, &b)) {
				fprintf(stderr, "record %llu differs when bytes follow it\n",
					(unsigned long long)ztrace_reader_records(plain));
				abort();
			}
		}
		if (rc1 < 0 && !ends_early(d1.msg) &&
		    (ztrace_next(roomy, &b, &d2) >= 0 || strcmp(d1.msg, d2.msg))) {
			fprintf(stderr, "'%s' becomes '%s' when bytes follow\n", d1.msg, d2.msg);
			abort();
		}
	}
	ztrace_close(plain);
	ztrace_close(roomy);
	if (f1)
		fclose(f1);
	if (f2)
		fclose(f2);
	free(padded);
}

int zpcisim_fuzz_trace(const uint8_t *data, size_t size)
{
	struct ztrace_reader *r;
	struct ztrace_diag diag = { { 0 } };
	FILE *f = open_bytes(data, size);

	if (!f)
		return 0;
	if (ztrace_open_stream(f, ZPCISIM_FUZZ_INPUT, &r, &diag)) {
		check_diag(&diag);
	} else {
		read_records(r);
		ztrace_close(r);
	}
	fclose(f);
	compare_padded(data, size);
	return 0;
}

int zpcisim_fuzz_image(const uint8_t *data, size_t size)
{
	struct ztrace_image img;
	struct ztrace_diag diag = { { 0 } };
	FILE *f = open_bytes(data, size);
	size_t i;

	if (!f)
		return 0;
	if (ztrace_image_read(f, ZPCISIM_FUZZ_INPUT, &img, &diag)) {
		check_diag(&diag);
	} else {
		struct zpci_mem mem = ztrace_image_mem_view(&img);

		for (i = 0; i < img.nr_probes; i++) {
			struct zpci_xlate x;

			zpci_translate(&mem, &img.space, img.probes[i].iova, img.probes[i].dir, &x);
		}
		ztrace_image_free(&img);
	}
	fclose(f);
	return 0;
}
