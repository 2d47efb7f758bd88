// SPDX-License-Identifier: MIT
/*
 * Table-image reader.  One statement per line; see traces/IMAGE.md.
 */
#include <stdlib.h>
#include <string.h>

#include <ztrace/image.h>

struct image_reader {
	struct ztrace_image *img;
	struct ztrace_pos pos;
	struct ztrace_diag *diag;
	bool seen_header, seen_iota, seen_aperture;
	size_t probes_cap;
};

typedef int (*stmt_fn)(struct image_reader *r, int argc, char **argv);

static int expect_args(struct image_reader *r, int argc, char **argv,
		       int min, int max, const char *usage)
{
	if (argc - 1 < min || argc - 1 > max)
		return ztrace_error(r->diag, &r->pos, "'%s' takes %s", argv[0], usage);
	return 0;
}

static int parse_num(struct image_reader *r, const char *what, const char *tok, u64 *val)
{
	if (ztrace_parse_u64(tok, val))
		return ztrace_error(r->diag, &r->pos, "%s '%s' is not a number", what, tok);
	return 0;
}

static int need_memory(struct image_reader *r, const char *stmt)
{
	if (!r->img->mem)
		return ztrace_error(r->diag, &r->pos, "'%s' before 'memory'", stmt);
	return 0;
}

static int stmt_header(struct image_reader *r, int argc, char **argv)
{
	u64 version;
	int rc;

	rc = expect_args(r, argc, argv, 1, 1, "a version number");
	if (!rc)
		rc = parse_num(r, "version", argv[1], &version);
	if (rc)
		return rc;
	if (version != ZTRACE_IMAGE_VERSION)
		return ztrace_error(r->diag, &r->pos, "image version %llu, this reader knows %d",
				    (unsigned long long)version, ZTRACE_IMAGE_VERSION);
	r->seen_header = true;
	return 0;
}

static int stmt_memory(struct image_reader *r, int argc, char **argv)
{
	u64 size;
	int rc;

	rc = expect_args(r, argc, argv, 1, 1, "a size");
	if (!rc)
		rc = parse_num(r, "memory size", argv[1], &size);
	if (rc)
		return rc;
	if (r->img->mem)
		return ztrace_error(r->diag, &r->pos, "'memory' given twice");
	if (!size || !zpci_is_aligned(size, ZPCI_PAGE_SIZE))
		return ztrace_error(r->diag, &r->pos,
				    "memory size %s is not a non-zero multiple of 4K", argv[1]);
	r->img->mem = zpci_sparse_mem_create(size);
	if (!r->img->mem)
		return ztrace_error(r->diag, &r->pos, "memory size %s is too large", argv[1]);
	return 0;
}

static int stmt_iota(struct image_reader *r, int argc, char **argv)
{
	int rc = expect_args(r, argc, argv, 1, 1, "the IOTA value");

	if (!rc)
		rc = parse_num(r, "IOTA", argv[1], &r->img->space.iota);
	r->seen_iota = !rc;
	return rc;
}

static int stmt_aperture(struct image_reader *r, int argc, char **argv)
{
	struct zpci_dma_space *sp = &r->img->space;
	int rc;

	rc = expect_args(r, argc, argv, 2, 2, "START END (inclusive)");
	if (!rc)
		rc = parse_num(r, "aperture start", argv[1], &sp->pba);
	if (!rc)
		rc = parse_num(r, "aperture end", argv[2], &sp->pal);
	if (rc)
		return rc;
	if (sp->pal < sp->pba)
		return ztrace_error(r->diag, &r->pos, "aperture end %s is below its start %s",
				    argv[2], argv[1]);
	r->seen_aperture = true;
	return 0;
}

static int stmt_large_frames(struct image_reader *r, int argc, char **argv)
{
	int rc = expect_args(r, argc, argv, 1, 1, "on or off");

	if (rc)
		return rc;
	if (strcmp(argv[1], "on") && strcmp(argv[1], "off"))
		return ztrace_error(r->diag, &r->pos,
				    "large-frames '%s', expected on or off", argv[1]);
	r->img->space.large_frames = !strcmp(argv[1], "on");
	return 0;
}

