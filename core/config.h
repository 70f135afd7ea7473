/*
 * config.h — the server configuration of ignite-fcgi (DESIGN §9).
 *
 * One YAML file, ignite.yaml (path given with --config), with the sections
 * server, paths, limits, execution, retention, auth, sandbox, async and log. Every field has
 * a default and a command-line override; the reference is docs/config.md and
 * the commented ignite.yaml.example.
 *
 * Precedence: a flag beats the file, the file beats the default. The daemon
 *   1. ig_config_defaults(&cfg)
 *   2. ig_config_load(path, &cfg, …) when --config is given
 *   3. ig_config_set_flag(&cfg, name, value, …) for each override, in order
 *   4. ig_config_check(&cfg, …) for the rules between fields
 * and repeats the same steps into a fresh struct on SIGHUP.
 *
 * Validation is strict: unknown keys, wrong types and out-of-range values
 * are errors, every one reported with file:line; numbers are integers in
 * the unit their name says (bytes, seconds, ms); nothing is clamped.
 *
 * Paths: relative paths in the file are resolved against the directory of
 * the config file; relative paths given as flags against the current
 * directory at start-up. Stored paths are always absolute, with "." and
 * repeated or trailing "/" removed; ".." components are refused.
 *
 * The configuration holds no secrets: ig_config_to_json can print it all.
 */
#ifndef IG_CONFIG_H
#define IG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "err.h"
#include "log.h"

struct json_object;

enum ig_config_log_format {
	IG_CONFIG_LOG_JSON = 0,         /* one JSON object a line */
	IG_CONFIG_LOG_TEXT,             /* "time level msg key=value…" */
};

/* Defaults in brackets. Integer fields are long, in the unit their name says. */
struct ig_config {
	/* server: */
	char    *socket_path;           /* [/run/ignite/ignite.sock] unix socket to listen on */
	unsigned socket_mode;           /* [0660] permission bits of the socket */
	char    *socket_owner;          /* [NULL = unchanged] user name or numeric uid */
	char    *socket_group;          /* [NULL = unchanged] group name or numeric gid */
	long     workers;               /* [8] FastCGI worker threads, 1..256 */
	long     shutdown_grace_s;      /* [30] SIGTERM: time for in-flight runs */

	/* paths: */
	char    *services_dir;          /* [/var/lib/ignite/services] */
	char    *runs_dir;              /* [/var/lib/ignite/runs] */
	char    *keys_file;             /* [/var/lib/ignite/keys] */

	/* limits: */
	long     body_max;              /* [1 MiB] request body bytes (413 past it) */
	long     output_max;            /* [1 MiB] bytes kept per stream (stdout, stderr) */
	long     rate_per_min;          /* [60] requests per API key per minute */
	long     auth_failures_per_min; /* [10] failed authentications per client address */
	long     max_concurrent;        /* [2 × CPUs, at least 2] executions at once, all keys */
	long     max_concurrent_per_key;/* [4, at most max_concurrent] executions at once for one key */
	long     slot_wait_ms;          /* [2000] wait for a free slot before 429 */

	/* execution: */
	bool     allow_non_audit;       /* [false] honour "audit": false in requests */
	char    *docker_host;           /* [NULL = DOCKER_HOST, else unix:///var/run/docker.sock] */
	long     warm_pool;             /* [0 = off] pre-created containers per runtime */
	long     pids_limit;            /* [64] processes and threads per container */

	/* retention: (0 = no limit) */
	long     retention_max_runs;    /* [10000] */
	long     retention_max_age_days;/* [30] */

	/* auth: scrypt cost of the decoy check for unknown key ids (keys keep
	 * their own); 0 = the keys module's default (IG_KEYS_SCRYPT_*) */
	long     scrypt_n;              /* [0] CPU/memory cost, a power of two */
	long     scrypt_r;              /* [0] block size */
	long     scrypt_p;              /* [0] parallelism */
	long     key_cache_ttl_s;       /* [60] verified keys kept in memory; 0 = no cache */
	long     session_ttl_s;         /* [43200] browser session lifetime */
	bool     secure_cookies;        /* [false] Secure attribute on cookies (set behind TLS) */

	/* sandbox: what ad-hoc runs (code sent in the request) may ask for */
	char    *sandbox_runtimes;      /* [node,bun,deno] runtime patterns, comma-joined ("" = none) */
	long     sandbox_max_memory_mb; /* [512] */
	long     sandbox_max_cpus;      /* [1] */
	long     sandbox_max_timeout_ms;/* [30000] */
	long     sandbox_max_files;     /* [64] files in one request */
	long     sandbox_max_total_bytes;/* [512 KiB] decoded bytes of all files */
	long     sandbox_max_file_bytes;/* [256 KiB] decoded bytes of one file */
	long     sandbox_max_depth;     /* [8] path components of one file name */
	char    *sandbox_work_dir;      /* [/var/lib/ignite/adhoc] per-run directories go here */

