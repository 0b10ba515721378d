/* emulate.c: other CPUs' binaries in kiln's containers: natively, through
 * the host's binfmt_misc entry, or through qemu-user that kiln registers in
 * a binfmt_misc instance of its own user namespace (kernel >= 6.7). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/internal.h"
#include "sandbox/sandbox.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

/* the new mount API (numbers from 424 on are the same on every arch) */
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#define EMU_FSOPEN_CLOEXEC	0x00000001
#define EMU_FSCONFIG_CMD_CREATE	6
#define EMU_FSMOUNT_CLOEXEC	0x00000001

#define HOST_BINFMT_DIR "/proc/sys/fs/binfmt_misc"
#define DEFAULT_QEMU_DIRS "/usr/bin:/usr/libexec/qemu-binfmt"
/* an entry file is a few hundred bytes; a register line under a page */
#define ENTRY_MAX 4096

enum emu_mode { EMU_AUTO, EMU_HOST, EMU_BINFMT, EMU_PTRACE };

/* what one platform was settled as */
struct emu_done {
	const struct arch_platform *p;
	enum sandbox_emu_how how;
	char *interp;
};

static struct emu_done *done;
static size_t ndone;
/* kiln's own binfmt_misc instance: a detached mount, held open for the
 * life of the process, so nothing on any path shows it and it goes with
 * kiln. Once it exists the host's entries no longer apply here: the
 * kernel takes the innermost user namespace that has an instance. */
static int own_fd = -1;
/* the host's entries, read once before kiln's instance hides them */
static struct sandbox_binfmt_entry *host;
static char (*host_names)[64];
static size_t nhost;
static bool host_read, host_enabled;

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "7f454c46..." into buf; the count, or -1 */
static ssize_t parse_hex(const char *s, uint8_t *buf, size_t max)
{
	size_t n = 0;

	while (*s && *s != '\n') {
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);

		if (lo < 0 || n == max)
			return -1;
		buf[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return (ssize_t)n;
}

int sandbox_binfmt_parse(const char *text, struct sandbox_binfmt_entry *e, struct kerr *err)
{
	bool have_mask = false, have_state = false;
	ssize_t n;

	memset(e, 0, sizeof(*e));
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		cleanup_free char *line = xstrndup(text, len);
		char *v;

		text += len + (nl ? 1 : 0);
		if (!strcmp(line, "enabled") || !strcmp(line, "disabled")) {
			e->enabled = line[0] == 'e';
			have_state = true;
		} else if (!strncmp(line, "interpreter ", 12)) {
			snprintf(e->interpreter, sizeof(e->interpreter), "%s", line + 12);
		} else if (!strncmp(line, "flags: ", 7) || !strcmp(line, "flags:")) {
			snprintf(e->flags, sizeof(e->flags), "%s", line[6] ? line + 7 : "");
		} else if (!strncmp(line, "offset ", 7)) {
			e->offset = (unsigned)strtoul(line + 7, &v, 10);
			if (*v)
				return kerr_input(err, "binfmt_misc entry: bad offset '%s'", line + 7);
		} else if (!strncmp(line, "magic ", 6)) {
			n = parse_hex(line + 6, e->magic, sizeof(e->magic));
			if (n <= 0)
				return kerr_input(err, "binfmt_misc entry: bad magic '%s'", line + 6);
			e->magic_type = true;
			e->len = (size_t)n;
		} else if (!strncmp(line, "mask ", 5)) {
			n = parse_hex(line + 5, e->mask, sizeof(e->mask));
			if (n <= 0)
				return kerr_input(err, "binfmt_misc entry: bad mask '%s'", line + 5);
			have_mask = true;
		}
		/* "extension .exe" and anything newer kernels add: not ours */
	}
	if (!have_state)
		return kerr_input(err, "binfmt_misc entry: no enabled or disabled line");
	if (e->magic_type && !have_mask)
		memset(e->mask, 0xff, e->len);
	return 0;
}

bool sandbox_binfmt_matches(const struct sandbox_binfmt_entry *e,
			    const struct arch_platform *p)
{
	/* e_type's low byte: 16 little-endian, 17 big-endian */
	size_t type_at = p->elf_data == ELFDATA2MSB ? 17 : 16;

	if (!e->magic_type || !e->len || e->offset + e->len > ARCH_BINFMT_LEN)
		return false;
	for (int type = ET_EXEC; type <= ET_DYN; type++) {
		uint8_t sample[ARCH_BINFMT_LEN];

		memcpy(sample, p->binfmt_magic, sizeof(sample));
		sample[type_at] = (uint8_t)type;
		for (size_t i = 0; i < e->len; i++)
			if ((sample[e->offset + i] & e->mask[i]) != (e->magic[i] & e->mask[i]))
				return false;
	}
	return true;
}

