/*
 * adhoc.h — running code sent in a request ("ad-hoc" runs).
 *
 * A request names a runtime, a map of files and an entry. Ignite checks the
 * files (relative names without "." or ".." components, bounded count, size
 * and depth, optional base64 per file), writes them into a fresh directory
 * that only it controls, and builds an in-memory service around it: name
 * "adhoc", the default policy (ad-hoc runs are always audit mode), the
 * sandbox profile's limits. The run itself then goes through the shared run
 * path (run.h) like any service, and the directory is deleted afterwards.
 *
 * Host-side safety: the directory is made with mkdtemp under the configured
 * work directory; everything below it is created and deleted relative to
 * directory fds (mkdirat, openat with O_CREAT|O_EXCL|O_NOFOLLOW, unlinkat),
 * never through a path string, and symlinks are never followed. Directories
 * are 0755 and files 0644 so the container user (uid 10001) can read them;
 * the directory is mounted read-only.
 *
 * Every validation error names the request field it is about, both at the
 * start of err->msg and in the `field` buffer: `files["../x"]`, `entry`,
 * `runtime`, `limits.memoryMb`.
 */
#ifndef IG_ADHOC_H
#define IG_ADHOC_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "run.h"

struct json_object;
struct ig_runtime_resolved;

#define IG_ADHOC_SERVICE_NAME "adhoc"
#define IG_ADHOC_FIELD_MAX    96        /* size of a `field` buffer that always suffices */

/* The sandbox profile: what ad-hoc requests may ask for (`sandbox:` in
 * ignite.yaml). Strings are borrowed. */
struct ig_adhoc_profile {
	const char *runtimes;           /* comma-separated name[@version] patterns; "" allows none */
	long   max_memory_mb;
	double max_cpu;
	long   max_timeout_ms;
	size_t max_files;
	size_t max_total_bytes;         /* decoded bytes of all files */
	size_t max_file_bytes;          /* decoded bytes of one file */
	size_t max_depth;               /* path components of one name */
	const char *work_dir;           /* absolute; per-run directories are made here */
};

/* Fills p with the built-in defaults of bounds.h (work_dir NULL). */
void ig_adhoc_profile_defaults(struct ig_adhoc_profile *p);

struct ig_adhoc_file {
	char          *name;            /* validated relative path */
	unsigned char *data;
	size_t         len;
	bool           base64;          /* it was sent base64-encoded */
};

/* The files of one request, validated. Zero-initialise before use. */
struct ig_adhoc_files {
	struct ig_adhoc_file *v;
	size_t n, cap;
	size_t total;                   /* sum of the lengths */
};

/* Adds a copy of one file (data of len bytes) after checking its name and
 * the profile's bounds: a plain relative path (ig_fs_relpath_ok), at most
 * IG_ADHOC_NAME_MAX bytes and p->max_depth components, each component at
 * most 255 bytes; not equal to, nor a directory of, nor inside a file
 * already added; count, size and total within the profile. base64 is only
 * recorded. Returns 0, or -1 with err (IG_EINVAL, IG_ETOOBIG for a bound,
 * IG_ENOMEM) and field filled (`files["name"]`, or `files` for the count
 * and the total). fs is unchanged on failure. */
int ig_adhoc_files_add(struct ig_adhoc_files *fs, const struct ig_adhoc_profile *p,
    const char *name, const void *data, size_t len, bool base64,
    char *field, size_t fieldlen, struct ig_err *err);

/* Adds every member of a request's "files" object: each value is either a
 * string (the content as text) or {"content": "…", "encoding": "utf-8" |
 * "base64"} (no other keys). Checks as ig_adhoc_files_add; decodes base64
 * as ig_adhoc_base64_decode. Returns 0, or -1 with err and field; fs may
 * then hold some files (free it). */
int ig_adhoc_files_from_json(struct json_object *files, const struct ig_adhoc_profile *p,
    struct ig_adhoc_files *fs, char *field, size_t fieldlen, struct ig_err *err);

/* Frees what fs owns and zeroes it. NULL-safe. */
void ig_adhoc_files_free(struct ig_adhoc_files *fs);

/* Decodes standard base64 (RFC 4648 §4) strictly: only A–Z a–z 0–9 + /,
 * length a multiple of 4, "=" padding only at the end (at most two), no
 * whitespace, zero bits after the last byte. Refuses results above max
 * bytes (IG_ETOOBIG). Returns 0 with *out (malloc'd, owned by the caller,
 * never NULL on success) and *outlen, or -1 with err (IG_EINVAL). */
int ig_adhoc_base64_decode(const char *in, size_t len, size_t max,
    unsigned char **out, size_t *outlen, struct ig_err *err);

