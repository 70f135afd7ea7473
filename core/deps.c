/* deps.c — counting packages and bytes in node_modules without leaving the
 * service directory. */
#include "deps.h"
#include "fs.h"
#include "bounds.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PKG_NAME_MAX 214        /* npm's limit on a package name */

/* How the entries of the directory being read are interpreted. */
enum mode {
	M_NODE_MODULES,         /* entries are packages or @scopes */
	M_SCOPE,                /* entries of node_modules/@scope are packages */
	M_PACKAGE,              /* inside a package: look for nested node_modules */
	M_BYTES,                /* inside a dot-directory: sizes only */
};

struct scan {
	size_t         max_entries;
	int            max_depth;
	dev_t          dev;     /* node_modules' filesystem; mounts are not entered */
	bool           stop;    /* the entry limit was reached */
	struct ig_deps *out;
	struct ig_err  *err;
};

static void mark_partial(struct scan *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Flags the result partial; the first reason is the one kept. */
static void
mark_partial(struct scan *s, const char *fmt, ...)
{
	va_list ap;

	if (s->out->partial)
		return;
	s->out->partial = true;
	va_start(ap, fmt);
	vsnprintf(s->out->note, sizeof(s->out->note), fmt, ap);
	va_end(ap);
}

/* 1 if name could be an npm package name (or, with scope, "@scope"):
 * 1..214 URL-safe characters, not starting with "." or "_". Uppercase and
 * the legacy punctuation old packages used are accepted. */
static int
name_ok(const char *name, bool scope)
{
	size_t n = strlen(name);

	if (scope) {
		if (name[0] != '@')
			return 0;
		name++;
		n--;
	}
	if (n == 0 || n > PKG_NAME_MAX || name[0] == '.' || name[0] == '_')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~!'()*", c) != NULL))
			return 0;
	}
	return 1;
}

static void
add_bytes(struct ig_deps *d, off_t size)
{
	unsigned long long n = size > 0 ? (unsigned long long)size : 0;

	d->bytes = n > ~0ULL - d->bytes ? ~0ULL : d->bytes + n;
}

/* What a subdirectory called name of a directory in mode is, and whether
 * it is itself a package. */
static enum mode
child_mode(enum mode mode, const char *name, bool *is_package)
{
	*is_package = false;
	switch (mode) {
	case M_NODE_MODULES:
		if (name[0] == '.')
			return M_BYTES;
		if (name[0] == '@')
			return name_ok(name, true) ? M_SCOPE : M_BYTES;
		if (!name_ok(name, false))
			return M_BYTES;
		*is_package = true;
		return M_PACKAGE;
	case M_SCOPE:
		if (name[0] == '.' || !name_ok(name, false))
			return M_BYTES;
		*is_package = true;
		return M_PACKAGE;
	case M_PACKAGE:
		return strcmp(name, "node_modules") == 0 ? M_NODE_MODULES : M_PACKAGE;
	case M_BYTES:
	default:
		return M_BYTES;
	}
}

/* Reads the directory open as fd (taken over: closed here) in the given
 * mode, depth levels below node_modules. Returns 0, or -1 with s->err. */
static int
walk(struct scan *s, int fd, enum mode mode, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = -1;

	if ((d = fdopendir(fd)) == NULL) {
		ig_err_sys(s->err, IG_EIO, "node_modules: reading a directory");
		close(fd);
		return -1;
	}
	for (;;) {
		const char *name;
		bool is_package;
		enum mode cm;
		int cfd;

		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				ig_err_sys(s->err, IG_EIO, "node_modules: reading a directory");
				goto out;
			}
			break;
		}
		name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (s->out->entries >= s->max_entries) {
			mark_partial(s, "node_modules scan stopped after %zu entries; counts are lower bounds",
			    s->max_entries);
			s->stop = true;
			break;
		}
		s->out->entries++;
		/* lstat semantics: the entry itself, never what a link points at.
		 * An entry that vanished meanwhile is simply skipped. */
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISREG(st.st_mode)) {
			add_bytes(s->out, st.st_size);
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			if ((mode == M_NODE_MODULES || mode == M_SCOPE) && name[0] != '@' &&
			    name_ok(name, false))
				s->out->count++;
			continue;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		cm = child_mode(mode, name, &is_package);
		if (is_package)
			s->out->count++;
		if (st.st_dev != s->dev)
			continue;       /* a mount point: not part of the service's files */
		if (depth + 1 > s->max_depth) {
			mark_partial(s, "node_modules is nested deeper than %d directories; deeper levels not scanned",
			    s->max_depth);
			continue;
		}
		/* O_NOFOLLOW: if the entry was swapped for a symlink since the
		 * fstatat above, the open fails instead of following it. */
		cfd = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0) {
			if (errno == EACCES || errno == EPERM)
				mark_partial(s, "some directories under node_modules could not be read");
			else if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR) {
				ig_err_sys(s->err, IG_EIO, "node_modules: opening %s", name);
				goto out;
			}
			continue;
		}
		if (walk(s, cfd, cm, depth + 1) != 0)
			goto out;
		if (s->stop)
			break;
	}
	rc = 0;
out:
	closedir(d);
	return rc;
}

int
ig_deps_scan_at(int dirfd, size_t max_entries, int max_depth,
    struct ig_deps *out, struct ig_err *err)
{
	struct scan s;
	struct stat st;
	int fd;

	memset(out, 0, sizeof(*out));
	fd = openat(dirfd, "node_modules", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP || errno == ENOTDIR) {
			if (fstatat(dirfd, "node_modules", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode)) {
				out->partial = true;
				snprintf(out->note, sizeof(out->note),
				    "node_modules is a symlink and was not followed");
			}
			return 0;       /* a file called node_modules holds no packages */
		}
		if (errno == EACCES || errno == EPERM) {
			out->partial = true;
			snprintf(out->note, sizeof(out->note), "node_modules could not be read");
			return 0;
		}
		ig_err_sys(err, IG_EIO, "node_modules");
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		ig_err_sys(err, IG_EIO, "node_modules");
		close(fd);
		return -1;
	}
	memset(&s, 0, sizeof(s));
	s.max_entries = max_entries;
	s.max_depth = max_depth;
	s.dev = st.st_dev;
	s.out = out;
	s.err = err;
	if (walk(&s, fd, M_NODE_MODULES, 0) != 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

int
ig_deps_scan(const char *dir, struct ig_deps *out, struct ig_err *err)
{
	int dirfd, rc;

	memset(out, 0, sizeof(*out));
	if ((dirfd = ig_fs_open_dir(dir, err)) < 0)
		return -1;
	rc = ig_deps_scan_at(dirfd, IG_DEPS_SCAN_MAX_ENTRIES, IG_DEPS_SCAN_MAX_DEPTH, out, err);
	close(dirfd);
	return rc;
}
