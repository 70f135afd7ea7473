/* fs.c — confined host-side file access (openat2 RESOLVE_BENEATH). */
#include "fs.h"
#include "bounds.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int
ig_fs_open_dir(const char *path, struct ig_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		ig_err_sys(err, errno == ENOENT ? IG_ENOENT : IG_EIO, "%s", path);
	return fd;
}

int
ig_fs_relpath_ok(const char *rel)
{
	const char *p = rel, *seg;
	size_t n;

	if (rel == NULL || *rel == '\0' || *rel == '/' || strlen(rel) > IG_ENTRY_PATH_MAX)
		return 0;
	for (const unsigned char *c = (const unsigned char *)rel; *c; c++)
		if (*c < 0x20 || *c == 0x7f || *c == '\\')
			return 0;
	while (*p) {
		seg = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - seg);
		if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (*p == '/')
			p++;
		if (*p == '\0' && p[-1] == '/')
			return 0;
	}
	return 1;
}

/* Fallback for kernels without openat2: walk each component with
 * O_NOFOLLOW, so any symlink at all is refused. */
static int
open_nofollow_walk(int dirfd, const char *rel, int flags)
{
	char *copy, *save = NULL, *tok, *next;
	int fd, cur;

	if ((copy = strdup(rel)) == NULL)
		return -1;
	cur = dup(dirfd);
	tok = strtok_r(copy, "/", &save);
	while (cur >= 0 && tok != NULL) {
		next = strtok_r(NULL, "/", &save);
		if (next == NULL)
			fd = openat(cur, tok, flags | O_NOFOLLOW | O_CLOEXEC);
		else
			fd = openat(cur, tok, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(cur);
		cur = fd;
		tok = next;
	}
	free(copy);
	if (cur < 0 && errno == ELOOP)
		errno = EXDEV;
	return cur;
}

int
ig_fs_open_beneath(int dirfd, const char *rel, int flags, struct ig_err *err)
{
	struct open_how how;
	int fd;

	if (rel == NULL || *rel == '\0' || *rel == '/') {
		ig_err_set(err, IG_EPERM, "%s: path must be relative", rel ? rel : "(null)");
		return -1;
	}
	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
	fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = open_nofollow_walk(dirfd, rel, flags);
	if (fd >= 0)
		return fd;
	switch (errno) {
	case EXDEV:
	case ELOOP:
		ig_err_set(err, IG_EPERM, "%s: resolves outside the directory (symlink or '..' escape refused)", rel);
		break;
	case ENOENT:
	case ENOTDIR:
		ig_err_set(err, IG_ENOENT, "%s: no such file", rel);
		break;
	case EACCES:
	case EPERM:
		ig_err_sys(err, IG_EPERM, "%s", rel);
		break;
	default:
		ig_err_sys(err, IG_EIO, "%s", rel);
	}
	return -1;
}

int
ig_fs_check_file(int dirfd, const char *rel, struct ig_err *err)
{
	struct stat st;
	int fd;

	if ((fd = ig_fs_open_beneath(dirfd, rel, O_PATH, err)) < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		ig_err_sys(err, IG_EIO, "%s", rel);
		close(fd);
		return -1;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		ig_err_set(err, IG_EPERM, "%s: not a regular file", rel);
		return -1;
	}
	return 0;
}

int
ig_fs_read_beneath(int dirfd, const char *rel, struct ig_buf *out, struct ig_err *err)
{
	char chunk[16384];
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = ig_fs_open_beneath(dirfd, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, err)) < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		ig_err_sys(err, IG_EIO, "%s", rel);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ig_err_set(err, IG_EPERM, "%s: not a regular file", rel);
		goto out;
	}
	if ((size_t)st.st_size > out->max) {
		ig_err_set(err, IG_ETOOBIG, "%s: file is larger than %zu bytes", rel, out->max);
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ig_err_sys(err, IG_EIO, "%s", rel);
			goto out;
		}
		if (n == 0)
			break;
		if (ig_buf_append(out, chunk, (size_t)n) != 0) {
			ig_err_set(err, IG_ETOOBIG, "%s: file is larger than %zu bytes", rel, out->max);
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* Writes a temporary file and renames it to name; with noreplace the rename
 * fails (IG_EEXIST) when name exists. */
static int
write_via_rename(int dirfd, const char *name, const void *data, size_t len,
    mode_t mode, int noreplace, struct ig_err *err)
{
	char tmp[300];
	unsigned char rnd[8];
	const char *p = data;
	size_t off = 0;
	ssize_t n;
	int fd = -1, rc = -1;

	if (strchr(name, '/') != NULL || strlen(name) > 200 || !ig_fs_relpath_ok(name)) {
		ig_err_set(err, IG_EINVAL, "%s: invalid file name", name);
		return -1;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		ig_err_sys(err, IG_EIO, "getrandom");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), ".%s.tmp-%02x%02x%02x%02x%02x%02x%02x%02x", name,
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		ig_err_sys(err, IG_EIO, "%s", name);
		return -1;
	}
	if (fchmod(fd, mode) != 0) {
		ig_err_sys(err, IG_EIO, "%s", name);
		goto out;
	}
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ig_err_sys(err, IG_EIO, "%s", name);
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0) {
		ig_err_sys(err, IG_EIO, "%s", name);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		ig_err_sys(err, IG_EIO, "%s", name);
		goto out;
	}
	fd = -1;
	if (renameat2(dirfd, tmp, dirfd, name, noreplace ? RENAME_NOREPLACE : 0) != 0) {
		ig_err_sys(err, errno == EEXIST ? IG_EEXIST : IG_EIO, "%s", name);
		goto out;
	}
	(void)fsync(dirfd);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		(void)unlinkat(dirfd, tmp, 0);
	return rc;
}

