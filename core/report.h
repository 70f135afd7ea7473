/*
 * report.h — turning results into JSON (json-c) and into text for terminals.
 *
 * One place builds the JSON that the API returns, the CLI prints with
 * --json and the run store keeps, so the shapes of DESIGN §5 are written
 * once. Builders for other results (the execution report: metrics,
 * securityAudit, stdout/stderr) belong here too and are meant to be made
 * from the helpers below:
 *
 *   - JSON helpers that add one member and report allocation failure, a
 *     number helper that writes whole numbers as integers (128, not 128.0),
 *     and a bytes helper that turns any byte string (a hostile service's
 *     output) into valid UTF-8 JSON;
 *   - a text writer through which every byte shown on a terminal passes:
 *     control characters, C1 controls, bidi overrides and invalid UTF-8 are
 *     made visible as \xNN or \u{NNNN}; escape sequences come only from
 *     ig_report_text_style, and only when colour is on.
 */
#ifndef IG_REPORT_H
#define IG_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

struct json_object;
struct ig_preflight;

/* ---- colour ------------------------------------------------------------ */

/* True when output to fd may be coloured: fd is a terminal, NO_COLOR is
 * unset or empty, and TERM is not "dumb". Reads the environment: for the
 * CLI, not for per-request use in the daemon. */
bool ig_report_use_colour(int fd);

/* ---- terminal-safe text writer ----------------------------------------- */

enum ig_report_style {
	IG_STYLE_RESET = 0,
	IG_STYLE_BOLD,
	IG_STYLE_DIM,
	IG_STYLE_PASS,          /* green */
	IG_STYLE_WARN,          /* yellow */
	IG_STYLE_FAIL,          /* red */
	IG_STYLE_INFO,          /* cyan */
};

struct ig_report_text {
	FILE *fp;
	bool  colour;
	bool  failed;           /* some write failed; see ig_report_text_finish */
};

/* Starts writing to fp; colour decides whether ig_report_text_style emits
 * anything. */
void ig_report_text_init(struct ig_report_text *w, FILE *fp, bool colour);

/* Writes n bytes of untrusted text. Printable ASCII, "\n", "\t" and valid
 * UTF-8 pass through; other control bytes and invalid UTF-8 become "\xNN",
 * C1 controls and bidi overrides "\u{NNNN}". Never fails (errors are
 * remembered in w->failed). */
void ig_report_text_write(struct ig_report_text *w, const char *p, size_t n);

/* ig_report_text_write of a NUL-terminated string (NULL writes nothing). */
void ig_report_text_puts(struct ig_report_text *w, const char *s);

/* Formats like printf, then writes the result as ig_report_text_write. */
void ig_report_text_printf(struct ig_report_text *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Switches to style (IG_STYLE_RESET ends it) when colour is on; writes
 * nothing otherwise. */
void ig_report_text_style(struct ig_report_text *w, enum ig_report_style st);

/* Flushes. Returns 0, or -1 with err (IG_EIO) if any write failed. */
int ig_report_text_finish(struct ig_report_text *w, struct ig_err *err);

/* ---- JSON helpers -------------------------------------------------------
 * Each adds one member to obj and returns 0, or -1 when memory runs out (obj
 * is then unchanged). Keys are static strings chosen by Ignite. */

/* s as a JSON string; NULL adds null. s must be UTF-8 (Ignite's own text);
 * use ig_report_json_add_bytes for anything else. */
int ig_report_json_add_string(struct json_object *obj, const char *key, const char *s);

/* n arbitrary bytes as a JSON string: NUL and control characters escaped by
 * json-c, each invalid UTF-8 byte replaced by U+FFFD, so the result is
 * always valid JSON. */
int ig_report_json_add_bytes(struct json_object *obj, const char *key, const char *p, size_t n);

/* A number: whole values (|v| < 2^53) as integers, others as the shortest
 * decimal that reads back as v; NaN and infinities as null. */
int ig_report_json_add_number(struct json_object *obj, const char *key, double v);

int ig_report_json_add_int(struct json_object *obj, const char *key, long long v);
int ig_report_json_add_bool(struct json_object *obj, const char *key, bool v);

/* Adds null. */
int ig_report_json_add_null(struct json_object *obj, const char *key);

/* Returns a new JSON number as ig_report_json_add_number would write it
 * (NULL — JSON null — for NaN/inf or when memory runs out). */
struct json_object *ig_report_json_number(double v);

/* Writes o to fp as one line (or indented, with pretty) followed by "\n",
 * without escaping "/". Returns 0, or -1 with err IG_EIO / IG_ENOMEM. */
int ig_report_json_write(struct json_object *o, FILE *fp, bool pretty, struct ig_err *err);

/* ---- preflight ---------------------------------------------------------- */

/* Builds the preflight JSON of DESIGN §5:
 *   {"serviceName":"…","timestamp":"…","overallStatus":"pass",
 *    "checks":[{"name":"memory-allocation","status":"pass","message":"…",
 *               "value":128,"threshold":50}, …]}
 * ("value" is null when unknown). Returns a new reference owned by the
 * caller (json_object_put), or NULL when memory runs out. */
struct json_object *ig_report_preflight_json(const struct ig_preflight *pf);

/* Prints pf for a terminal: a heading, one row per check (status word,
 * name, message), and the overall verdict; colour adds ANSI styles, none is
 * emitted without it. Returns 0, or -1 if writing to fp failed. */
int ig_report_preflight_text(const struct ig_preflight *pf, FILE *fp, bool colour);

#endif
