/* datadir.c — locating data files relative to the binary or the install prefix. */
#include "datadir.h"

#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef IG_DATADIR
#define IG_DATADIR "/usr/local/share/ignite"
#endif

static int
try_path(char *out, size_t outlen, const char *base, const char *rel)
{
	int n = snprintf(out, outlen, "%s/%s", base, rel);

	return n > 0 && (size_t)n < outlen && access(out, R_OK) == 0;
}

int
ig_datadir_locate(const char *override, const char *rel, char *out, size_t outlen)
{
	char exe[4096], up[4096 + 32], *dir;
	ssize_t n;
	int i;

	if (override != NULL && *override != '\0' && try_path(out, outlen, override, rel))
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		dir = dirname(exe);   /* modifies exe: computed once */
		/* A source tree: build/ignite, build/asan/ignite … */
		snprintf(up, sizeof(up), "%s", dir);
		for (i = 0; i < 3; i++) {
			size_t l = strlen(up);
			snprintf(up + l, sizeof(up) - l, "/..");
			if (try_path(out, outlen, up, rel))
				return 0;
		}
		/* An installed tree: <prefix>/bin/ignite → <prefix>/share/ignite. */
		snprintf(up, sizeof(up), "%s/../share/ignite", dir);
		if (try_path(out, outlen, up, rel))
			return 0;
	}
	if (try_path(out, outlen, IG_DATADIR, rel))
		return 0;
	snprintf(out, outlen, "%s/%s", IG_DATADIR, rel);
	return -1;
}
