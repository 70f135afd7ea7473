/*
 * request.h — execute requests as clients send them, and what a client is
 * told when one fails.
 *
 * A request body (bytes the caller has already read, within its size
 * limit) becomes a validated struct ig_request, or an error that names the
 * problem, the field and the reason. The bodies:
 *
 *   ig_request_execute   POST /api/services/{name}/execute
 *                        {"input", "audit", "skipPreflight", "stdin", "limits"}
 *   ig_request_job       the same endpoint with "async", "callbackUrl" or an
 *                        Idempotency-Key (IG_REQUEST_SERVICE); POST /api/execute
 *                        (IG_REQUEST_ADHOC: "runtime", "files", "entry"); one
 *                        entry of a batch (IG_REQUEST_BATCH_ITEM: "service" or
 *                        files)
 *   ig_request_batch     POST /api/batch {"requests": [ … ]}
 *
 * Every body is first parsed by ig_request_parse: strict JSON (core/jsonin.h:
 * UTF-8, JSON numbers only, nothing after the value) nested at most
 * IG_JSON_MAX_DEPTH deep, no object with the same member name twice and no
 * member name holding a NUL character (either would let two readers of one
 * body see different requests), and an object at the top.
 *
 * The structs point into the parsed document: keep it until they are no
 * longer used. Nothing here allocates beyond the document itself.
 */
#ifndef IG_REQUEST_H
#define IG_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct json_object;

#define IG_REQUEST_FIELD_MAX 128        /* size of ig_request_error.field */

/* What is wrong with a body, as the client is told (ig_request_problem_name). */
enum ig_request_problem {
	IG_REQUEST_OK = 0,
	IG_REQUEST_BAD_JSON,            /* not strict JSON, too deep, a name twice */
	IG_REQUEST_NOT_OBJECT,          /* the body (or a batch entry) is not an object */
	IG_REQUEST_BAD_FIELD,           /* a field unknown, missing, mistyped or out of range */
	IG_REQUEST_TOO_LARGE,           /* a field larger than its limit */
	IG_REQUEST_AUDIT_REQUIRED,      /* "audit": false where every run is audited */
};

struct ig_request_error {
	enum ig_request_problem problem;
	char field[IG_REQUEST_FIELD_MAX];   /* "limits.memoryMb", "requests", or "" */
	struct ig_err err;                  /* IG_EINVAL, IG_ETOOBIG or IG_EPERM, and the message */
};

/* What the server allows; the rest of the checks are fixed. */
struct ig_request_opts {
	bool allow_non_audit;           /* "audit": false may be asked for */
	long batch_max;                 /* most entries in one batch */
};

enum ig_request_kind {
	IG_REQUEST_SERVICE,             /* a service's execute asking for async, callback, idempotency */
	IG_REQUEST_ADHOC,               /* files sent in the request */
	IG_REQUEST_BATCH_ITEM,          /* one entry of a batch: a service or files; always async */
};

/* One execute request. Pointers lead into the parsed document. Numbers are
 * 0 when not asked for. */
struct ig_request {
	const char *input;              /* the "input" value as JSON text, or NULL */
	size_t input_len;
	bool audit;                     /* true unless "audit": false */
	bool audit_given;
	bool skip_preflight;
	bool async;
	const char *stdin_data;         /* may hold NUL bytes: use stdin_len */
	size_t stdin_len;
	long memory_mb;                 /* "limits" */
	long timeout_ms;
	double cpu;
	const char *callback_url;
	const char *service;            /* batch entries that run a service */
	const char *runtime;            /* files: "node@24", … */
	const char *entry;              /* files: NULL for the only file */
	struct json_object *files;      /* files: the "files" object, checked by core/adhoc.h */
};

/* Parses a body of len bytes as described at the top. Returns 0 with *doc
 * (a new reference: json_object_put it), or -1 with e filled
 * (IG_REQUEST_BAD_JSON or IG_REQUEST_NOT_OBJECT) and *doc NULL. */
