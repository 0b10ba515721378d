/* test-emulate.c: the binfmt_misc tables of arch/, host entries read and
 * matched, the register line, the qemu-user lookup and its errors, which
 * CPUs run which platforms natively. Nothing here mounts or registers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "util/testutil.h"

/* qemu-user-static's aarch64 entry as the kernel shows it */
static const char aarch64_entry[] =
	"enabled\n"
	"interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n"
	"flags: POF\n"
	"offset 0\n"
	"magic 7f454c460201010000000000000000000200b700\n"
	"mask ffffffffffffff00fffffffffffffffffeffffff\n";

static const struct arch_platform *need(const char *arch, const char *variant)
{
	const struct arch_platform *p = arch_find(arch, variant);

	if (!p)
		skip();
	return p;
}

static void test_tables(void **state)
{
	size_t n = 0;

	(void)state;
	arch_for_each_platform(p) {
		bool msb = p->elf_data == ELFDATA2MSB;
		const uint8_t *m = p->binfmt_magic, *k = p->binfmt_mask;

		n++;
		assert_memory_equal(m, ELFMAG, SELFMAG);
		assert_int_equal(m[EI_CLASS], p->elf_class);
		assert_int_equal(m[EI_DATA], p->elf_data);
		assert_int_equal(m[EI_VERSION], EV_CURRENT);
		/* e_type and e_machine in the file's byte order */
		assert_int_equal(msb ? m[16] << 8 | m[17] : m[17] << 8 | m[16], ET_EXEC);
		assert_int_equal(msb ? m[18] << 8 | m[19] : m[19] << 8 | m[18], p->elf_machine);
		/* EI_OSABI free, ET_EXEC/ET_DYN both taken, the rest exact */
		assert_int_equal(k[EI_OSABI], 0);
		assert_int_equal(k[msb ? 17 : 16], 0xfe);
		assert_int_equal(k[msb ? 16 : 17], 0xff);
		assert_int_equal(k[18] & k[19] & k[0] & k[EI_CLASS] & k[EI_DATA], 0xff);
		assert_non_null(p->qemu);
		assert_true(arch_find(p->arch, p->variant) == p);
		/* every native_on name is a platform of the table */
		for (const char *a = p->native_on; a && *a;) {
			size_t len = strcspn(a, " ");
			char name[32];
			bool found = false;

			arch_for_each_platform(q)
				found |= strlen(arch_platform_name(q, name)) == len &&
					 !strncmp(name, a, len);
			assert_true(found);
			a += len + (a[len] == ' ');
		}
	}
	assert_true(n > 0);
}

static void test_machine_names(void **state)
{
	(void)state;
	assert_true(arch_find_machine("x86_64") == need("amd64", NULL));
	assert_true(arch_find_machine("aarch64") == need("arm64", NULL));
	assert_true(arch_find_machine("armv7l") == need("arm", "v7"));
	assert_true(arch_find_machine("armv6l") == need("arm", "v6"));
	assert_true(arch_find_machine("i686") == need("386", NULL));
	assert_null(arch_find_machine("mips64"));
}

static void test_native(void **state)
{
	const struct arch_platform *amd64 = need("amd64", NULL), *i386 = need("386", NULL);
	const struct arch_platform *arm64 = need("arm64", NULL), *v7 = need("arm", "v7");
	const struct arch_platform *v6 = need("arm", "v6");

	(void)state;
	assert_true(arch_runs_on(amd64, amd64, 0));
	assert_true(arch_runs_on(i386, amd64, 1));
	assert_false(arch_runs_on(i386, amd64, 0));
	assert_true(arch_runs_on(v7, arm64, 1));
	assert_false(arch_runs_on(v7, arm64, 0));
	assert_true(arch_runs_on(v6, v7, 1));
	assert_false(arch_runs_on(v7, v6, 1));
	assert_false(arch_runs_on(arm64, amd64, 1));
	assert_false(arch_runs_on(amd64, arm64, 1));
	assert_false(arch_runs_on(amd64, NULL, 1));
	/* this machine runs its own platform */
	if (arch_host())
		assert_true(arch_native(arch_host()));
}

