// SPDX-License-Identifier: MIT
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
		struct zpci_mem mem = zpci_sparse_mem_view(img.mem);

		for (i = 0; i < img.nr_probes; i++) {
			struct zpci_xlate x;

			zpci_translate(&mem, &img.space, img.probes[i].iova, img.probes[i].dir, &x);
		}
		ztrace_image_free(&img);
	}
	fclose(f);
	return 0;
}