static void add_escaped(struct strbuf *sb, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		strbuf_addf(sb, "\\x%02x", b[i]);
}

char *sandbox_binfmt_rule(const struct arch_platform *p, const char *interp,
			  const char *flags)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, ":kiln-%s:M::", p->arch);
	add_escaped(&sb, p->binfmt_magic, ARCH_BINFMT_LEN);
	strbuf_addch(&sb, ':');
	add_escaped(&sb, p->binfmt_mask, ARCH_BINFMT_LEN);
	strbuf_addf(&sb, ":%s:%s", interp, flags);
	return strbuf_detach(&sb, NULL);
}

/* a copy of a host entry for kiln's instance: same match and interpreter,
 * F added (the container root does not have the interpreter) */
static char *mirror_rule(const char *name, const struct sandbox_binfmt_entry *e)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, ":kiln-%s:M:%u:", name, e->offset);
	add_escaped(&sb, e->magic, e->len);
	strbuf_addch(&sb, ':');
	add_escaped(&sb, e->mask, e->len);
	strbuf_addf(&sb, ":%s:%s%s", e->interpreter, e->flags, strchr(e->flags, 'F') ? "" : "F");
	return strbuf_detach(&sb, NULL);
}

bool sandbox_kernel_at_least(const char *release, int major, int minor)
{
	char *end;
	long ma = strtol(release, &end, 10), mi = 0;

	if (*end == '.')
		mi = strtol(end + 1, NULL, 10);
	return ma > major || (ma == major && mi >= minor);
}

/* no PT_INTERP: a dynamic qemu would look for its loader and libraries in
 * the container's root, where they are not */
static bool elf_static(int fd)
{
	unsigned char ident[EI_NIDENT];
	Elf64_Ehdr h64;
	Elf32_Ehdr h32;
	uint64_t phoff;
	unsigned phnum, phentsize;

	if (pread(fd, ident, sizeof(ident), 0) != (ssize_t)sizeof(ident) ||
	    memcmp(ident, ELFMAG, SELFMAG))
		return false;
	if (ident[EI_CLASS] == ELFCLASS64) {
		if (pread(fd, &h64, sizeof(h64), 0) != (ssize_t)sizeof(h64))
			return false;
		phoff = h64.e_phoff, phnum = h64.e_phnum, phentsize = h64.e_phentsize;
	} else {
		if (pread(fd, &h32, sizeof(h32), 0) != (ssize_t)sizeof(h32))
			return false;
		phoff = h32.e_phoff, phnum = h32.e_phnum, phentsize = h32.e_phentsize;
	}
	for (unsigned i = 0; i < phnum; i++) {
		uint32_t type;

		/* p_type is the first word of both program header forms */
		if (pread(fd, &type, sizeof(type), (off_t)(phoff + (uint64_t)i * phentsize)) !=
		    (ssize_t)sizeof(type))
			return false;
		if (type == PT_INTERP)
			return false;
	}
	return true;
}