static int stmt_entry(struct image_reader *r, int argc, char **argv)
{
	struct zpci_mem mem;
	u64 addr, value;
	int rc;

	rc = expect_args(r, argc, argv, 2, 2, "ADDRESS VALUE");
	if (!rc)
		rc = need_memory(r, argv[0]);
	if (!rc)
		rc = parse_num(r, "entry address", argv[1], &addr);
	if (!rc)
		rc = parse_num(r, "entry value", argv[2], &value);
	if (rc)
		return rc;
	if (!zpci_is_aligned(addr, ZPCI_ENTRY_SIZE))
		return ztrace_error(r->diag, &r->pos,
				    "entry address %s is not 8-byte aligned", argv[1]);
	mem = zpci_sparse_mem_view(r->img->mem);
	rc = zpci_mem_write64(&mem, addr, value);
	if (rc == -EFAULT)
		return ztrace_error(r->diag, &r->pos, "entry address %s is outside memory",
				    argv[1]);
	if (rc)
		return ztrace_error(r->diag, &r->pos, "out of memory storing entry");
	r->img->nr_entries++;
	return 0;
}

static const struct {
	const char *name;
	enum zpci_level level;
} table_kinds[] = {
	{ "rfx", ZPCI_LEVEL_RFX }, { "rsx", ZPCI_LEVEL_RSX }, { "rtx", ZPCI_LEVEL_RTX },
	{ "sx", ZPCI_LEVEL_SX }, { "px", ZPCI_LEVEL_PX },
};

/* A table whose entries all have the invalid bit, as a driver allocates it. */
static int stmt_table(struct image_reader *r, int argc, char **argv)
{
	const struct zpci_level_desc *d = NULL;
	struct zpci_mem mem;
	u64 addr, size, i;
	int rc;

	rc = expect_args(r, argc, argv, 2, 2, "ADDRESS rfx|rsx|rtx|sx|px");
	if (!rc)
		rc = need_memory(r, argv[0]);
	if (!rc)
		rc = parse_num(r, "table address", argv[1], &addr);
	if (rc)
		return rc;
	for (i = 0; i < ZPCI_ARRAY_SIZE(table_kinds); i++)
		if (!strcmp(argv[2], table_kinds[i].name))
			d = zpci_level_info(table_kinds[i].level);
	if (!d)
		return ztrace_error(r->diag, &r->pos,
				    "table kind '%s', expected rfx, rsx, rtx, sx or px", argv[2]);
	size = (1ULL << d->index_bits) * ZPCI_ENTRY_SIZE;
	if (!zpci_is_aligned(addr, size))
		return ztrace_error(r->diag, &r->pos,
				    "%s table at %s is not %llu-byte aligned", d->table,
				    argv[1], (unsigned long long)size);
	mem = zpci_sparse_mem_view(r->img->mem);
	if (!zpci_range_inside(addr, size, zpci_sparse_mem_size(r->img->mem)))
		return ztrace_error(r->diag, &r->pos, "%s table at %s ends outside memory",
				    d->table, argv[1]);
	for (i = 0; i < size; i += ZPCI_ENTRY_SIZE)
		if (zpci_mem_write64(&mem, addr + i, d->invalid_bit))
			return ztrace_error(r->diag, &r->pos, "out of memory storing table");
	return 0;
}

static int parse_dir(struct image_reader *r, const char *tok, enum zpci_dma_dir *dir)
{
	if (!strcmp(tok, "read"))
		*dir = ZPCI_DMA_READ;
	else if (!strcmp(tok, "write"))
		*dir = ZPCI_DMA_WRITE;
	else
		return ztrace_error(r->diag, &r->pos,
				    "access '%s', expected read or write", tok);
	return 0;
}

static int probe_push(struct image_reader *r, struct ztrace_probe *p)
{
	struct ztrace_image *img = r->img;

	if (img->nr_probes == r->probes_cap) {
		size_t cap = r->probes_cap ? 2 * r->probes_cap : 16;
		struct ztrace_probe *v = realloc(img->probes, cap * sizeof(*v));

		if (!v)
			return ztrace_error(r->diag, &r->pos, "out of memory");
		img->probes = v;
		r->probes_cap = cap;
	}
	img->probes[img->nr_probes++] = *p;
	return 0;
}