int ig_request_parse(const char *body, size_t len, struct json_object **doc,
    struct ig_request_error *e);

/* Checks the fields of a service execute body (doc from ig_request_parse):
 * "input" (any JSON, at most IG_INPUT_MAX bytes as text), "audit" and
 * "skipPreflight" (booleans), "stdin" (a string of at most IG_STDIN_MAX
 * bytes), "limits" (an object with
 * positive "memoryMb" and "timeoutMs" integers and a positive "cpuLimit"
 * number; any other member is refused); any other field is refused.
 * Then "audit": false unless o allows it. Returns 0 with *out filled, or -1
 * with e filled. */
int ig_request_execute(struct json_object *doc, const struct ig_request_opts *o,
    struct ig_request *out, struct ig_request_error *e);

/* Checks a body of kind k: the fields of ig_request_execute (with "limits"
 * members bounded by IG_MEMORY_MB_MAX, IG_TIMEOUT_MS_MAX, IG_CPU_LIMIT_MAX
 * and no others, "stdin" at most IG_STDIN_MAX bytes), plus "async"
 * (boolean) and "callbackUrl" (a string, only with "async": true); for
 * files, "runtime" (required) and "entry" (non-empty strings) and "files"
 * (required; its members are core/adhoc.h's to check), always audited; a
 * batch entry names a "service" or sends files, not both, and is async.
 * Every message starts with the field it is about. Returns 0 with *out
 * filled, or -1 with e filled (e->field set). */
int ig_request_job(struct json_object *doc, enum ig_request_kind k,
    const struct ig_request_opts *o, struct ig_request *out, struct ig_request_error *e);

/* Checks a batch body (doc from ig_request_parse): only "requests", an
 * array of 1 to o->batch_max entries, each to be checked with
 * ig_request_job(…, IG_REQUEST_BATCH_ITEM, …). Returns 0 with *requests
 * (borrowed from doc) and *n, or -1 with e filled. */
int ig_request_batch(struct json_object *doc, const struct ig_request_opts *o,
    struct json_object **requests, size_t *n, struct ig_request_error *e);

/* The error code a client is shown for problem p: "invalid_json",
 * "invalid_request", "invalid_field", "payload_too_large",
 * "audit_required" ("ok" for IG_REQUEST_OK). */
const char *ig_request_problem_name(enum ig_request_problem p);

/* ---- failures that are not the request's fault ---------------------------- */

/* The fixed text a client is shown instead of the message of a core error
 * whose class (enum ig_errcode) is not about the request: the engine
 * (IG_EDOCKER_DOWN, IG_EDOCKER, IG_ETIMEOUT), storage (IG_EIO), memory and
 * bugs. Their messages name server paths (the Docker socket, the runs
 * directory, service directories) and belong in the daemon log; these texts
 * never do. NULL for IG_OK, IG_EINVAL, IG_ENOENT, IG_ETOOBIG and IG_EPERM,
 * whose messages describe what was asked: only the caller knows whether
 * that was the client's own input. */
const char *ig_request_failure_text(int code);

/* The message a client is shown when the service in dir cannot be prepared
 * (err from ig_service_load or ig_run_prepare with that dir): err's own for
 * problems of its configuration or files (IG_EINVAL, IG_EPERM: they name
 * files relative to the service), without a leading "<dir>: "; otherwise
 * ig_request_failure_text(), or for IG_ENOENT a fixed text. Points into
 * err->msg or at a constant. */
const char *ig_request_service_problem(const struct ig_err *err, const char *dir);

/* For a run report or an error body o: when its "error" member has a
 * "code" that ig_err_name() gives to such a class, replaces the member's
 * "message" with ig_request_failure_text(). Returns 1 if it did, else 0. */
int ig_request_failure_hide(struct json_object *o);

#endif
