/* tls.c: TLS for registries over mbedtls 2.28, which speaks TLS 1.2 and not
 * 1.3: SNI, certificates checked against the system CAs and certs.d files. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "registry/http-internal.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct tls_conn {
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt extra_ca;
	mbedtls_x509_crt own_cert;
	mbedtls_pk_context own_key;
	char *authority;
	int fd;
	int stall_ms;
	bool closing;
	struct kerr ioerr;	/* what the socket said when mbedtls saw it fail */
};

/*
 * The system CA set, parsed once per process (about 140 certificates) the
 * first time a connection needs it. Checking a chain against it writes
 * caches into the CA's key (RSA's R^2 mod N, an EC group's comb table), and
 * the static mbedtls is built without MBEDTLS_THREADING_C, so those checks
 * take turns under sys_ca_lock. The handshake itself never touches the set.
 */
static mbedtls_x509_crt sys_ca;
static int sys_ca_n;
static pthread_once_t sys_ca_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t sys_ca_lock = PTHREAD_MUTEX_INITIALIZER;

/* bundles of the common distributions, Debian's (and Alpine's) first */
static const char *const ca_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
};

static int crt_count(const mbedtls_x509_crt *c)
{
	int n = 0;

	for (; c && c->raw.len; c = c->next)
		n++;
	return n;
}

static void load_sys_ca(void)
{
	const char *file = getenv("SSL_CERT_FILE"), *dir = getenv("SSL_CERT_DIR");

	mbedtls_x509_crt_init(&sys_ca);
	if ((file && *file) || (dir && *dir)) {
		/* as OpenSSL and Go: these replace the defaults */
		if (file && *file)
			mbedtls_x509_crt_parse_file(&sys_ca, file);
		while (dir && *dir) {
			size_t n = strcspn(dir, ":");
			char *d = xstrndup(dir, n);

			mbedtls_x509_crt_parse_path(&sys_ca, d);
			free(d);
			dir += n + (dir[n] == ':');
		}
	} else {
		for (size_t i = 0; i < sizeof(ca_bundles) / sizeof(*ca_bundles) &&
				   !crt_count(&sys_ca); i++)
			mbedtls_x509_crt_parse_file(&sys_ca, ca_bundles[i]);
		if (!crt_count(&sys_ca))
			mbedtls_x509_crt_parse_path(&sys_ca, "/etc/ssl/certs");
	}
	sys_ca_n = crt_count(&sys_ca);
}

/* mbedtls's text without its "SSL - " prefix, lowercase */
static void tls_strerror(int ret, char *buf, size_t size)
{
	char raw[200];
	const char *p;

	mbedtls_strerror(ret, raw, sizeof(raw));
	p = strstr(raw, " - ");
	p = p ? p + 3 : raw;
	snprintf(buf, size, "%s", p);
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] + 32);
}

static int tls_fail(struct tls_conn *t, int ret, const char *doing, struct kerr *err)
{
	char msg[200];

	if ((ret == MBEDTLS_ERR_NET_SEND_FAILED || ret == MBEDTLS_ERR_NET_RECV_FAILED) &&
	    t->ioerr.msg) {
		kerr_clear(err);
		*err = t->ioerr;
		t->ioerr = (struct kerr)KERR_INIT;
		return -1;
	}
	if (ret == MBEDTLS_ERR_SSL_CONN_EOF) {
		kerr_set(err, "tls: %s: %s: the server closed the connection", t->authority, doing);
		err->errnum = ECONNRESET;
		return -1;
	}
	tls_strerror(ret, msg, sizeof(msg));
	kerr_set(err, "tls: %s: %s: %s%s", t->authority, doing, msg,
		 ret == MBEDTLS_ERR_SSL_INVALID_RECORD ? " (does the server speak plain HTTP?)" : "");
	return -1;
}

