/* test_pages.c — the HTML pages in templates/: each is rendered from sample
 * JSON shaped like the API's (with hostile strings wherever a service, its
 * output or a user can put text) and must come out escaped, with balanced
 * markup and the status visible.
 *
 * Preview: IGNITE_PAGES_OUT=/some/dir build/tests/test_pages writes every
 * rendered page there as <case>.html (the stylesheet is linked as
 * /static/ignite.css). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "support.h"
#include "template.h"

#define TEMPLATES "templates"

#define XSS       "<script>alert(1)</script>"
#define XSS_ESC   "&lt;script&gt;alert(1)&lt;/script&gt;"
#define IMG       "\\\"><img src=x onerror=alert(1)>"
#define IMG_ESC   "&quot;&gt;&lt;img src&#61;x onerror&#61;alert(1)&gt;"

/* ---- sample contexts (the API's JSON plus the documented extra keys) --- */

static const char run_success[] =
"{\"runId\":\"7f3c2a9be1d04c55a0c1f2e3d4b5a697\",\"serviceName\":\"hello\",\"status\":\"success\","
"\"success\":true,\"startedAt\":\"2026-11-28T20:39:04.120Z\",\"finishedAt\":\"2026-11-28T20:39:04.161Z\","
"\"runtime\":{\"name\":\"node\",\"version\":\"22.11.0\",\"image\":\"ignite/node:22.11.0\"},"
"\"audit\":true,"
"\"limits\":{\"memoryMb\":128,\"cpuLimit\":0.5,\"timeoutMs\":5000,\"pidsLimit\":64,\"outputMaxBytes\":1048576},"
"\"input\":{\"name\":\"</pre>" XSS "\",\"n\":[1,2.5]},"
"\"preflight\":{\"serviceName\":\"hello\",\"timestamp\":\"2026-11-28T20:39:04.100Z\",\"overallStatus\":\"warn\","
" \"checks\":[{\"name\":\"memory-allocation\",\"status\":\"pass\",\"message\":\"128 MB allocated; base 50 MB + 0 dependencies\",\"value\":128,\"threshold\":50},"
"  {\"name\":\"dependency-count\",\"status\":\"pass\",\"message\":\"0 dependencies in node_modules (warn above 50)\",\"value\":0,\"threshold\":50},"
"  {\"name\":\"timeout-config\",\"status\":\"warn\",\"message\":\"timeoutMs 5000 is shorter than the last run " XSS "\",\"value\":5000,\"threshold\":null},"
"  {\"name\":\"image-size\",\"status\":\"pass\",\"message\":\"image 182.4 MB (warn above 500 MB)\",\"value\":182.4,\"threshold\":500}]},"
"\"metrics\":{\"executionTimeMs\":41,\"memoryUsageMb\":38.2,\"coldStart\":false,\"exitCode\":0,"
" \"timedOut\":false,\"oomKilled\":false,"
" \"stdout\":\"Hello, world!\\n" XSS "\\n<img src=x onerror=alert(2)>\\n\",\"stderr\":\"\","
" \"outputTruncated\":false,\"stdoutTruncated\":false,\"stderrTruncated\":false,\"initTimeMs\":12,\"signal\":null},"
"\"securityAudit\":{\"policy\":{\"network\":{\"enabled\":false},\"filesystem\":{\"readOnly\":true},"
"  \"process\":{\"allowSpawn\":false,\"allowedCommands\":[]}},\"auditMode\":true,"
" \"events\":[{\"type\":\"network\",\"action\":\"connect\",\"target\":\"93.184.216.34:443\",\"allowed\":false,\"details\":\"blocked by policy: network disabled\",\"source\":\"launcher\"},"
"  {\"type\":\"filesystem\",\"action\":\"read\",\"target\":\"/app/data.json\",\"allowed\":true,\"source\":\"launcher\"},"
"  {\"type\":\"process\",\"action\":\"signal\",\"allowed\":true,\"details\":\"exited normally\",\"source\":\"engine\"},"
"  {\"type\":\"network\",\"action\":\"connect\",\"target\":\"" IMG "\",\"allowed\":false,\"details\":\"" XSS "\",\"source\":\"output\"}],"
" \"summary\":{\"networkAttempts\":2,\"networkBlocked\":2,\"filesystemReads\":1,\"filesystemWrites\":0,"
"  \"filesystemBlocked\":0,\"processSpawns\":0,\"processBlocked\":0,\"overallStatus\":\"violations\","
"  \"bySource\":{\"engine\":1,\"launcher\":2,\"output\":1},\"launcherChannel\":\"ok\",\"eventsDropped\":0}},"
"\"user\":{\"keyName\":\"ops" XSS "\"},\"csrf\":\"c0ffee\\\"><b>\"}";

