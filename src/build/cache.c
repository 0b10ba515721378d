/* cache.c: the step cache. A step's key chains its parent's key with what
 * the step does (the instruction after expansion, the build args it used,
 * the content of every file it reads); the record under kiln/cache/<key>
 * is the stage's state after the step: the config (history and times
 * included, so a rebuild gives the same image ID), the layers and whether
 * the stage set CMD (ENTRYPOINT keeps such a CMD). A record whose blobs
 * were pruned is a miss. Records are written atomically; a corrupt one is
 * a miss with a warning, never an error. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/exec.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

void key_add_buf(struct sha256 *h, const void *p, size_t n)
{
	unsigned char len[8];

	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)((uint64_t)n >> (8 * i));
	sha256_update(h, len, sizeof(len));
	sha256_update(h, p, n);
}

void key_add(struct sha256 *h, const char *s)
{
	key_add_buf(h, s ? s : "", s ? strlen(s) : 0);
	sha256_update(h, s ? "s" : "n", 1);
}

void key_begin(struct sha256 *h, const unsigned char parent[SHA256_LEN], const char *what)
{
	sha256_init(h);
	key_add(h, "kiln-step-v1");
	key_add_buf(h, parent, SHA256_LEN);
	key_add(h, what);
}

static void key_hex(const unsigned char key[SHA256_LEN], char out[2 * SHA256_LEN + 1])
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = hx[key[i] >> 4];
		out[2 * i + 1] = hx[key[i] & 15];
	}
	out[2 * SHA256_LEN] = 0;
}

static int cache_dir(struct build *b, struct kerr *err)
{
	int fd;

	if (mkdirat(b->st.kilnfd, "cache", 0755) < 0 && errno != EEXIST)
		return kerr_errno(err, errno, "cannot create '%s/kiln/cache'", b->st.root);
	fd = openat(b->st.kilnfd, "cache", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_errno(err, errno, "cannot open '%s/kiln/cache'", b->st.root);
	return fd;
}

static int parse_record(struct build *b, const cJSON *doc, struct stage_state *ss,
			struct kerr *err)
{
	const cJSON *layers, *l;
	const char *cfg;

	/* Whether the stage set CMD itself decides what a later ENTRYPOINT
	 * keeps. A record written before it was kept cannot tell a CMD of
	 * this stage from its base's, and guessing false would drop the
	 * stage's own: such a record is a miss (the step runs once more and
	 * its new record has the field), not a warning. */
	if (!cJSON_HasObjectItem(doc, "cmdSet"))
		return 0;
	if (json_get_bool(doc, "cmdSet", true, &ss->cmd_set, err) < 0 ||
	    json_get_string(doc, "config", true, &cfg, err) < 0 ||
	    json_get_array(doc, "layers", true, &layers, err) < 0)
		return -1;
	if (img_config_parse(cfg, strlen(cfg), &ss->cfg, err) < 0)
		return -1;
	cJSON_ArrayForEach(l, layers) {
		struct build_layer bl = { 0 };
		const char *mt, *dg, *di;

		if (json_get_string(l, "mediaType", true, &mt, err) < 0 ||
		    json_get_string(l, "digest", true, &dg, err) < 0 ||
		    json_get_string(l, "diffID", true, &di, err) < 0 ||
		    json_get_int64(l, "size", true, &bl.size, err) < 0)
			return -1;
		if (!store_blob_exists(&b->st, dg))
			return 0;	/* pruned since */
		bl.media_type = xstrdup(mt);
		bl.digest = xstrdup(dg);
		bl.diff_id = xstrdup(di);
		ss->layers = xrealloc(ss->layers, (ss->nlayers + 1) * sizeof(*ss->layers));
		ss->layers[ss->nlayers++] = bl;
	}
	if (ss->nlayers != ss->cfg.diff_ids.n)
		return kerr_input(err, "%zu layers for %zu diff_ids", ss->nlayers,
				  ss->cfg.diff_ids.n);
	return 1;
}

int cache_get(struct build *b, const unsigned char key[SHA256_LEN], struct stage_state *ss,
	      struct kerr *err)
{
	if (b->o->no_cache)
		return 0;
	return cache_read(b, key, ss, err);
}

int cache_read(struct build *b, const unsigned char key[SHA256_LEN], struct stage_state *ss,
	       struct kerr *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_close int dfd = -1;
	struct kerr why = KERR_INIT;
	char hex[2 * SHA256_LEN + 1];
	struct stage_state got;
	cJSON *doc;
	int r;

	dfd = cache_dir(b, err);
	if (dfd < 0)
		return -1;
	key_hex(key, hex);
	r = read_file_at(dfd, hex, &text, 64u << 20, &why);
	if (r < 0) {
		bool missing = why.errnum == ENOENT;

		kerr_clear(&why);
		if (missing)
			return 0;
		log_warn("step cache record %s is unreadable: rebuilding the step", hex);
		return 0;
	}
	memset(&got, 0, sizeof(got));
	doc = json_parse(text.buf, text.len, hex, &why);
	r = doc ? parse_record(b, doc, &got, &why) : -1;
	cJSON_Delete(doc);
	if (r <= 0) {
		if (r < 0)
			log_warn("step cache record %s is corrupt (%s): rebuilding the step", hex,
				 why.msg);
		kerr_clear(&why);
		stage_state_clear(&got);
		return 0;
	}
	/* the stage keeps its name and root; config and layers come from the record */
	stage_state_clear_image(ss);
	ss->cfg = got.cfg;
	ss->layers = got.layers;
	ss->nlayers = got.nlayers;
	ss->cmd_set = got.cmd_set;
	memcpy(ss->key, key, SHA256_LEN);
	return 1;
}

int cache_put(struct build *b, const unsigned char key[SHA256_LEN],
	      const struct stage_state *ss, struct kerr *err)
{
	cleanup_close int dfd = cache_dir(b, err);
	cleanup_json cJSON *doc = cJSON_CreateObject();
	cleanup_free char *cfg = NULL, *text = NULL;
	char hex[2 * SHA256_LEN + 1];
	cJSON *arr;

	if (dfd < 0)
		return -1;
	cfg = img_config_json(&ss->cfg);
	cJSON_AddStringToObject(doc, "config", cfg);
	cJSON_AddBoolToObject(doc, "cmdSet", ss->cmd_set);
	arr = cJSON_AddArrayToObject(doc, "layers");
	for (size_t i = 0; i < ss->nlayers; i++) {
		cJSON *l = cJSON_CreateObject();

		cJSON_AddStringToObject(l, "mediaType", ss->layers[i].media_type);
		cJSON_AddStringToObject(l, "digest", ss->layers[i].digest);
		cJSON_AddStringToObject(l, "diffID", ss->layers[i].diff_id);
		cJSON_AddNumberToObject(l, "size", (double)ss->layers[i].size);
		cJSON_AddItemToArray(arr, l);
	}
	text = json_print(doc);
	key_hex(key, hex);
	return atomic_write_at(dfd, hex, text, strlen(text), 0644, err);
}
