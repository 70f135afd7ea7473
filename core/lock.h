/*
 * lock.h — ignite.lock: the runtime and dependency files a service was
 * checked with, so that drift is visible before it runs.
 *
 * The file is YAML, written by Ignite and read back strictly (unknown keys,
 * wrong types and bad digests are diagnostics):
 *
 *   # ignite.lock — …
 *   lockfileVersion: 1
 *   runtime: "node@24.22.3"
 *   image: "ignite-runtime/node:24.22.3"        (only when known)
 *   sha256:
 *     "package.json": "9f86d081884c7d65…"
 *     "package-lock.json": "…"
 *
 * Hashed files, each only if present: package.json, package-lock.json,
 * npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, bun.lock, bun.lockb,
 * deno.lock. They are read beneath the service directory only (a symlink
 * out of it is refused, IG_EPERM), must be regular files of at most
 * IG_HASHED_FILE_MAX bytes, and are hashed while streaming (SHA-256).
 *
 * Typical use (the CLI's `ignite lock`):
 *   --update: ig_lock_compute → ig_lock_write
 *   --check:  ig_lock_load + ig_lock_compute (runtime from the loaded lock
 *             or the registry) → ig_lock_diff; drift.n > 0 means drift.
 */
#ifndef IG_LOCK_H
#define IG_LOCK_H

#include <stddef.h>

#include "diag.h"
#include "err.h"

struct json_object;

#define IG_LOCK_FILE     "ignite.lock"
#define IG_LOCK_VERSION  1

struct ig_lock_entry {
	char *name;                     /* "package.json", "yarn.lock", … */
	char *sha256;                   /* 64 lowercase hex digits */
};

struct ig_lock {
	long    version;                /* IG_LOCK_VERSION */
	char   *runtime;                /* resolved runtime, e.g. "node@24.22.3" */
	char   *image;                  /* runtime image, or NULL when not recorded */
	struct ig_lock_entry *files;    /* in the canonical order listed above */
	size_t  files_n;
};

/* Human-readable differences between two locks, one line each. */
struct ig_lock_drift {
	char  **v;
	size_t  n;
};

/* Computes the lock of service directory dir: runtime (required; printable
 * ASCII without quotes, at most IG_LOCK_STRING_MAX bytes), image (NULL or ""
 * for none; same rules) and the SHA-256 of every hashed file present.
 * Returns 0 with *out owned by the caller (ig_lock_free), or -1 with err:
 * IG_ENOENT (dir missing), IG_EPERM (a file is a symlink out of dir or not
 * a regular file), IG_ETOOBIG, IG_EINVAL (bad runtime/image), IG_EIO. */
int ig_lock_compute(const char *dir, const char *runtime, const char *image,
    struct ig_lock **out, struct ig_err *err);

/* Serialises lock as ignite.lock YAML text. Returns a NUL-terminated string
 * owned by the caller (free()), with its length in *len if len is non-NULL,
 * or NULL with err (IG_ENOMEM, or IG_EINVAL for a string that cannot be
 * written). */
char *ig_lock_to_yaml(const struct ig_lock *lock, size_t *len, struct ig_err *err);

/* Writes lock to <dir>/ignite.lock atomically (temporary file, fsync,
 * rename), mode 0644. Returns 0 or -1 with err. */
int ig_lock_write(const char *dir, const struct ig_lock *lock, struct ig_err *err);

/* Parses ignite.lock text (len bytes; need not be NUL-terminated); `file`
 * names it in diagnostics. Returns 0 with *out owned by the caller, or -1:
 * IG_EINVAL with every problem in diags, or another code in err. */
int ig_lock_parse(const char *text, size_t len, const char *file,
    struct ig_lock **out, struct ig_diags *diags, struct ig_err *err);

/* Loads <dir>/ignite.lock (never following a symlink out of dir). Returns 0
 * with *out owned by the caller, or -1: IG_ENOENT when there is no
 * ignite.lock, IG_EINVAL with diags for an invalid one, other codes in err. */
int ig_lock_load(const char *dir, struct ig_lock **out,
    struct ig_diags *diags, struct ig_err *err);

/* Compares the recorded lock `locked` with `current` and fills *out with
 * one line per difference, in a stable order:
 *   "runtime: node@24.22.3 → node@24.23.0"
 *   "image: ignite-runtime/node:24.22.3 → (none)"
 *   "package.json: sha256 changed (ab12cd34… → 9f86d081…)"
 *   "yarn.lock: added"            (in current, not in locked)
 *   "package-lock.json: removed"  (in locked, not in current)
 * out->n == 0 means no drift. Returns 0, or -1 with err (IG_ENOMEM); free
 * *out with ig_lock_drift_free either way. */
int ig_lock_diff(const struct ig_lock *locked, const struct ig_lock *current,
    struct ig_lock_drift *out, struct ig_err *err);

/* Frees the lines of d and resets it. NULL-safe. */
void ig_lock_drift_free(struct ig_lock_drift *d);

/* Returns {"lockfileVersion":1,"runtime":"…","image":"…"|null,
 * "sha256":{"package.json":"…",…}}, a new reference owned by the caller, or
 * NULL on allocation failure. */
struct json_object *ig_lock_to_json(const struct ig_lock *lock);

/* Frees lock. NULL-safe. */
void ig_lock_free(struct ig_lock *lock);

#endif