static const char run_truncated[] =
"{\"runId\":\"00112233445566778899aabbccddeeff\",\"serviceName\":\"data-processor\",\"status\":\"failed\","
"\"success\":false,\"startedAt\":\"2026-11-28T21:00:00.000Z\",\"finishedAt\":\"2026-11-28T21:00:02.500Z\","
"\"runtime\":{\"name\":\"deno\",\"version\":\"2.1.4\",\"image\":\"ignite/deno:2.1.4\"},\"audit\":false,"
"\"limits\":{\"memoryMb\":256,\"cpuLimit\":1,\"timeoutMs\":10000,\"pidsLimit\":64,\"outputMaxBytes\":1048576},"
"\"input\":\"plain <text> input\",\"preflight\":null,"
"\"metrics\":{\"executionTimeMs\":2500,\"memoryUsageMb\":null,\"coldStart\":true,\"exitCode\":3,"
" \"timedOut\":false,\"oomKilled\":false,\"stdout\":\"line 1\\nline 2\\n...\",\"stderr\":\"Error: " XSS "\\n    at main (/app/index.ts:3:9)\","
" \"outputTruncated\":true,\"stdoutTruncated\":true,\"stderrTruncated\":false,\"initTimeMs\":null,\"signal\":null},"
"\"securityAudit\":{\"policy\":{\"network\":{\"enabled\":true},\"filesystem\":{\"readOnly\":false},"
"  \"process\":{\"allowSpawn\":true,\"allowedCommands\":[\"git\",\"" XSS "\"]}},\"auditMode\":false,\"events\":[],"
" \"summary\":{\"networkAttempts\":0,\"networkBlocked\":0,\"filesystemReads\":0,\"filesystemWrites\":0,"
"  \"filesystemBlocked\":0,\"processSpawns\":0,\"processBlocked\":0,\"overallStatus\":\"unknown\","
"  \"bySource\":{\"engine\":0,\"launcher\":0,\"output\":0},\"launcherChannel\":\"lost\",\"eventsDropped\":0}}}";

static const char run_timeout[] =
"{\"runId\":\"aa112233445566778899aabbccddeeff\",\"serviceName\":\"slow\",\"status\":\"timeout\","
"\"success\":false,\"startedAt\":\"2026-11-28T21:05:00.000Z\",\"finishedAt\":\"2026-11-28T21:05:05.010Z\","
"\"runtime\":{\"name\":\"node\",\"version\":\"22.11.0\",\"image\":\"ignite/node:22.11.0\"},\"audit\":true,"
"\"limits\":{\"memoryMb\":128,\"cpuLimit\":0.5,\"timeoutMs\":5000,\"pidsLimit\":64,\"outputMaxBytes\":1048576},"
"\"input\":{},\"metrics\":{\"executionTimeMs\":5010,\"memoryUsageMb\":20.5,\"coldStart\":false,\"exitCode\":137,"
" \"timedOut\":true,\"oomKilled\":false,\"stdout\":\"\",\"stderr\":\"\",\"outputTruncated\":false,"
" \"stdoutTruncated\":false,\"stderrTruncated\":false,\"initTimeMs\":15,\"signal\":9},"
"\"securityAudit\":{\"policy\":{\"network\":{\"enabled\":false},\"filesystem\":{\"readOnly\":true},"
"  \"process\":{\"allowSpawn\":false,\"allowedCommands\":[]}},\"auditMode\":true,"
" \"events\":[{\"type\":\"resource\",\"action\":\"timeout-kill\",\"target\":\"time\",\"allowed\":false,\"details\":\"killed after 5000 ms\",\"source\":\"engine\"}],"
" \"summary\":{\"networkAttempts\":0,\"networkBlocked\":0,\"filesystemReads\":0,\"filesystemWrites\":0,"
"  \"filesystemBlocked\":0,\"processSpawns\":0,\"processBlocked\":0,\"overallStatus\":\"clean\","
"  \"bySource\":{\"engine\":1,\"launcher\":0,\"output\":0},\"launcherChannel\":\"ok\",\"eventsDropped\":0}}}";

