/*
 * exec.h — one hardened, single-use container run.
 *
 * Creates the container (limits, labels, read-only service mount, audit
 * hardening), attaches before start, delivers the input to the launcher on
 * stdin, streams stdout/stderr with a per-stream cap, kills at the deadline,
 * samples the container's cgroup, collects the audit, and ALWAYS removes the
 * container — on success, failure, timeout, cancellation and engine errors.
 * Containers carry the label ignite.managed=1 (plus ignite.run and
 * ignite.service) so a sweep can remove any left behind by a crash.
 */
#ifndef IG_EXEC_H
#define IG_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct json_object;
struct ig_docker;
struct ig_policy;
struct ig_env_var;
struct ig_runtime_resolved;
struct ig_audit;
struct ig_pool;
struct ig_reaper;
struct ig_exec_warm;

#define IG_LABEL_MANAGED  "ignite.managed"
#define IG_LABEL_RUN      "ignite.run"
#define IG_LABEL_SERVICE  "ignite.service"
#define IG_LABEL_OWNER    "ignite.owner"      /* "<pid>.<start time>" of the process that ran it */
#define IG_CONTAINER_USER "10001:10001"

struct ig_exec_limits {
	long   memory_mb;           /* > 0 */
	double cpu;                 /* > 0 */
	long   timeout_ms;          /* > 0; counts from input delivery */
	long   pids;                /* 0: IG_PIDS_LIMIT_DEFAULT */
	size_t output_max;          /* bytes kept per stream; 0: IG_OUTPUT_MAX_DEFAULT */
};

/* Called with output as it arrives (stream 1 stdout, 2 stderr; launcher
 * records already removed), up to the per-stream cap. */
typedef void (*ig_exec_output_fn)(void *arg, int stream, const char *p, size_t n);

struct ig_exec_spec {
	const char *run_id;                       /* 32 hex: labels and container name */
	const char *service_name;
	const char *host_dir;                     /* absolute; mounted read-only at /app */
	const char *entry;                        /* relative to host_dir */
	const struct ig_env_var *env;             /* service env */
	size_t env_n;
	const struct ig_runtime_resolved *rt;
	const struct ig_policy *policy;           /* never NULL */
	bool audit;                               /* audit-mode hardening */
	struct ig_exec_limits limits;
	const char *input_json;                   /* JSON text; NULL means null */
	size_t input_len;
	const char *stdin_data;                   /* optional text for the service's stdin */
	size_t stdin_len;
	ig_exec_output_fn on_output;              /* optional */
	void *output_arg;
	const volatile int *cancel;               /* optional: non-zero stops the run */
	struct ig_pool *pool;                     /* optional warm pool (core/pool.h) */
	struct ig_reaper *reaper;                 /* optional: removes the container after
	                                           * the run returns (core/reaper.h) */
};

struct ig_exec_result {
	char    container_id[65];
	int     exit_code;             /* -1 when unknown */
	int     signal;                /* signal that ended the main process, or 0 */
	bool    timed_out;
	bool    oom_killed;
	bool    cancelled;
	bool    cold_start;
	int64_t duration_ms;           /* input delivery → exit */
	int64_t init_ms;               /* launcher start → entry loaded, -1 unknown */
	double  memory_mb;             /* peak from the cgroup (else the launcher's RSS), -1 unknown */
	struct ig_buf out;             /* stdout, capped */
	struct ig_buf err;             /* stderr without launcher records, capped */
	bool    out_truncated;
	bool    err_truncated;
	char    started_at[32];        /* ISO-8601 UTC with milliseconds */
	char    finished_at[32];
	struct ig_audit *audit;        /* owned: facts, launcher events, output hints */
};

/* Builds the Engine API ContainerConfig for spec (pure; key_hex unused here
 * but the launcher key never goes into the config). Returns 0 with *out a
 * new reference owned by the caller, or -1 with err (IG_EINVAL for a spec
 * that cannot be expressed safely, e.g. a host_dir that is not absolute). */
int ig_exec_container_config(const struct ig_exec_spec *spec, struct json_object **out,
    struct ig_err *err);

/* Runs spec once on the engine behind dk. Returns 0 when the container ran
 * (whatever the service did: see res), or -1 with err when the run could not
 * happen or was broken off by the engine (IG_EDOCKER_DOWN, IG_ENOENT for a
 * missing image, IG_EDOCKER …); res is still filled as far as it got and must
 * be freed with ig_exec_result_free either way. */
int ig_exec_run(struct ig_docker *dk, const struct ig_exec_spec *spec,
    struct ig_exec_result *res, struct ig_err *err);

/* Frees what res owns. NULL-safe. */
void ig_exec_result_free(struct ig_exec_result *res);

/* Creates a container from config (named name, or unnamed), attaches to it
 * and starts it: its launcher then waits for input. Returns 0 with *out
 * owned by the caller (run it with ig_exec_run through a pool, or throw it
 * away with ig_exec_warm_discard), or -1 with err. On failure nothing is
 * left behind. */
int ig_exec_start(struct ig_docker *dk, struct json_object *config, const char *name,
    struct ig_exec_warm **out, struct ig_err *err);

/* Removes a started container that will not be used. NULL-safe. */
void ig_exec_warm_discard(struct ig_docker *dk, struct ig_exec_warm *w);

/* True when nothing has arrived on w's stream since it started: its
 * launcher still waits (it writes nothing before its input). False means
 * the stream ended or carried something: ask the engine. */
bool ig_exec_warm_quiet(const struct ig_exec_warm *w);

/* The container id of w (owned by w). */
const char *ig_exec_warm_id(const struct ig_exec_warm *w);

/* The pool key of spec: its container configuration without run-specific
 * parts, as text (malloc'd; the caller frees). Two runs with the same key
 * can use each other's warm containers. Returns 0 or -1 with err. */
int ig_exec_pool_key(const struct ig_exec_spec *spec, char **out, struct ig_err *err);

/* Makes every run in progress in this process stop (container killed and
 * removed, result marked cancelled). For shutdown; async-signal-safe. */
void ig_exec_cancel_all(void);

/* Removes containers labelled ignite.managed=1 that a crashed run left
 * behind: those whose owner process is gone (or, with all, every one).
 * Returns the number removed, or -1 with err. */
int ig_exec_sweep(struct ig_docker *dk, bool all, struct ig_err *err);

#endif
