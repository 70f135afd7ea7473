/* support.c — scratch directories and whole-file I/O for Ignite's unit
 * tests (see support.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"

static char scratch_root[96];
static unsigned scratch_cases;

int
scratch_make(char *dir, size_t size, const char *tag)
{
	int n = snprintf(dir, size, "/tmp/ig-%s-XXXXXX", tag);

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
scratch_remove(const char *path)
{
	return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
scratch_setup(void **state)
{
	(void)state;
	scratch_cases = 0;
	return scratch_make(scratch_root, sizeof(scratch_root), program_invocation_short_name);
}

int
scratch_teardown(void **state)
{
	int rc;

	(void)state;
	if (scratch_root[0] == '\0')
		return 0;
	rc = scratch_remove(scratch_root);
	scratch_root[0] = '\0';
	return rc;
}

const char *
scratch_dir(void)
{
	return scratch_root;
}

const char *
scratch_case_dir(mode_t mode)
{
	static char dir[256];

	assert_true(scratch_root[0] != '\0');
	snprintf(dir, sizeof(dir), "%s/case%u", scratch_root, ++scratch_cases);
	if (mkdir(dir, mode) != 0)
		fail_msg("mkdir %s: %s", dir, strerror(errno));
	return dir;
}

void
file_write(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *p = data;
	ssize_t w;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fail_msg("write %s: %s", path, w < 0 ? strerror(errno) : "wrote nothing");
		p += w;
		len -= (size_t)w;
	}
	if (fchmod(fd, mode) != 0)
		fail_msg("chmod %s: %s", path, strerror(errno));
	if (close(fd) != 0)
		fail_msg("close %s: %s", path, strerror(errno));
}

void
file_write_in(const char *dir, const char *name, const char *text)
{
	char path[1024];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < sizeof(path));
	file_write(path, text, strlen(text), 0644);
}

/* Reads path whole; NULL when it does not exist and missing_ok is set. */
static char *
read_whole(const char *path, size_t *len, int missing_ok)
{
	struct stat st;
	size_t cap, n = 0;
	ssize_t r;
	char *buf, *grown;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (missing_ok && errno == ENOENT)
			return NULL;
		fail_msg("open %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	cap = (S_ISREG(st.st_mode) ? (size_t)st.st_size : 0) + 4096;
	buf = malloc(cap);
	assert_non_null(buf);
	for (;;) {
		if (n + 1 == cap) {
			cap *= 2;
			grown = realloc(buf, cap);
			assert_non_null(grown);
			buf = grown;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail_msg("read %s: %s", path, strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	/* Exactly len + 1 bytes, so that the sanitizer build catches a reader
	 * that runs past the end. */
	grown = realloc(buf, n + 1);
	assert_non_null(grown);
	buf = grown;
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

char *
file_read(const char *path, size_t *len)
{
	return read_whole(path, len, 0);
}

char *
file_read_optional(const char *path, size_t *len)
{
	return read_whole(path, len, 1);
}
