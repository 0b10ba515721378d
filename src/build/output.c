/* output.c: the target stage's state becomes an image (config and manifest
 * blobs, OCI media types unless --format docker), which is named in the
 * store (-t, or kept as <none>), written to --iidfile and to the -o
 * outputs: type=oci|docker,dest=FILE (archives), type=oci,dest=DIR (an
 * OCI layout) and type=tar|local (the root filesystem). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/exec.h"
#include "image/media.h"
#include "layer/extract.h"
#include "store/archive.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/kconfig.h"
#include "util/xalloc.h"

int output_commit(struct build *b, struct stage_state *ss, char id[DIGEST_STR_LEN],
		  struct oci_descriptor *manifest, struct kerr *err)
{
	cleanup_free char *cfg = NULL, *man = NULL;
	char man_digest[DIGEST_STR_LEN];
	struct oci_manifest m;
	int r;

	for (size_t i = 0; i < b->o->labels.n; i++) {
		const char *kv = b->o->labels.v[i];
		const char *eq = strchr(kv, '=');
		cleanup_free char *k = eq ? xstrndup(kv, (size_t)(eq - kv)) : xstrdup(kv);

		img_map_set(&ss->cfg.config.labels, k, eq ? eq + 1 : "");
	}
	if (!ss->cfg.created) {
		char created[IMG_TIME_LEN];

		exec_now(b, created);
		ss->cfg.created = xstrdup(created);
	}
	cfg = img_config_json(&ss->cfg);
	if (store_blob_put(&b->st, cfg, strlen(cfg), NULL, id, err) < 0)
		return -1;
	oci_manifest_init(&m);
	oci_descriptor_set(&m.config, MT_OCI_CONFIG, id, (int64_t)strlen(cfg));
	for (size_t i = 0; i < ss->nlayers; i++)
		oci_manifest_add_layer(&m, ss->layers[i].media_type, ss->layers[i].digest,
				       ss->layers[i].size);
	r = b->o->docker_format ? oci_manifest_to_docker(&m, err) : 0;
	if (r >= 0) {
		man = oci_manifest_json(&m);
		r = store_blob_put(&b->st, man, strlen(man), NULL, man_digest, err);
	}
	if (r >= 0)
		oci_descriptor_set(manifest, m.media_type ? m.media_type : MT_OCI_MANIFEST,
				   man_digest, (int64_t)strlen(man));
	oci_manifest_clear(&m);
	return r;
}

/* "type=oci,dest=out.tar" into its parts; *tar is -1 unless tar= says */
static int parse_output(const char *spec, char **type, char **dest, int *tar, struct kerr *err)
{
	struct strvec parts = STRVEC_INIT;

	*type = *dest = NULL;
	*tar = -1;
	strvec_split(&parts, spec, ',');
	for (size_t i = 0; i < parts.n; i++) {
		char *eq = strchr(parts.v[i], '=');

		if (!eq) {
			/* "-o DIR" is docker's short form of type=local,dest=DIR */
			if (parts.n == 1) {
				*type = xstrdup("local");
				*dest = xstrdup(parts.v[i]);
				break;
			}
			strvec_clear(&parts);
			goto bad;
		}
		*eq = 0;
		if (!strcmp(parts.v[i], "type")) {
			free(*type);
			*type = xstrdup(eq + 1);
		} else if (!strcmp(parts.v[i], "dest")) {
			free(*dest);
			*dest = xstrdup(eq + 1);
		} else if (!strcmp(parts.v[i], "tar")) {
			*tar = !strcmp(eq + 1, "true") ? 1 : !strcmp(eq + 1, "false") ? 0 : -2;
			if (*tar == -2) {
				kerr_input(err, "-o %s: tar= is true or false", spec);
				strvec_clear(&parts);
				goto fail;
			}
		}
	}
	strvec_clear(&parts);
	if (!*type)
		*type = xstrdup("local");
	if (!*dest) {
		kerr_input(err, "-o %s: dest= is missing", spec);
		goto fail;
	}
	return 0;
bad:
	kerr_input(err, "-o %s: expected key=value pairs", spec);
fail:
	/* nothing for the caller to free */
	free(*type);
	free(*dest);
	*type = *dest = NULL;
	return -1;
}