static const char *alert_name(int d)
{
	switch (d) {
	case 10: return "unexpected message";
	case 20: return "bad record mac";
	case 40: return "handshake failure";
	case 42: return "bad certificate";
	case 43: return "unsupported certificate";
	case 44: return "certificate revoked";
	case 45: return "certificate expired";
	case 46: return "certificate unknown";
	case 47: return "illegal parameter";
	case 48: return "unknown CA";
	case 49: return "access denied";
	case 50: return "decode error";
	case 51: return "decrypt error";
	case 70: return "protocol version";
	case 71: return "insufficient security";
	case 80: return "internal error";
	case 112: return "unrecognized name";
	case 116: return "certificate required";
	default: return NULL;
	}
}

/*
 * The alert a server sent as it refused the handshake. A server that drops
 * the connection right after it (as one refusing a client certificate does)
 * makes the client's next write fail first, so the alert is looked for on
 * the socket too: a plaintext alert record is 7 bytes.
 */
static int peer_alert(struct tls_conn *t, int ret)
{
	unsigned char b[7];

	if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && t->ssl.in_msg)
		return t->ssl.in_msg[1];
	if (ret != MBEDTLS_ERR_NET_SEND_FAILED && ret != MBEDTLS_ERR_NET_RECV_FAILED)
		return -1;
	if (recv(t->fd, b, sizeof(b), MSG_DONTWAIT) == (ssize_t)sizeof(b) &&
	    b[0] == MBEDTLS_SSL_MSG_ALERT && b[1] == 3 && b[3] == 0 && b[4] == 2)
		return b[6];
	return -1;
}

static int handshake_failed(struct tls_conn *t, int ret, const struct http_tls *cfg,
			    struct kerr *err)
{
	int alert = peer_alert(t, ret);
	const char *name = alert >= 0 ? alert_name(alert) : NULL;
	char num[16];

	if (alert < 0) {
		tls_fail(t, ret, "handshake failed", err);
		if (ret == MBEDTLS_ERR_NET_SEND_FAILED || ret == MBEDTLS_ERR_NET_RECV_FAILED)
			kerr_wrap(err, "tls: %s: handshake failed", t->authority);
		return -1;
	}
	if (!name) {
		snprintf(num, sizeof(num), "%d", alert);
		name = num;
	}
	/* a refusal, not a network failure: errnum 0, nothing retries it */
	return kerr_set(err, "tls: %s: handshake failed: the server sent alert '%s'%s",
			t->authority, name,
			!cfg->cert_file && (alert == 40 || alert == 42 || alert == 116)
				? " (does it want a client certificate?)" : "");
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn *t = ctx;
	ssize_t n;

	if (len > INT_MAX)
		len = INT_MAX;
	if (t->closing) {
		/* close_notify is a courtesy: never wait for it */
		n = send(t->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		return n < 0 ? MBEDTLS_ERR_NET_SEND_FAILED : (int)n;
	}
	n = net_send(t->fd, buf, len, t->stall_ms, &t->ioerr);
	return n < 0 ? MBEDTLS_ERR_NET_SEND_FAILED : (int)n;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tls_conn *t = ctx;
	ssize_t n;

	if (len > INT_MAX)
		len = INT_MAX;
	n = net_recv(t->fd, buf, len, t->stall_ms, &t->ioerr);
	return n < 0 ? MBEDTLS_ERR_NET_RECV_FAILED : (int)n;
}

/* an IP literal host against the certificate's iPAddress names (mbedtls 2.28
 * checks only DNS names), or its CN when it has no alt names */
static bool ip_matches(const mbedtls_x509_crt *crt, const char *host)
{
	unsigned char a[16];
	size_t alen = inet_pton(AF_INET, host, a) == 1 ? 4 : 16;

	if (alen == 16 && inet_pton(AF_INET6, host, a) != 1)
		return false;
	if (crt->ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME) {
		for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s; s = s->next)
			if ((s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK) ==
				    MBEDTLS_X509_SAN_IP_ADDRESS &&
			    s->buf.len == alen && !memcmp(s->buf.p, a, alen))
				return true;
		return false;
	}
	for (const mbedtls_x509_name *n = &crt->subject; n; n = n->next)
		if (!MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) && n->val.len == strlen(host) &&
		    !memcmp(n->val.p, host, n->val.len))
			return true;
	return false;
}

