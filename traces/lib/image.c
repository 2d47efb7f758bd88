// SPDX-License-Identifier: MIT
/*
 * Table-image reader.  One statement per line; see traces/IMAGE.md.
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/u64map.h>
#include <ztrace/image.h>

/*
 * An image's memory: what its statements wrote, not the pages they touch.
 * A page-granular memory costs a 4 KiB page for an 'entry' line of twenty
 * bytes and four for a 'table' line (800 times the file); here an entry
 * costs a map slot and a table one slot, so memory follows the file.
 *
 * Entries are keyed by their index (address / 8); a table by its address,
 * plus 1 for a page table (a page table and a region or segment table may
 * start at the same address).  A table's value says when it was written
 * and its invalid bit: an entry not written since reads as the latest
 * table's invalid bit over it, as if the table had been filled.
 */
struct ztrace_image_mem {
	u64 size;
	u64 generation;		/* writes, plus one */
	u64 tables_written;
	struct zpci_u64map entries;	/* entry index -> value */
	struct zpci_u64map tables;	/* address (+1: page table) -> order << 8 | invalid bit's */
};

#define TABLE_PT_KEY	1	/* added to a page table's address */

static struct ztrace_image_mem *image_mem_create(u64 size)
{
	struct ztrace_image_mem *im = calloc(1, sizeof(*im));

	if (!im)
		return NULL;
	im->size = size;
	im->generation = 1;
	if (zpci_u64map_init(&im->entries) || zpci_u64map_init(&im->tables)) {
		zpci_u64map_destroy(&im->entries);
		free(im);
		return NULL;
	}
	return im;
}

static void image_mem_destroy(struct ztrace_image_mem *im)
{
	if (!im)
		return;
	zpci_u64map_destroy(&im->entries);
	zpci_u64map_destroy(&im->tables);
	free(im);
}

/* The latest table over @addr: its order and invalid bit, or false. */
static bool table_over(const struct ztrace_image_mem *im, u64 addr, u64 *val)
{
	const u64 *region = zpci_u64map_find(&im->tables, zpci_align_down(addr, ZPCI_TABLE_SIZE));
	const u64 *pt = zpci_u64map_find(&im->tables,
					 zpci_align_down(addr, ZPCI_PT_SIZE) + TABLE_PT_KEY);

	if (!region && !pt)
		return false;
	*val = !pt || (region && *region > *pt) ? *region : *pt;
	return true;
}

static int image_read64(void *priv, phys_addr_t addr, u64 *val)
{
	const struct ztrace_image_mem *im = priv;
	const u64 *entry;
	u64 table;

	if (!zpci_range_inside(addr, 8, im->size))
		return -EFAULT;
	entry = zpci_u64map_find(&im->entries, addr >> 3);
	if (entry)
		*val = *entry;
	else if (table_over(im, addr, &table))
		*val = 1ULL << (table & 0xff);
	else
		*val = 0;
	return 0;
}

static int image_write64(void *priv, phys_addr_t addr, u64 val)
{
	struct ztrace_image_mem *im = priv;

	if (!zpci_range_inside(addr, 8, im->size))
		return -EFAULT;
	if (zpci_u64map_put(&im->entries, addr >> 3, val))
		return -ENOMEM;
	im->generation++;
	return 0;
}

/* Bytes, one 8-byte entry at a time (entries are big-endian). */
static int image_read(void *priv, phys_addr_t addr, void *buf, size_t len)
{
	const struct ztrace_image_mem *im = priv;
	u8 *out = buf;
	size_t i;
	u64 word;

	if (!zpci_range_inside(addr, len, im->size))
		return -EFAULT;
	for (i = 0; i < len; i++) {
		u64 a = addr + i;

		if (i == 0 || !(a & 7))
			image_read64(priv, zpci_align_down(a, 8), &word);
		out[i] = word >> (56 - 8 * (a & 7));
	}
	return 0;
}

/* Only whole entries: what statements and translators write. */
static int image_write(void *priv, phys_addr_t addr, const void *buf, size_t len)
{
	const u8 *in = buf;
	size_t i;
	int rc = 0;

	if (!zpci_is_aligned(addr, 8) || len % 8)
		return -EINVAL;
	for (i = 0; i < len && !rc; i += 8) {
		u64 v;

		memcpy(&v, in + i, 8);
		rc = image_write64(priv, addr + i, be64_to_cpu(v));
	}
	return rc;
}

static const struct zpci_mem_ops image_mem_ops = {
	.read = image_read,
	.write = image_write,
	.read64 = image_read64,
	.write64 = image_write64,
};

/* A table of @d's kind at @addr, every entry invalid: what came before it goes. */
static int image_mem_table(struct ztrace_image_mem *im, u64 addr, const struct zpci_level_desc *d)
{
	u64 entries = 1ULL << d->index_bits;
	u64 key = addr + (d->leaf ? TABLE_PT_KEY : 0);

	zpci_u64map_remove_range(&im->entries, addr >> 3, (addr >> 3) + entries - 1);
	if (zpci_u64map_put(&im->tables, key,
			    ++im->tables_written << 8 | __builtin_ctzll(d->invalid_bit)))
		return -ENOMEM;
	im->generation++;
	return 0;
}

struct zpci_mem ztrace_image_mem_view(struct ztrace_image *img)
{
	struct zpci_mem m = { .ops = &image_mem_ops, .priv = img->mem,
			      .generation = &img->mem->generation };

	return m;
}

u64 ztrace_image_mem_size(const struct ztrace_image *img)
{
	return img->mem->size;
}

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
	if (size > ZTRACE_IMAGE_MEMORY_MAX)
		return ztrace_error(r->diag, &r->pos, "memory size %s is too large", argv[1]);
	r->img->mem = image_mem_create(size);
	if (!r->img->mem)
		return ztrace_error(r->diag, &r->pos, "out of memory");
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
	mem = ztrace_image_mem_view(r->img);
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
	if (!zpci_range_inside(addr, size, r->img->mem->size))
		return ztrace_error(r->diag, &r->pos, "%s table at %s ends outside memory",
				    d->table, argv[1]);
	if (image_mem_table(r->img->mem, addr, d))
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
	image_mem_destroy(img->mem);
	free(img->probes);
	memset(img, 0, sizeof(*img));
}
