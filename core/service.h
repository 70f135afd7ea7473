/*
 * service.h — loading and validating a service directory's service.yaml.
 *
 * Schema: DESIGN §3. Every problem is collected into a diagnostics list with
 * its YAML path and line; unknown keys are errors. The entry file must be a
 * regular file beneath the service directory (no absolute path, no "..", no
 * symlink that leaves the directory).
 */
#ifndef IG_SERVICE_H
#define IG_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "err.h"

struct json_object;

struct ig_env_var {
	char *name;
	char *value;                    /* scalars taken as text: PORT: 3000 → "3000" */
};

/* Preflight thresholds (`preflight:`); every field has a default. */
struct ig_preflight_cfg {
	double memory_base_mb;          /* 50 */
	double memory_per_dep_mb;       /* 2 */
	double memory_warn_ratio;       /* 1 */
	double memory_fail_ratio;       /* 0.8 */
	long   deps_warn_count;         /* 100 */
	long   deps_info_count;         /* 50 */
	double image_warn_mb;           /* 500 */
	double image_fail_mb;           /* 1000 */
	long   timeout_min_ms;          /* 100 */
	long   timeout_max_ms;          /* 30000 */
	long   cold_start_buffer_ms;    /* 500 */
};

struct ig_service {
	char  *dir;                     /* the directory as given to ig_service_load */
	char  *name;
	char  *runtime;                 /* as written: "node@24", "bun", … */
	char  *entry;                   /* relative path inside dir */
	long   memory_mb;
	double cpu_limit;               /* default 1 */
	long   timeout_ms;
	struct ig_env_var *env;
	size_t env_n;
	struct ig_preflight_cfg preflight;
};

/* Fills cfg with the default preflight thresholds. */
void ig_preflight_cfg_defaults(struct ig_preflight_cfg *cfg);

/* Parses and validates service.yaml text (len bytes; need not be
 * NUL-terminated). `file` names it in diagnostics. Does not touch the
 * filesystem. Returns 0 with *out owned by the caller (ig_service_free), or
 * -1: IG_EINVAL with every problem in diags, or another code in err. */
int ig_service_parse(const char *text, size_t len, const char *file,
    struct ig_service **out, struct ig_diags *diags, struct ig_err *err);

/* Loads <dir>/service.yaml (read without following symlinks out of dir),
 * validates it, and checks the entry file beneath dir. With require_dir_name,
 * service.name must equal the directory's base name (as when served).
 * Returns 0 with *out owned by the caller, or -1 as ig_service_parse
 * (IG_ENOENT when dir or service.yaml is missing). */
int ig_service_load(const char *dir, bool require_dir_name,
    struct ig_service **out, struct ig_diags *diags, struct ig_err *err);

/* Returns 1 if name matches ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$, else 0. */
int ig_service_name_ok(const char *name);

/* Returns the validated config as JSON (DESIGN §3 field names), a new
 * reference owned by the caller, or NULL on allocation failure. */
struct json_object *ig_service_to_json(const struct ig_service *svc);

/* Frees svc and everything it owns. NULL-safe. */
void ig_service_free(struct ig_service *svc);

#endif
