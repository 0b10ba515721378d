/* inspect.c: 'kiln inspect IMAGE...': docker image inspect's fields where
 * an OCI image has them, plus the manifest itself, as one JSON array. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/storecmd.h"
#include "image/ref.h"
#include "util/xalloc.h"

static const struct cmd_help inspect_help = {
	"inspect", "IMAGE...",
	H("Show images' configs and manifests as JSON (docker image inspect's "
	  "fields, plus Manifest)."),
};

static void add_names(cJSON *o, const struct oci_index *idx, const char *digest)
{
	cJSON *tags = cJSON_AddArrayToObject(o, "RepoTags");
	cJSON *digests = cJSON_AddArrayToObject(o, "RepoDigests");

	for (size_t i = 0; i < idx->n; i++) {
		const char *n = oci_descriptor_ref_name(&idx->manifests[i]);
		char *repo, *tag;

		if (!n || strcmp(idx->manifests[i].digest, digest))
			continue;
		cJSON_AddItemToArray(tags, cJSON_CreateString(n));
		storecmd_split_name(n, &repo, &tag);
		if (strcmp(repo, "<none>")) {
			char *rd = xasprintf("%s@%s", repo, digest);

			cJSON_AddItemToArray(digests, cJSON_CreateString(rd));
			free(rd);
		}
		free(repo);
		free(tag);
	}
}

static cJSON *inspect_one(const struct oci_index *idx, const struct oci_descriptor *d,
			  const struct store_image *img)
{
	const struct img_config *c = &img->config;
	cJSON *o = cJSON_CreateObject(), *rfs, *arr;
	struct kerr err = KERR_INIT;
	cJSON *man = json_parse(img->manifest_json.buf, img->manifest_json.len, "manifest", &err);
	const char *comment = c->nhistory ? c->history[c->nhistory - 1].comment : NULL;

	kerr_clear(&err);
	cJSON_AddStringToObject(o, "Id", img->manifest.config.digest);
	add_names(o, idx, d->digest);
	cJSON_AddStringToObject(o, "Parent", "");
	cJSON_AddStringToObject(o, "Comment", comment ? comment : "");
	cJSON_AddStringToObject(o, "Created", c->created ? c->created : "");
	cJSON_AddStringToObject(o, "Author", c->author ? c->author : "");
	cJSON_AddItemToObject(o, "Config", img_runconfig_to_json(&c->config));
	cJSON_AddStringToObject(o, "Architecture", c->architecture);
	if (c->variant)
		cJSON_AddStringToObject(o, "Variant", c->variant);
	cJSON_AddStringToObject(o, "Os", c->os);
	if (c->os_version)
		cJSON_AddStringToObject(o, "OsVersion", c->os_version);
	cJSON_AddNumberToObject(o, "Size", (double)store_image_size(img));
	rfs = cJSON_AddObjectToObject(o, "RootFS");
	cJSON_AddStringToObject(rfs, "Type", "layers");
	arr = cJSON_AddArrayToObject(rfs, "Layers");
	for (size_t i = 0; i < c->diff_ids.n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(c->diff_ids.v[i]));
	cJSON_AddStringToObject(o, "Digest", img->desc.digest);
	if (man)
		cJSON_AddItemToObject(o, "Manifest", man);
	return o;
}

/* docker indents with four spaces and puts one space after a colon; cJSON
 * uses tabs for both, and a tab never occurs unescaped inside a string */
static void print_indented(const char *s)
{
	for (bool bol = true; *s; s++) {
		if (bol && *s == '\t') {
			fputs("    ", stdout);
			continue;
		}
		bol = *s == '\n';
		if (*s == ':' && s[1] == '\t') {
			fputs(": ", stdout);
			s++;
			continue;
		}
		putchar(*s);
	}
	putchar('\n');
}

int cmd_inspect(int argc, char **argv, struct kerr *err)
{
	const struct opt opts[] = { OPT_END_() };
	cleanup_json cJSON *out = cJSON_CreateArray();
	struct store st;
	struct oci_index idx;
	char *s;
	int r = 0;

	argc = opt_parse(argc, argv, opts, &inspect_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc < 1)
		return kerr_input(err, "expected an IMAGE; see 'kiln inspect --help'");
	if (storecmd_open(&st, err) < 0)
		return -1;
	if (store_index_read(&st, &idx, err) < 0) {
		store_close(&st);
		return -1;
	}
	for (int a = 0; a < argc && r >= 0; a++) {
		struct store_image img;
		int i = store_resolve(&st, &idx, argv[a], err);

		if (i < 0) {
			r = -1;
			break;
		}
		r = store_image_load(&st, &idx.manifests[i], &img, err);
		if (r >= 0)
			cJSON_AddItemToArray(out, inspect_one(&idx, &idx.manifests[i], &img));
		else
			kerr_wrap(err, "'%s'", argv[a]);
		store_image_clear(&img);
	}
	oci_index_clear(&idx);
	store_close(&st);
	if (r < 0)
		return -1;
	s = cJSON_Print(out);
	print_indented(s);
	free(s);
	return 0;
}
