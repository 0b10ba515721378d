/* images.c: 'kiln images': the store's images as docker lists them
 * (REPOSITORY TAG IMAGE ID CREATED SIZE), newest first; -q for IDs,
 * --format json for one JSON object per line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/storecmd.h"
#include "image/ref.h"
#include "util/fs.h"
#include "util/xalloc.h"

static const struct cmd_help images_help = {
	"images", "[-q] [--format json] [REPOSITORY[:TAG]]",
	H("List the images in the store: one line per name, and one per "
	  "image without a name (<none>). With REPOSITORY, only the names in "
	  "that repository (docker's spelling: 'app' is docker.io/library/app), "
	  "and with :TAG only that tag."),
};

struct row {
	char *repo;
	char *tag;
	char *id;		/* sha256:... of the config */
	char *digest;		/* the manifest's */
	char *created;
	int64_t created_sec;
	int64_t size;
};

static int by_created(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->created_sec < y->created_sec ? 1 : x->created_sec > y->created_sec ? -1 : 0;
}

static void print_json(const struct row *r)
{
	cleanup_json cJSON *o = cJSON_CreateObject();
	char since[64], size[32];
	char *s;

	storecmd_since(r->created, since, sizeof(since));
	format_size(size, sizeof(size), (unsigned long long)r->size);
	cJSON_AddStringToObject(o, "Repository", r->repo);
	cJSON_AddStringToObject(o, "Tag", r->tag);
	cJSON_AddStringToObject(o, "ID", r->id);
	cJSON_AddStringToObject(o, "Digest", r->digest);
	cJSON_AddStringToObject(o, "CreatedAt", r->created ? r->created : "");
	cJSON_AddStringToObject(o, "CreatedSince", since);
	cJSON_AddStringToObject(o, "Size", size);
	cJSON_AddNumberToObject(o, "VirtualSize", (double)r->size);
	s = json_print(o);
	printf("%s\n", s);
	free(s);
}

static void print_table(const struct row *rows, size_t n)
{
	const char *head[5] = { "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE" };
	char (*cells)[5][64] = xcalloc(n + 1, sizeof(*cells));
	int w[5] = { 0 };

	for (int c = 0; c < 5; c++)
		snprintf(cells[0][c], 64, "%s", head[c]);
	for (size_t i = 0; i < n; i++) {
		snprintf(cells[i + 1][0], 64, "%s", rows[i].repo);
		snprintf(cells[i + 1][1], 64, "%s", rows[i].tag);
		snprintf(cells[i + 1][2], 64, "%.12s", rows[i].id + 7);
		storecmd_since(rows[i].created, cells[i + 1][3], 64);
		format_size(cells[i + 1][4], 64, (unsigned long long)rows[i].size);
	}
	for (size_t i = 0; i <= n; i++)
		for (int c = 0; c < 5; c++)
			if ((int)strlen(cells[i][c]) > w[c])
				w[c] = (int)strlen(cells[i][c]);
	for (size_t i = 0; i <= n; i++)
		printf("%-*s   %-*s   %-*s   %-*s   %s\n", w[0], cells[i][0], w[1], cells[i][1],
		       w[2], cells[i][2], w[3], cells[i][3], cells[i][4]);
	free(cells);
}

/* docker's reference filter: the repository exactly (after docker's
 * normalisation, so "app" is "docker.io/library/app"), the tag or digest
 * exactly when given; images without a name never match */
static bool matches(const char *name, const char *digest, const struct img_ref *want,
		    const char *want_repo)
{
	struct kerr err = KERR_INIT;
	struct img_ref r;
	char *repo;
	bool ok;

	if (!name || img_ref_parse(name, &r, &err) < 0) {
		kerr_clear(&err);
		return false;
	}
	img_ref_default_tag(&r);
	repo = img_ref_name(&r);
	ok = !strcmp(repo, want_repo) && (!want->tag || (r.tag && !strcmp(r.tag, want->tag))) &&
	     (!want->digest || !strcmp(digest, want->digest));
	free(repo);
	img_ref_clear(&r);
	return ok;
}