/* path names an executable file: 1 static, 0 dynamic, -1 none */
static int probe(const char *path)
{
	cleanup_close int fd = -1;
	struct stat st;

	if (access(path, X_OK) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	return elf_static(fd) ? 1 : 0;
}

char *sandbox_find_qemu(const struct arch_platform *p, struct kerr *err)
{
	cleanup_strvec struct strvec path = STRVEC_INIT;
	cleanup_strvec struct strvec extra = STRVEC_INIT;
	cleanup_free char *dynamic = NULL;
	const char *env = getenv("PATH"), *dirs = getenv("KILN_QEMU_DIRS");
	char name[32];
	char *names[3];

	if (env && *env)
		strvec_split(&path, env, ':');
	strvec_split(&extra, dirs ? dirs : DEFAULT_QEMU_DIRS, ':');
	names[0] = xasprintf("qemu-%s-static", p->qemu);
	names[1] = xasprintf("qemu-%s", p->qemu);
	names[2] = xasprintf("%s-binfmt-P", p->qemu);
	for (size_t k = 0; k < 3; k++) {
		for (size_t i = 0; i < path.n + extra.n; i++) {
			bool in_path = i < path.n;
			const char *d = in_path ? path.v[i] : extra.v[i - path.n];
			char *c;
			int r;

			/* Debian's <qemu>-binfmt-P links live outside PATH */
			if (!*d || (k == 2 && in_path))
				continue;
			c = xasprintf("%s/%s", d, names[k]);
			r = probe(c);
			if (r > 0) {
				for (size_t j = 0; j < 3; j++)
					free(names[j]);
				return c;
			}
			if (r == 0 && !dynamic)
				dynamic = steal_ptr(c);
			free(c);
		}
	}
	for (size_t j = 0; j < 3; j++)
		free(names[j]);
	arch_platform_name(p, name);
	if (dynamic)
		return kerr_input(err, "linux/%s needs a static qemu-user: '%s' is dynamically "
				  "linked and cannot start inside a container; install "
				  "qemu-user-static", name, dynamic), NULL;
	return kerr_input(err, "linux/%s needs qemu-user (qemu-%s-static or qemu-%s not found "
			  "in PATH); install qemu-user-static", name, p->qemu, p->qemu), NULL;
}

/* the last mount at HOST_BINFMT_DIR is a binfmt_misc? Reading the directory
 * when it is an autofs trigger would have the host mount it. */
static bool host_binfmt_mounted(void)
{
	cleanup_strbuf struct strbuf mi = STRBUF_INIT;
	struct kerr err = KERR_INIT;
	bool mounted = false;
	const char *s;

	if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", &mi, 16u << 20, &err) < 0) {
		kerr_clear(&err);
		return false;
	}
	for (s = mi.buf; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		/* id parent major:minor root MOUNTPOINT options... - FSTYPE */
		const char *mp = s, *dash;
		int field;

		for (field = 0; field < 4 && mp; field++) {
			mp = strchr(mp, ' ');
			mp = mp ? mp + 1 : NULL;
		}
		if (!mp || strncmp(mp, HOST_BINFMT_DIR " ", strlen(HOST_BINFMT_DIR) + 1))
			continue;
		dash = strstr(mp, " - ");
		mounted = dash && !strncmp(dash + 3, "binfmt_misc ", 12);
	}
	return mounted;
}

static void read_host_entries(void)
{
	cleanup_strbuf struct strbuf st = STRBUF_INIT;
	struct kerr serr = KERR_INIT;
	cleanup_dir DIR *d = NULL;
	struct dirent *de;

	if (host_read)
		return;
	host_read = true;
	if (!host_binfmt_mounted())
		return;
	if (read_file_at(AT_FDCWD, HOST_BINFMT_DIR "/status", &st, ENTRY_MAX, &serr) < 0)
		kerr_clear(&serr);
	host_enabled = !strncmp(st.buf, "enabled", 7);
	d = opendir(HOST_BINFMT_DIR);
	while (d && (de = readdir(d))) {
		cleanup_strbuf struct strbuf text = STRBUF_INIT;
		struct kerr err = KERR_INIT;
		struct sandbox_binfmt_entry e;
		cleanup_free char *path = NULL;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "register") ||
		    !strcmp(de->d_name, "status") || strlen(de->d_name) >= 64)
			continue;
		path = xasprintf(HOST_BINFMT_DIR "/%s", de->d_name);
		if (read_file_at(AT_FDCWD, path, &text, ENTRY_MAX, &err) < 0 ||
		    sandbox_binfmt_parse(text.buf, &e, &err) < 0) {
			log_debug("%s: %s", path, err.msg);
			kerr_clear(&err);
			continue;
		}
		host = xrealloc(host, (nhost + 1) * sizeof(*host));
		host_names = xrealloc(host_names, (nhost + 1) * sizeof(*host_names));
		host[nhost] = e;
		/* the name is shorter than 64: checked above */
		memcpy(host_names[nhost], de->d_name, strlen(de->d_name) + 1);
		nhost++;
	}
}

/* the host entry that would run p and could from a container, else NULL
 * and why not (for the report) */
