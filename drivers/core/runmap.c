// SPDX-License-Identifier: MIT
/*
 * Page runs with counts.  A change rewrites only the runs it touches or
 * borders (a bordering run may merge), as a short list built apart and
 * spliced in, so an error leaves the map as it was.
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/grow.h>
#include <zpci/runmap.h>

void zpci_runmap_init(struct zpci_runmap *m)
{
	memset(m, 0, sizeof(*m));
}

void zpci_runmap_destroy(struct zpci_runmap *m)
{
	free(m->run);
	memset(m, 0, sizeof(*m));
}

/* Index of the first run that ends at or after @page. */
static size_t first_ending_from(const struct zpci_runmap *m, u64 page)
{
	size_t lo = 0, hi = m->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->run[mid].last < page)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

u64 zpci_runmap_piece(const struct zpci_runmap *m, u64 page, u64 limit, u64 *last)
{
	size_t i = first_ending_from(m, page);

	if (i < m->nr && m->run[i].first <= page) {
		*last = m->run[i].last < limit ? m->run[i].last : limit;
		return m->run[i].count;
	}
	*last = i < m->nr && m->run[i].first - 1 < limit ? m->run[i].first - 1 : limit;
	return 0;
}

u64 zpci_runmap_get(const struct zpci_runmap *m, u64 page)
{
	u64 last;

	return zpci_runmap_piece(m, page, page, &last);
}

/* Append [first, last] at @count to @out, merging with the run before it. */
static void emit(struct zpci_run *out, size_t *n, u64 first, u64 last, u64 count)
{
	struct zpci_run *prev = *n ? &out[*n - 1] : NULL;

	if (!count)
		return;
	if (prev && prev->count == count && prev->last + 1 == first) {
		prev->last = last;
		return;
	}
	out[(*n)++] = (struct zpci_run){ first, last, count };
}

/* Whether every count in [first, last] can take @delta. */
static bool delta_fits(const struct zpci_runmap *m, u64 first, u64 last, s64 delta)
{
	u64 page = first, end, count;

	for (;;) {
		count = zpci_runmap_piece(m, page, last, &end);
		if (delta < 0 ? count < (u64)-delta : count > UINT64_MAX - (u64)delta)
			return false;
		if (end == last)
			return true;
		page = end + 1;
	}
}

int zpci_runmap_add(struct zpci_runmap *m, u64 first, u64 last, s64 delta)
{
	/* Runs [lo, hi) overlap [first, last] or border it. */
	size_t lo = first_ending_from(m, first ? first - 1 : 0), hi = lo, n = 0, j;
	struct zpci_run *out;
	u64 start, end, page, pages = m->pages;

	if (last < first || last == UINT64_MAX || !delta_fits(m, first, last, delta))
		return -EINVAL;
	while (hi < m->nr && m->run[hi].first <= last + 1)
		hi++;
	start = lo < hi && m->run[lo].first < first ? m->run[lo].first : first;
	end = lo < hi && m->run[hi - 1].last > last ? m->run[hi - 1].last : last;
	/* Each old run gives at most three pieces, each gap between them one. */
	out = malloc((2 * (hi - lo) + 3) * sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (page = start, j = lo;;) {
		/* The next boundary: a run's edge, or the changed range's. */
		u64 stop = page < first ? first - 1 : page <= last ? last : end;
		u64 count = 0, piece_last;

		if (j < hi && m->run[j].first <= page) {
			count = m->run[j].count;
			piece_last = m->run[j].last < stop ? m->run[j].last : stop;
			if (piece_last == m->run[j].last)
				j++;
		} else {
			piece_last = j < hi && m->run[j].first - 1 < stop ? m->run[j].first - 1 : stop;
		}
		if (page >= first && page <= last) {
			pages += (count == 0) * (piece_last - page + 1);
			count += delta;
			pages -= (count == 0) * (piece_last - page + 1);
		}
		emit(out, &n, page, piece_last, count);
		if (piece_last == end)
			break;
		page = piece_last + 1;
	}
	while (m->nr - (hi - lo) + n > m->cap)
		if (zpci_grow((void **)&m->run, &m->cap, m->cap, sizeof(*m->run))) {
			free(out);
			return -ENOMEM;
		}
	memmove(&m->run[lo + n], &m->run[hi], (m->nr - hi) * sizeof(*m->run));
	memcpy(&m->run[lo], out, n * sizeof(*out));
	m->nr = m->nr - (hi - lo) + n;
	m->pages = pages;
	free(out);
	return 0;
}