/* the names a certificate is for, for the message when host is not one */
static void cert_names(const mbedtls_x509_crt *crt, struct strbuf *sb)
{
	int n = 0;

	if (crt->ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME) {
		for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s && n < 4;
		     s = s->next) {
			int type = s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK;
			char ip[INET6_ADDRSTRLEN];

			if (type == MBEDTLS_X509_SAN_DNS_NAME) {
				strbuf_addf(sb, "%s'%.*s'", n++ ? ", " : "", (int)s->buf.len,
					    (const char *)s->buf.p);
			} else if (type == MBEDTLS_X509_SAN_IP_ADDRESS &&
				   (s->buf.len == 4 || s->buf.len == 16) &&
				   inet_ntop(s->buf.len == 4 ? AF_INET : AF_INET6, s->buf.p, ip,
					     sizeof(ip))) {
				strbuf_addf(sb, "%s'%s'", n++ ? ", " : "", ip);
			}
		}
	} else {
		for (const mbedtls_x509_name *nm = &crt->subject; nm; nm = nm->next)
			if (!MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &nm->oid))
				strbuf_addf(sb, "%s'%.*s'", n++ ? ", " : "", (int)nm->val.len,
					    (const char *)nm->val.p);
	}
	for (size_t i = 0; i < sb->len; i++)
		if ((unsigned char)sb->buf[i] < 0x20 || sb->buf[i] == 0x7f)
			sb->buf[i] = '?';
}

static int verify_failed(struct tls_conn *t, const mbedtls_x509_crt *peer, const char *host,
			 uint32_t flags, struct kerr *err)
{
	static const struct {
		uint32_t flags;
		const char *what;
	} reasons[] = {
		{ MBEDTLS_X509_BADCERT_NOT_TRUSTED, "certificate not trusted (unknown CA)" },
		{ MBEDTLS_X509_BADCERT_EXPIRED, "certificate expired" },
		{ MBEDTLS_X509_BADCERT_FUTURE, "certificate not valid yet" },
		{ MBEDTLS_X509_BADCERT_CN_MISMATCH, NULL },
		{ MBEDTLS_X509_BADCERT_REVOKED, "certificate revoked" },
		{ MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
			  MBEDTLS_X509_BADCERT_NS_CERT_TYPE,
		  "certificate not meant for TLS servers" },
		{ MBEDTLS_X509_BADCERT_BAD_MD, "certificate signed with a weak hash" },
		{ MBEDTLS_X509_BADCERT_BAD_PK | MBEDTLS_X509_BADCERT_BAD_KEY,
		  "certificate with a weak or unsupported key" },
	};
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < sizeof(reasons) / sizeof(*reasons); i++) {
		if (!(flags & reasons[i].flags))
			continue;
		flags &= ~reasons[i].flags;
		if (sb.len)
			strbuf_addstr(&sb, "; ");
		if (reasons[i].what) {
			strbuf_addstr(&sb, reasons[i].what);
		} else {
			struct strbuf names = STRBUF_INIT;

			cert_names(peer, &names);
			strbuf_addf(&sb, "certificate is not for '%s'", host);
			if (names.len)
				strbuf_addf(&sb, " (it is for %s)", names.buf);
			strbuf_release(&names);
		}
	}
	if (flags)
		strbuf_addf(&sb, "%scertificate rejected (mbedtls flags 0x%x)", sb.len ? "; " : "",
			    (unsigned)flags);
	if (!sys_ca_n && !crt_count(&t->extra_ca))
		strbuf_addstr(&sb, "; no CA certificates found on this system (SSL_CERT_FILE)");
	kerr_set(err, "tls: %s: %s", t->authority, sb.buf);
	strbuf_release(&sb);
	return -1;
}