	/* async: queued runs, callbacks, batches, idempotency */
	long     async_queue;           /* [64] runs waiting */
	long     async_workers;         /* [2] threads running them */
	long     batch_max;             /* [20] requests in one POST /api/batch */
	long     idempotency_ttl_s;     /* [86400] an Idempotency-Key is remembered this long */
	char    *callback_allow;        /* [""] CIDRs allowed as callback targets despite the denylist */
	long     callback_retries;      /* [3] attempts after the first */
	long     callback_timeout_ms;   /* [5000] one attempt */

	/* log: */
	enum ig_log_level         log_level;  /* [info] */
	enum ig_config_log_format log_format; /* [json] */

	char    *source;                /* the config file loaded last, NULL for none */
};

/* One command-line override. The daemon builds its getopt_long table from
 * these: has_arg is getopt's required_argument or optional_argument (the
 * booleans: "--allow-non-audit" means true, "--allow-non-audit=false"). */
struct ig_config_flag {
	const char *name;               /* long option without "--": "workers" */
	int         has_arg;            /* required_argument / optional_argument */
	const char *metavar;            /* "N", "PATH", "MODE", … */
	const char *key;                /* the YAML path it overrides: "server.workers" */
	const char *help;               /* one line */
};

/* Fills cfg with the defaults (the CPU count decides max_concurrent). Any
 * previous content is overwritten, not freed. Returns 0, or -1 when memory
 * runs out (cfg then holds nothing to free). Free with ig_config_free. */
int ig_config_defaults(struct ig_config *cfg);

/* Parses ignite.yaml text (len bytes, need not be NUL-terminated; at most
 * IG_YAML_MAX_BYTES) over cfg, which must already hold values (defaults, or
 * an earlier load). `file` names the text in diagnostics and anchors
 * relative paths (its directory; the current directory when it has none).
 * All or nothing: returns 0 with cfg updated, or -1 with cfg untouched and
 * IG_EINVAL (every problem in diags), IG_ENOMEM or IG_EINTERNAL in err. */
int ig_config_parse(const char *text, size_t len, const char *file,
    struct ig_config *cfg, struct ig_diags *diags, struct ig_err *err);

/* Checks the rules between fields on the final configuration (after the
 * file and every flag, so the order of flags does not matter):
 * maxConcurrentPerKey <= maxConcurrent, and the scrypt parameters (0 taken
 * as the keys module's defaults) within the memory and work caps of
 * bounds.h. Adds one diagnostic per broken rule (file: cfg->source, no
 * line). Returns 0, or -1 with IG_EINVAL. */
int ig_config_check(const struct ig_config *cfg, struct ig_diags *diags, struct ig_err *err);

/* Reads the file at path and parses it as ig_config_parse. Refuses
 * (IG_EPERM) a file that others may write: one writable by "others", or
 * owned by a user other than root and the effective user; refuses a
 * non-regular file (IG_EINVAL), a file larger than IG_YAML_MAX_BYTES
 * (IG_EINVAL with a diagnostic), a missing one (IG_ENOENT). cfg untouched
 * on failure. */
int ig_config_load(const char *path, struct ig_config *cfg,
    struct ig_diags *diags, struct ig_err *err);

/* The overrides, in the order `ig_config_usage` prints them; *n receives
 * the count. Static storage; never NULL. */
const struct ig_config_flag *ig_config_flags(size_t *n);

/* Applies one override: name is a flag name ("workers", without "--"),
 * value its text (NULL for a boolean flag given without "=value", meaning
 * true; "" clears the optional strings socket-owner, socket-group and
 * docker-host back to their defaults). Same rules as the file; relative
 * paths are resolved against the current directory. Returns 0, or -1 with
 * cfg untouched and err: IG_EINVAL "--workers: must be …", or IG_ENOMEM. */
int ig_config_set_flag(struct ig_config *cfg, const char *name, const char *value,
    struct ig_err *err);

/* Prints one line per override ("  --workers=N  … [8] (server.workers)")
 * with the defaults of this machine. */
void ig_config_usage(FILE *out);

/* Returns the configuration as JSON in the file's shape (sections, YAML
 * key names, socketMode as "0660", log level and format as words); unset
 * optional strings are left out, so the output parses back as ignite.yaml.
 * A new reference owned by the caller, or NULL on allocation failure. */
struct json_object *ig_config_to_json(const struct ig_config *cfg);

/* Deep-copies src into dst (dst's previous content is overwritten, not
 * freed). Returns 0, or -1 with IG_ENOMEM and dst holding nothing to free. */
int ig_config_copy(struct ig_config *dst, const struct ig_config *src, struct ig_err *err);

/* Returns the YAML path of the first field that differs between a and b
 * and only takes effect on a restart (the socket and its owner, group and
 * mode, the worker count), or NULL when a reload can apply b in full. */
const char *ig_config_restart_field(const struct ig_config *a, const struct ig_config *b);

/* Frees the strings cfg owns and zeroes it. NULL-safe. */
void ig_config_free(struct ig_config *cfg);

#endif