/* The rest of the line, after IOVA and direction, is a label. */
static void join_label(char *dst, int argc, char **argv)
{
	size_t used = 0;
	int i;

	dst[0] = '\0';
	for (i = 3; i < argc; i++) {
		int n = snprintf(dst + used, ZTRACE_LABEL_MAX - used, "%s%s",
				 i > 3 ? " " : "", argv[i]);

		if (n < 0 || used + n >= ZTRACE_LABEL_MAX)
			return;
		used += n;
	}
}

static int stmt_probe(struct image_reader *r, int argc, char **argv)
{
	struct ztrace_probe p;
	int rc;

	rc = expect_args(r, argc, argv, 2, ZTRACE_TOKENS_MAX, "IOVA read|write [LABEL]");
	if (!rc)
		rc = parse_num(r, "probe IOVA", argv[1], &p.iova);
	if (!rc)
		rc = parse_dir(r, argv[2], &p.dir);
	if (rc)
		return rc;
	join_label(p.label, argc, argv);
	return probe_push(r, &p);
}

static const struct {
	const char *name;
	stmt_fn fn;
} image_stmts[] = {
	{ "zpci-image",		stmt_header },
	{ "memory",		stmt_memory },
	{ "iota",		stmt_iota },
	{ "aperture",		stmt_aperture },
	{ "large-frames",	stmt_large_frames },
	{ "table",		stmt_table },
	{ "entry",		stmt_entry },
	{ "probe",		stmt_probe },
};

static int dispatch(struct image_reader *r, int argc, char **argv)
{
	size_t i;

	if (!r->seen_header && strcmp(argv[0], "zpci-image"))
		return ztrace_error(r->diag, &r->pos,
				    "expected 'zpci-image %d' first, found '%s'",
				    ZTRACE_IMAGE_VERSION, argv[0]);
	for (i = 0; i < ZPCI_ARRAY_SIZE(image_stmts); i++)
		if (!strcmp(argv[0], image_stmts[i].name))
			return image_stmts[i].fn(r, argc, argv);
	return ztrace_error(r->diag, &r->pos,
			    "unknown statement '%s', expected one of zpci-image, memory, "
			    "iota, aperture, large-frames, table, entry, probe", argv[0]);
}

static int check_complete(struct image_reader *r)
{
	static const char *const what[] = { "zpci-image", "memory", "iota", "aperture" };
	bool seen[] = { r->seen_header, r->img->mem != NULL, r->seen_iota, r->seen_aperture };
	size_t i;

	for (i = 0; i < ZPCI_ARRAY_SIZE(seen); i++)
		if (!seen[i])
			return ztrace_error(r->diag, &r->pos, "image has no '%s' statement",
					    what[i]);
	return 0;
}

int ztrace_image_read(FILE *f, const char *name, struct ztrace_image *img,
		      struct ztrace_diag *diag)
{
	struct image_reader r = { .img = img, .pos = { .file = name }, .diag = diag };
	char *line, *tok[ZTRACE_TOKENS_MAX];
	struct ztrace_lines lr;
	size_t len;
	int rc;

	memset(img, 0, sizeof(*img));
	if (ztrace_lines_init(&lr, f, ZTRACE_LINE_MAX))
		return ztrace_error(diag, &r.pos, "out of memory");
	while ((rc = ztrace_lines_next(&lr, &r.pos, &line, &len, diag)) == 1) {
		int n = ztrace_split(line, tok, &r.pos, diag);

		rc = n < 0 ? n : n ? dispatch(&r, n, tok) : 0;
		if (rc)
			break;
	}
	ztrace_lines_destroy(&lr);
	if (!rc)
		rc = check_complete(&r);
	if (rc)
		ztrace_image_free(img);
	return rc;
}

int ztrace_image_load(const char *path, struct ztrace_image *img,
		      struct ztrace_diag *diag)
{
	struct ztrace_pos pos = { .file = path };
	FILE *f = fopen(path, "r");
	int rc;

	if (!f)
		return ztrace_error(diag, &pos, "cannot open: %s", strerror(errno));
	rc = ztrace_image_read(f, path, img, diag);
	fclose(f);
	return rc;
}

void ztrace_image_free(struct ztrace_image *img)
{
	zpci_sparse_mem_destroy(img->mem);
	free(img->probes);
	memset(img, 0, sizeof(*img));
}
