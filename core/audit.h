/*
 * audit.h — the security audit of one run: evidence, labelled by source.
 *
 * Sources, strongest first:
 *   engine   — facts from Docker and the kernel the service cannot influence:
 *              OOM kill, timeout kill, exit by signal, PIDs-limit pressure,
 *              output truncation, filesystem changes of a writable rootfs.
 *   launcher — records from the in-container launcher, verified by HMAC
 *              (core/channel.h): network, filesystem and spawn attempts.
 *   output   — patterns in stdout/stderr. A weak hint only: untrusted code
 *              can print anything, so these never decide overallStatus.
 *
 * overallStatus: "clean" when no blocked attempt and no engine fact says
 * otherwise; "violations" when something was blocked or a limit killed the
 * run; "unknown" when the launcher channel was lost or records were forged
 * (the run cannot be vouched for).
 */
#ifndef IG_AUDIT_H
#define IG_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;
struct ig_policy;

#define IG_AUDIT_EVENTS_MAX 500   /* events kept per run; the rest are counted */

struct ig_audit;

/* Engine facts gathered by the execution engine. */
struct ig_audit_facts {
	bool   audit_mode;
	bool   oom_killed;
	bool   timed_out;
	int    exit_code;             /* -1 when unknown */
	int    signal;                /* signal that ended the main process, or 0 */
	bool   stdout_truncated;
	bool   stderr_truncated;
	long   pids_limit_hits;       /* from the cgroup's pids.events, -1 unknown */
	long   pids_limit;
	bool   launcher_expected;     /* the runtime image has the launcher */
	bool   launcher_exit_seen;    /* verified exit record arrived */
	size_t launcher_forged;       /* record-like lines that failed verification */
};

/* Creates an empty audit for policy (borrowed; copied into the JSON at once).
 * Returns NULL on allocation failure. */
struct ig_audit *ig_audit_new(const struct ig_policy *policy);

/* Frees a. NULL-safe. */
void ig_audit_free(struct ig_audit *a);

/* Adds one event. type: network|filesystem|process|resource|output|integrity;
 * source: engine|launcher|output. Strings are copied; NULL target/details
 * are omitted. Past IG_AUDIT_EVENTS_MAX events are counted, not kept. */
void ig_audit_add(struct ig_audit *a, const char *source, const char *type,
    const char *action, const char *target, bool allowed, const char *details);

/* Adds the launcher's verified "event" records (array of record objects as
 * returned by ig_channel_records); other record types are ignored. */
void ig_audit_add_launcher_records(struct ig_audit *a, struct json_object *records);

/* Adds engine events for facts (OOM, timeout, signal, truncation, PIDs,
 * launcher channel state). */
void ig_audit_add_facts(struct ig_audit *a, const struct ig_audit_facts *facts);

/* Adds a filesystem change reported by the engine for a writable rootfs
 * (kind: 0 modified, 1 added, 2 deleted). */
void ig_audit_add_change(struct ig_audit *a, const char *path, int kind);

/* Scans captured output for weak hints (denied network, read-only
 * filesystem, refused spawn) and adds them as source "output". */
void ig_audit_scan_output(struct ig_audit *a, const char *text, size_t len);

/* Returns {"policy":…,"events":[…],"summary":{…}} (DESIGN §5 plus
 * per-source counts), a new reference owned by the caller, or NULL. */
struct json_object *ig_audit_to_json(const struct ig_audit *a);

#endif
