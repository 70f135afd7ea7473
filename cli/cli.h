/*
 * cli.h — the `ignite` command line: one file per verb, all thin over core.
 *
 * Exit codes (documented in docs/cli.md and `ignite --help`):
 *   0 success · 1 failure (preflight fail, drift, blocked run, file exists)
 *   2 usage error or invalid configuration · run/exec mirror the service's
 *   exit code (124 timeout, 137 OOM kill)
 */
#ifndef IG_CLI_H
#define IG_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "err.h"
#include "report.h"
#include "run.h"

struct json_object;

#define IG_EXIT_OK        0
#define IG_EXIT_FAIL      1
#define IG_EXIT_USAGE     2
#define IG_EXIT_INVALID   2
#define IG_EXIT_TIMEOUT   124
#define IG_EXIT_OOM       137

struct ig_cli_verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* Verbs, one per cli/cmd_<verb>.c. Each parses its own options (getopt_long,
 * argv[0] is the verb) and prints its own --help. */
int ig_cmd_init(int argc, char **argv);
int ig_cmd_preflight(int argc, char **argv);
int ig_cmd_report(int argc, char **argv);
int ig_cmd_run(int argc, char **argv);
int ig_cmd_exec(int argc, char **argv);
int ig_cmd_lock(int argc, char **argv);
int ig_cmd_env(int argc, char **argv);
int ig_cmd_keys(int argc, char **argv);
int ig_cmd_sweep(int argc, char **argv);

/* Prints "ignite: <subject>: <msg>" (or "ignite: <msg>" without subject) on stderr. */
void ig_cli_error(const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints an ig_err as one line on stderr: "ignite: <msg>". */
void ig_cli_print_err(const struct ig_err *err);

/* Prints why a service directory is invalid: every diagnostic as
 * "<dir>/<file>:<line>: <msg>", one per line, then "ignite: <dir>: <err>"
 * (the summary, or the only error when there are no diagnostics). */
void ig_cli_print_invalid(const char *dir, const struct ig_diags *d, const struct ig_err *err);

/* Prints the usage-error hint "Try 'ignite <verb> --help'." and returns IG_EXIT_USAGE. */
int ig_cli_usage_error(const char *verb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Finds runtimes/runtimes.json ($IGNITE_DATADIR, the source tree, the install
 * prefix). Returns a static path. */
const char *ig_cli_runtimes_file(void);

/* Reads the file at path ("-": standard input), at most max bytes, into a
 * NUL-terminated malloc'd buffer. Prints the error (one line, naming the
 * file) and returns -1 on failure. */
int ig_cli_read_file(const char *path, size_t max, char **out, size_t *len);

/* A run's output streamed to this terminal as it arrives, through the
 * terminal-safe writer (a hostile service cannot drive the terminal). */
struct ig_cli_live {
	struct ig_report_text out, err;
};
void ig_cli_live_init(struct ig_cli_live *lv);
void ig_cli_live_output(void *arg, int stream, const char *p, size_t n);   /* an ig_exec_output_fn */
void ig_cli_live_finish(struct ig_cli_live *lv);

/* The summary on stderr after a run: status, exit code, time, memory,
 * audit verdict, run id, the error, and for a blocked run its failed checks. */
void ig_cli_run_summary(struct json_object *report, bool colour);

/* What verbs that check or run a service share. */
struct ig_cli_ctx {
	struct ig_runtime_registry *registry;
	struct ig_docker *docker;
	struct ig_store *store;
	struct ig_run_ctx run;          /* borrows the three above */
};

#define IG_CLI_DOCKER 1             /* open a Docker client (DOCKER_HOST) */
#define IG_CLI_STORE  2             /* open the run store */

/* Loads the runtime registry and, as flags ask, a Docker client and the run
 * store (runs_dir, or $IGNITE_RUNS_DIR, or ~/.local/state/ignite/runs).
 * Prints the error and returns -1 on failure. */
int ig_cli_ctx_open(struct ig_cli_ctx *cx, int flags, const char *runs_dir);

/* Frees what ig_cli_ctx_open made. */
void ig_cli_ctx_close(struct ig_cli_ctx *cx);

#endif
