/* preflight.c — the four preflight checks and the overall verdict. */
#include "preflight.h"
#include "deps.h"
#include "service.h"
#include "timefmt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A number for a message: integers without decimals, others with at most
 * two ("2.5", "0.75"), never an exponent. */
static const char *
num(double v, char *buf, size_t len)
{
	char *p;

	if (!isfinite(v)) {
		snprintf(buf, len, "?");
		return buf;
	}
	/* Whole numbers print without decimals (no libm: a cast truncates). */
	if (fabs(v) < 1e15 && v == (double)(long long)v) {
		snprintf(buf, len, "%.0f", v);
		return buf;
	}
	snprintf(buf, len, "%.2f", v);
	if (strchr(buf, '.') != NULL) {
		p = buf + strlen(buf) - 1;
		while (*p == '0')
			*p-- = '\0';
		if (*p == '.')
			*p = '\0';
	}
	return buf;
}

static void set_check(struct ig_preflight_check *c, enum ig_preflight_status st,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
set_check(struct ig_preflight_check *c, enum ig_preflight_status st, const char *fmt, ...)
{
	va_list ap;

	c->status = st;
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
}

static void
check_memory(const struct ig_service *svc, const struct ig_preflight_input *in,
    struct ig_preflight_check *c)
{
	const struct ig_preflight_cfg *cfg = &svc->preflight;
	double mem = (double)svc->memory_mb;
	double estimate = cfg->memory_base_mb + (double)in->deps_count * cfg->memory_per_dep_mb;
	double fail_at = estimate * cfg->memory_fail_ratio;
	double warn_at = estimate * cfg->memory_warn_ratio;
	char a[32], b[32], e[32], base[32], per[32], pct[32];
	char how[128];

	c->name = IG_CHECK_MEMORY;
	c->has_value = true;
	c->value = mem;
	c->threshold = estimate;
	snprintf(how, sizeof(how), "estimate %s MB = %s MB base + %s%ld dependencies x %s MB",
	    num(estimate, e, sizeof(e)), num(cfg->memory_base_mb, base, sizeof(base)),
	    in->deps_partial ? "at least " : "", in->deps_count,
	    num(cfg->memory_per_dep_mb, per, sizeof(per)));
	num(mem, a, sizeof(a));
	if (mem < fail_at)
		set_check(c, IG_PREFLIGHT_FAIL, "%s MB allocated, below the %s MB minimum (%s%% of %s); "
		    "raise service.memoryMb", a, num(fail_at, b, sizeof(b)),
		    num(cfg->memory_fail_ratio * 100, pct, sizeof(pct)), how);
	else if (mem < warn_at)
		set_check(c, IG_PREFLIGHT_WARN, "%s MB allocated, below the %s MB recommended (%s%% of %s)",
		    a, num(warn_at, b, sizeof(b)),
		    num(cfg->memory_warn_ratio * 100, pct, sizeof(pct)), how);
	else
		set_check(c, IG_PREFLIGHT_PASS, "%s MB allocated; %s", a, how);
}

static void
check_deps(const struct ig_service *svc, const struct ig_preflight_input *in,
    struct ig_preflight_check *c)
{
	const struct ig_preflight_cfg *cfg = &svc->preflight;
	char size[48] = "", mb[32];

	c->name = IG_CHECK_DEPS;
	c->has_value = true;
	c->value = (double)in->deps_count;
	c->threshold = (double)cfg->deps_warn_count;
	if (in->deps_bytes > 0)
		snprintf(size, sizeof(size), " (%s MB)",
		    num((double)in->deps_bytes / (1024.0 * 1024.0), mb, sizeof(mb)));
	if (in->deps_partial)
		set_check(c, IG_PREFLIGHT_WARN, "at least %ld dependencies in node_modules%s; %s",
		    in->deps_count, size,
		    in->deps_note && *in->deps_note ? in->deps_note : "the scan was incomplete");
	else if (in->deps_count > cfg->deps_warn_count)
		set_check(c, IG_PREFLIGHT_WARN, "%ld dependencies in node_modules%s, above %ld; "
		    "startup time and memory grow with each", in->deps_count, size, cfg->deps_warn_count);
	else if (in->deps_count > cfg->deps_info_count) {
		set_check(c, IG_PREFLIGHT_PASS, "%ld dependencies in node_modules%s; note: above %ld, "
		    "consider pruning (warn above %ld)", in->deps_count, size, cfg->deps_info_count,
		    cfg->deps_warn_count);
		c->info = true;
	} else
		set_check(c, IG_PREFLIGHT_PASS, "%ld dependencies in node_modules%s (warn above %ld)",
		    in->deps_count, size, cfg->deps_warn_count);
}

static void
check_timeout(const struct ig_service *svc, const struct ig_preflight_input *in,
    struct ig_preflight_check *c)
{
	const struct ig_preflight_cfg *cfg = &svc->preflight;
	long t = svc->timeout_ms;
	bool last = in->last_run_known && in->last_run_ms >= 0;
	long need = last ? in->last_run_ms + cfg->cold_start_buffer_ms : 0;

	c->name = IG_CHECK_TIMEOUT;
	c->has_value = true;
	c->value = (double)t;
	c->threshold = (double)cfg->timeout_min_ms;
	if (t < cfg->timeout_min_ms) {
		set_check(c, IG_PREFLIGHT_FAIL, "timeoutMs %ld is below the %ld ms minimum",
		    t, cfg->timeout_min_ms);
	} else if (t > cfg->timeout_max_ms) {
		c->threshold = (double)cfg->timeout_max_ms;
		set_check(c, IG_PREFLIGHT_WARN, "timeoutMs %ld is above the %ld ms maximum",
		    t, cfg->timeout_max_ms);
	} else if (last && t < need) {
		c->threshold = (double)need;
		set_check(c, IG_PREFLIGHT_WARN, "timeoutMs %ld is shorter than the last run (%ld ms) "
		    "plus the %ld ms cold-start buffer = %ld ms", t, in->last_run_ms,
		    cfg->cold_start_buffer_ms, need);
	} else if (last) {
		if (need > cfg->timeout_min_ms)
			c->threshold = (double)need;
		set_check(c, IG_PREFLIGHT_PASS, "timeoutMs %ld is within %ld-%ld ms and covers the "
		    "last run (%ld ms) plus the %ld ms cold-start buffer", t, cfg->timeout_min_ms,
		    cfg->timeout_max_ms, in->last_run_ms, cfg->cold_start_buffer_ms);
	} else {
		set_check(c, IG_PREFLIGHT_PASS, "timeoutMs %ld is within %ld-%ld ms",
		    t, cfg->timeout_min_ms, cfg->timeout_max_ms);
	}
}

static void
check_image(const struct ig_service *svc, const struct ig_preflight_input *in,
    struct ig_preflight_check *c)
{
	const struct ig_preflight_cfg *cfg = &svc->preflight;
	char a[32], w[32], f[32];

	c->name = IG_CHECK_IMAGE;
	c->threshold = cfg->image_warn_mb;
	num(cfg->image_warn_mb, w, sizeof(w));
	num(cfg->image_fail_mb, f, sizeof(f));
	if (!in->image_known) {
		/* Not knowing the size is never a reason to refuse a run. */
		c->has_value = false;
		if (in->image != NULL && *in->image != '\0')
			set_check(c, IG_PREFLIGHT_WARN, "image not available: %s", in->image);
		else
			set_check(c, IG_PREFLIGHT_WARN, "image not available");
		return;
	}
	c->has_value = true;
	c->value = in->image_mb;
	num(in->image_mb, a, sizeof(a));
	if (in->image_mb > cfg->image_fail_mb) {
		c->threshold = cfg->image_fail_mb;
		set_check(c, IG_PREFLIGHT_FAIL, "image %s MB is above the %s MB limit", a, f);
	} else if (in->image_mb > cfg->image_warn_mb)
		set_check(c, IG_PREFLIGHT_WARN, "image %s MB is above %s MB (fails above %s MB)", a, w, f);
	else
		set_check(c, IG_PREFLIGHT_PASS, "image %s MB (warn above %s MB)", a, w);
}

void
ig_preflight_input_set_deps(struct ig_preflight_input *in, const struct ig_deps *deps)
{
	in->deps_count = deps->count;
	in->deps_bytes = deps->bytes;
	in->deps_partial = deps->partial;
	in->deps_note = deps->note;
}

int
ig_preflight_run(const struct ig_service *svc, const struct ig_preflight_input *in,
    struct ig_preflight **out, struct ig_err *err)
{
	static const struct ig_preflight_input none;
	struct ig_preflight *pf;

	*out = NULL;
	if (svc == NULL) {
		ig_err_set(err, IG_EINVAL, "preflight: no service");
		return -1;
	}
	if (in == NULL)
		in = &none;
	if ((pf = calloc(1, sizeof(*pf))) == NULL ||
	    (pf->service_name = strdup(svc->name ? svc->name : "")) == NULL) {
		free(pf);
		ig_err_set(err, IG_ENOMEM, "preflight: out of memory");
		return -1;
	}
	if (in->now != NULL)
		ig_time_iso(in->now, pf->timestamp, sizeof(pf->timestamp));
	else
		ig_time_iso_now(pf->timestamp, sizeof(pf->timestamp));

	check_memory(svc, in, &pf->checks[0]);
	check_deps(svc, in, &pf->checks[1]);
	check_timeout(svc, in, &pf->checks[2]);
	check_image(svc, in, &pf->checks[3]);
	pf->checks_n = IG_PREFLIGHT_CHECKS;

	pf->overall = IG_PREFLIGHT_PASS;
	for (size_t i = 0; i < pf->checks_n; i++)
		if (pf->checks[i].status > pf->overall)
			pf->overall = pf->checks[i].status;
	*out = pf;
	return 0;
}

void
ig_preflight_free(struct ig_preflight *pf)
{
	if (pf == NULL)
		return;
	free(pf->service_name);
	free(pf);
}

const char *
ig_preflight_status_name(enum ig_preflight_status st)
{
	switch (st) {
	case IG_PREFLIGHT_PASS: return "pass";
	case IG_PREFLIGHT_WARN: return "warn";
	default:                return "fail";
	}
}

size_t
ig_preflight_count(const struct ig_preflight *pf, enum ig_preflight_status st)
{
	size_t n = 0;

	for (size_t i = 0; pf != NULL && i < pf->checks_n; i++)
		n += pf->checks[i].status == st;
	return n;
}
