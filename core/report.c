/* report.c — JSON builders and the terminal-safe text writer. */
#include "report.h"
#include "buf.h"
#include "preflight.h"

#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- UTF-8 -------------------------------------------------------------- */

/* Decodes one well-formed UTF-8 sequence at p (n bytes available): no
 * overlong forms, no surrogates, nothing above U+10FFFF. Returns its length
 * with *cp set, or 0 if p does not start one. */
static size_t
utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Code points a terminal must not receive raw: C1 controls (some terminals
 * act on them as escape sequences) and bidi controls (they reorder what the
 * reader sees). */
static int
cp_unsafe(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* ---- colour and the text writer ----------------------------------------- */

bool
ig_report_use_colour(int fd)
{
	const char *no_colour = getenv("NO_COLOR"), *term = getenv("TERM");

	if (!isatty(fd))
		return false;
	if (no_colour != NULL && *no_colour != '\0')
		return false;
	return term == NULL || strcmp(term, "dumb") != 0;
}

void
ig_report_text_init(struct ig_report_text *w, FILE *fp, bool colour)
{
	w->fp = fp;
	w->colour = colour;
	w->failed = false;
}

static void
raw(struct ig_report_text *w, const char *p, size_t n)
{
	if (n > 0 && fwrite(p, 1, n, w->fp) != n)
		w->failed = true;
}

void
ig_report_text_write(struct ig_report_text *w, const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, run = 0;
	char esc[16];

	if (p == NULL)
		return;
	/* Bytes that pass through are written in runs between escapes. */
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_seq(s + i, n - i, &cp);
		int e = -1;

		if (len == 0)
			e = snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
		else if (len == 1 && (cp < 0x20 || cp == 0x7f) && cp != '\n' && cp != '\t')
			e = snprintf(esc, sizeof(esc), "\\x%02x", (unsigned)cp);
		else if (cp_unsafe(cp))
			e = snprintf(esc, sizeof(esc), "\\u{%04x}", (unsigned)cp);
		if (e < 0) {
			i += len;
			run += len;
			continue;
		}
		raw(w, p + i - run, run);
		raw(w, esc, (size_t)e);
		run = 0;
		i += len ? len : 1;
	}
	raw(w, p + n - run, run);
}

void
ig_report_text_puts(struct ig_report_text *w, const char *s)
{
	if (s != NULL)
		ig_report_text_write(w, s, strlen(s));
}

void
ig_report_text_printf(struct ig_report_text *w, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		w->failed = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		ig_report_text_write(w, small, (size_t)n);
		return;
	}
	if ((big = malloc((size_t)n + 1)) == NULL) {
		w->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ig_report_text_write(w, big, (size_t)n);
	free(big);
}

void
ig_report_text_style(struct ig_report_text *w, enum ig_report_style st)
{
	static const char *const seq[] = {
		[IG_STYLE_RESET] = "\033[0m",
		[IG_STYLE_BOLD]  = "\033[1m",
		[IG_STYLE_DIM]   = "\033[2m",
		[IG_STYLE_PASS]  = "\033[32m",
		[IG_STYLE_WARN]  = "\033[33m",
		[IG_STYLE_FAIL]  = "\033[1;31m",
		[IG_STYLE_INFO]  = "\033[36m",
	};

	if (!w->colour || (unsigned)st >= sizeof(seq) / sizeof(seq[0]))
		return;
	raw(w, seq[st], strlen(seq[st]));
}

int
ig_report_text_finish(struct ig_report_text *w, struct ig_err *err)
{
	if (fflush(w->fp) != 0 || ferror(w->fp))
		w->failed = true;
	if (w->failed) {
		ig_err_sys(err, IG_EIO, "writing the report");
		return -1;
	}
	return 0;
}

/* ---- JSON helpers ------------------------------------------------------- */

/* Adds v (which may be NULL, i.e. JSON null) under key, taking v over; on
 * failure v is released. */
