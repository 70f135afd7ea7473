/* log.c — JSON-lines logging to stderr. */
#include "log.h"
#include "buf.h"
#include "timefmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LOG_LINE_MAX 8192

static enum ig_log_level min_level = IG_LOG_INFO;
static bool as_json = true;

void
ig_log_setup(enum ig_log_level min, bool json)
{
	min_level = min;
	as_json = json;
}

int
ig_log_level_parse(const char *s, enum ig_log_level *out)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum ig_log_level)i;
			return 0;
		}
	return -1;
}

/* Appends s, truncating at the line limit (a long log line is cut, never lost). */
static void
put(struct ig_buf *b, const char *s)
{
	ig_buf_append_trunc(b, s, strlen(s));
}

/* Appends s as a JSON string body (without quotes), escaping everything
 * that is not printable ASCII. */
static void
put_escaped(struct ig_buf *b, const char *s, bool json)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool ok;

		if (c == '"' || c == '\\')
			ok = ig_buf_printf(b, "\\%c", c) == 0;
		else if (c < 0x20 || c == 0x7f)
			ok = ig_buf_printf(b, json ? "\\u%04x" : "\\x%02x", c) == 0;
		else
			ok = ig_buf_append_trunc(b, s, 1);
		if (!ok)
			return;
	}
}

void
ig_log(enum ig_log_level level, const char *msg, ...)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };
	char line[LOG_LINE_MAX], ts[IG_ISO_TIME_LEN];
	const char *k, *v;
	struct ig_buf b;
	va_list ap;
	int ok;

	if (level < min_level)
		return;
	ig_buf_init(&b, sizeof(line) - 2);
	ig_time_iso_now(ts, sizeof(ts));
	if (as_json) {
		ok = ig_buf_printf(&b, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, names[level]);
		put_escaped(&b, msg, true);
		ok = ok == 0;
		put(&b, "\"");
	} else {
		ok = ig_buf_printf(&b, "%s %-5s ", ts, names[level]) == 0;
		put_escaped(&b, msg, false);
	}
	va_start(ap, msg);
	while (ok && (k = va_arg(ap, const char *)) != NULL) {
		bool raw = k[0] == '#';

		v = va_arg(ap, const char *);
		if (raw)
			k++;
		if (v == NULL)
			v = raw ? "null" : "";
		if (as_json) {
			put(&b, ",\"");
			put_escaped(&b, k, true);
			put(&b, raw ? "\":" : "\":\"");
			put_escaped(&b, v, true);
			if (!raw)
				put(&b, "\"");
		} else {
			put(&b, " ");
			put_escaped(&b, k, false);
			put(&b, "=");
			put_escaped(&b, v, false);
		}
	}
	va_end(ap);
	if (as_json)
		put(&b, "}");
	if (b.data == NULL) {
		ig_buf_free(&b);
		return;
	}
	memcpy(line, b.data, b.len);
	line[b.len] = '\n';
	(void)!write(STDERR_FILENO, line, b.len + 1);
	ig_buf_free(&b);
}