static const char run_blocked[] =
"{\"runId\":\"bb112233445566778899aabbccddeeff\",\"serviceName\":\"fat\",\"status\":\"blocked\","
"\"success\":false,\"startedAt\":\"2026-11-28T21:10:00.000Z\",\"finishedAt\":\"2026-11-28T21:10:00.000Z\","
"\"runtime\":{\"name\":\"node\",\"version\":\"22.11.0\",\"image\":\"ignite/node:22.11.0\"},\"audit\":true,"
"\"limits\":{\"memoryMb\":32,\"cpuLimit\":0.5,\"timeoutMs\":5000,\"pidsLimit\":64,\"outputMaxBytes\":1048576},"
"\"input\":null,"
"\"preflight\":{\"serviceName\":\"fat\",\"timestamp\":\"2026-11-28T21:10:00.000Z\",\"overallStatus\":\"fail\","
" \"checks\":[{\"name\":\"memory-allocation\",\"status\":\"fail\",\"message\":\"32 MB allocated, below the 60 MB minimum\",\"value\":32,\"threshold\":60}]},"
"\"error\":{\"code\":\"preflight_failed\",\"message\":\"preflight failed: 1 check(s) failed; " XSS "\"}}";

static const char index_ctx[] =
"{\"services\":["
" {\"name\":\"data-processor\",\"runtime\":\"deno\",\"entry\":\"index.ts\",\"lastRun\":{\"runId\":\"00112233445566778899aabbccddeeff\","
"  \"status\":\"failed\",\"success\":false,\"startedAt\":\"2026-11-28T21:00:00.000Z\",\"durationMs\":2500,\"reportUrl\":\"/runs/00112233445566778899aabbccddeeff\"}},"
" {\"name\":\"hello\",\"runtime\":\"node\",\"entry\":\"index.js\",\"lastRun\":{\"runId\":\"7f3c2a9be1d04c55a0c1f2e3d4b5a697\","
"  \"status\":\"success\",\"success\":true,\"startedAt\":\"2026-11-28T20:39:04.120Z\",\"durationMs\":41,\"reportUrl\":\"/runs/7f3c2a9be1d04c55a0c1f2e3d4b5a697\"}},"
" {\"name\":\"" IMG "\",\"runtime\":\"node\",\"entry\":\"" XSS ".js\",\"lastRun\":null}],"
"\"runs\":["
" {\"runId\":\"00112233445566778899aabbccddeeff\",\"serviceName\":\"data-processor\",\"status\":\"failed\",\"success\":false,"
"  \"startedAt\":\"2026-11-28T21:00:00.000Z\",\"durationMs\":2500,\"exitCode\":3,\"reportUrl\":\"/runs/00112233445566778899aabbccddeeff\"},"
" {\"runId\":\"bb112233445566778899aabbccddeeff\",\"serviceName\":\"fat\",\"status\":\"blocked\",\"success\":false,"
"  \"startedAt\":\"2026-11-28T21:10:00.000Z\",\"reportUrl\":\"/runs/bb112233445566778899aabbccddeeff\"},"
" {\"runId\":\"aa112233445566778899aabbccddeeff\",\"serviceName\":\"slow\",\"status\":\"timeout\",\"success\":false,"
"  \"startedAt\":\"2026-11-28T21:05:00.000Z\",\"durationMs\":5010,\"exitCode\":137,\"reportUrl\":\"/runs/aa112233445566778899aabbccddeeff\"},"
" {\"runId\":\"7f3c2a9be1d04c55a0c1f2e3d4b5a697\",\"serviceName\":\"hello\",\"status\":\"success\",\"success\":true,"
"  \"startedAt\":\"2026-11-28T20:39:04.120Z\",\"durationMs\":41,\"exitCode\":0,\"reportUrl\":\"/runs/7f3c2a9be1d04c55a0c1f2e3d4b5a697\"},"
" {\"runId\":\"cc112233445566778899aabbccddeeff\",\"serviceName\":\"" XSS "\",\"status\":\"cancelled\",\"success\":false,"
"  \"startedAt\":\"2026-11-28T19:00:00.000Z\",\"durationMs\":800,\"exitCode\":null,\"reportUrl\":\"/runs/cc112233445566778899aabbccddeeff\"}],"
"\"user\":{\"keyName\":\"ops\"},\"csrf\":\"0123abcd\",\"version\":\"0.1.0\"}";