/*
 * The handshake ran with VERIFY_OPTIONAL and no CA chain, so mbedtls
 * checked what needs no CA (dates, key usage, key strength) and the chain
 * is checked here: first against the registry's own CA files, then against
 * the system set, which is what docker and containers do.
 */
static int check_peer(struct tls_conn *t, const char *host, struct kerr *err)
{
	const mbedtls_x509_crt_profile *prof = &mbedtls_x509_crt_profile_default;
	mbedtls_x509_crt *peer = (mbedtls_x509_crt *)mbedtls_ssl_get_peer_cert(&t->ssl);
	bool ip = url_host_is_ip(host), extra = crt_count(&t->extra_ca) > 0;
	const char *cn = ip ? NULL : host;
	uint32_t fe = 0, fs = 0, flags;

	if (!peer)
		return kerr_set(err, "tls: %s: the server sent no certificate", t->authority);
	flags = mbedtls_ssl_get_verify_result(&t->ssl) &
		~(uint32_t)(MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_CN_MISMATCH);
	if (extra)
		mbedtls_x509_crt_verify_with_profile(peer, &t->extra_ca, NULL, prof, cn, &fe, NULL,
						     NULL);
	if (!extra || fe) {
		pthread_once(&sys_ca_once, load_sys_ca);
		pthread_mutex_lock(&sys_ca_lock);
		mbedtls_x509_crt_verify_with_profile(peer, sys_ca_n ? &sys_ca : NULL, NULL, prof, cn,
						     &fs, NULL, NULL);
		pthread_mutex_unlock(&sys_ca_lock);
		/* report what the registry's own CA said when it knew the issuer */
		if (fs)
			flags |= extra && !(fe & MBEDTLS_X509_BADCERT_NOT_TRUSTED) ? fe : fs;
	}
	if (ip && !ip_matches(peer, host))
		flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	return flags ? verify_failed(t, peer, host, flags, err) : 0;
}

static int load_files(struct tls_conn *t, const struct http_tls *cfg, struct kerr *err)
{
	char msg[200];
	int ret;

	for (size_t i = 0; i < cfg->ca_files.n; i++) {
		const char *f = cfg->ca_files.v[i];
		int before = crt_count(&t->extra_ca);

		ret = mbedtls_x509_crt_parse_file(&t->extra_ca, f);
		if (ret || crt_count(&t->extra_ca) == before) {
			if (ret < 0)
				tls_strerror(ret, msg, sizeof(msg));
			else
				snprintf(msg, sizeof(msg), "not a PEM certificate");
			return kerr_input(err, "tls: cannot read CA file '%s': %s", f, msg);
		}
	}
	if (!cfg->cert_file)
		return 0;
	if (!cfg->key_file)
		return kerr_input(err, "tls: client certificate '%s' without its key",
				  cfg->cert_file);
	ret = mbedtls_x509_crt_parse_file(&t->own_cert, cfg->cert_file);
	if (ret) {
		tls_strerror(ret < 0 ? ret : MBEDTLS_ERR_X509_CERT_UNKNOWN_FORMAT, msg, sizeof(msg));
		return kerr_input(err, "tls: cannot read client certificate '%s': %s",
				  cfg->cert_file, msg);
	}
	ret = mbedtls_pk_parse_keyfile(&t->own_key, cfg->key_file, NULL);
	if (ret) {
		tls_strerror(ret, msg, sizeof(msg));
		return kerr_input(err, "tls: cannot read client key '%s': %s", cfg->key_file, msg);
	}
	ret = mbedtls_ssl_conf_own_cert(&t->conf, &t->own_cert, &t->own_key);
	if (ret) {
		tls_strerror(ret, msg, sizeof(msg));
		return kerr_input(err, "tls: client certificate '%s': %s", cfg->cert_file, msg);
	}
	return 0;
}