static const struct sandbox_binfmt_entry *host_entry(const struct arch_platform *p,
						     struct strbuf *why, size_t *index)
{
	read_host_entries();
	if (!host_enabled) {
		strbuf_addstr(why, nhost ? "host binfmt_misc is disabled" :
			      "no host binfmt_misc entry");
		return NULL;
	}
	for (size_t i = 0; i < nhost; i++) {
		const struct sandbox_binfmt_entry *e = &host[i];

		if (!sandbox_binfmt_matches(e, p))
			continue;
		strbuf_setlen(why, 0);
		if (!e->enabled)
			strbuf_addf(why, "host entry '%s' is disabled", host_names[i]);
		else if (!strchr(e->flags, 'F'))
			strbuf_addf(why, "host entry '%s' lacks flag F (its interpreter is not "
				    "in a container's root)", host_names[i]);
		else if (!strchr(e->flags, 'P'))
			strbuf_addf(why, "host entry '%s' lacks flag P (busybox applets would "
				    "break)", host_names[i]);
		else if (access(e->interpreter, X_OK) < 0)
			strbuf_addf(why, "host entry '%s': interpreter '%s' is missing",
				    host_names[i], e->interpreter);
		else {
			*index = i;
			return e;
		}
	}
	if (!why->len)
		strbuf_addstr(why, "no host binfmt_misc entry");
	return NULL;
}

static int emu_mode(enum emu_mode *mode, struct kerr *err)
{
	const char *m = getenv("KILN_EMULATION");

	*mode = EMU_AUTO;
	if (!m || !*m || !strcmp(m, "auto"))
		return 0;
	if (!strcmp(m, "host"))
		*mode = EMU_HOST;
	else if (!strcmp(m, "binfmt"))
		*mode = EMU_BINFMT;
#ifdef CONFIG_EMULATION_PTRACE
	else if (!strcmp(m, "ptrace"))
		*mode = EMU_PTRACE;
	else
		return kerr_input(err, "KILN_EMULATION '%s': expected auto, host, binfmt or ptrace",
				  m);
#else
	else
		return kerr_input(err, "KILN_EMULATION '%s': expected auto, host or binfmt", m);
#endif
	return 0;
}

static int write_rule(const char *rule, const char *name, struct kerr *err)
{
	cleanup_close int fd = openat(own_fd, "register", O_WRONLY | O_CLOEXEC);

	log_debug("binfmt_misc: %s", rule);
	if (fd < 0 || write_all(fd, rule, strlen(rule)) < 0)
		return kerr_errno(err, errno, "cannot register '%s' with kiln's binfmt_misc", name);
	return 0;
}

static int too_old(const char *platform, const char *release, struct kerr *err)
{
	return kerr_set(err, "%s needs qemu-user registered in kiln's user namespace, which "
			"needs kernel 6.7 or later (this is %s); register qemu-user-static's "
			"binfmt_misc entries on the host instead", platform, release);
}

/* kiln's binfmt_misc instance, and in it copies of the host entries already
 * in use, which the new instance hides */