static int
add(struct json_object *obj, const char *key, struct json_object *v, bool want_value)
{
	if (want_value && v == NULL)
		return -1;
	if (json_object_object_add(obj, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

int
ig_report_json_add_string(struct json_object *obj, const char *key, const char *s)
{
	if (s == NULL)
		return add(obj, key, NULL, false);
	return add(obj, key, json_object_new_string(s), true);
}

int
ig_report_json_add_bytes(struct json_object *obj, const char *key, const char *p, size_t n)
{
	static const char replacement[] = "\xef\xbf\xbd";     /* U+FFFD */
	const unsigned char *s = (const unsigned char *)p;
	struct ig_buf b;
	size_t i = 0, run = 0;
	int rc;

	if (p == NULL)
		return add(obj, key, NULL, false);
	if (n > INT32_MAX / 3)
		return -1;      /* json-c lengths are ints */
	/* Fast path: already valid, no copy. */
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_seq(s + i, n - i, &cp);

		if (len == 0)
			break;
		i += len;
	}
	if (i == n)
		return add(obj, key, json_object_new_string_len(p, (int)n), true);

	/* Each invalid byte may grow to three. */
	ig_buf_init(&b, 3 * n);
	i = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_seq(s + i, n - i, &cp);

		if (len > 0) {
			i += len;
			run += len;
			continue;
		}
		if (ig_buf_append(&b, p + i - run, run) != 0 ||
		    ig_buf_append(&b, replacement, 3) != 0)
			goto nomem;
		run = 0;
		i++;
	}
	if (ig_buf_append(&b, p + n - run, run) != 0)
		goto nomem;
	rc = add(obj, key, json_object_new_string_len(b.data ? b.data : "", (int)b.len), true);
	ig_buf_free(&b);
	return rc;
nomem:
	ig_buf_free(&b);
	return -1;
}

struct json_object *
ig_report_json_number(double v)
{
	char buf[40];

	if (!isfinite(v))
		return NULL;
	if (fabs(v) < 9007199254740992.0 && v == (double)(long long)v)
		return json_object_new_int64((int64_t)v);
	/* The shortest of %.15g / %.17g that reads back exactly. */
	snprintf(buf, sizeof(buf), "%.15g", v);
	{
		char *end = NULL;
		double back = strtod(buf, &end);

		if (end == NULL || *end != '\0' || back != v)
			snprintf(buf, sizeof(buf), "%.17g", v);
	}
	return json_object_new_double_s(v, buf);
}

int
ig_report_json_add_number(struct json_object *obj, const char *key, double v)
{
	if (!isfinite(v))
		return add(obj, key, NULL, false);
	return add(obj, key, ig_report_json_number(v), true);
}

int
ig_report_json_add_int(struct json_object *obj, const char *key, long long v)
{
	return add(obj, key, json_object_new_int64((int64_t)v), true);
}

int
ig_report_json_add_bool(struct json_object *obj, const char *key, bool v)
{
	return add(obj, key, json_object_new_boolean(v), true);
}

int
ig_report_json_add_null(struct json_object *obj, const char *key)
{
	return add(obj, key, NULL, false);
}

int
ig_report_json_write(struct json_object *o, FILE *fp, bool pretty, struct ig_err *err)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
	    (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
	size_t len = 0;
	const char *s = json_object_to_json_string_length(o, flags, &len);

	if (s == NULL) {
		ig_err_set(err, IG_ENOMEM, "writing JSON: out of memory");
		return -1;
	}
	if (fwrite(s, 1, len, fp) != len || fputc('\n', fp) == EOF || fflush(fp) != 0) {
		ig_err_sys(err, IG_EIO, "writing JSON");
		return -1;
	}
	return 0;
}

/* ---- preflight ---------------------------------------------------------- */

struct json_object *
ig_report_preflight_json(const struct ig_preflight *pf)
{
	struct json_object *root = NULL, *checks = NULL, *c = NULL;

	if (pf == NULL || (root = json_object_new_object()) == NULL)
		return NULL;
	if (ig_report_json_add_string(root, "serviceName", pf->service_name ? pf->service_name : "") ||
	    ig_report_json_add_string(root, "timestamp", pf->timestamp) ||
	    ig_report_json_add_string(root, "overallStatus", ig_preflight_status_name(pf->overall)))
		goto fail;
	if ((checks = json_object_new_array()) == NULL)
		goto fail;
	if (json_object_object_add(root, "checks", checks) != 0) {
		json_object_put(checks);
		goto fail;
	}
	for (size_t i = 0; i < pf->checks_n; i++) {
		const struct ig_preflight_check *ck = &pf->checks[i];

		if ((c = json_object_new_object()) == NULL)
			goto fail;
		if (ig_report_json_add_string(c, "name", ck->name) ||
		    ig_report_json_add_string(c, "status", ig_preflight_status_name(ck->status)) ||
		    ig_report_json_add_bytes(c, "message", ck->message, strlen(ck->message)) ||
		    (ck->has_value ? ig_report_json_add_number(c, "value", ck->value)
				   : ig_report_json_add_null(c, "value")) ||
		    ig_report_json_add_number(c, "threshold", ck->threshold))
			goto fail;
		if (json_object_array_add(checks, c) != 0)
			goto fail;
		c = NULL;
	}
	return root;
fail:
	json_object_put(c);
	json_object_put(root);
	return NULL;
}

static enum ig_report_style
status_style(enum ig_preflight_status st)
{
	switch (st) {
	case IG_PREFLIGHT_PASS: return IG_STYLE_PASS;
	case IG_PREFLIGHT_WARN: return IG_STYLE_WARN;
	default:                return IG_STYLE_FAIL;
	}
}

static const char *
status_word(enum ig_preflight_status st)
{
	switch (st) {
	case IG_PREFLIGHT_PASS: return "PASS";
	case IG_PREFLIGHT_WARN: return "WARN";
	default:                return "FAIL";
	}
}

int
ig_report_preflight_text(const struct ig_preflight *pf, FILE *fp, bool colour)
{
	struct ig_report_text w;
	size_t warns, fails;

	if (pf == NULL || fp == NULL)
		return -1;
	ig_report_text_init(&w, fp, colour);
	ig_report_text_style(&w, IG_STYLE_BOLD);
	ig_report_text_printf(&w, "Preflight: %s", pf->service_name ? pf->service_name : "");
	ig_report_text_style(&w, IG_STYLE_RESET);
	ig_report_text_style(&w, IG_STYLE_DIM);
	ig_report_text_printf(&w, "  %s", pf->timestamp);
	ig_report_text_style(&w, IG_STYLE_RESET);
	ig_report_text_puts(&w, "\n\n");

	for (size_t i = 0; i < pf->checks_n; i++) {
		const struct ig_preflight_check *ck = &pf->checks[i];

		ig_report_text_puts(&w, "  ");
		ig_report_text_style(&w, status_style(ck->status));
		ig_report_text_puts(&w, status_word(ck->status));
		ig_report_text_style(&w, IG_STYLE_RESET);
		ig_report_text_printf(&w, "  %-18s ", ck->name);
		if (ck->info)
			ig_report_text_style(&w, IG_STYLE_INFO);
		ig_report_text_puts(&w, ck->message);
		if (ck->info)
			ig_report_text_style(&w, IG_STYLE_RESET);
		ig_report_text_puts(&w, "\n");
	}

	warns = ig_preflight_count(pf, IG_PREFLIGHT_WARN);
	fails = ig_preflight_count(pf, IG_PREFLIGHT_FAIL);
	ig_report_text_puts(&w, "\nOverall: ");
	ig_report_text_style(&w, IG_STYLE_BOLD);
	ig_report_text_style(&w, status_style(pf->overall));
	ig_report_text_puts(&w, status_word(pf->overall));
	ig_report_text_style(&w, IG_STYLE_RESET);
	if (fails > 0 || warns > 0)
		ig_report_text_printf(&w, " (%zu failure%s, %zu warning%s)", fails, fails == 1 ? "" : "s",
		    warns, warns == 1 ? "" : "s");
	ig_report_text_puts(&w, "\n");
	return ig_report_text_finish(&w, NULL);
}
