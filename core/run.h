/*
 * run.h — a service run end to end: the one path the CLI and the daemon share.
 *
 *   load service.yaml and the policy → resolve the runtime → scan
 *   node_modules → inspect the image → preflight → (unless blocked) execute
 *   in a fresh container → build the execution report (DESIGN §5) → store it
 *   durably before anyone is told about it.
 */
#ifndef IG_RUN_H
#define IG_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "err.h"
#include "exec.h"

struct json_object;
struct ig_docker;
struct ig_store;
struct ig_pool;
struct ig_reaper;
struct ig_runtime_registry;
struct ig_service;
struct ig_policy;
struct ig_preflight;
struct ig_runtime_resolved;

/* Long-lived things a run needs; none is owned by the run. */
struct ig_run_ctx {
	const struct ig_runtime_registry *registry;
	struct ig_docker *docker;           /* this thread's client; NULL: no engine */
	struct ig_store *store;             /* NULL: the report is not stored */
	struct ig_pool *pool;               /* warm containers (the daemon), or NULL */
	struct ig_reaper *reaper;           /* removal off the response path, or NULL */
};

struct ig_run_request {
	const char *dir;                    /* the service directory */
	bool require_dir_name;              /* service.name must equal the directory name */
	const char *runtime_override;       /* NULL: service.runtime */
	bool audit;
	bool skip_preflight;                /* run even when preflight fails (still reported) */
	const char *input_json;             /* JSON text, validated by the caller; NULL: null */
	size_t input_len;
	const char *stdin_data;
	size_t stdin_len;
	long   max_memory_mb;               /* per-request limits: may only tighten; 0 none */
	long   max_timeout_ms;
	double max_cpu;
	size_t output_max;                  /* per stream; 0 default */
	long   pids_limit;                  /* 0 default */
	ig_exec_output_fn on_output;        /* streaming, optional */
	void  *output_arg;
	void (*on_preflight)(void *arg, struct json_object *preflight);   /* optional */
	void  *preflight_arg;
	const volatile int *cancel;         /* optional */
	const char *run_id;                 /* preassigned id (async jobs); NULL: a fresh one */
	const char *kind;                   /* report "kind": NULL is "service"; "adhoc" … */
	struct json_object *extra;          /* fields added to the report (borrowed), or NULL */
};

enum ig_run_status {
	IG_RUN_DONE = 0,      /* the service ran: report says how it went */
	IG_RUN_BLOCKED,       /* preflight failed: report holds the preflight */
	IG_RUN_INVALID,       /* the service or policy is invalid: diags/err say why */
	IG_RUN_FAILED,        /* the run could not happen (engine down, image missing,
	                         disk full): err says why; report, if any, records it */
};

/* Everything preflight needs, gathered once (for `ignite preflight`, the
 * preflight endpoint, and the first half of a run). */
struct ig_run_prepared {
	struct ig_service *svc;
	struct ig_policy *policy;
	struct ig_runtime_resolved *rt;
	struct ig_preflight *preflight;
	char *abs_dir;                      /* realpath of the service directory */
};

/* Loads and validates the service in dir, its policy and runtime, scans its
 * dependencies, asks the engine for the image size (unknown when ctx->docker
 * is NULL or the engine is down) and runs preflight. Returns 0 with *out
 * filled (free with ig_run_prepared_free), or -1: IG_EINVAL with diags (an
 * invalid service.yaml or policy) or err (unknown runtime, unsuitable
 * entry), IG_ENOENT for a missing directory or service.yaml. */
int ig_run_prepare(const struct ig_run_ctx *ctx, const char *dir, bool require_dir_name,
    const char *runtime_override, struct ig_run_prepared *out, struct ig_diags *diags,
    struct ig_err *err);

/* Frees what p owns. NULL-safe. */
void ig_run_prepared_free(struct ig_run_prepared *p);

/* Runs req. Returns an enum ig_run_status. *report (a new reference owned by
 * the caller, or NULL) is the execution report for DONE and BLOCKED, and for
 * FAILED once the run had an id (it is then stored as an "error" run).
 * diags and err are filled for INVALID and FAILED. */
int ig_run_service(const struct ig_run_ctx *ctx, const struct ig_run_request *req,
    struct json_object **report, struct ig_diags *diags, struct ig_err *err);

/* Runs an already prepared service (an ad-hoc run builds one in memory; req's
 * dir, require_dir_name and runtime_override are then unused). prep is only
 * read. Returns and fills as ig_run_service. */
int ig_run_prepared(const struct ig_run_ctx *ctx, const struct ig_run_prepared *prep,
    const struct ig_run_request *req, struct json_object **report, struct ig_err *err);

/* Declares the service at dir to ctx->pool (ig_pool_declare) with the
 * configuration a request without options runs, so its first request
 * already finds a warm container. No pool: nothing to do. Returns 0, or -1
 * with err (the service is invalid, fails preflight, or the pool is full). */
int ig_run_warm_declare(const struct ig_run_ctx *ctx, const char *dir, struct ig_err *err);

/* Maps a finished report to the CLI's exit code convention: the service's
 * exit code, 124 on timeout, 137 on OOM kill, 1 when blocked or failed. */
int ig_run_exit_code(struct json_object *report);

#endif