static int own_instance(const char *platform, struct kerr *err)
{
	cleanup_close int fs = -1;
	struct utsname u;

	if (own_fd >= 0)
		return 0;
	if (uname(&u) < 0)
		return kerr_errno(err, errno, "uname");
	if (!sandbox_kernel_at_least(u.release, 6, 7))
		return too_old(platform, u.release, err);
	read_host_entries();
	fs = (int)syscall(SYS_fsopen, "binfmt_misc", EMU_FSOPEN_CLOEXEC);
	if (fs < 0 && errno == ENODEV)
		return kerr_set(err, "%s: the kernel has no binfmt_misc (CONFIG_BINFMT_MISC, or "
				"its module is not loaded)", platform);
	if (fs < 0 && (errno == EPERM || errno == ENOSYS))
		return too_old(platform, u.release, err);
	if (fs < 0 || syscall(SYS_fsconfig, fs, EMU_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return kerr_errno(err, errno, "cannot mount binfmt_misc in kiln's user namespace");
	own_fd = (int)syscall(SYS_fsmount, fs, EMU_FSMOUNT_CLOEXEC, 0);
	if (own_fd < 0)
		return kerr_errno(err, errno, "cannot mount binfmt_misc in kiln's user namespace");
	for (size_t i = 0; i < ndone; i++) {
		struct emu_done *d = &done[i];
		size_t k;
		struct strbuf why = STRBUF_INIT;
		const struct sandbox_binfmt_entry *e;
		cleanup_free char *rule = NULL;

		if (d->how != SANDBOX_EMU_HOST_BINFMT)
			continue;
		e = host_entry(d->p, &why, &k);
		strbuf_release(&why);
		/* an arm variant shares its entry with the others */
		d->how = SANDBOX_EMU_KILN_BINFMT;
		if (!e)
			continue;
		for (size_t j = 0; j < i; j++)
			if (done[j].how == SANDBOX_EMU_KILN_BINFMT && !strcmp(done[j].p->arch, d->p->arch))
				e = NULL;
		if (!e)
			continue;
		rule = mirror_rule(d->p->arch, e);
		if (write_rule(rule, host_names[k], err) < 0)
			return -1;
	}
	return 0;
}

static struct emu_done *remember(const struct arch_platform *p, enum sandbox_emu_how how,
				 const char *interp)
{
	done = xrealloc(done, (ndone + 1) * sizeof(*done));
	done[ndone] = (struct emu_done){ p, how, interp ? xstrdup(interp) : NULL };
	return &done[ndone++];
}

/* the traced exec calls (ptrace.c) run p's binaries */
static int use_ptrace(const struct arch_platform *p, const char *platform,
		      enum sandbox_emu_how *how, struct kerr *err)
{
#ifdef CONFIG_EMULATION_PTRACE
	cleanup_free char *qemu = sandbox_find_qemu(p, err);

	if (!qemu)
		return -1;
	if (sbx_ptrace_add(p, qemu, err) < 0)
		return kerr_wrap(err, "%s", platform);
	*how = remember(p, SANDBOX_EMU_PTRACE, qemu)->how;
	log_debug("%s: exec calls traced, run by %s", platform, qemu);
	return 0;
#else
	(void)p, (void)how;
	return kerr_set(err, "%s: kiln's ptrace route is not in this build", platform);
#endif
}

int sandbox_emulation(const char *arch, const char *variant, enum sandbox_emu_how *how,
		      struct kerr *err)
{
	const struct arch_platform *p = arch_find(arch, variant);
	const struct sandbox_binfmt_entry *e = NULL;
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	cleanup_free char *qemu = NULL, *rule = NULL;
	char name[32], platform[40];
	enum emu_mode mode;
	size_t k = 0;

	*how = SANDBOX_EMU_NONE;
	if (!p)
		return kerr_input(err, "platform 'linux/%s%s%s' is not one this kiln can run (see "
				  "'kiln debug platforms')", arch, variant && *variant ? "/" : "",
				  variant && *variant ? variant : "");
	snprintf(platform, sizeof(platform), "linux/%s", arch_platform_name(p, name));
	for (size_t i = 0; i < ndone; i++)
		if (done[i].p == p) {
			*how = done[i].how;
			return 0;
		}
	if (arch_native(p)) {
		*how = remember(p, SANDBOX_EMU_NATIVE, NULL)->how;
		return 0;
	}
	/* v5, v6 and v7 share kiln's entry */
	for (size_t i = 0; i < ndone; i++)
		if (done[i].how == SANDBOX_EMU_KILN_BINFMT && !strcmp(done[i].p->arch, p->arch)) {
			*how = remember(p, SANDBOX_EMU_KILN_BINFMT, done[i].interp)->how;
			return 0;
		}
	if (emu_mode(&mode, err) < 0)
		return -1;
	if (mode == EMU_PTRACE)
		return use_ptrace(p, platform, how, err);
	if (mode != EMU_BINFMT)
		e = host_entry(p, &why, &k);
	if (e && own_fd < 0) {
		*how = remember(p, SANDBOX_EMU_HOST_BINFMT, e->interpreter)->how;
		log_debug("%s: host binfmt_misc entry '%s' (%s)", platform, host_names[k],
			  e->interpreter);
		return 0;
	}
	if (!e && mode == EMU_HOST)
		return kerr_input(err, "%s: %s (KILN_EMULATION=host)", platform, why.buf);
	if (!e) {
		qemu = sandbox_find_qemu(p, err);
		if (!qemu)
			return -1;
		if (strchr(qemu, ':'))
			return kerr_input(err, "'%s': binfmt_misc cannot take a path with ':'", qemu);
	}
	if (own_instance(platform, err) < 0) {
#ifdef CONFIG_EMULATION_PTRACE
		if (mode == EMU_AUTO && !sbx_ptrace_unavailable()) {
			log_debug("%s; tracing exec calls instead", err->msg);
			kerr_clear(err);
			return use_ptrace(p, platform, how, err);
		}
#endif
		return -1;
	}
	rule = e ? mirror_rule(p->arch, e) : sandbox_binfmt_rule(p, qemu, "OPF");
	if (write_rule(rule, e ? host_names[k] : qemu, err) < 0)
		return kerr_wrap(err, "%s", platform);
	*how = remember(p, SANDBOX_EMU_KILN_BINFMT, e ? e->interpreter : qemu)->how;
	log_debug("%s: kiln binfmt_misc entry 'kiln-%s' (%s)", platform, p->arch,
		  done[ndone - 1].interp);
	return 0;
}

/* "7.2.22" from "qemu-aarch64 version 7.2.22 (Debian ...)"; "" on failure */
static void qemu_version(const char *qemu, char *buf, size_t len)
{
	char out[256];
	ssize_t n = 0, r;
	int fds[2];
	pid_t pid;
	char *v, *end;

	buf[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(fds[1], 1);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 2);
		}
		execl(qemu, qemu, "--version", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (pid > 0 && (size_t)n < sizeof(out) - 1 &&
	       ((r = read(fds[0], out + n, sizeof(out) - 1 - (size_t)n)) > 0 ||
		(r < 0 && errno == EINTR)))
		n += r > 0 ? r : 0;
	close(fds[0]);
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	out[n] = '\0';
	v = strstr(out, " version ");
	if (!v)
		return;
	v += 9;
	end = v + strcspn(v, " \n");
	snprintf(buf, len, "%.*s", (int)(end - v), v);
}

/* why the traced exec calls (ptrace.c) cannot run foreign binaries here;
 * NULL when they can */
static const char *ptrace_why(void)
{
#ifdef CONFIG_EMULATION_PTRACE
	return sbx_ptrace_unavailable();
#else
	return "kiln's ptrace route is not in this build";
#endif
}

static void report_one(struct strbuf *out, const struct arch_platform *p, enum emu_mode mode,
		       bool mode_ok, const char *release)
{
	cleanup_strbuf struct strbuf why = STRBUF_INIT;
	const struct sandbox_binfmt_entry *e = NULL;
	cleanup_free char *qemu = NULL;
	struct kerr err = KERR_INIT;
	char name[32], full[40], ver[64];
	size_t k;

	snprintf(full, sizeof(full), "linux/%s", arch_platform_name(p, name));
	strbuf_addf(out, "%-*s  ", SANDBOX_PLATFORM_COLUMN, full);
	if (arch_native(p)) {
		strbuf_addstr(out, "native\n");
		return;
	}
	if (!mode_ok) {
		strbuf_addstr(out, "unavailable: KILN_EMULATION is not auto, host, binfmt or "
			      "ptrace\n");
		return;
	}
	if (mode != EMU_BINFMT && mode != EMU_PTRACE)
		e = host_entry(p, &why, &k);
	if (e) {
		strbuf_addf(out, "host binfmt (%s)\n", e->interpreter);
		return;
	}
	if (mode == EMU_HOST) {
		strbuf_addf(out, "unavailable: %s (KILN_EMULATION=host)\n", why.buf);
		return;
	}
	qemu = sandbox_find_qemu(p, &err);
	if (!qemu) {
		/* the error without its "linux/arm64 needs" subject */
		const char *m = strstr(err.msg, "needs ");

		strbuf_addf(out, "unavailable: %s\n", m ? m : err.msg);
		kerr_clear(&err);
		return;
	}
	if (mode == EMU_PTRACE && ptrace_why()) {
		strbuf_addf(out, "unavailable: %s\n", ptrace_why());
		return;
	}
	if (mode == EMU_PTRACE || (mode == EMU_AUTO && !sandbox_kernel_at_least(release, 6, 7) &&
				   !ptrace_why())) {
		qemu_version(qemu, ver, sizeof(ver));
		strbuf_addf(out, "ptrace (%s%s%s)\n", strrchr(qemu, '/') + 1, ver[0] ? ", " : "",
			    ver);
		return;
	}
	if (!sandbox_kernel_at_least(release, 6, 7)) {
		strbuf_addf(out, "unavailable: kernel %s is older than 6.7, and %s\n", release,
			    why.len ? why.buf : "no host binfmt_misc entry");
		return;
	}
	qemu_version(qemu, ver, sizeof(ver));
	strbuf_addf(out, "kiln binfmt (%s%s%s)\n", strrchr(qemu, '/') + 1, ver[0] ? ", " : "",
		    ver);
}

void sandbox_emulation_report(struct strbuf *out)
{
	struct kerr err = KERR_INIT;
	enum emu_mode mode;
	struct utsname u;
	bool mode_ok = emu_mode(&mode, &err) == 0;

	kerr_clear(&err);
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "0");
	arch_for_each_platform(p)
		report_one(out, p, mode, mode_ok, u.release);
}
