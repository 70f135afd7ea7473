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

/* Prints every diagnostic as "<dir>/<file>:<line>: <msg>", one per line. */
void ig_cli_print_diags(const char *dir, const struct ig_diags *d);

/* Prints the usage-error hint "Try 'ignite <verb> --help'." and returns IG_EXIT_USAGE. */
int ig_cli_usage_error(const char *verb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Finds runtimes/runtimes.json ($IGNITE_DATADIR, the source tree, the install
 * prefix). Returns a static path. */
const char *ig_cli_runtimes_file(void);

#endif