/* Returns 1 if the resolved runtime rt matches one of the comma-separated
 * patterns in allowed: "node" allows every node version, "node@24" the 24.x
 * versions, "node@24.22.3" exactly that one. 0 otherwise. */
int ig_adhoc_runtime_allowed(const char *allowed, const struct ig_runtime_resolved *rt);

/* What one ad-hoc request asks for. */
struct ig_adhoc_spec {
	const char *runtime;            /* "node@24", "bun", … (required) */
	const char *entry;              /* NULL: the only file */
	long   memory_mb;               /* 0: IG_ADHOC_MEMORY_MB_DEFAULT, at most the profile's */
	double cpu;                     /* 0: 1, at most the profile's */
	long   timeout_ms;              /* 0: IG_ADHOC_TIMEOUT_MS_DEFAULT, at most the profile's */
};

/* Checks spec against the profile without touching anything: limits within
 * the profile (`limits.memoryMb`, `limits.cpuLimit`, `limits.timeoutMs`,
 * IG_EINVAL), entry present among the files (`entry`). Returns 0 or -1 with
 * err and field. */
int ig_adhoc_check(const struct ig_adhoc_profile *p, const struct ig_adhoc_spec *spec,
    const struct ig_adhoc_files *fs, char *field, size_t fieldlen, struct ig_err *err);

/* A directory holding one run's files. */
struct ig_adhoc_dir {
	char *path;                     /* absolute, for the container mount */
	int   fd;                       /* the directory itself */
	int   parent_fd;                /* the work directory */
	char  name[64];                 /* its name: run-<pid>.<start time>-XXXXXX */
};

/* Creates a fresh directory under work_dir (made, mode 0700, when missing)
 * with mkdtemp, named after this process (see ig_adhoc_sweep), and writes every file of fs into it, relative to directory
 * fds only. Returns 0 with *out filled (remove with ig_adhoc_dir_remove), or
 * -1 with err (nothing is left behind). */
int ig_adhoc_dir_write(const char *work_dir, const struct ig_adhoc_files *fs,
    struct ig_adhoc_dir *out, struct ig_err *err);

/* Deletes the run directories under work_dir whose owner (the pid and
 * process start time in their name) is no longer alive: what a crashed
 * daemon left behind. Other names are not touched. Returns the number
 * removed (0 when work_dir does not exist), or -1 with err. */
int ig_adhoc_sweep(const char *work_dir, struct ig_err *err);

/* Deletes the directory's whole tree (unlinkat from directory fds, never
 * following a symlink), closes the fds and frees the path. Safe to call on
 * a zeroed or already removed struct. Returns 0, or -1 with err when
 * something could not be deleted (the struct is released either way). */
int ig_adhoc_dir_remove(struct ig_adhoc_dir *d, struct ig_err *err);

/* The report's "files" array: [{"name","bytes","encoding","content",
 * "truncated"}…]; content is the text when the file is valid UTF-8 without
 * NUL bytes ("binary": true and no content otherwise), cut to
 * IG_ADHOC_REPORT_FILE_MAX bytes per file and IG_ADHOC_REPORT_FILES_MAX in
 * all. A new reference owned by the caller, or NULL when memory runs out. */
struct json_object *ig_adhoc_files_report(const struct ig_adhoc_files *fs);

/* A prepared ad-hoc run: what ig_run_prepared needs, plus its directory. */
struct ig_adhoc_run {
	struct ig_run_prepared prep;
	struct ig_adhoc_dir dir;
	struct json_object *files;      /* the report's "files" array */
};

/* Checks spec and fs against the profile (ig_adhoc_check), resolves the
 * runtime against ctx->registry and the profile (`runtime`), checks that the
 * entry suits it (`entry`), writes the files (ig_adhoc_dir_write into
 * p->work_dir), and builds the prepared run: service "adhoc", default
 * policy, preflight with no dependencies and the image size from
 * ctx->docker (unknown without one). Returns 0 with *out filled (free with
 * ig_adhoc_run_free), or -1 with err and field (field is "" for failures
 * that are not the request's fault: IG_EIO, IG_ENOMEM). */
int ig_adhoc_prepare(const struct ig_run_ctx *ctx, const struct ig_adhoc_profile *p,
    const struct ig_adhoc_spec *spec, const struct ig_adhoc_files *fs,
    struct ig_adhoc_run *out, char *field, size_t fieldlen, struct ig_err *err);

/* Deletes the run's directory and frees everything. NULL-safe; safe on a
 * zeroed struct. */
void ig_adhoc_run_free(struct ig_adhoc_run *r);

#endif
