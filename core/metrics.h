/*
 * metrics.h — the daemon's counters, exposed in Prometheus text format.
 *
 * Series are keyed by their label values; the number of series per metric is
 * bounded (IG_METRICS_SERIES_MAX) so hostile input cannot grow it: past the
 * bound, new label sets are counted under the value "other". Thread-safe.
 */
#ifndef IG_METRICS_H
#define IG_METRICS_H

#include "buf.h"

#define IG_METRICS_SERIES_MAX 512

/* Counts one HTTP request: route is the route pattern (never the raw path),
 * status the HTTP status. */
void ig_metrics_request(const char *route, int status);

/* Counts one finished execution: outcome is the run status ("success",
 * "failed", "timeout", "oom", "error", "blocked", "cancelled"); seconds its
 * duration (negative: not measured). */
void ig_metrics_execution(const char *service, const char *outcome, double seconds);

/* Adjusts the in-flight executions gauge by delta (+1 at start, -1 at end). */
void ig_metrics_inflight(int delta);

/* Counts a Docker error of the given kind ("unavailable", "engine"). */
void ig_metrics_docker_error(const char *kind);

/* Appends the exposition (text format 0.0.4) to out, with the process
 * uptime in seconds. Returns 0, or -1 when out is full. */
int ig_metrics_render(struct ig_buf *out, double uptime_s);

/* Forgets every series (for tests). */
void ig_metrics_reset(void);

#endif
