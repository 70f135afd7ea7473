/*
 * deps.h — counting the dependencies a service ships in node_modules.
 *
 * Preflight estimates memory from the number of packages (DESIGN §3). The
 * scan walks <dir>/node_modules through directory fds only (openat with
 * O_NOFOLLOW, fdopendir), so it never leaves the service directory: a
 * symlink is never followed, whatever it points at.
 *
 * What counts as one package:
 *   - node_modules/<pkg>                        (a directory or a symlink)
 *   - node_modules/@scope/<pkg>                 (the @scope directory itself is not one)
 *   - nested copies: any node_modules directory inside a package, e.g.
 *     node_modules/a/node_modules/b — counted too, because Node loads each
 *     copy separately and each costs memory.
 * Not counted: ".bin" and every other entry starting with "." (npm's
 * .package-lock.json, pnpm's .pnpm store), names that cannot be npm package
 * names, and regular files. A symlink named like a package (pnpm, npm link,
 * workspaces) counts as one package but is not followed.
 *
 * Size: the sum of lstat sizes of every regular file beneath node_modules,
 * dot-directories included (they take disk and image space all the same).
 *
 * Limits: the scan visits at most max_entries directory entries and descends
 * at most max_depth directories below node_modules. Reaching either does not
 * fail: the result is flagged partial (the counts are then lower bounds) and
 * `note` says why, so preflight can warn instead of refusing a service with a
 * very large tree. node_modules being a symlink is reported the same way:
 * nothing counted, partial, with a note.
 */
#ifndef IG_DEPS_H
#define IG_DEPS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct ig_deps {
	long               count;       /* packages, as described above */
	unsigned long long bytes;       /* regular-file bytes (saturates, never wraps) */
	size_t             entries;     /* directory entries visited */
	bool               partial;     /* a limit was reached or node_modules was not followed */
	char               note[160];   /* why partial, for messages; "" otherwise */
};

/* Scans <dir>/node_modules with the default limits (IG_DEPS_SCAN_MAX_ENTRIES,
 * IG_DEPS_SCAN_MAX_DEPTH). A missing node_modules (or one that is not a
 * directory) gives count 0, bytes 0. Returns 0 with *out filled, or -1 with
 * err: IG_ENOENT when dir does not exist, IG_EIO when a directory cannot be
 * read. Nothing to free. */
int ig_deps_scan(const char *dir, struct ig_deps *out, struct ig_err *err);

/* As ig_deps_scan, for the service directory open as dirfd (not closed),
 * with explicit limits: max_entries directory entries visited, max_depth
 * directory levels below node_modules. */
int ig_deps_scan_at(int dirfd, size_t max_entries, int max_depth,
    struct ig_deps *out, struct ig_err *err);

#endif
