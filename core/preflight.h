/*
 * preflight.h — checks a service's configuration against what it will need,
 * before it runs (DESIGN §3, §5).
 *
 * ig_preflight_run is a pure function of the service config and the facts
 * gathered by the caller (dependency scan, image size, last run): it reads
 * no files and talks to nothing, so the CLI, the daemon and the tests all
 * get the same answer from the same inputs.
 *
 * Checks, in this order, with the thresholds of svc->preflight:
 *   memory-allocation  estimate = baseMb + dependencies × perDependencyMb;
 *                      fail when memoryMb < estimate × failRatio, warn when
 *                      < estimate × warnRatio; value memoryMb, threshold estimate.
 *   dependency-count   warn above warnCount; above infoCount the status stays
 *                      pass and the message carries a note (check.info); a
 *                      partial scan warns, the count being a lower bound;
 *                      value the count, threshold warnCount.
 *   timeout-config     fail below minMs; warn above maxMs; warn when shorter
 *                      than the last run's duration + coldStartBufferMs;
 *                      value timeoutMs, threshold the bound that decided.
 *   image-size         warn above warnMb, fail above failMb; an unknown size
 *                      warns "image not available" and never fails;
 *                      value the size in MB (unknown: none), threshold the
 *                      bound that decided (warnMb unless it failed).
 * Overall: any fail → fail, else any warn → warn, else pass.
 *
 * JSON and terminal renderings live in report.h.
 */
#ifndef IG_PREFLIGHT_H
#define IG_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"
#include "bounds.h"

struct ig_service;
struct ig_deps;

enum ig_preflight_status {
	IG_PREFLIGHT_PASS = 0,
	IG_PREFLIGHT_WARN,
	IG_PREFLIGHT_FAIL,
};

#define IG_PREFLIGHT_CHECKS 4

/* Check names, exactly as they appear in JSON. */
#define IG_CHECK_MEMORY   "memory-allocation"
#define IG_CHECK_DEPS     "dependency-count"
#define IG_CHECK_TIMEOUT  "timeout-config"
#define IG_CHECK_IMAGE    "image-size"

/* Facts preflight cannot know from the config. All-zero (memset or `= {0}`)
 * means: no dependencies, image size unknown, no previous run, timestamp
 * from the clock. */
struct ig_preflight_input {
	long               deps_count;      /* packages in node_modules (ig_deps.count) */
	unsigned long long deps_bytes;      /* their size in bytes, for the message */
	bool               deps_partial;    /* the count is a lower bound */
	const char        *deps_note;       /* why, shown in the message; may be NULL */
	bool               image_known;     /* false: "image not available" (warn) */
	double             image_mb;        /* image size in MB when known */
	const char        *image;           /* image reference for messages; may be NULL */
	bool               last_run_known;
	long               last_run_ms;     /* duration of the previous run */
	const struct timespec *now;         /* timestamp to record; NULL: the clock */
};

struct ig_preflight_check {
	const char *name;                   /* one of IG_CHECK_*; static storage */
	enum ig_preflight_status status;
	bool        info;                   /* dependency-count above infoCount (status pass) */
	char        message[IG_PREFLIGHT_MSG_MAX];   /* human-readable, with the numbers */
	bool        has_value;              /* false: value unknown (JSON null) */
	double      value;
	double      threshold;
};

struct ig_preflight {
	char  *service_name;
	char   timestamp[32];               /* "2026-11-28T20:00:00.000Z" (UTC, ms) */
	enum ig_preflight_status overall;
	struct ig_preflight_check checks[IG_PREFLIGHT_CHECKS];
	size_t checks_n;                    /* IG_PREFLIGHT_CHECKS after a run */
};

/* Copies a dependency scan's result into in (count, bytes, partial, note);
 * in->deps_note then borrows deps->note. */
void ig_preflight_input_set_deps(struct ig_preflight_input *in, const struct ig_deps *deps);

/* Runs every check for svc with the facts in in (NULL: all unknown, as a
 * zeroed input). Returns 0 with *out owned by the caller (free with
 * ig_preflight_free) — a failing check is a result, not an error — or -1
 * with err: IG_EINVAL for a NULL svc, IG_ENOMEM. */
int ig_preflight_run(const struct ig_service *svc, const struct ig_preflight_input *in,
    struct ig_preflight **out, struct ig_err *err);

/* Frees pf. NULL-safe. */
void ig_preflight_free(struct ig_preflight *pf);

/* "pass", "warn" or "fail" (static strings); "fail" for anything unknown. */
const char *ig_preflight_status_name(enum ig_preflight_status st);

/* Counts the checks of pf with status st. */
size_t ig_preflight_count(const struct ig_preflight *pf, enum ig_preflight_status st);

#endif
