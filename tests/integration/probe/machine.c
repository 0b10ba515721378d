/* machine.c: a static test program for platforms Debian 12 has no
 * busybox-static for: prints uname's machine, or writes it to the file
 * named by its argument (so an exec-form RUN can leave it in a layer). */
#include <stdio.h>
#include <sys/utsname.h>

int main(int argc, char **argv)
{
	struct utsname u;
	FILE *f = stdout;

	if (uname(&u) < 0)
		return 1;
	if (argc > 1 && !(f = fopen(argv[1], "w")))
		return 2;
	fprintf(f, "%s\n", u.machine);
	return fclose(f) ? 3 : 0;
}
