/*
 * log.h — structured logs: one JSON object per line on stderr (or text).
 *
 * Thread-safe: each line is formatted in full, then written with one
 * write(2). Values are escaped; a log line can never be split or forged by
 * what a client sends.
 */
#ifndef IG_LOG_H
#define IG_LOG_H

#include <stdbool.h>

enum ig_log_level { IG_LOG_DEBUG = 0, IG_LOG_INFO, IG_LOG_WARN, IG_LOG_ERROR };

/* Sets the minimum level and the format (json true: JSON lines; false:
 * "time level msg key=value…"). Call once at start-up. */
void ig_log_setup(enum ig_log_level min, bool json);

/* Parses "debug"/"info"/"warn"/"error". Returns 0 or -1. */
int ig_log_level_parse(const char *s, enum ig_log_level *out);

/* Logs msg with key/value string pairs: ig_log(IG_LOG_INFO, "request",
 * "method", "GET", "path", p, NULL). A key starting with '#' marks the value
 * as a number or boolean written unquoted ("#status", "200"). The list ends
 * with NULL. */
void ig_log(enum ig_log_level level, const char *msg, ...) __attribute__((sentinel));

#endif