int output_check(const struct build_opts *o, struct kerr *err)
{
	for (size_t i = 0; i < o->outputs.n; i++) {
		cleanup_free char *type = NULL, *dest = NULL;
		bool archive;
		int tar;

		if (parse_output(o->outputs.v[i], &type, &dest, &tar, err) < 0)
			return -1;
		archive = !strcmp(type, "oci") || !strcmp(type, "docker");
		if (!archive && strcmp(type, "tar") && strcmp(type, "local"))
			return kerr_input(err, "-o type=%s: kiln writes oci, docker, tar and local",
					  type);
		if (tar >= 0 && strcmp(type, "oci"))
			return kerr_input(err, "-o type=%s: tar= is for type=oci", type);
		if (archive && !IS_ENABLED(CONFIG_STORE_ARCHIVE))
			return kerr_input(err, "-o type=%s is not in this build "
					  "(CONFIG_STORE_ARCHIVE=n)", type);
	}
	return 0;
}

/* buildx's type=oci,dest=DIR,tar=false: the files of the oci-archive as
 * an image layout in DIR, made when missing; its other images stay */
static int write_layout(struct build *b, const char *id, const char *dest, struct kerr *err)
{
	cleanup_free char *name = b->o->tags.n ? xstrdup(b->o->tags.v[0]) : xstrdup(id);
	cleanup_close int dfd = -1;
	char *names[1] = { name };

	if (mkdir_p(dest, 0755, err) < 0)
		return kerr_wrap(err, "-o type=oci");
	dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return kerr_input(err, "-o: cannot open '%s': %s", dest, strerror(errno));
	if (store_layout_save(&b->st, names, 1, dfd, err) < 0)
		return kerr_wrap(err, "-o type=oci,dest=%s", dest);
	return 0;
}

static int write_archive(struct build *b, const char *id, bool docker, const char *dest,
			 struct kerr *err)
{
	struct atomic_file af = ATOMIC_FILE_INIT;
	const char *slash = strrchr(dest, '/');
	cleanup_free char *dir = slash ? xstrndup(dest, (size_t)(slash - dest)) : xstrdup(".");
	cleanup_close int dirfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *names[1];
	cleanup_free char *name = NULL;
	int r;

	if (dirfd < 0)
		return kerr_input(err, "-o: cannot open '%s': %s", dir, strerror(errno));
	name = b->o->tags.n ? xstrdup(b->o->tags.v[0]) : xstrdup(id);
	names[0] = name;
	if (atomic_file_open(&af, dirfd, slash ? slash + 1 : dest, 0644, err) < 0)
		return -1;
	r = store_archive_save(&b->st, names, 1, docker ? STORE_ARCHIVE_DOCKER : STORE_ARCHIVE_OCI,
			       af.fd, err);
	if (r >= 0)
		r = atomic_file_commit(&af, err);
	atomic_file_abort(&af);
	return r;
}

static int write_rootfs_tar(struct build *b, struct stage_state *ss, const char *dest,
			    struct kerr *err)
{
	struct atomic_file af = ATOMIC_FILE_INIT;
	const char *slash = strrchr(dest, '/');
	cleanup_free char *dir = slash ? xstrndup(dest, (size_t)(slash - dest)) : xstrdup(".");
	cleanup_close int dirfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct layer_opts lo = b->lo;
	struct layer_result res;
	int r;

	if (dirfd < 0)
		return kerr_input(err, "-o: cannot open '%s': %s", dir, strerror(errno));
	if (exec_snapshot(b, ss, err) < 0)
		return -1;
	if (atomic_file_open(&af, dirfd, slash ? slash + 1 : dest, 0644, err) < 0)
		return -1;
	lo.level = 0;
	lo.threads = 1;
	r = layer_write_tree(snapshot_rootfd(ss->snap), af.fd, &lo, &res, err);
	if (r >= 0)
		r = atomic_file_commit(&af, err);
	atomic_file_abort(&af);
	return r;
}

/* type=local: the root filesystem as files in dest, owned by the caller
 * (as docker's local exporter leaves them), by way of an unlinked tar in
 * the store's ingest folder */