int tls_connect(int fd, const char *host, const char *authority, const struct http_tls *cfg,
		int stall_ms, struct tls_conn **out, struct kerr *err)
{
	static const struct http_tls defaults = HTTP_TLS_INIT;
	static const char pers[] = "kiln tls";
	struct tls_conn *t = xcalloc(1, sizeof(*t));
	int ret;

	if (!cfg)
		cfg = &defaults;
	t->fd = fd;
	t->stall_ms = stall_ms;
	t->authority = xstrdup(authority);
	mbedtls_ssl_init(&t->ssl);
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_entropy_init(&t->entropy);
	mbedtls_ctr_drbg_init(&t->drbg);
	mbedtls_x509_crt_init(&t->extra_ca);
	mbedtls_x509_crt_init(&t->own_cert);
	mbedtls_pk_init(&t->own_key);

	/* per connection: a DRBG is not safe to share between threads */
	ret = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
				    (const unsigned char *)pers, sizeof(pers) - 1);
	if (ret) {
		tls_fail(t, ret, "cannot seed the random generator", err);
		goto fail;
	}
	ret = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
					  MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret) {
		tls_fail(t, ret, "setup", err);
		goto fail;
	}
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
	mbedtls_ssl_conf_authmode(&t->conf, cfg->verify ? MBEDTLS_SSL_VERIFY_OPTIONAL
							: MBEDTLS_SSL_VERIFY_NONE);
	if (load_files(t, cfg, err) < 0)
		goto fail;
	ret = mbedtls_ssl_setup(&t->ssl, &t->conf);
	/* SNI carries names only (RFC 6066 3) */
	if (!ret && !url_host_is_ip(host))
		ret = mbedtls_ssl_set_hostname(&t->ssl, host);
	if (ret) {
		tls_fail(t, ret, "setup", err);
		goto fail;
	}
	mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
	while ((ret = mbedtls_ssl_handshake(&t->ssl))) {
		if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
			handshake_failed(t, ret, cfg, err);
			goto fail;
		}
	}
	if (cfg->verify && check_peer(t, host, err) < 0)
		goto fail;
	*out = t;
	return 0;
fail:
	t->closing = true;
	tls_free(t);
	return -1;
}

ssize_t tls_recv(struct tls_conn *t, void *buf, size_t len, int stall_ms, struct kerr *err)
{
	if (len > INT_MAX)
		len = INT_MAX;
	t->stall_ms = stall_ms;
	for (;;) {
		int r = mbedtls_ssl_read(&t->ssl, buf, len);

		if (r >= 0)
			return r;
		/* a peer that just closes the socket ends the stream too: the
		 * framing of the body tells whether anything is missing */
		if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || r == MBEDTLS_ERR_SSL_CONN_EOF)
			return 0;
		if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE)
			return tls_fail(t, r, "read", err);
	}
}

ssize_t tls_send(struct tls_conn *t, const void *buf, size_t len, int stall_ms,
		 struct kerr *err)
{
	t->stall_ms = stall_ms;
	for (;;) {
		int r = mbedtls_ssl_write(&t->ssl, buf, len);

		if (r >= 0)
			return r;
		if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE)
			return tls_fail(t, r, "write", err);
	}
}

bool tls_pending(struct tls_conn *t)
{
	return mbedtls_ssl_get_bytes_avail(&t->ssl) > 0;
}

void tls_free(struct tls_conn *t)
{
	if (!t)
		return;
	if (!t->closing) {
		t->closing = true;
		mbedtls_ssl_close_notify(&t->ssl);
	}
	mbedtls_ssl_free(&t->ssl);
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
	mbedtls_x509_crt_free(&t->extra_ca);
	mbedtls_x509_crt_free(&t->own_cert);
	mbedtls_pk_free(&t->own_key);
	kerr_clear(&t->ioerr);
	free(t->authority);
	free(t);
}