int
ig_fs_write_atomic(int dirfd, const char *name, const void *data, size_t len,
    mode_t mode, struct ig_err *err)
{
	return write_via_rename(dirfd, name, data, len, mode, 0, err);
}

int
ig_fs_write_new(int dirfd, const char *name, const void *data, size_t len,
    mode_t mode, struct ig_err *err)
{
	return write_via_rename(dirfd, name, data, len, mode, 1, err);
}

/* Walks dir (an fd owned by the walk) at relative path rel, checking every
 * symlink by resolving it from root with RESOLVE_BENEATH. */
static int
scan_dir(int root, int dir, const char *rel, int depth, size_t *budget, char *found,
    size_t foundlen, struct ig_err *err)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = fdopendir(dir)) == NULL) {
		close(dir);
		ig_err_sys(err, IG_EIO, "%s", rel[0] ? rel : ".");
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;
		int n;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (*budget == 0) {
			ig_err_set(err, IG_ETOOBIG, "service directory has more than %d entries", IG_SERVICE_SCAN_MAX);
			rc = -1;
			break;
		}
		(*budget)--;
		n = snprintf(path, sizeof(path), "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			/* Too long to check is not the same as safe. */
			ig_err_set(err, IG_ETOOBIG, "service directory has a path longer than %zu bytes",
			    sizeof(path) - 1);
			rc = -1;
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			struct open_how how;
			int fd;

			memset(&how, 0, sizeof(how));
			how.flags = O_PATH | O_CLOEXEC;
			how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
			fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
			if (fd >= 0) {
				close(fd);
			} else if (errno == EXDEV || errno == ELOOP || errno == ENOSYS) {
				char target[256];
				ssize_t tl = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
				target[tl > 0 ? tl : 0] = '\0';
				snprintf(found, foundlen, "%s -> %s", path, target);
				rc = 1;
			}
		} else if (S_ISDIR(st.st_mode)) {
			int sub;

			if (depth >= IG_DEPS_SCAN_MAX_DEPTH) {
				/* Too deep to check is not the same as safe. */
				ig_err_set(err, IG_ETOOBIG, "service directory is nested deeper than %d levels",
				    IG_DEPS_SCAN_MAX_DEPTH);
				rc = -1;
				break;
			}
			sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				ig_err_sys(err, IG_EIO, "%s", path);
				rc = -1;
				break;
			}
			rc = scan_dir(root, sub, path, depth + 1, budget, found, foundlen, err);
		}
	}
	closedir(d);
	return rc;
}

int
ig_fs_find_escaping_symlink(int dirfd, char *found, size_t foundlen, struct ig_err *err)
{
	size_t budget = IG_SERVICE_SCAN_MAX;
	int dup_fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dup_fd < 0) {
		ig_err_sys(err, IG_EIO, "service directory");
		return -1;
	}
	return scan_dir(dirfd, dup_fd, "", 0, &budget, found, foundlen, err);
}
