/*
 * store.h — the durable run store (DESIGN §7).
 *
 * One JSON file per run, <dir>/<runId>.json, written atomically (temporary
 * file, fsync, rename, fsync of the directory) before anyone is told the run
 * exists. A crash leaves either the whole report or nothing. Run ids are 128
 * random bits as 32 lowercase hex characters: unguessable, so a run's URL can
 * act as a capability link.
 *
 * A store is safe to use from several threads, and by several processes
 * sharing one directory (the CLI and the daemon).
 *
 * The store follows its path, not the directory it first opened: when the run
 * directory is removed and a new one put in its place, the next operation
 * opens the new one and the listing is rebuilt from it. While the path names
 * no directory, writes fail (IG_EIO) and reads serve what the directory held
 * still has.
 *
 * A writer killed between creating its temporary file and renaming it leaves
 * ".<runId>.json.tmp-<hex>" behind. Such a file is never listed or served as
 * a run, and opening and pruning the store remove those last written more
 * than IG_STORE_TEMP_STALE_S ago.
 */
#ifndef IG_STORE_H
#define IG_STORE_H

#include <stddef.h>
#include <time.h>

#include "err.h"

struct json_object;

#define IG_RUN_ID_LEN 32

/* Age (of the last write) past which a temporary report is a crash's
 * leftover. A report is at most IG_REPORT_MAX bytes, written and fsynced in
 * one go: seconds even on a slow disk. An hour is far beyond that, so a write
 * still in progress here or in another process is not taken for a leftover,
 * and the daemon's hourly prune still removes a leftover within two hours. */
#define IG_STORE_TEMP_STALE_S 3600

struct ig_store;

/* Opens (creating with mode 0700 if needed, parents included) the run
 * directory dir, and removes the stale temporary reports in it. Returns 0
 * with *out owned by the caller (ig_store_close), or -1 with err. */
int ig_store_open(const char *dir, struct ig_store **out, struct ig_err *err);

/* Closes the store. NULL-safe. */
void ig_store_close(struct ig_store *st);

/* Returns the directory the store lives in (borrowed). */
const char *ig_store_dir(const struct ig_store *st);

/* Writes a fresh random run id (IG_RUN_ID_LEN hex chars + NUL) into id.
 * Returns 0, or -1 with err if the kernel's random source fails. */
int ig_store_new_id(char id[IG_RUN_ID_LEN + 1], struct ig_err *err);

/* Returns 1 if id has the exact form of a run id, 0 otherwise. */
int ig_store_id_ok(const char *id);

/* Stores report under id, atomically, replacing an earlier version of the
 * same run (a run is written when it starts as "running" and again when it
 * ends). The report must contain "runId", "serviceName" and "startedAt".
 * Returns 0 or -1 with err (IG_EIO for a full or read-only disk). */
int ig_store_put(struct ig_store *st, const char *id, struct json_object *report,
    struct ig_err *err);

/* Loads the report of run id. Returns 0 with *out a new reference owned by
 * the caller, or -1 with err (IG_ENOENT for an unknown or malformed id). */
int ig_store_get(struct ig_store *st, const char *id, struct json_object **out,
    struct ig_err *err);

/* Lists run summaries newest first: at most limit (1..1000) runs, only of
 * service if non-NULL, only runs older than the run `before` if non-NULL.
 * *out receives {"runs":[summary…],"next":"<id>"|null}, a new reference owned
 * by the caller. A summary holds runId, serviceName, status, success,
 * startedAt, durationMs, exitCode, reportUrl. Returns 0 or -1 with err. */
int ig_store_list(struct ig_store *st, const char *service, size_t limit,
    const char *before, struct json_object **out, struct ig_err *err);

/* As ig_store_list, and with batch non-NULL only the runs whose report has
 * "batch": batch (the runs of one POST /api/batch). */
int ig_store_list_filtered(struct ig_store *st, const char *service, const char *batch,
    size_t limit, const char *before, struct json_object **out, struct ig_err *err);

/* Deletes runs beyond the newest keep_max (0 = no count limit) and runs that
 * finished more than max_age_s seconds ago (0 = no age limit), and the stale
 * temporary reports. Returns the number of runs deleted, or -1 with err. */
int ig_store_prune(struct ig_store *st, size_t keep_max, time_t max_age_s,
    struct ig_err *err);

#endif
