/*
 * fs.h — host-side file access confined to a directory.
 *
 * Service directories (and later run and upload directories) are written by
 * people and code Ignite does not trust. Every read of their content goes
 * through a directory fd and resolves paths beneath it: a symlink whose
 * target leaves the directory, an absolute path or a ".." that escapes is
 * refused with IG_EPERM, never followed.
 */
#ifndef IG_FS_H
#define IG_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

/* Opens path as a directory (O_DIRECTORY|O_CLOEXEC). Returns the fd, or -1
 * with err (IG_ENOENT when it does not exist). The caller closes the fd. */
int ig_fs_open_dir(const char *path, struct ig_err *err);

/* Opens rel beneath dirfd with the given open(2) flags (O_CLOEXEC is added).
 * rel must be relative; symlinks are followed only while they stay beneath
 * dirfd. Returns the fd, or -1 with err: IG_EPERM for an escape, IG_ENOENT
 * when missing, IG_EIO otherwise. */
int ig_fs_open_beneath(int dirfd, const char *rel, int flags, struct ig_err *err);

/* Reads the regular file rel beneath dirfd into out (initialised by the
 * caller; its max bounds the read). Refuses non-regular files (IG_EPERM)
 * and files larger than out->max (IG_ETOOBIG). Returns 0 or -1 with err. */
int ig_fs_read_beneath(int dirfd, const char *rel, struct ig_buf *out, struct ig_err *err);

/* Checks that rel names a regular file beneath dirfd. Returns 0, or -1 with
 * err as ig_fs_open_beneath (IG_EPERM also for a non-regular file). */
int ig_fs_check_file(int dirfd, const char *rel, struct ig_err *err);

/* Writes data to name in dirfd atomically: a fresh temporary file (O_EXCL,
 * never following a symlink), fsync, rename over name, fsync of the
 * directory. name must be a single component. Returns 0 or -1 with err. */
int ig_fs_write_atomic(int dirfd, const char *name, const void *data, size_t len,
    mode_t mode, struct ig_err *err);

/* As ig_fs_write_atomic, but never replaces an existing name: fails with
 * IG_EEXIST (and leaves nothing behind) when name exists. */
int ig_fs_write_new(int dirfd, const char *name, const void *data, size_t len,
    mode_t mode, struct ig_err *err);

/* Looks for a symlink anywhere beneath dirfd whose resolution (the whole
 * chain, as the kernel resolves it) leaves the directory: inside a container
 * such a link would reach the container's own files (/proc/self/mem, the
 * launcher's stderr) through the read-only service mount. Returns 0 when
 * there is none, 1 with "path -> target" in found when there is, or -1 with
 * err (IG_ETOOBIG past IG_SERVICE_SCAN_MAX entries, IG_EIO). */
int ig_fs_find_escaping_symlink(int dirfd, char *found, size_t foundlen, struct ig_err *err);

/* Returns 1 if rel is a plain relative path (non-empty, no leading "/", no
 * "." or ".." component, no empty component, no NUL/control characters),
 * 0 otherwise. */
int ig_fs_relpath_ok(const char *rel);

#endif