static const char index_empty[] =
"{\"services\":[],\"runs\":[],\"user\":{\"keyId\":\"k7q2\"},\"csrf\":\"0123abcd\"}";

static const char service_ctx[] =
"{\"service\":{\"service\":{\"name\":\"" IMG "\",\"runtime\":\"node\",\"entry\":\"index.js\",\"memoryMb\":128,"
"  \"cpuLimit\":0.5,\"timeoutMs\":5000,\"env\":{\"GREETING\":\"" XSS "\",\"MODE\":\"test\"}},"
" \"preflight\":{\"memory\":{\"baseMb\":50,\"perDependencyMb\":0.5,\"warnRatio\":1.2,\"failRatio\":1},"
"  \"dependencies\":{\"warnCount\":50,\"infoCount\":20},\"image\":{\"warnMb\":500,\"failMb\":2000},"
"  \"timeout\":{\"minMs\":100,\"maxMs\":300000,\"coldStartBufferMs\":1000}}},"
"\"preflight\":{\"serviceName\":\"" IMG "\",\"timestamp\":\"2026-11-28T20:39:04.100Z\",\"overallStatus\":\"fail\","
" \"checks\":[{\"name\":\"memory-allocation\",\"status\":\"pass\",\"message\":\"128 MB allocated\",\"value\":128,\"threshold\":50},"
"  {\"name\":\"dependency-count\",\"status\":\"warn\",\"message\":\"61 dependencies in node_modules, above 50\",\"value\":61,\"threshold\":50},"
"  {\"name\":\"image-size\",\"status\":\"fail\",\"message\":\"image 2300 MB is above the 2000 MB limit\",\"value\":2300,\"threshold\":2000},"
"  {\"name\":\"timeout-config\",\"status\":\"pass\",\"message\":\"timeoutMs 5000 is within 100-300000 ms\",\"value\":5000,\"threshold\":null}]},"
"\"runs\":[{\"runId\":\"7f3c2a9be1d04c55a0c1f2e3d4b5a697\",\"serviceName\":\"hello\",\"status\":\"success\",\"success\":true,"
"  \"startedAt\":\"2026-11-28T20:39:04.120Z\",\"durationMs\":41,\"exitCode\":0,\"reportUrl\":\"/runs/7f3c2a9be1d04c55a0c1f2e3d4b5a697\"}],"
"\"csrf\":\"tok\\\"en<>\",\"defaultInput\":\"{\\\"name\\\": \\\"</textarea>" XSS "\\\"}\","
"\"user\":{\"keyName\":\"ops\"}}";