static void test_parse_entry(void **state)
{
	struct sandbox_binfmt_entry e;
	struct kerr err = KERR_INIT;

	(void)state;
	assert_int_equal(sandbox_binfmt_parse(aarch64_entry, &e, &err), 0);
	assert_true(e.enabled);
	assert_true(e.magic_type);
	assert_string_equal(e.interpreter, "/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
	assert_string_equal(e.flags, "POF");
	assert_int_equal(e.offset, 0);
	assert_int_equal(e.len, 20);
	assert_int_equal(e.magic[18], 0xb7);
	assert_int_equal(e.mask[16], 0xfe);
	assert_true(sandbox_binfmt_matches(&e, need("arm64", NULL)));
	assert_false(sandbox_binfmt_matches(&e, need("arm", "v7")));
	assert_false(sandbox_binfmt_matches(&e, need("amd64", NULL)));

	/* an entry that takes ET_EXEC only does not do for PIE binaries */
	assert_int_equal(sandbox_binfmt_parse("enabled\ninterpreter /q\nflags: F\noffset 0\n"
					      "magic 7f454c460201010000000000000000000200b700\n",
					      &e, &err), 0);
	assert_false(sandbox_binfmt_matches(&e, need("arm64", NULL)));

	assert_int_equal(sandbox_binfmt_parse("disabled\ninterpreter /usr/bin/wine\nflags: \n"
					      "extension .exe\n", &e, &err), 0);
	assert_false(e.enabled);
	assert_false(e.magic_type);
	assert_string_equal(e.flags, "");
	assert_false(sandbox_binfmt_matches(&e, need("arm64", NULL)));

	assert_int_equal(sandbox_binfmt_parse("enabled\nmagic 7f4g\n", &e, &err), -1);
	assert_int_equal(err.kind, KERR_INPUT);
	kerr_clear(&err);
	assert_int_equal(sandbox_binfmt_parse("interpreter /x\n", &e, &err), -1);
	kerr_clear(&err);
}

static void test_rule(void **state)
{
	char *r = sandbox_binfmt_rule(need("arm64", NULL), "/usr/bin/qemu-aarch64-static", "OPF");

	(void)state;
	assert_string_equal(r, ":kiln-arm64:M::"
			    "\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00"
			    "\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:"
			    "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff"
			    "\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:"
			    "/usr/bin/qemu-aarch64-static:OPF");
	free(r);
	/* the variants of arm share one entry */
	r = sandbox_binfmt_rule(need("arm", "v6"), "/q", "OPF");
	assert_true(!strncmp(r, ":kiln-arm:M::", 13));
	free(r);
}

/* an ELF executable header without program headers: "static" */
static void write_static(const char *path)
{
	Elf64_Ehdr h;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);

	assert_true(fd >= 0);
	memset(&h, 0, sizeof(h));
	memcpy(h.e_ident, ELFMAG, SELFMAG);
	h.e_ident[EI_CLASS] = ELFCLASS64;
	h.e_ident[EI_DATA] = ELFDATA2LSB;
	h.e_ident[EI_VERSION] = EV_CURRENT;
	h.e_type = ET_EXEC;
	assert_int_equal(write(fd, &h, sizeof(h)), sizeof(h));
	close(fd);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ssize_t n;

	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

static void test_find_qemu(void **state)
{
	const struct arch_platform *arm64 = need("arm64", NULL);
	char *dir = tmpdir_make(), *in_path, *extra, *p, *q;
	char *old_path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	struct kerr err = KERR_INIT;

	(void)state;
	in_path = malloc(strlen(dir) + 8);
	extra = malloc(strlen(dir) + 8);
	sprintf(in_path, "%s/path", dir);
	sprintf(extra, "%s/libx", dir);
	mkdir(in_path, 0755);
	mkdir(extra, 0755);
	setenv("PATH", in_path, 1);
	setenv("KILN_QEMU_DIRS", extra, 1);

	/* nothing anywhere: the one-line input error */
	assert_null(sandbox_find_qemu(arm64, &err));
	assert_int_equal(err.kind, KERR_INPUT);
	assert_string_equal(err.msg, "linux/arm64 needs qemu-user (qemu-aarch64-static or "
			    "qemu-aarch64 not found in PATH); install qemu-user-static");
	kerr_clear(&err);

	/* a dynamic qemu cannot start inside a container's root */
	p = malloc(strlen(in_path) + 32);
	sprintf(p, "%s/qemu-aarch64", in_path);
	copy_file("/proc/self/exe", p);
	assert_null(sandbox_find_qemu(arm64, &err));
	assert_non_null(strstr(err.msg, "dynamically linked"));
	kerr_clear(&err);

	/* Debian's <qemu>-binfmt-P counts in the extra dirs only */
	q = malloc(strlen(extra) + 32);
	sprintf(q, "%s/aarch64-binfmt-P", extra);
	write_static(q);
	free(p);
	p = sandbox_find_qemu(arm64, &err);
	assert_string_equal(p, q);
	free(p);
	free(q);

	/* -static wins over the plain name */
	q = malloc(strlen(in_path) + 32);
	sprintf(q, "%s/qemu-aarch64-static", in_path);
	write_static(q);
	p = sandbox_find_qemu(arm64, &err);
	assert_string_equal(p, q);
	free(p);
	free(q);

	if (old_path)
		setenv("PATH", old_path, 1);
	free(old_path);
	unsetenv("KILN_QEMU_DIRS");
	free(in_path);
	free(extra);
	tmpdir_remove(dir);
}

static void test_kernel_version(void **state)
{
	(void)state;
	assert_true(sandbox_kernel_at_least("6.7.0", 6, 7));
	assert_true(sandbox_kernel_at_least("6.18.44-custom", 6, 7));
	assert_true(sandbox_kernel_at_least("7.0", 6, 7));
	assert_false(sandbox_kernel_at_least("6.6.30", 6, 7));
	assert_false(sandbox_kernel_at_least("5.15.0-91-generic", 6, 7));
	assert_false(sandbox_kernel_at_least("6", 6, 7));
}

/* a platform this machine does not run natively, or skip */
static const struct arch_platform *foreign(void)
{
	arch_for_each_platform(p)
		if (!arch_native(p))
			return p;
	skip();
	return NULL;
}

static void test_errors_before_any_mount(void **state)
{
	const struct arch_platform *p = foreign();
	enum sandbox_emu_how how;
	struct kerr err = KERR_INIT;

	(void)state;
	assert_int_equal(sandbox_emulation("mips64le", NULL, &how, &err), -1);
	assert_int_equal(err.kind, KERR_INPUT);
	assert_int_equal(how, SANDBOX_EMU_NONE);
	kerr_clear(&err);

	setenv("KILN_EMULATION", "sometimes", 1);
	assert_int_equal(sandbox_emulation(p->arch, p->variant, &how, &err), -1);
	assert_int_equal(err.kind, KERR_INPUT);
	assert_non_null(strstr(err.msg, "KILN_EMULATION 'sometimes'"));
	kerr_clear(&err);

	/* kiln's route without qemu stops at the lookup */
	setenv("KILN_EMULATION", "binfmt", 1);
	setenv("KILN_QEMU_DIRS", "/nonexistent", 1);
	{
		char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

		setenv("PATH", "/nonexistent", 1);
		assert_int_equal(sandbox_emulation(p->arch, p->variant, &how, &err), -1);
		assert_int_equal(err.kind, KERR_INPUT);
		assert_non_null(strstr(err.msg, "needs qemu-user"));
		kerr_clear(&err);
		if (old)
			setenv("PATH", old, 1);
		free(old);
	}
	unsetenv("KILN_EMULATION");
	unsetenv("KILN_QEMU_DIRS");

	/* the CPU's own platform needs nothing */
	if (arch_host()) {
		const struct arch_platform *h = arch_host();

		assert_int_equal(sandbox_emulation(h->arch, h->variant, &how, &err), 0);
		assert_int_equal(how, SANDBOX_EMU_NATIVE);
	}
}

static void test_report(void **state)
{
	struct strbuf out = STRBUF_INIT;
	size_t lines = 0, n = 0;

	(void)state;
	sandbox_emulation_report(&out);
	arch_for_each_platform(p)
		n++;
	for (const char *s = out.buf; (s = strchr(s, '\n')); s++)
		lines++;
	assert_int_equal(lines, n);
	assert_true(!strncmp(out.buf, "linux/", 6));
	if (arch_host()) {
		char name[32], line[64];

		snprintf(line, sizeof(line), "linux/%s", arch_platform_name(arch_host(), name));
		assert_non_null(strstr(out.buf, line));
	}
	strbuf_release(&out);
	assert_string_equal(sandbox_emu_how_str(SANDBOX_EMU_KILN_BINFMT), "kiln binfmt");
	assert_string_equal(sandbox_emu_how_str(SANDBOX_EMU_HOST_BINFMT), "host binfmt");
	assert_string_equal(sandbox_emu_how_str(SANDBOX_EMU_NATIVE), "native");
	assert_string_equal(sandbox_emu_how_str(SANDBOX_EMU_NONE), "unavailable");
}

static int write_to(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* a user and mount namespace where this process is root */
static int enter_userns(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (write_to("/proc/self/setgroups", "deny") < 0 || write_to("/proc/self/uid_map", map) < 0)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (write_to("/proc/self/gid_map", map) < 0)
		return -1;
	return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

/* the entries of this user namespace's binfmt_misc instance, as text */
static int own_entries(struct strbuf *out)
{
	int fs = (int)syscall(430 /* fsopen */, "binfmt_misc", 1);
	int mnt, dfd;
	DIR *d;
	struct dirent *de;

	if (fs < 0 || syscall(431 /* fsconfig */, fs, 6 /* CMD_CREATE */, NULL, NULL, 0) < 0)
		return -1;
	mnt = (int)syscall(432 /* fsmount */, fs, 1, 0);
	if (mnt < 0)
		return -1;
	dfd = openat(mnt, ".", O_RDONLY | O_DIRECTORY);
	d = dfd < 0 ? NULL : fdopendir(dfd);
	while (d && (de = readdir(d))) {
		char buf[1024];
		int fd;
		ssize_t n;

		if (strncmp(de->d_name, "kiln-", 5))
			continue;
		fd = openat(mnt, de->d_name, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (n < 0)
			return -1;
		buf[n] = '\0';
		strbuf_addf(out, "[%s]\n%s", de->d_name, buf);
		close(fd);
	}
	if (d)
		closedir(d);
	return d ? 0 : -1;
}

/*
 * The host's entries stop applying once kiln has an instance of its own,
 * so the one in use is copied there. An outer user namespace with its own
 * binfmt_misc plays the host; the test runs in a namespace inside it, as
 * kiln does. 77: this kernel cannot (no user namespaces, or < 6.7).
 */
static int mirror_child(const struct arch_platform *a, const struct arch_platform *b,
			const char *qemu_dir)
{
	enum sandbox_emu_how how;
	struct kerr err = KERR_INIT;
	struct strbuf list = STRBUF_INIT;
	char *rule, name[64];

	if (enter_userns() < 0 ||
	    mount("none", "/proc/sys/fs/binfmt_misc", "binfmt_misc", 0, NULL) < 0)
		return 77;
	/* the "host" entry for a, named as a distribution would */
	rule = sandbox_binfmt_rule(a, "/bin/sh", "OPF");
	memcpy(rule, ":host", 5);
	if (write_to("/proc/sys/fs/binfmt_misc/register", rule) < 0)
		return 77;
	free(rule);
	if (enter_userns() < 0)
		return 77;
	setenv("PATH", qemu_dir, 1);
	setenv("KILN_QEMU_DIRS", "", 1);
	unsetenv("KILN_EMULATION");
	if (sandbox_emulation(a->arch, a->variant, &how, &err) < 0 ||
	    how != SANDBOX_EMU_HOST_BINFMT)
		return 1;
	if (sandbox_emulation(b->arch, b->variant, &how, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	if (how != SANDBOX_EMU_KILN_BINFMT)
		return 3;
	/* a goes through kiln's instance now */
	if (sandbox_emulation(a->arch, a->variant, &how, &err) < 0 ||
	    how != SANDBOX_EMU_KILN_BINFMT)
		return 4;
	if (own_entries(&list) < 0)
		return 5;
	snprintf(name, sizeof(name), "[kiln-%s]\nenabled\ninterpreter /bin/sh\nflags: POF\n", a->arch);
	if (!strstr(list.buf, name))
		return fprintf(stderr, "%s", list.buf), 6;
	snprintf(name, sizeof(name), "[kiln-%s]\nenabled\ninterpreter %s/", b->arch, qemu_dir);
	if (!strstr(list.buf, name))
		return fprintf(stderr, "%s", list.buf), 7;
	strbuf_release(&list);
	return 0;
}

static void test_host_entries_copied(void **state)
{
	const struct arch_platform *a = NULL, *b = NULL;
	char *dir = tmpdir_make(), *q;
	int st;
	pid_t pid;

	(void)state;
	arch_for_each_platform(p) {
		if (arch_native(p))
			continue;
		if (!a)
			a = p;
		else if (!b && strcmp(p->arch, a->arch))
			b = p;
	}
	if (!a || !b) {
		tmpdir_remove(dir);
		skip();
	}
	q = malloc(strlen(dir) + 64);
	sprintf(q, "%s/qemu-%s-static", dir, b->qemu);
	write_static(q);
	free(q);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(mirror_child(a, b, dir));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	tmpdir_remove(dir);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: emulate.c reads the host's entries once per process,
		 * and the child it forks must not inherit an earlier reading */
		cmocka_unit_test(test_host_entries_copied),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_machine_names),
		cmocka_unit_test(test_native),
		cmocka_unit_test(test_parse_entry),
		cmocka_unit_test(test_rule),
		cmocka_unit_test(test_find_qemu),
		cmocka_unit_test(test_kernel_version),
		cmocka_unit_test(test_errors_before_any_mount),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
