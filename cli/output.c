/* output.c — what the verbs that run code share: reading an argument file,
 * streaming a run's output to the terminal, the summary line after it. */
#include "cli.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
ig_cli_read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	*out = NULL;
	*len = 0;
	if (fd < 0) {
		ig_cli_error(path, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || (strcmp(path, "-") != 0 && !S_ISREG(st.st_mode))) {
		ig_cli_error(path, "not a regular file");
		close(fd);
		return -1;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		ig_cli_error(path, "out of memory");
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t r = read(fd, buf + got, max + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ig_cli_error(path, "%s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > max) {
			ig_cli_error(path, "larger than %zu bytes", max);
			goto fail;
		}
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
fail:
	close(fd);
	free(buf);
	return -1;
}

void
ig_cli_live_init(struct ig_cli_live *lv)
{
	ig_report_text_init(&lv->out, stdout, false);
	ig_report_text_init(&lv->err, stderr, false);
}

void
ig_cli_live_output(void *arg, int stream, const char *p, size_t n)
{
	struct ig_cli_live *lv = arg;

	ig_report_text_write(stream == 2 ? &lv->err : &lv->out, p, n);
	fflush(stream == 2 ? stderr : stdout);
}

void
ig_cli_live_finish(struct ig_cli_live *lv)
{
	ig_report_text_finish(&lv->out, NULL);
	ig_report_text_finish(&lv->err, NULL);
}

void
ig_cli_run_summary(struct json_object *r, bool colour)
{
	struct json_object *m = NULL, *a = NULL, *s = NULL, *v;
	struct ig_report_text w;
	const char *status = "?";

	ig_report_text_init(&w, stderr, colour);
	if (json_object_object_get_ex(r, "status", &v))
		status = json_object_get_string(v);
	json_object_object_get_ex(r, "metrics", &m);
	json_object_object_get_ex(r, "securityAudit", &a);
	if (a != NULL)
		json_object_object_get_ex(a, "summary", &s);
	ig_report_text_puts(&w, "\n");
	ig_report_text_style(&w, strcmp(status, "success") == 0 ? IG_STYLE_PASS : IG_STYLE_FAIL);
	ig_report_text_printf(&w, "%s", status);
	ig_report_text_style(&w, IG_STYLE_RESET);
	if (m != NULL) {
		ig_report_text_printf(&w, "  exit %d  %lld ms",
		    json_object_object_get_ex(m, "exitCode", &v) ? json_object_get_int(v) : -1,
		    json_object_object_get_ex(m, "executionTimeMs", &v) ? (long long)json_object_get_int64(v) : -1LL);
		if (json_object_object_get_ex(m, "memoryUsageMb", &v) && v != NULL)
			ig_report_text_printf(&w, "  %.1f MB", json_object_get_double(v));
		if (json_object_object_get_ex(m, "outputTruncated", &v) && json_object_get_boolean(v))
			ig_report_text_puts(&w, "  (output truncated)");
	}
	if (s != NULL && json_object_object_get_ex(s, "overallStatus", &v))
		ig_report_text_printf(&w, "  audit: %s", json_object_get_string(v));
	if (json_object_object_get_ex(r, "runId", &v))
		ig_report_text_printf(&w, "\nrun %s", json_object_get_string(v));
	if (json_object_object_get_ex(r, "error", &v) && json_object_object_get_ex(v, "message", &v))
		ig_report_text_printf(&w, "\n%s", json_object_get_string(v));
	/* A blocked run: say which checks failed. */
	if (strcmp(status, "blocked") == 0 && json_object_object_get_ex(r, "preflight", &v) &&
	    json_object_object_get_ex(v, "checks", &v)) {
		size_t i, n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			struct json_object *c = json_object_array_get_idx(v, i), *st, *nm, *msg;
			if (json_object_object_get_ex(c, "status", &st) &&
			    strcmp(json_object_get_string(st), "fail") == 0 &&
			    json_object_object_get_ex(c, "name", &nm) && json_object_object_get_ex(c, "message", &msg)) {
				ig_report_text_puts(&w, "\n  ");
				ig_report_text_style(&w, IG_STYLE_FAIL);
				ig_report_text_puts(&w, "FAIL");
				ig_report_text_style(&w, IG_STYLE_RESET);
				ig_report_text_printf(&w, "  %s  %s", json_object_get_string(nm), json_object_get_string(msg));
			}
		}
	}
	ig_report_text_puts(&w, "\n");
	ig_report_text_finish(&w, NULL);
}