static const char login_ctx[] =
"{\"csrf\":\"abc123\",\"error\":\"Invalid key " XSS "\",\"user\":null}";

static const char error_ctx[] =
"{\"status\":404,\"title\":\"Not found\",\"message\":\"No route for /x" XSS "\"}";

/* ---- helpers ------------------------------------------------------------ */

static struct ig_template_set *pages;

static int
setup(void **state)
{
	struct ig_err err = {0};

	(void)state;
	pages = ig_template_set_new();
	if (pages == NULL || ig_template_set_load_dir(pages, TEMPLATES, &err) != 0) {
		print_error("loading %s: %s\n", TEMPLATES, err.msg);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ig_template_set_free(pages);
	return 0;
}

/* Writes the page for a preview when IGNITE_PAGES_OUT names a directory. */
static void
save_preview(const char *label, const char *html, size_t len)
{
	const char *dir = getenv("IGNITE_PAGES_OUT");
	char path[512];

	if (dir == NULL || *dir == '\0')
		return;
	snprintf(path, sizeof(path), "%s/%s.html", dir, label);
	file_write(path, html, len, 0644);
}

/* Counts "<tag" (followed by ' ' or '>') and "</tag>" and fails when they
 * differ: a cheap guard against a section that drops a closing tag. */
static void
assert_balanced(const char *label, const char *html, const char *tag)
{
	char open[32], close[32];
	size_t ol, opens = 0, closes = 0;
	const char *p;

	snprintf(open, sizeof(open), "<%s", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	ol = strlen(open);
	for (p = html; (p = strstr(p, open)) != NULL; p += ol)
		if (p[ol] == ' ' || p[ol] == '>')
			opens++;
	for (p = html; (p = strstr(p, close)) != NULL; p += strlen(close))
		closes++;
	if (opens != closes)
		fail_msg("%s: %zu <%s> but %zu </%s>", label, opens, tag, closes, tag);
}

/* Checks that hold for every page: escaped everywhere, nothing active. */
static void
assert_safe(const char *label, const char *html)
{
	static const char *const tags[] = { "html", "head", "body", "header", "main", "footer",
	    "nav", "section", "div", "table", "thead", "tbody", "tr", "td", "th", "ul", "li",
	    "dl", "dt", "dd", "pre", "form", "details", "summary", "a", "p", "h1", "h2", "h3",
	    "span", "code", "time", "button", "textarea", "label", "title", "small", "b", NULL };
	const char *const *t;
	const char *p;

	for (p = html; *p != '\0'; p++) {
		if (strncasecmp(p, "<script", 7) == 0)
			fail_msg("%s: raw <script at offset %td", label, p - html);
		if (strncasecmp(p, "<img", 4) == 0)
			fail_msg("%s: raw <img at offset %td", label, p - html);
		if (strncasecmp(p, "onerror=", 8) == 0)
			fail_msg("%s: raw onerror= at offset %td", label, p - html);
		if (strncasecmp(p, "style=", 6) == 0)
			fail_msg("%s: inline style at offset %td (CSP forbids it)", label, p - html);
	}
	if (strstr(html, "{{") != NULL || strstr(html, "}}") != NULL)
		fail_msg("%s: an unrendered tag is left in the page", label);
	if (strncmp(html, "<!DOCTYPE html>\n<html lang=\"en\">", 31) != 0)
		fail_msg("%s: does not start with the doctype and <html>", label);
	assert_non_null(strstr(html, "<link rel=\"stylesheet\" href=\"/static/ignite.css\">"));
	for (t = tags; *t != NULL; t++)
		assert_balanced(label, html, *t);
}

static void
assert_has(const char *label, const char *html, const char *want)
{
	if (strstr(html, want) == NULL)
		fail_msg("%s: missing \"%s\"", label, want);
}

static void
assert_lacks(const char *label, const char *html, const char *unwanted)
{
	if (strstr(html, unwanted) != NULL)
		fail_msg("%s: unexpectedly has \"%s\"", label, unwanted);
}

/* Renders page with the JSON text ctx; returns the HTML (free it). */
static char *
render(const char *page, const char *label, const char *ctxjson)
{
	struct json_object *ctx = json_tokener_parse(ctxjson);
	struct ig_err err = {0};
	struct ig_buf out;
	char *html;

	if (ctx == NULL)
		fail_msg("%s: sample JSON does not parse", label);
	ig_buf_init(&out, IG_PAGE_MAX);
	if (ig_template_set_render(pages, page, ctx, &out, &err) != 0)
		fail_msg("%s: %s", label, err.msg);
	save_preview(label, out.data, out.len);
	html = ig_buf_steal(&out);
	json_object_put(ctx);
	assert_safe(label, html);
	return html;
}

/* ---- pages -------------------------------------------------------------- */

static void
test_run_success(void **state)
{
	char *h = render("run", "run", run_success);

	(void)state;
	assert_has("run", h, "<section class=\"banner run-success\"");
	assert_has("run", h, "<span class=\"word\" id=\"run-status\">success</span>");
	assert_has("run", h, "&#10003;");
	/* Hostile stdout is shown as text. */
	assert_has("run", h, "<pre class=\"output\" id=\"stdout\">Hello, world!\n" XSS_ESC "\n"
	    "&lt;img src&#61;x onerror&#61;alert(2)&gt;\n</pre>");
	assert_has("run", h, "<pre class=\"output\" id=\"stderr\"></pre>");
	assert_lacks("run", h, "id=\"truncated\"");
	/* Metrics and numbers as the API writes them. */
	assert_has("run", h, "<dd>41 <small>ms</small></dd>");
	assert_has("run", h, "<dd>38.2 <small>MB</small></dd>");
	assert_has("run", h, "<dd>12 <small>ms</small></dd>");
	assert_has("run", h, "<dt>Signal</dt><dd><span class=\"muted\">none</span></dd>");
	/* Audit: summary, sources, the output hint row, the hostile target. */
	assert_has("run", h, "<span class=\"badge audit-violations\">violations</span>");
	assert_has("run", h, "<span class=\"badge chan-ok\">ok</span>");
	assert_has("run", h, "<tr class=\"src-output\">");
	assert_has("run", h, "<tr class=\"src-launcher\">");
	assert_has("run", h, "<code>" IMG_ESC "</code>");
	assert_has("run", h, "<td class=\"wrap\">" XSS_ESC "</td>");
	assert_lacks("run", h, "No events recorded.");
	assert_has("run", h, "Network</span> blocked");
	assert_has("run", h, "Filesystem</span> read-only");
	/* Preflight rows coloured by their own status; null threshold empty. */
	assert_has("run", h, "<tr class=\"row-warn\">");
	assert_has("run", h, "<span class=\"badge st-warn\">warn</span>");
	assert_has("run", h, "<td class=\"num\">182.4</td>");
	assert_has("run", h, "shorter than the last run " XSS_ESC "</td>");
	/* Input as indented JSON, escaped. */
	assert_has("run", h, "<pre class=\"json\" id=\"input\">{\n  &quot;name&quot;: &quot;&lt;/pre&gt;"
	    XSS_ESC "&quot;,\n  &quot;n&quot;: [\n    1,\n    2.5\n  ]\n}</pre>");
	/* Runtime and limits. */
	assert_has("run", h, "<dd>node 22.11.0</dd>");
	assert_has("run", h, "<dd>1048576 bytes per stream</dd>");
	assert_has("run", h, "<dd>0.5</dd>");
	/* The session bits: escaped key name and CSRF token. */
	assert_has("run", h, "<span class=\"who\" title=\"Signed in with this API key\">ops" XSS_ESC "</span>");
	assert_has("run", h, "name=\"csrf\" value=\"c0ffee&quot;&gt;&lt;b&gt;\"");
	assert_lacks("run", h, "<a href=\"/login\">");
	free(h);
}

static void
test_run_truncated_failed(void **state)
{
	char *h = render("run", "run-truncated", run_truncated);

	(void)state;
	assert_has("run-truncated", h, "<section class=\"banner run-failed\"");
	assert_has("run-truncated", h, "&#10007;");
	assert_has("run-truncated", h, "exit code 3");
	assert_has("run-truncated", h, "id=\"truncated\">Output was truncated: Ignite keeps at most 1048576 bytes");
	assert_has("run-truncated", h, "<h3>stdout <span class=\"badge st-warn\">truncated</span></h3>");
	assert_has("run-truncated", h, "<h3>stderr</h3>");
	assert_has("run-truncated", h, "Error: " XSS_ESC "\n    at main");
	assert_has("run-truncated", h, "Audit mode was off for this run");
	assert_has("run-truncated", h, "No events recorded.");
	assert_has("run-truncated", h, "<span class=\"badge chan-lost\">lost</span>");
	assert_has("run-truncated", h, "may spawn <code>git</code> <code>" XSS_ESC "</code>");
	assert_has("run-truncated", h, "No preflight was recorded.");
	assert_has("run-truncated", h, "<dt>Memory used</dt><dd><span class=\"muted\">n/a</span></dd>");
	assert_has("run-truncated", h, "<pre class=\"json\" id=\"input\">plain &lt;text&gt; input</pre>");
	/* No session: a login link, no logout form. */
	assert_has("run-truncated", h, "<a href=\"/login\">Log in</a>");
	assert_lacks("run-truncated", h, "action=\"/logout\"");
	free(h);
}

static void
test_run_timeout(void **state)
{
	char *h = render("run", "run-timeout", run_timeout);

	(void)state;
	assert_has("run-timeout", h, "<section class=\"banner run-timeout\"");
	assert_has("run-timeout", h, "Stopped: the run went past its 5000 ms timeout.");
	assert_lacks("run-timeout", h, "Killed: out of memory");
	assert_has("run-timeout", h, " · signal 9");
	assert_has("run-timeout", h, "<div class=\"bad\"><dt>Timed out</dt><dd>yes</dd></div>");
	assert_has("run-timeout", h, "<span class=\"badge audit-clean\">clean</span>");
	assert_has("run-timeout", h, "<tr class=\"src-engine\">");
	free(h);
}

static void
test_run_blocked(void **state)
{
	char *h = render("run", "run-blocked", run_blocked);

	(void)state;
	assert_has("run-blocked", h, "<section class=\"banner run-blocked\"");
	assert_has("run-blocked", h, "<code>preflight_failed</code> preflight failed: 1 check(s) failed; " XSS_ESC);
	assert_has("run-blocked", h, "The service did not run, so there are no metrics and no output.");
	assert_has("run-blocked", h, "No audit: the service did not run.");
	assert_lacks("run-blocked", h, "id=\"stdout\"");
	assert_has("run-blocked", h, "<tr class=\"row-fail\">");
	assert_has("run-blocked", h, "<span class=\"badge st-fail\">fail</span>");
	assert_has("run-blocked", h, "<pre class=\"json\" id=\"input\"></pre>");
	free(h);
}

static void
test_index(void **state)
{
	char *h = render("index", "index", index_ctx);

	(void)state;
	assert_has("index", h, "<a class=\"svc\" href=\"/services/hello\">hello</a>");
	assert_has("index", h, "<a class=\"badge run-success\" href=\"/runs/7f3c2a9be1d04c55a0c1f2e3d4b5a697\">success</a>");
	assert_has("index", h, "<a class=\"svc\" href=\"/services/" IMG_ESC "\">" IMG_ESC "</a>");
	assert_has("index", h, "<code>" XSS_ESC ".js</code>");
	assert_has("index", h, "never run");
	assert_has("index", h, "<a class=\"badge run-blocked\"");
	assert_has("index", h, "<a href=\"/services/" XSS_ESC "\">" XSS_ESC "</a>");
	/* A blocked run has no duration or exit code: the cells stay empty. */
	assert_has("index", h, "<td class=\"num\"></td>\n      <td class=\"num\"></td>");
	assert_has("index", h, "<td class=\"num\">5010 ms</td>\n      <td class=\"num\">137</td>");
	assert_has("index", h, "Ignite 0.1.0");
	assert_lacks("index", h, "No runs yet.");
	free(h);

	h = render("index", "index-empty", index_empty);
	assert_has("index-empty", h, "No services:");
	assert_has("index-empty", h, "No runs yet.");
	/* Without a key name the session's key id is shown. */
	assert_has("index-empty", h, "title=\"Signed in with this API key\">k7q2</span>");
	free(h);
}

static void
test_service(void **state)
{
	char *h = render("service", "service", service_ctx);

	(void)state;
	assert_has("service", h, "<h1>" IMG_ESC "</h1>");
	assert_has("service", h, "<form method=\"post\" action=\"/services/" IMG_ESC "/run\" class=\"runform\">");
	assert_has("service", h, "name=\"input\" rows=\"8\" spellcheck=\"false\">{&quot;name&quot;: &quot;&lt;/textarea&gt;"
	    XSS_ESC "&quot;}</textarea>");
	assert_has("service", h, "<input type=\"hidden\" name=\"csrf\" value=\"tok&quot;en&lt;&gt;\">");
	assert_has("service", h, "&quot;GREETING&quot;: &quot;" XSS_ESC "&quot;");
	assert_has("service", h, "&quot;coldStartBufferMs&quot;: 1000");
	assert_has("service", h, "<dd>128 MB</dd>");
	assert_has("service", h, "<span class=\"badge st-fail\">fail</span>");
	assert_has("service", h, "<tr class=\"row-warn\">");
	assert_has("service", h, "<a class=\"badge run-success\"");
	free(h);
}

static void
test_login_and_error(void **state)
{
	char *h = render("login", "login", login_ctx);

	(void)state;
	assert_has("login", h, "<form method=\"post\" action=\"/login\" class=\"login\">");
	assert_has("login", h, "name=\"key\" type=\"password\"");
	assert_has("login", h, "<input type=\"hidden\" name=\"csrf\" value=\"abc123\">");
	assert_has("login", h, "<p class=\"alert\" role=\"alert\">Invalid key " XSS_ESC "</p>");
	free(h);
	h = render("login", "login-fresh", "{\"csrf\":\"abc123\"}");
	assert_lacks("login-fresh", h, "role=\"alert\"");
	free(h);

	h = render("error", "error", error_ctx);
	assert_has("error", h, "<p class=\"errcode\">404</p>");
	assert_has("error", h, "<h1>Not found</h1>");
	assert_has("error", h, "<p>No route for /x" XSS_ESC "</p>");
	free(h);
	h = render("error", "error-500", "{\"status\":500,\"title\":\"Internal error\"}");
	assert_has("error-500", h, "<title>500 Internal error · Ignite</title>");
	free(h);
}

static void
test_every_template_loads(void **state)
{
	static const char *const names[] = { "index", "service", "run", "login", "error",
	    "layout-header", "layout-footer", "runs-table", "preflight-checks", NULL };
	const char *const *n;

	(void)state;
	for (n = names; *n != NULL; n++)
		if (ig_template_set_get(pages, *n) == NULL)
			fail_msg("templates/%s.html is missing", *n);
	assert_int_equal(ig_template_set_check(pages, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_template_loads),
		cmocka_unit_test(test_run_success),
		cmocka_unit_test(test_run_truncated_failed),
		cmocka_unit_test(test_run_timeout),
		cmocka_unit_test(test_run_blocked),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_login_and_error),
	};

	return cmocka_run_group_tests_name("pages", tests, setup, teardown);
}
