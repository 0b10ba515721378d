/* login.c: 'kiln login REGISTRY': checks a user name and password against
 * the registry and keeps them in kiln's auth file (0600). */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/regcmd.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const struct cmd_help login_help = {
	"login", "[-u USER] [-p PASSWORD | --password-stdin] REGISTRY",
	H("Check USER and PASSWORD at REGISTRY (docker.io when none is given) and store "
	  "them in kiln's auth file ($REGISTRY_AUTH_FILE, else ~/.config/kiln/auth.json, "
	  "mode 0600) for pull, push and build. Asks on the terminal for what is not "
	  "given."),
};

/* one line from fd, its newline dropped */
static int read_line(int fd, bool echo, struct strbuf *out, struct kerr *err)
{
	struct termios old, quiet;
	bool tty = !echo && isatty(fd) && tcgetattr(fd, &old) == 0;
	char c;
	ssize_t n;

	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	while ((n = read(fd, &c, 1)) == 1 && c != '\n')
		strbuf_addch(out, c);
	if (tty) {
		tcsetattr(fd, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n < 0)
		return kerr_errno(err, errno, "cannot read standard input");
	if (out->len && out->buf[out->len - 1] == '\r')
		strbuf_setlen(out, out->len - 1);
	return 0;
}

int cmd_login(int argc, char **argv, struct kerr *err)
{
	struct reg_opts o = REG_OPTS_INIT;
	const char *user = NULL, *pass = NULL;
	int from_stdin = 0;
	const struct opt opts[] = {
		OPT_STRING_('u', "username", &user, "USER", "the user name"),
		OPT_STRING_('p', "password", &pass, "PASSWORD",
			    "the password (seen by other users in ps: prefer --password-stdin)"),
		OPT_BOOL_(0, "password-stdin", &from_stdin, "read the password from stdin"),
		OPT_BOOL_(0, "tls-verify", &o.tls_verify,
			  "verify the registry's certificate (--tls-verify=false: do not, and "
			  "allow plain HTTP)"),
		OPT_END_(),
	};
	struct reg_creds c = REG_CREDS_INIT;
	cleanup_strbuf struct strbuf u = STRBUF_INIT;
	cleanup_strbuf struct strbuf p = STRBUF_INIT;
	cleanup_free char *registry = NULL;
	int r;

	argc = opt_parse(argc, argv, opts, &login_help, 0, err);
	if (argc < 0)
		return opt_done(argc);
	if (argc > 1)
		return kerr_input(err, "expected one REGISTRY; see 'kiln login --help'");
	if (pass && from_stdin)
		return kerr_input(err, "--password and --password-stdin are mutually exclusive");
	if (from_stdin && !user)
		return kerr_input(err, "--password-stdin needs --username");
	registry = regcmd_registry(argc ? argv[0] : IMG_REF_DEFAULT_DOMAIN);
	if (!*registry)
		return kerr_input(err, "'%s' is not a registry", argv[0]);
	if (!user) {
		if (!isatty(STDIN_FILENO))
			return kerr_input(err, "no --username, and stdin is not a terminal to ask on");
		fprintf(stderr, "Username: ");
		if (read_line(STDIN_FILENO, true, &u, err) < 0)
			return -1;
		user = u.buf;
	}
	if (!pass) {
		if (!from_stdin && !isatty(STDIN_FILENO))
			return kerr_input(err, "no --password, and stdin is not a terminal to ask on "
					  "(use --password-stdin)");
		if (!from_stdin)
			fprintf(stderr, "Password: ");
		if (read_line(STDIN_FILENO, from_stdin, &p, err) < 0)
			return -1;
		pass = p.buf;
	}
	if (!*user)
		return kerr_input(err, "the user name is empty");
	c.username = (char *)user;
	c.password = (char *)pass;
	r = reg_login_check(registry, &c, &o, err);
	if (r >= 0)
		r = reg_creds_store(registry, &c, err);
	if (r >= 0)
		printf("Login Succeeded\n");
	return r;
}
