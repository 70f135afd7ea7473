/* metrics.c — counters, a gauge and a histogram in Prometheus text format. */
#include "metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_MAX 96

static const double buckets[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct series {
	char   a[LABEL_MAX];         /* first label value */
	char   b[LABEL_MAX];         /* second label value */
	unsigned long long count;
	/* histogram only */
	unsigned long long bucket[NBUCKETS];
	double sum;
};

struct family {
	struct series *v;
	size_t n, cap;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct family requests, executions, durations, docker_errors;
static long inflight;

/* Copies s into dst (LABEL_MAX), keeping only characters safe in a label. */
static void
label_copy(char *dst, const char *s)
{
	size_t i = 0;

	for (; s != NULL && *s && i < LABEL_MAX - 1; s++) {
		unsigned char c = (unsigned char)*s;
		dst[i++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '_';
	}
	dst[i] = '\0';
}

/* Finds or adds the series (a, b). Caller holds lock. */
static struct series *
series_get(struct family *f, const char *a, const char *b)
{
	char la[LABEL_MAX], lb[LABEL_MAX];
	size_t i;

	label_copy(la, a);
	label_copy(lb, b);
	for (;;) {
		for (i = 0; i < f->n; i++)
			if (strcmp(f->v[i].a, la) == 0 && strcmp(f->v[i].b, lb) == 0)
				return &f->v[i];
		if (f->n < IG_METRICS_SERIES_MAX - 1 || (strcmp(la, "other") == 0 && f->n < IG_METRICS_SERIES_MAX))
			break;
		/* Full: fold into the "other" series. */
		snprintf(la, sizeof(la), "other");
		snprintf(lb, sizeof(lb), "other");
		for (i = 0; i < f->n; i++)
			if (strcmp(f->v[i].a, la) == 0 && strcmp(f->v[i].b, lb) == 0)
				return &f->v[i];
	}
	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 16;
		struct series *nv = realloc(f->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return NULL;
		f->v = nv;
		f->cap = ncap;
	}
	memset(&f->v[f->n], 0, sizeof(f->v[f->n]));
	memcpy(f->v[f->n].a, la, sizeof(la));
	memcpy(f->v[f->n].b, lb, sizeof(lb));
	return &f->v[f->n++];
}

void
ig_metrics_request(const char *route, int status)
{
	char st[16];
	struct series *s;

	snprintf(st, sizeof(st), "%d", status);
	pthread_mutex_lock(&lock);
	if ((s = series_get(&requests, route, st)) != NULL)
		s->count++;
	pthread_mutex_unlock(&lock);
}

void
ig_metrics_execution(const char *service, const char *outcome, double seconds)
{
	struct series *s;
	size_t i;

	pthread_mutex_lock(&lock);
	if ((s = series_get(&executions, service, outcome)) != NULL)
		s->count++;
	if (seconds >= 0 && (s = series_get(&durations, "", "")) != NULL) {
		s->count++;
		s->sum += seconds;
		for (i = 0; i < NBUCKETS; i++)
			if (seconds <= buckets[i])
				s->bucket[i]++;
	}
	pthread_mutex_unlock(&lock);
}

void
ig_metrics_inflight(int delta)
{
	pthread_mutex_lock(&lock);
	inflight += delta;
	pthread_mutex_unlock(&lock);
}

void
ig_metrics_docker_error(const char *kind)
{
	struct series *s;

	pthread_mutex_lock(&lock);
	if ((s = series_get(&docker_errors, kind, "")) != NULL)
		s->count++;
	pthread_mutex_unlock(&lock);
}

int
ig_metrics_render(struct ig_buf *out, double uptime_s)
{
	size_t i, j;
	int rc = 0;

	pthread_mutex_lock(&lock);
	rc |= ig_buf_printf(out,
	    "# HELP ignite_up Whether ignite-fcgi is serving.\n# TYPE ignite_up gauge\nignite_up 1\n"
	    "# HELP ignite_uptime_seconds Seconds since ignite-fcgi started.\n"
	    "# TYPE ignite_uptime_seconds gauge\nignite_uptime_seconds %.3f\n", uptime_s);
	rc |= ig_buf_puts(out, "# HELP ignite_http_requests_total HTTP requests by route and status.\n"
	    "# TYPE ignite_http_requests_total counter\n");
	for (i = 0; i < requests.n; i++)
		rc |= ig_buf_printf(out, "ignite_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
		    requests.v[i].a, requests.v[i].b, requests.v[i].count);
	rc |= ig_buf_puts(out, "# HELP ignite_executions_total Executions by service and outcome.\n"
	    "# TYPE ignite_executions_total counter\n");
	for (i = 0; i < executions.n; i++)
		rc |= ig_buf_printf(out, "ignite_executions_total{service=\"%s\",outcome=\"%s\"} %llu\n",
		    executions.v[i].a, executions.v[i].b, executions.v[i].count);
	rc |= ig_buf_puts(out, "# HELP ignite_execution_duration_seconds Execution time of runs.\n"
	    "# TYPE ignite_execution_duration_seconds histogram\n");
	{
		struct series zero, *d = durations.n > 0 ? &durations.v[0] : &zero;
		memset(&zero, 0, sizeof(zero));
		for (j = 0; j < NBUCKETS; j++)
			rc |= ig_buf_printf(out, "ignite_execution_duration_seconds_bucket{le=\"%g\"} %llu\n",
			    buckets[j], d->bucket[j]);
		rc |= ig_buf_printf(out, "ignite_execution_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
		    "ignite_execution_duration_seconds_sum %.6f\n"
		    "ignite_execution_duration_seconds_count %llu\n", d->count, d->sum, d->count);
	}
	rc |= ig_buf_printf(out, "# HELP ignite_executions_in_flight Executions running now.\n"
	    "# TYPE ignite_executions_in_flight gauge\nignite_executions_in_flight %ld\n", inflight);
	rc |= ig_buf_puts(out, "# HELP ignite_docker_errors_total Docker engine errors by kind.\n"
	    "# TYPE ignite_docker_errors_total counter\n");
	for (i = 0; i < docker_errors.n; i++)
		rc |= ig_buf_printf(out, "ignite_docker_errors_total{kind=\"%s\"} %llu\n",
		    docker_errors.v[i].a, docker_errors.v[i].count);
	pthread_mutex_unlock(&lock);
	return rc == 0 ? 0 : -1;
}

void
ig_metrics_reset(void)
{
	pthread_mutex_lock(&lock);
	free(requests.v);
	free(executions.v);
	free(durations.v);
	free(docker_errors.v);
	memset(&requests, 0, sizeof(requests));
	memset(&executions, 0, sizeof(executions));
	memset(&durations, 0, sizeof(durations));
	memset(&docker_errors, 0, sizeof(docker_errors));
	inflight = 0;
	pthread_mutex_unlock(&lock);
}