/* fills rows[0..*n) from idx's entries that match (all without a filter) */
static int load_rows(struct store *st, const struct oci_index *idx, const char *filter,
		     struct row *rows, size_t *n, struct kerr *err)
{
	struct img_ref want = IMG_REF_INIT;
	char *want_repo = NULL;

	*n = 0;
	if (filter) {
		if (img_ref_parse(filter, &want, err) < 0)
			return -1;
		want_repo = img_ref_name(&want);
	}
	for (size_t i = 0; i < idx->n; i++) {
		const char *name = oci_descriptor_ref_name(&idx->manifests[i]);
		struct store_image img;
		struct row *row = &rows[*n];
		long ns;
		int r;

		if (filter && !matches(name, idx->manifests[i].digest, &want, want_repo))
			continue;
		r = store_image_load_live(st, &idx->manifests[i], &img, err);
		if (r != 0) {
			store_image_clear(&img);
			/* removed since we read index.json: not an image any more */
			if (r > 0)
				continue;
			free(want_repo);
			img_ref_clear(&want);
			return kerr_wrap(err, "image '%s'", name ? name : idx->manifests[i].digest);
		}
		(*n)++;
		if (name) {
			storecmd_split_name(name, &row->repo, &row->tag);
		} else {
			row->repo = xstrdup("<none>");
			row->tag = xstrdup("<none>");
		}
		row->id = xstrdup(img.manifest.config.digest);
		row->digest = xstrdup(idx->manifests[i].digest);
		row->created = img.config.created ? xstrdup(img.config.created) : NULL;
		if (!row->created || img_time_parse(row->created, &row->created_sec, &ns, err) < 0)
			kerr_clear(err);
		row->size = store_image_size(&img);
		store_image_clear(&img);
	}
	free(want_repo);
	img_ref_clear(&want);
	return 0;
}

int cmd_images(int argc, char **argv, struct kerr *err)
{
	int quiet = 0;
	const char *format = NULL;
	const struct opt opts[] = {
		OPT_BOOL_('q', "quiet", &quiet, "print only image IDs"),
		OPT_STRING_(0, "format", &format, "FORMAT", "'json': one JSON object per image"),
		OPT_END_(),
	};
	struct store st;
	struct oci_index idx;
	struct row *rows;
	size_t n = 0;
	int r;

	argc = opt_parse(argc, argv, opts, &images_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc > 1)
		return kerr_input(err, "unexpected argument '%s'", argv[1]);
	if (format && strcmp(format, "json") && strcmp(format, "table"))
		return kerr_input(err, "--format: '%s' is not 'json' or 'table'", format);
	if (storecmd_open(&st, err) < 0)
		return -1;
	if (store_index_read(&st, &idx, err) < 0) {
		store_close(&st);
		return -1;
	}
	rows = xcalloc(idx.n + 1, sizeof(*rows));
	r = load_rows(&st, &idx, argc ? argv[0] : NULL, rows, &n, err);
	if (r >= 0) {
		qsort(rows, n, sizeof(*rows), by_created);
		if (quiet) {
			for (size_t i = 0; i < n; i++) {
				bool seen = false;

				for (size_t k = 0; k < i; k++)
					seen |= !strcmp(rows[k].id, rows[i].id);
				if (!seen)
					printf("%.12s\n", rows[i].id + 7);
			}
		} else if (format && !strcmp(format, "json")) {
			for (size_t i = 0; i < n; i++)
				print_json(&rows[i]);
		} else {
			print_table(rows, n);
		}
	}
	for (size_t i = 0; i < idx.n; i++) {
		free(rows[i].repo);
		free(rows[i].tag);
		free(rows[i].id);
		free(rows[i].digest);
		free(rows[i].created);
	}
	free(rows);
	oci_index_clear(&idx);
	store_close(&st);
	return r;
}