static int write_rootfs_dir(struct build *b, struct stage_state *ss, const char *dest,
			    struct kerr *err)
{
	struct layer_extract_opts eo = LAYER_EXTRACT_OPTS_INIT;
	struct layer_opts lo = b->lo;
	struct layer_result res;
	cleanup_close int tmp = -1, dfd = -1;

	if (mkdir_p(dest, 0755, err) < 0)
		return kerr_wrap(err, "-o type=local");
	dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return kerr_input(err, "-o: cannot open '%s': %s", dest, strerror(errno));
	if (exec_snapshot(b, ss, err) < 0)
		return -1;
	tmp = openat(b->st.ingestfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (tmp < 0)
		return kerr_errno(err, errno, "cannot create a file in '%s/kiln/ingest'", b->st.root);
	lo.level = 0;
	lo.threads = 1;
	if (layer_write_tree(snapshot_rootfd(ss->snap), tmp, &lo, &res, err) < 0)
		return -1;
	if (lseek(tmp, 0, SEEK_SET) < 0)
		return kerr_errno(err, errno, "cannot read back in '%s/kiln/ingest'", b->st.root);
	eo.chown = 0;
	if (layer_extract_fd(dfd, tmp, &eo, NULL, err) < 0)
		return kerr_wrap(err, "-o type=local,dest=%s", dest);
	return 0;
}

int output_deliver(struct build *b, struct stage_state *ss, const char *id,
		   const struct oci_descriptor *manifest, struct kerr *err)
{
	if (!b->o->tags.n &&
	    store_keep(&b->st, manifest, err) < 0)
		return -1;
	for (size_t i = 0; i < b->o->tags.n; i++) {
		if (store_tag(&b->st, manifest, b->o->tags.v[i], err) < 0)
			return -1;
	}
	progress_note(&b->pr, "writing image %s done", id);
	for (size_t i = 0; i < b->o->tags.n; i++)
		progress_note(&b->pr, "naming to %s done", b->o->tags.v[i]);
	for (size_t i = 0; i < b->o->outputs.n; i++) {
		char *type, *dest;
		struct stat st;
		bool dir, oci, archive;
		int r, tar;

		if (parse_output(b->o->outputs.v[i], &type, &dest, &tar, err) < 0)
			return -1;
		oci = !strcmp(type, "oci");
		/* the archive writer is an option of the store: without it
		 * these calls are compiled out */
		archive = IS_ENABLED(CONFIG_STORE_ARCHIVE) && (oci || !strcmp(type, "docker"));
		/* a directory, or a name that says it is one, gets a layout */
		dir = *dest && (dest[strlen(dest) - 1] == '/' ||
				(stat(dest, &st) == 0 && S_ISDIR(st.st_mode)));
		if (tar >= 0 && !oci)
			r = kerr_input(err, "-o type=%s: tar= is for type=oci", type);
		else if (!archive && (oci || !strcmp(type, "docker")))
			r = kerr_input(err, "-o type=%s is not in this build (CONFIG_STORE_ARCHIVE=n)",
				       type);
		else if (archive && oci && (tar == 0 || (tar < 0 && dir)))
			r = write_layout(b, id, dest, err);
		else if (archive && dir)
			r = kerr_input(err, "-o type=%s: '%s' is a directory and the archive a file%s",
				       type, dest, oci ? " (tar=false writes a layout)" : "");
		else if (archive)
			r = write_archive(b, id, !oci, dest, err);
		else if (!strcmp(type, "tar"))
			r = write_rootfs_tar(b, ss, dest, err);
		else if (!strcmp(type, "local"))
			r = write_rootfs_dir(b, ss, dest, err);
		else
			r = kerr_input(err, "-o type=%s: kiln writes oci, docker, tar and local", type);
		if (r >= 0)
			progress_note(&b->pr, "exporting to %s %s done", type, dest);
		free(type);
		free(dest);
		if (r < 0)
			return -1;
	}
	if (b->o->iidfile &&
	    atomic_write_at(AT_FDCWD, b->o->iidfile, id, strlen(id), 0644, err) < 0)
		return kerr_wrap(err, "--iidfile");
	return 0;
}
