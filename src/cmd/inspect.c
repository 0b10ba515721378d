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
	H("Show images' configs and manifests as a JSON array, laid out as "
	  "'docker image inspect' prints it, with its fields (and podman's "
	  "Digest, plus the Manifest). Size is the bytes of the config and "
	  "the layers as stored, compressed."),
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

/* a top-level string of the config blob that kiln's config struct does not
 * keep (docker_version) */
static char *config_string(struct store *st, const struct store_image *img, const char *key)
{
	struct strbuf sb = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	cJSON *j = NULL;
	const char *v = NULL;
	char *out;

	if (store_blob_read(st, img->manifest.config.digest, 16u << 20, &sb, &err) == 0 &&
	    (j = json_parse(sb.buf, sb.len, "config", &err)))
		json_get_string(j, key, false, &v, &err);
	out = xstrdup(v ? v : "");
	cJSON_Delete(j);
	kerr_clear(&err);
	strbuf_release(&sb);
	return out;
}

/* docker image inspect's fields in its order (GraphDriver and Metadata
 * have nothing to map to here), then podman's Digest and kiln's Manifest */
static cJSON *inspect_one(struct store *st, const struct oci_index *idx,
			  const struct oci_descriptor *d, const struct store_image *img)
{
	const struct img_config *c = &img->config;
	cJSON *o = cJSON_CreateObject(), *rfs, *arr;
	struct kerr err = KERR_INIT;
	cJSON *man = json_parse(img->manifest_json.buf, img->manifest_json.len, "manifest", &err);
	/* docker's containerd store shows the last history comment */
	const char *comment = c->nhistory ? c->history[c->nhistory - 1].comment : NULL;
	char *version = config_string(st, img, "docker_version");

	kerr_clear(&err);
	cJSON_AddStringToObject(o, "Id", img->manifest.config.digest);
	add_names(o, idx, d->digest);
	cJSON_AddStringToObject(o, "Parent", "");
	cJSON_AddStringToObject(o, "Comment", comment ? comment : "");
	cJSON_AddStringToObject(o, "Created", c->created ? c->created : "");
	cJSON_AddStringToObject(o, "DockerVersion", version);
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
	free(version);
	return o;
}

/* a string as Go's encoding/json writes it, which is what docker prints:
 * <, > and & as \u escapes too */
static void put_string(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			strbuf_addstr(sb, "\\\"");
			break;
		case '\\':
			strbuf_addstr(sb, "\\\\");
			break;
		case '\n':
			strbuf_addstr(sb, "\\n");
			break;
		case '\r':
			strbuf_addstr(sb, "\\r");
			break;
		case '\t':
			strbuf_addstr(sb, "\\t");
			break;
		case '<': case '>': case '&':
			strbuf_addf(sb, "\\u%04x", *p);
			break;
		default:
			if (*p < 0x20) {
				strbuf_addf(sb, "\\u%04x", *p);
			} else if (*p == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
				/* U+2028 and U+2029, which end a line in JavaScript */
				strbuf_addf(sb, "\\u%04x", 0x2000 + (p[2] - 0x80));
				p += 2;
			} else {
				strbuf_addch(sb, *p);
			}
		}
	}
	strbuf_addch(sb, '"');
}

static void indent(struct strbuf *sb, int depth)
{
	strbuf_addch(sb, '\n');
	for (int i = 0; i < depth; i++)
		strbuf_addstr(sb, "    ");
}

/* json.MarshalIndent(v, "", "    "): every member and element on a line
 * of its own, "{}" and "[]" when empty */
static void put_json(struct strbuf *sb, const cJSON *v, int depth)
{
	const cJSON *c;
	char *num;

	if (cJSON_IsString(v)) {
		put_string(sb, v->valuestring);
	} else if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		bool obj = cJSON_IsObject(v);

		strbuf_addch(sb, obj ? '{' : '[');
		for (c = v->child; c; c = c->next) {
			indent(sb, depth + 1);
			if (obj) {
				put_string(sb, c->string);
				strbuf_addstr(sb, ": ");
			}
			put_json(sb, c, depth + 1);
			if (c->next)
				strbuf_addch(sb, ',');
		}
		if (v->child)
			indent(sb, depth);
		strbuf_addch(sb, obj ? '}' : ']');
	} else {
		num = cJSON_PrintUnformatted(v);
		strbuf_addstr(sb, num);
		free(num);
	}
}

int cmd_inspect(int argc, char **argv, struct kerr *err)
{
	const struct opt opts[] = { OPT_END_() };
	cleanup_json cJSON *out = cJSON_CreateArray();
	struct store st;
	struct oci_index idx;
	struct strbuf sb = STRBUF_INIT;
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
		r = store_image_load_live(&st, &idx.manifests[i], &img, err);
		if (r > 0)
			r = kerr_input(err, "no such image: '%s' (it was removed while being read)",
				       argv[a]);
		else if (r == 0)
			cJSON_AddItemToArray(out, inspect_one(&st, &idx, &idx.manifests[i], &img));
		else
			kerr_wrap(err, "'%s'", argv[a]);
		store_image_clear(&img);
	}
	oci_index_clear(&idx);
	store_close(&st);
	if (r < 0)
		return -1;
	put_json(&sb, out, 0);
	printf("%s\n", sb.buf);
	strbuf_release(&sb);
	return 0;
}
