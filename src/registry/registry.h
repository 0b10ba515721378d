/* registry.h: the OCI distribution API as kiln uses it: a repository of a
 * registry reached over HTTP(S) with authentication, and pull and push
 * between it and the local store. */
#ifndef KILN_REGISTRY_REGISTRY_H
#define KILN_REGISTRY_REGISTRY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "image/descriptor.h"
#include "image/platform.h"
#include "image/ref.h"
#include "registry/auth.h"
#include "registry/http.h"
#include "store/store.h"
#include "util/sha256.h"

/* what a user sets on the command line (pull, push, login, build) */
struct reg_opts {
	int tls_verify;		/* -1: by the insecure list; 0: off, plain HTTP allowed; 1: on */
	const char *creds;	/* --creds USER[:PASS] */
	int jobs;		/* blobs moved at once; <= 0: 3, as docker */
	FILE *out;		/* docker's lines go here; NULL: nowhere */
	bool quiet;		/* only the last line (the reference, the digest) */
};

#define REG_OPTS_INIT { -1, NULL, 0, NULL, false }

/* One repository of one registry. Its token cache and challenge are
 * shared by the threads that move blobs; each thread has its own HTTP
 * client (reg_conn). */
struct reg_repo {
	char *registry;		/* "127.0.0.1:5000", "docker.io" */
	char *path;		/* "library/busybox" */
	char *base;		/* "https://registry-1.docker.io": scheme and authority */
	char *scope;		/* "repository:library/busybox:pull,push" */
	struct http_tls tls;
	bool plain;		/* reached over plain HTTP */
	struct reg_creds creds;
	pthread_mutex_t lock;	/* guards what follows */
	struct reg_challenge challenge;	/* the last 401's, scheme NULL before any */
	struct reg_tokens tokens;
	char *auth;		/* the Authorization line in use, or NULL */
	unsigned auth_gen;	/* bumped whenever auth changes */
};

/* an HTTP client of one thread, talking to one repository */
struct reg_conn {
	struct reg_repo *repo;
	struct http_client http;
};

/* Reaches the repository of ref: checks /v2/ over HTTPS (or plain HTTP when
 * the registry is insecure and HTTPS is not there), loads the credentials
 * (--creds, else the stored ones) and learns how the registry wants them.
 * push asks for push access as well as pull. */
int reg_repo_open(struct reg_repo *r, const struct img_ref *ref, bool push,
		  const struct reg_opts *o, struct kerr *err);
void reg_repo_close(struct reg_repo *r);
void reg_conn_init(struct reg_conn *c, struct reg_repo *r);
void reg_conn_release(struct reg_conn *c);

/* http_do with the repository's Authorization; a 401 fetches a token (or
 * sends Basic credentials) and tries once more. path is relative to
 * /v2/<name>/ ("manifests/1", "blobs/sha256:..") or an absolute URL
 * (an upload's Location). Any status is a success: the caller checks it. */
int reg_do(struct reg_conn *c, const char *method, const char *path,
	   const struct strvec *headers, struct http_body body, bool follow,
	   struct http_response *resp, struct kerr *err);
/* "PUT manifests/1: 400 Bad Request: MANIFEST_INVALID: ..." from a
 * response the caller did not expect; reads (a bounded part of) the body */
int reg_status_error(struct http_response *resp, const char *what, struct kerr *err);

/* --- The distribution API ------------------------------------------------ */

/* A manifest or index by tag or digest, its bytes checked against the
 * digest asked for and against Docker-Content-Digest. */
struct reg_manifest {
	struct strbuf body;
	char *media_type;
	char digest[DIGEST_STR_LEN];
};

#define REG_MANIFEST_LIMIT (4u << 20)	/* as distribution's own limit */

int reg_manifest_get(struct reg_conn *c, const char *reference, struct reg_manifest *m,
		     struct kerr *err);
void reg_manifest_clear(struct reg_manifest *m);
/* PUT under reference (a tag or the digest); digest receives the
 * registry's Docker-Content-Digest, checked against the bytes */
int reg_manifest_put(struct reg_conn *c, const char *reference, const char *media_type,
		     const void *body, size_t len, struct kerr *err);
/* 1 the registry has the blob, 0 it does not */
int reg_blob_exists(struct reg_conn *c, const char *digest, struct kerr *err);
/* The blob into the store, hashed while written; a connection that drops
 * is resumed with Range where the registry allows it. A blob whose bytes
 * do not match its digest or size is deleted, and is an error naming it.
 * With out, the checked blob is left there to publish (or abort) later. */
int reg_blob_fetch(struct reg_conn *c, struct store *st, const struct oci_descriptor *d,
		   struct store_blob *out, struct kerr *err);
/* 1 mounted from the repository from on the same registry, 0 not */
int reg_blob_mount(struct reg_conn *c, const char *digest, const char *from,
		   struct kerr *err);
/* the store's blob, uploaded: POST, then one PUT for small blobs or PATCH
 * chunks and a closing PUT for large ones */
int reg_blob_upload(struct reg_conn *c, struct store *st, const struct oci_descriptor *d,
		    struct kerr *err);

/* Runs fn for items 0..n-1 on up to jobs threads, each with a connection
 * of its own; stops handing out items after the first error, which is the
 * one returned. */
typedef int (*reg_each_fn)(struct reg_conn *c, size_t i, void *arg, struct kerr *err);
int reg_each(struct reg_repo *r, size_t n, int jobs, reg_each_fn fn, void *arg,
	     struct kerr *err);

/* --- Pull and push ------------------------------------------------------- */

/* pull the image name (a reference) for platform want (NULL: the host) into
 * st and name it; prints docker's lines unless o->quiet. Nothing is named
 * before every blob of the image is in the store and checked. */
struct reg_pull_result {
	char digest[DIGEST_STR_LEN];	/* what the reference names: manifest or index */
	char *name;			/* the familiar name it is stored under */
	bool updated;			/* false: the store had it all */
};

int reg_pull(struct store *st, const char *name, const struct oci_platform *want,
	     const struct reg_opts *o, struct reg_pull_result *res, struct kerr *err);
void reg_pull_result_clear(struct reg_pull_result *res);

/* push the store's image src to dest (NULL: src's own name) */
struct reg_push_opts {
	struct reg_opts reg;
	bool docker_format;	/* Docker media types (the digest changes) */
};

int reg_push(struct store *st, const char *src, const char *dest,
	     const struct reg_push_opts *o, char digest[DIGEST_STR_LEN], int64_t *size,
	     struct kerr *err);

/* 'kiln login': checks the credentials against the registry; 0 when they
 * work, an input error when they are refused */
int reg_login_check(const char *registry, const struct reg_creds *c, const struct reg_opts *o,
		    struct kerr *err);

/* "docker.io" -> "registry-1.docker.io", others as they are */
const char *reg_api_host(const char *registry);

#endif
