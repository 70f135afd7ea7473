/* test_config.c — ignite.yaml: defaults, every field valid and invalid,
 * unknown keys, path resolution, every flag override, precedence (flag over
 * file over default), file permission checks, JSON round trip. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "bounds.h"
#include "support.h"

#define FILE_NAME "/etc/ignite/ignite.yaml"

static void
dump_diags(const struct ig_diags *d)
{
	char buf[700];
	size_t i;

	for (i = 0; i < d->n; i++)
		print_message("  got: %s\n", ig_diag_format(&d->v[i], buf, sizeof(buf)));
}

static void
defaults(struct ig_config *cfg)
{
	assert_int_equal(ig_config_defaults(cfg), 0);
}

/* Parses text over the defaults; fails the test on any problem. */
static void
parse_ok_as(const char *text, const char *file, struct ig_config *cfg)
{
	struct ig_diags d = { 0 };
	struct ig_err err = { 0 };

	defaults(cfg);
	if (ig_config_parse(text, strlen(text), file, cfg, &d, &err) != 0) {
		dump_diags(&d);
		fail_msg("parse failed: %s\nfor:\n%s", err.msg, text);
	}
	assert_int_equal(d.n, 0);
	ig_diags_free(&d);
}

static void
parse_ok(const char *text, struct ig_config *cfg)
{
	parse_ok_as(text, FILE_NAME, cfg);
}

/* The configuration as canonical JSON text (owned by the caller). */
static char *
json_text(const struct ig_config *cfg)
{
	struct json_object *j = ig_config_to_json(cfg);
	char *s;

	assert_non_null(j);
	s = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	assert_non_null(s);
	return s;
}

/* Expects exactly one problem at line whose message contains want, and
 * the configuration left untouched. */
static void
expect_one(const char *text, int line, const char *want)
{
	struct ig_config cfg;
	struct ig_diags d = { 0 };
	struct ig_err err = { 0 };
	char *before, *after;

	defaults(&cfg);
	before = json_text(&cfg);
	assert_int_equal(ig_config_parse(text, strlen(text), FILE_NAME, &cfg, &d, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	if (d.n != 1 || d.v[0].line != line || strstr(d.v[0].msg, want) == NULL) {
		dump_diags(&d);
		fail_msg("expected exactly %s:%d: …%s…\nfor:\n%s", FILE_NAME, line, want, text);
	}
	assert_string_equal(d.v[0].file, FILE_NAME);
	after = json_text(&cfg);
	assert_string_equal(before, after);
	assert_null(cfg.source);
	free(before);
	free(after);
	ig_diags_free(&d);
	ig_config_free(&cfg);
}

/* ---- defaults ---------------------------------------------------------- */

static void
test_defaults(void **state)
{
	struct ig_config cfg;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	defaults(&cfg);
	assert_string_equal(cfg.socket_path, "/run/ignite/ignite.sock");
	assert_int_equal(cfg.socket_mode, 0660);
	assert_null(cfg.socket_owner);
	assert_null(cfg.socket_group);
	assert_int_equal(cfg.workers, 8);
	assert_int_equal(cfg.shutdown_grace_s, 30);
	assert_string_equal(cfg.services_dir, "/var/lib/ignite/services");
	assert_string_equal(cfg.runs_dir, "/var/lib/ignite/runs");
	assert_string_equal(cfg.keys_file, "/var/lib/ignite/keys");
	assert_int_equal(cfg.body_max, 1024 * 1024);
	assert_int_equal(cfg.output_max, 1024 * 1024);
	assert_int_equal(cfg.rate_per_min, 60);
	assert_int_equal(cfg.auth_failures_per_min, 10);
	assert_true(cfg.max_concurrent >= 2);
	assert_true(cfg.max_concurrent <= (cpus > 1 ? cpus * 2 : 2));
	assert_int_equal(cfg.max_concurrent % 2, 0);
	assert_int_equal(cfg.max_concurrent_per_key, cfg.max_concurrent < 4 ? cfg.max_concurrent : 4);
	assert_int_equal(cfg.slot_wait_ms, 2000);
	assert_false(cfg.allow_non_audit);
	assert_null(cfg.docker_host);
	assert_int_equal(cfg.warm_pool, 1);
	assert_int_equal(cfg.pids_limit, 64);
	assert_int_equal(cfg.retention_max_runs, 10000);
	assert_int_equal(cfg.retention_max_age_days, 30);
	assert_int_equal(cfg.scrypt_n, 0);
	assert_int_equal(cfg.scrypt_r, 0);
	assert_int_equal(cfg.scrypt_p, 0);
	assert_int_equal(cfg.key_cache_ttl_s, 60);
	assert_int_equal(cfg.session_ttl_s, 12 * 3600);
	assert_false(cfg.secure_cookies);
	assert_int_equal(cfg.log_level, IG_LOG_INFO);
	assert_int_equal(cfg.log_format, IG_CONFIG_LOG_JSON);
	assert_null(cfg.source);
	ig_config_free(&cfg);
	ig_config_free(NULL);
}

static void
test_empty_file_keeps_defaults(void **state)
{
	struct ig_config def, cfg;
	static const char *const texts[] = {
		"", "# only a comment\n", "server:\n", "server: ~\npaths: {}\nlog:\n",
	};
	char *a, *b;
	size_t i;

	(void)state;
	defaults(&def);
	a = json_text(&def);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		parse_ok(texts[i], &cfg);
		b = json_text(&cfg);
		assert_string_equal(a, b);
		assert_string_equal(cfg.source, FILE_NAME);
		free(b);
		ig_config_free(&cfg);
	}
	free(a);
	ig_config_free(&def);
}

/* ---- every field valid -------------------------------------------------- */

static const char full_config[] =
	"server:\n"
	"  socket: /run/ig/a.sock\n"
	"  socketMode: \"0600\"\n"
	"  socketOwner: ignite\n"
	"  socketGroup: www-data\n"
	"  workers: 256\n"
	"  shutdownGraceSeconds: 0\n"
	"paths:\n"
	"  services: /srv/services\n"
	"  runs: /srv/runs\n"
	"  keys: /srv/keys\n"
	"limits:\n"
	"  requestBodyBytes: 2048\n"
	"  outputBytes: 4096\n"
	"  rateLimitPerMinute: 1000000\n"
	"  authFailuresPerMinute: 1\n"
	"  maxConcurrent: 1024\n"
	"  maxConcurrentPerKey: 1\n"
	"  slotWaitMs: 0\n"
	"execution:\n"
	"  allowNonAudit: true\n"
	"  dockerHost: tcp://127.0.0.1:2375\n"
	"  warmPool: 64\n"
	"  pidsLimit: 16\n"
	"retention:\n"
	"  maxRuns: 0\n"
	"  maxAgeDays: 0\n"
	"auth:\n"
	"  scryptN: 16384\n"
	"  scryptR: 8\n"
	"  scryptP: 1\n"
	"  keyCacheSeconds: 0\n"
	"  sessionSeconds: 60\n"
	"  secureCookies: true\n"
	"log:\n"
	"  level: debug\n"
	"  format: text\n";

static void
test_every_field(void **state)
{
	struct ig_config cfg;

	(void)state;
	parse_ok(full_config, &cfg);
	assert_string_equal(cfg.socket_path, "/run/ig/a.sock");
	assert_int_equal(cfg.socket_mode, 0600);
	assert_string_equal(cfg.socket_owner, "ignite");
	assert_string_equal(cfg.socket_group, "www-data");
	assert_int_equal(cfg.workers, 256);
	assert_int_equal(cfg.shutdown_grace_s, 0);
	assert_string_equal(cfg.services_dir, "/srv/services");
	assert_string_equal(cfg.runs_dir, "/srv/runs");
	assert_string_equal(cfg.keys_file, "/srv/keys");
	assert_int_equal(cfg.body_max, 2048);
	assert_int_equal(cfg.output_max, 4096);
	assert_int_equal(cfg.rate_per_min, 1000000);
	assert_int_equal(cfg.auth_failures_per_min, 1);
	assert_int_equal(cfg.max_concurrent, 1024);
	assert_int_equal(cfg.max_concurrent_per_key, 1);
	assert_int_equal(cfg.slot_wait_ms, 0);
	assert_true(cfg.allow_non_audit);
	assert_string_equal(cfg.docker_host, "tcp://127.0.0.1:2375");
	assert_int_equal(cfg.warm_pool, 64);
	assert_int_equal(cfg.pids_limit, 16);
	assert_int_equal(cfg.retention_max_runs, 0);
	assert_int_equal(cfg.retention_max_age_days, 0);
	assert_int_equal(cfg.scrypt_n, 16384);
	assert_int_equal(cfg.scrypt_r, 8);
	assert_int_equal(cfg.scrypt_p, 1);
	assert_int_equal(cfg.key_cache_ttl_s, 0);
	assert_int_equal(cfg.session_ttl_s, 60);
	assert_true(cfg.secure_cookies);
	assert_int_equal(cfg.log_level, IG_LOG_DEBUG);
	assert_int_equal(cfg.log_format, IG_CONFIG_LOG_TEXT);
	ig_config_free(&cfg);
}

static void
test_value_spellings(void **state)
{
	struct ig_config cfg;

	(void)state;
	/* Mode unquoted, without the leading 0; numeric ids; unix endpoint. */
	parse_ok("server:\n  socketMode: 0640\n  socketOwner: 0\n  socketGroup: 33\n"
	    "execution:\n  dockerHost: unix:///var/run/docker.sock\n", &cfg);
	assert_int_equal(cfg.socket_mode, 0640);
	assert_string_equal(cfg.socket_owner, "0");
	assert_string_equal(cfg.socket_group, "33");
	assert_string_equal(cfg.docker_host, "unix:///var/run/docker.sock");
	ig_config_free(&cfg);

	parse_ok("server: { socketMode: '600', socketOwner: 'svc$' }\nlog: { level: warn, format: json }\n",
	    &cfg);
	assert_int_equal(cfg.socket_mode, 0600);
	assert_string_equal(cfg.socket_owner, "svc$");
	assert_int_equal(cfg.log_level, IG_LOG_WARN);
	assert_int_equal(cfg.log_format, IG_CONFIG_LOG_JSON);
	ig_config_free(&cfg);

	parse_ok("log:\n  level: error\nauth:\n  scryptN: 1024\n  scryptR: 32\n", &cfg);
	assert_int_equal(cfg.log_level, IG_LOG_ERROR);
	assert_int_equal(cfg.scrypt_n, 1024);
	ig_config_free(&cfg);

	/* The socket path may use all 107 bytes of sun_path. */
	{
		char text[256], path[108];

		memset(path, 'a', sizeof(path) - 1);
		path[0] = '/';
		path[sizeof(path) - 1] = '\0';
		snprintf(text, sizeof(text), "server:\n  socket: %s\n", path);
		parse_ok(text, &cfg);
		assert_int_equal(strlen(cfg.socket_path), 107);
		ig_config_free(&cfg);
	}
}

/* ---- paths ------------------------------------------------------------- */

static void
test_paths_relative_to_config_dir(void **state)
{
	struct ig_config cfg;
	char cwd[4096], want[4200];

	(void)state;
	parse_ok("paths:\n  services: services\n  runs: ./state//runs/\n  keys: /abs/./keys\n"
	    "server:\n  socket: run/ignite.sock\n", &cfg);
	assert_string_equal(cfg.services_dir, "/etc/ignite/services");
	assert_string_equal(cfg.runs_dir, "/etc/ignite/state/runs");
	assert_string_equal(cfg.keys_file, "/abs/keys");
	assert_string_equal(cfg.socket_path, "/etc/ignite/run/ignite.sock");
	ig_config_free(&cfg);

	/* A config file at the root, and one named relative to the current
	 * directory (its ".." belongs to the file name and is resolved). */
	parse_ok_as("paths:\n  runs: runs\n", "/ignite.yaml", &cfg);
	assert_string_equal(cfg.runs_dir, "/runs");
	ig_config_free(&cfg);

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	parse_ok_as("paths:\n  runs: runs\n", "ignite.yaml", &cfg);
	snprintf(want, sizeof(want), "%s/runs", strcmp(cwd, "/") == 0 ? "" : cwd);
	assert_string_equal(cfg.runs_dir, want);
	ig_config_free(&cfg);

	parse_ok_as("paths:\n  runs: runs\n", "/a/b/../conf/ignite.yaml", &cfg);
	assert_string_equal(cfg.runs_dir, "/a/conf/runs");
	ig_config_free(&cfg);

	parse_ok("paths:\n  services: /\n", &cfg);
	assert_string_equal(cfg.services_dir, "/");
	ig_config_free(&cfg);
}

/* ---- every field invalid ------------------------------------------------ */

struct bad_case {
	const char *text;
	int line;
	const char *want;
};

static const struct bad_case bad_cases[] = {
	/* structure */
	{ "serverr:\n  workers: 2\n", 1, "serverr: unknown key (did you mean server?)" },
	{ "server:\n  worker: 2\n", 2, "server.worker: unknown key (did you mean workers?)" },
	{ "paths:\n  service: /x\n", 2, "paths.service: unknown key (did you mean services?)" },
	{ "limits:\n  bodyLimit: 5\n", 2, "limits.bodyLimit: unknown key" },
	{ "workers: 4\n", 1, "workers: unknown key" },
	{ "server: 5\n", 1, "server must be a mapping" },
	{ "server: [a]\n", 1, "server must be a mapping" },
	{ "- server\n", 1, "the document must be a mapping" },
	{ "server:\n  workers: 2\n  workers: 3\n", 3, "workers" },
	{ "server: {\n", 2, "" },
	/* server.socket */
	{ "server:\n  socket: /run/../etc/x.sock\n", 2, "server.socket must not contain \"..\" components" },
	{ "server:\n  socket: \"/run/a\\tb.sock\"\n", 2, "server.socket must not contain control characters" },
	{ "server:\n  socket: /\n", 2, "server.socket must name a socket file" },
	{ "server:\n  socket: \"\"\n", 2, "server.socket must be a non-empty string" },
	{ "server:\n  socket:\n", 2, "server.socket must be a non-empty string" },
	{ "server:\n  socket: [a]\n", 2, "server.socket must be a string" },
	{ "server:\n  socket: /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  2, "server.socket is too long for a unix socket" },
	/* server.socketMode */
	{ "server:\n  socketMode: \"0666x\"\n", 2, "server.socketMode must be permission bits in octal" },
	{ "server:\n  socketMode: 4755\n", 2, "server.socketMode must be permission bits in octal" },
	{ "server:\n  socketMode: \"0860\"\n", 2, "server.socketMode must be permission bits in octal" },
	{ "server:\n  socketMode: 66\n", 2, "server.socketMode must be permission bits in octal" },
	{ "server:\n  socketMode: rw-rw----\n", 2, "server.socketMode must be permission bits in octal" },
	/* server.socketOwner / socketGroup */
	{ "server:\n  socketOwner: -root\n", 2, "server.socketOwner must be a user or group name" },
	{ "server:\n  socketOwner: \"a b\"\n", 2, "server.socketOwner must be a user or group name" },
	{ "server:\n  socketOwner: 0123\n", 2, "server.socketOwner must be a user or group name" },
	{ "server:\n  socketOwner: 99999999999\n", 2, "server.socketOwner must be a user or group name" },
	{ "server:\n  socketOwner: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 2, "server.socketOwner must be a user or group name" },
	{ "server:\n  socketGroup: \"www$data\"\n", 2, "server.socketGroup must be a user or group name" },
	/* server.workers */
	{ "server:\n  workers: 0\n", 2, "server.workers must be from 1 to 256" },
	{ "server:\n  workers: 257\n", 2, "server.workers must be from 1 to 256" },
	{ "server:\n  workers: -1\n", 2, "server.workers must be from 1 to 256" },
	{ "server:\n  workers: \"8\"\n", 2, "server.workers must be an integer, not a quoted string" },
	{ "server:\n  workers: 1.5\n", 2, "server.workers must be an integer" },
	{ "server:\n  workers: 08\n", 2, "server.workers must be an integer" },
	{ "server:\n  workers: 0x10\n", 2, "server.workers must be an integer" },
	{ "server:\n  workers: eight\n", 2, "server.workers must be an integer" },
	{ "server:\n  workers: 99999999999999999999999\n", 2, "server.workers" },
	{ "server:\n  workers:\n", 2, "server.workers must be an integer" },
	/* server.shutdownGraceSeconds */
	{ "server:\n  shutdownGraceSeconds: -1\n", 2, "server.shutdownGraceSeconds must be from 0 to 3600" },
	{ "server:\n  shutdownGraceSeconds: 3601\n", 2, "server.shutdownGraceSeconds must be from 0 to 3600" },
	/* paths */
	{ "paths:\n  services: a/../b\n", 2, "paths.services must not contain \"..\" components" },
	{ "paths:\n  services: [a]\n", 2, "paths.services must be a string" },
	{ "paths:\n  runs: ~\n", 2, "paths.runs must be a non-empty string" },
	{ "paths:\n  runs: \"\\x7f\"\n", 2, "paths.runs must not contain control characters" },
	{ "paths:\n  keys: \"\"\n", 2, "paths.keys must be a non-empty string" },
	{ "paths:\n  keys: /x/..\n", 2, "paths.keys must not contain \"..\" components" },
	{ "paths:\n  keys: \"a\\0b\"\n", 2, "paths.keys must not contain NUL characters" },
	/* limits */
	{ "limits:\n  requestBodyBytes: 1023\n", 2, "limits.requestBodyBytes must be from 1024 to 8388608" },
	{ "limits:\n  requestBodyBytes: 8388609\n", 2, "limits.requestBodyBytes must be from 1024 to 8388608" },
	{ "limits:\n  requestBodyBytes: 1MiB\n", 2, "limits.requestBodyBytes must be an integer" },
	{ "limits:\n  outputBytes: 0\n", 2, "limits.outputBytes must be from 1024 to 1048576" },
	{ "limits:\n  outputBytes: 1048577\n", 2, "limits.outputBytes must be from 1024 to 1048576" },
	{ "limits:\n  rateLimitPerMinute: 0\n", 2, "limits.rateLimitPerMinute must be from 1 to 1000000" },
	{ "limits:\n  rateLimitPerMinute: 1000001\n", 2, "limits.rateLimitPerMinute must be from 1 to 1000000" },
	{ "limits:\n  authFailuresPerMinute: 0\n", 2, "limits.authFailuresPerMinute must be from 1 to 1000000" },
	{ "limits:\n  authFailuresPerMinute: 1000001\n", 2, "limits.authFailuresPerMinute must be from 1 to 1000000" },
	{ "limits:\n  maxConcurrent: 0\n", 2, "limits.maxConcurrent must be from 1 to 1024" },
	{ "limits:\n  maxConcurrent: 1025\n", 2, "limits.maxConcurrent must be from 1 to 1024" },
	{ "limits:\n  maxConcurrentPerKey: 0\n", 2, "limits.maxConcurrentPerKey must be from 1 to 1024" },
	{ "limits:\n  maxConcurrentPerKey: 1025\n", 2, "limits.maxConcurrentPerKey must be from 1 to 1024" },
	{ "limits:\n  slotWaitMs: -1\n", 2, "limits.slotWaitMs must be from 0 to 30000" },
	{ "limits:\n  slotWaitMs: 30001\n", 2, "limits.slotWaitMs must be from 0 to 30000" },
	/* execution */
	{ "execution:\n  allowNonAudit: yes\n", 2, "execution.allowNonAudit must be true or false" },
	{ "execution:\n  allowNonAudit: \"true\"\n", 2, "not a quoted string" },
	{ "execution:\n  allowNonAudit: 1\n", 2, "execution.allowNonAudit must be true or false" },
	{ "execution:\n  allowNonAudit:\n", 2, "execution.allowNonAudit must be true or false" },
	{ "execution:\n  dockerHost: http://localhost:2375\n", 2,
	  "execution.dockerHost must be unix:///absolute/path or tcp://host[:port]" },
	{ "execution:\n  dockerHost: unix://run/docker.sock\n", 2, "execution.dockerHost must be unix:///" },
	{ "execution:\n  dockerHost: tcp://host:99999\n", 2, "bad port" },
	{ "execution:\n  dockerHost: \"tcp://a b\"\n", 2, "execution.dockerHost must be unix:///" },
	{ "execution:\n  warmPool: -1\n", 2, "execution.warmPool must be from 0 to 64" },
	{ "execution:\n  warmPool: 65\n", 2, "execution.warmPool must be from 0 to 64" },
	{ "execution:\n  pidsLimit: 15\n", 2, "execution.pidsLimit must be from 16 to 4096" },
	{ "execution:\n  pidsLimit: 4097\n", 2, "execution.pidsLimit must be from 16 to 4096" },
	/* retention */
	{ "retention:\n  maxRuns: -1\n", 2, "retention.maxRuns must be from 0 to 100000000" },
	{ "retention:\n  maxRuns: 100000001\n", 2, "retention.maxRuns must be from 0 to 100000000" },
	{ "retention:\n  maxAgeDays: -1\n", 2, "retention.maxAgeDays must be from 0 to 36500" },
	{ "retention:\n  maxAgeDays: 36501\n", 2, "retention.maxAgeDays must be from 0 to 36500" },
	/* auth */
	{ "auth:\n  scryptN: 1000\n", 2, "auth.scryptN must be 0 or a power of two from 1024 to 1048576" },
	{ "auth:\n  scryptN: 512\n", 2, "auth.scryptN must be 0 or a power of two" },
	{ "auth:\n  scryptN: 2097152\n", 2, "auth.scryptN must be 0 or a power of two" },
	{ "auth:\n  scryptN: -1024\n", 2, "auth.scryptN must be 0 or a power of two" },
	{ "auth:\n  scryptR: -1\n", 2, "auth.scryptR must be from 0 to 32" },
	{ "auth:\n  scryptR: 33\n", 2, "auth.scryptR must be from 0 to 32" },
	{ "auth:\n  scryptP: 17\n", 2, "auth.scryptP must be from 0 to 16" },
	{ "auth:\n  keyCacheSeconds: -1\n", 2, "auth.keyCacheSeconds must be from 0 to 3600" },
	{ "auth:\n  keyCacheSeconds: 3601\n", 2, "auth.keyCacheSeconds must be from 0 to 3600" },
	{ "auth:\n  sessionSeconds: 59\n", 2, "auth.sessionSeconds must be from 60 to 2592000" },
	{ "auth:\n  sessionSeconds: 2592001\n", 2, "auth.sessionSeconds must be from 60 to 2592000" },
	{ "auth:\n  secureCookies: on\n", 2, "auth.secureCookies must be true or false" },
	/* log */
	{ "log:\n  level: verbose\n", 2, "log.level must be one of debug, info, warn, error" },
	{ "log:\n  level: INFO\n", 2, "log.level must be one of debug, info, warn, error" },
	{ "log:\n  level: 1\n", 2, "log.level must be one of" },
	{ "log:\n  format: yaml\n", 2, "log.format must be json or text" },
	{ "log:\n  format: [json]\n", 2, "log.format must be a string" },
};

static void
test_bad_case(void **state)
{
	const struct bad_case *c = *state;

	expect_one(c->text, c->line, c->want);
}

static void
test_every_problem_at_once(void **state)
{
	static const char text[] =
		"server:\n"
		"  workers: 0\n"            /* 2 */
		"  socketMode: abc\n"       /* 3 */
		"  tyop: 1\n"               /* 4 */
		"limits:\n"
		"  outputBytes: \"1\"\n"    /* 6 */
		"log:\n"
		"  level: loud\n"           /* 8 */
		"extra: 1\n";               /* 9 */
	static const int lines[] = { 4, 6, 9, 2, 3, 8 };
	struct ig_config cfg;
	struct ig_diags d = { 0 };
	struct ig_err err = { 0 };
	size_t i, j;

	(void)state;
	defaults(&cfg);
	assert_int_equal(ig_config_parse(text, strlen(text), FILE_NAME, &cfg, &d, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_non_null(strstr(err.msg, "6 problems"));
	assert_int_equal(d.n, 6);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		for (j = 0; j < d.n; j++)
			if (d.v[j].line == lines[i])
				break;
		if (j == d.n) {
			dump_diags(&d);
			fail_msg("no problem reported at line %d", lines[i]);
		}
	}
	assert_int_equal(cfg.workers, 8);
	ig_diags_free(&d);
	ig_config_free(&cfg);
}

static void
test_too_big(void **state)
{
	struct ig_config cfg;
	struct ig_diags d = { 0 };
	struct ig_err err = { 0 };
	char *text = malloc(IG_YAML_MAX_BYTES + 2);

	(void)state;
	assert_non_null(text);
	memset(text, '#', IG_YAML_MAX_BYTES + 1);
	text[IG_YAML_MAX_BYTES + 1] = '\0';
	defaults(&cfg);
	assert_int_equal(ig_config_parse(text, IG_YAML_MAX_BYTES + 1, FILE_NAME, &cfg, &d, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "larger than"));
	/* Exactly the limit is fine (all comments). */
	ig_diags_free(&d);
	assert_int_equal(ig_config_parse(text, IG_YAML_MAX_BYTES, FILE_NAME, &cfg, &d, &err), 0);
	ig_config_free(&cfg);
	free(text);
}

/* Arbitrary bytes never crash the parser or leak. */
static void
test_hostile_bytes(void **state)
{
	static const struct { const char *text; size_t len; } texts[] = {
		{ "\xff\xfe\x00s\x00", 5 },
		{ "server: &a {workers: 2}\npaths: *a\n", 0 },
		{ "%YAML 1.1\n---\nserver: {}\n---\n", 0 },
		{ "server: !!python/object {}\n", 0 },
		{ "server:\n  socket: !!binary aGVsbG8=\n", 0 },
		{ "server:\n  socket: \"/a\\0b\"\n", 0 },
		{ "\t\t:\n", 0 },
		{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 0 },
		{ "server:\n  socket: /a\xc3\n", 0 },
	};
	struct ig_config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct ig_diags d = { 0 };
		struct ig_err err = { 0 };
		size_t len = texts[i].len ? texts[i].len : strlen(texts[i].text);

		defaults(&cfg);
		assert_int_equal(ig_config_parse(texts[i].text, len, FILE_NAME, &cfg, &d, &err), -1);
		assert_true(d.n > 0);
		assert_int_equal(cfg.workers, 8);
		ig_diags_free(&d);
		ig_config_free(&cfg);
	}
}

/* ---- load: the file on disk -------------------------------------------- */

/* Writes text with mode to a new file <scratch>/<N>-<name>; returns its
 * path, valid until the next call. */
static const char *
write_config(const char *name, const char *text, mode_t mode)
{
	static char path[512];
	static int case_no;

	snprintf(path, sizeof(path), "%s/%d-%s", scratch_dir(), ++case_no, name);
	file_write(path, text, strlen(text), mode);
	return path;
}

static void
test_load(void **state)
{
	struct ig_config cfg;
	struct ig_diags d = { 0 };
	struct ig_err err = { 0 };
	const char *path;
	char want[600];

	(void)state;
	path = write_config("ignite.yaml", "server:\n  workers: 3\npaths:\n  runs: runs\n", 0640);
	defaults(&cfg);
	assert_int_equal(ig_config_load(path, &cfg, &d, &err), 0);
	assert_int_equal(cfg.workers, 3);
	assert_string_equal(cfg.source, path);
	snprintf(want, sizeof(want), "%s/runs", scratch_dir());
	assert_string_equal(cfg.runs_dir, want);
	ig_config_free(&cfg);

	/* Group-writable is the operator's choice; others-writable is refused. */
	path = write_config("ignite.yaml", "server:\n  workers: 3\n", 0660);
	defaults(&cfg);
	assert_int_equal(ig_config_load(path, &cfg, &d, &err), 0);
	ig_config_free(&cfg);

	path = write_config("ignite.yaml", "server:\n  workers: 3\n", 0666);
	defaults(&cfg);
	assert_int_equal(ig_config_load(path, &cfg, &d, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_non_null(strstr(err.msg, "writable by others"));
	assert_int_equal(cfg.workers, 8);
	assert_null(cfg.source);
	ig_config_free(&cfg);

	path = write_config("ignite.yaml", "server:\n  workers: 3\n", 0602);
	defaults(&cfg);
	assert_int_equal(ig_config_load(path, &cfg, &d, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	ig_config_free(&cfg);

	/* Owned by someone else (only testable when allowed to chown). */
	path = write_config("ignite.yaml", "server:\n  workers: 3\n", 0644);
	if (chown(path, 12345, 12345) == 0) {
		defaults(&cfg);
		assert_int_equal(ig_config_load(path, &cfg, &d, &err), -1);
		assert_int_equal(err.code, IG_EPERM);
		assert_non_null(strstr(err.msg, "owned by uid 12345"));
		ig_config_free(&cfg);
	}

	/* Missing, a directory, a FIFO. */
	defaults(&cfg);
	snprintf(want, sizeof(want), "%s/missing.yaml", scratch_dir());
	assert_int_equal(ig_config_load(want, &cfg, &d, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_int_equal(ig_config_load(scratch_dir(), &cfg, &d, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	snprintf(want, sizeof(want), "%s/fifo.yaml", scratch_dir());
	assert_int_equal(mkfifo(want, 0600), 0);
	assert_int_equal(ig_config_load(want, &cfg, &d, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(d.n, 0);

	/* Invalid content: diagnostics name the path. */
	path = write_config("bad.yaml", "server:\n  workers: 0\n", 0600);
	assert_int_equal(ig_config_load(path, &cfg, &d, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].file, path);
	assert_int_equal(d.v[0].line, 2);
	ig_diags_free(&d);
	ig_config_free(&cfg);
}

static void
test_load_too_big(void **state)
{
	struct ig_config cfg;
	struct ig_diags d = { 0 };
	struct ig_err err = { 0 };
	char *text = malloc(IG_YAML_MAX_BYTES + 2);
	const char *path;

	(void)state;
	assert_non_null(text);
	memset(text, '#', IG_YAML_MAX_BYTES + 1);
	text[IG_YAML_MAX_BYTES + 1] = '\0';
	path = write_config("big.yaml", text, 0600);
	free(text);
	defaults(&cfg);
	assert_int_equal(ig_config_load(path, &cfg, &d, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "larger than 262144 bytes"));
	ig_diags_free(&d);
	ig_config_free(&cfg);
}

/* ---- flags ------------------------------------------------------------- */

struct flag_case {
	const char *name;
	const char *good;           /* a valid value, not the default */
	const char *json_path;      /* "section.key" as found in the JSON */
	const char *json_value;     /* its JSON text after applying good */
	const char *bad;            /* an invalid value */
	const char *bad_why;        /* part of the error message */
};

static const struct flag_case flag_cases[] = {
	{ "socket", "/tmp/x.sock", "server.socket", "\"\\/tmp\\/x.sock\"", "/a/../b", "\"..\"" },
	{ "socket-mode", "0600", "server.socketMode", "\"0600\"", "0999", "octal" },
	{ "socket-owner", "ignite", "server.socketOwner", "\"ignite\"", "no body", "user or group" },
	{ "socket-group", "33", "server.socketGroup", "\"33\"", "-x", "user or group" },
	{ "workers", "16", "server.workers", "16", "0", "must be from 1 to 256" },
	{ "shutdown-grace", "5", "server.shutdownGraceSeconds", "5", "3601", "from 0 to 3600" },
	{ "services", "/srv/s", "paths.services", "\"\\/srv\\/s\"", "", "must not be empty" },
	{ "runs", "/srv/r", "paths.runs", "\"\\/srv\\/r\"", "r/../x", "\"..\"" },
	{ "keys", "/srv/k", "paths.keys", "\"\\/srv\\/k\"", "/k\n", "control characters" },
	{ "body-limit", "2048", "limits.requestBodyBytes", "2048", "1k", "must be an integer" },
	{ "output-limit", "4096", "limits.outputBytes", "4096", "1048577", "from 1024 to 1048576" },
	{ "rate-limit", "120", "limits.rateLimitPerMinute", "120", "0", "from 1 to 1000000" },
	{ "auth-failure-limit", "20", "limits.authFailuresPerMinute", "20", "-5", "from 1 to 1000000" },
	{ "max-concurrent", "3", "limits.maxConcurrent", "3", "1025", "from 1 to 1024" },
	{ "max-concurrent-per-key", "2", "limits.maxConcurrentPerKey", "2", "", "must be an integer" },
	{ "slot-wait", "100", "limits.slotWaitMs", "100", "1.5", "must be an integer" },
	{ "allow-non-audit", "true", "execution.allowNonAudit", "true", "yes", "true or false" },
	{ "docker-host", "unix:///tmp/d.sock", "execution.dockerHost", "\"unix:\\/\\/\\/tmp\\/d.sock\"",
	  "ssh://host", "unix:///" },
	{ "warm-pool", "2", "execution.warmPool", "2", "65", "from 0 to 64" },
	{ "pids-limit", "128", "execution.pidsLimit", "128", "8", "from 16 to 4096" },
	{ "retention-runs", "5", "retention.maxRuns", "5", "007", "must be an integer" },
	{ "retention-days", "7", "retention.maxAgeDays", "7", " 7", "must be an integer" },
	{ "scrypt-n", "4096", "auth.scryptN", "4096", "4097", "power of two" },
	{ "scrypt-r", "4", "auth.scryptR", "4", "33", "from 0 to 32" },
	{ "scrypt-p", "2", "auth.scryptP", "2", "17", "from 0 to 16" },
	{ "key-cache-ttl", "0", "auth.keyCacheSeconds", "0", "99999999999999999999", "must be an integer" },
	{ "session-ttl", "3600", "auth.sessionSeconds", "3600", "1", "from 60 to 2592000" },
	{ "secure-cookies", "true", "auth.secureCookies", "true", "TRUE1", "true or false" },
	{ "sandbox-runtimes", "node@24, bun", "sandbox.allowedRuntimes", "[\"node@24\",\"bun\"]",
	  "node@x", "runtime name" },
	{ "sandbox-max-memory", "1024", "sandbox.maxMemoryMb", "1024", "0", "from 1 to 65536" },
	{ "sandbox-max-cpus", "2", "sandbox.maxCpus", "2", "65", "from 1 to 64" },
	{ "sandbox-max-timeout", "60000", "sandbox.maxTimeoutMs", "60000", "0", "from 1 to 86400000" },
	{ "sandbox-max-files", "10", "sandbox.maxFiles", "10", "1001", "from 1 to 1000" },
	{ "sandbox-max-bytes", "4096", "sandbox.maxTotalBytes", "4096", "8388609", "from 1 to 8388608" },
	{ "sandbox-max-file-bytes", "2048", "sandbox.maxFileBytes", "2048", "-1", "from 1 to 8388608" },
	{ "sandbox-max-depth", "4", "sandbox.maxPathDepth", "4", "33", "from 1 to 32" },
	{ "sandbox-work-dir", "/srv/a", "sandbox.workDir", "\"\\/srv\\/a\"", "a/../b", "\"..\"" },
	{ "async-queue", "8", "async.queueSize", "8", "10001", "from 1 to 10000" },
	{ "async-workers", "3", "async.workers", "3", "0", "from 1 to 64" },
	{ "batch-max", "5", "async.batchMax", "5", "101", "from 1 to 100" },
	{ "idempotency-ttl", "600", "async.idempotencySeconds", "600", "59", "from 60 to 604800" },
	{ "callback-allow", "127.0.0.0/8,::1", "async.callbackAllow", "[\"127.0.0.0\\/8\",\"::1\"]",
	  "10.0.0.1/8", "host bits" },
	{ "callback-retries", "0", "async.callbackRetries", "0", "11", "from 0 to 10" },
	{ "callback-timeout", "1000", "async.callbackTimeoutMs", "1000", "99", "from 100 to 60000" },
	{ "log-level", "debug", "log.level", "\"debug\"", "trace", "debug, info, warn, error" },
	{ "log-format", "text", "log.format", "\"text\"", "xml", "json or text" },
};

/* JSON text of section.key in cfg, or NULL when absent (owned by caller). */
static char *
json_field(const struct ig_config *cfg, const char *path)
{
	struct json_object *j = ig_config_to_json(cfg), *sec, *v;
	char section[64];
	const char *dot = strchr(path, '.');
	char *out = NULL;

	assert_non_null(j);
	assert_non_null(dot);
	snprintf(section, sizeof(section), "%.*s", (int)(dot - path), path);
	if (json_object_object_get_ex(j, section, &sec) &&
	    json_object_object_get_ex(sec, dot + 1, &v))
		out = strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	return out;
}

static void
test_flag_table(void **state)
{
	const struct ig_config_flag *fl;
	size_t n, i, j;

	(void)state;
	fl = ig_config_flags(&n);
	assert_non_null(fl);
	/* Every flag is covered by flag_cases, and the other way round. */
	assert_int_equal(n, sizeof(flag_cases) / sizeof(flag_cases[0]));
	for (i = 0; i < n; i++) {
		assert_non_null(fl[i].name);
		assert_non_null(fl[i].help);
		assert_non_null(fl[i].metavar);
		assert_true(fl[i].has_arg == required_argument || fl[i].has_arg == optional_argument);
		assert_string_equal(fl[i].name, flag_cases[i].name);
		assert_string_equal(fl[i].key, flag_cases[i].json_path);
		for (j = 0; j < i; j++) {
			assert_string_not_equal(fl[i].name, fl[j].name);
			assert_string_not_equal(fl[i].key, fl[j].key);
		}
	}
}

static void
test_every_flag(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(flag_cases) / sizeof(flag_cases[0]); i++) {
		const struct flag_case *c = &flag_cases[i];
		struct ig_config cfg;
		struct ig_err err = { 0 };
		char *before, *after, *v;

		defaults(&cfg);
		v = json_field(&cfg, c->json_path);
		if (v != NULL && strcmp(v, c->json_value) == 0)
			fail_msg("--%s: the test value equals the default", c->name);
		free(v);
		if (ig_config_set_flag(&cfg, c->name, c->good, &err) != 0)
			fail_msg("--%s=%s: %s", c->name, c->good, err.msg);
		v = json_field(&cfg, c->json_path);
		assert_non_null(v);
		if (strcmp(v, c->json_value) != 0)
			fail_msg("--%s=%s: got %s, want %s", c->name, c->good, v, c->json_value);
		free(v);

		before = json_text(&cfg);
		if (ig_config_set_flag(&cfg, c->name, c->bad, &err) != -1)
			fail_msg("--%s=%s accepted", c->name, c->bad);
		assert_int_equal(err.code, IG_EINVAL);
		if (strstr(err.msg, c->bad_why) == NULL || strncmp(err.msg, "--", 2) != 0)
			fail_msg("--%s=%s: message \"%s\" lacks \"%s\"", c->name, c->bad, err.msg, c->bad_why);
		after = json_text(&cfg);
		assert_string_equal(before, after);
		free(before);
		free(after);
		ig_config_free(&cfg);
	}
}

static void
test_flag_details(void **state)
{
	struct ig_config cfg;
	struct ig_err err = { 0 };
	char cwd[4096], want[4200];

	(void)state;
	defaults(&cfg);
	/* A boolean given without a value means true; "false" turns it off. */
	assert_int_equal(ig_config_set_flag(&cfg, "allow-non-audit", NULL, &err), 0);
	assert_true(cfg.allow_non_audit);
	assert_int_equal(ig_config_set_flag(&cfg, "allow-non-audit", "false", &err), 0);
	assert_false(cfg.allow_non_audit);
	assert_int_equal(ig_config_set_flag(&cfg, "secure-cookies", NULL, &err), 0);
	assert_true(cfg.secure_cookies);

	/* Others need a value. */
	assert_int_equal(ig_config_set_flag(&cfg, "workers", NULL, &err), -1);
	assert_non_null(strstr(err.msg, "--workers: requires a value"));

	/* Unknown flag names (and config keys are not flag names). */
	assert_int_equal(ig_config_set_flag(&cfg, "worker", "2", &err), -1);
	assert_non_null(strstr(err.msg, "--worker: unknown option"));
	assert_int_equal(ig_config_set_flag(&cfg, "server.workers", "2", &err), -1);

	/* "" clears the optional strings back to their defaults. */
	assert_int_equal(ig_config_set_flag(&cfg, "docker-host", "tcp://h:1", &err), 0);
	assert_string_equal(cfg.docker_host, "tcp://h:1");
	assert_int_equal(ig_config_set_flag(&cfg, "docker-host", "", &err), 0);
	assert_null(cfg.docker_host);
	assert_int_equal(ig_config_set_flag(&cfg, "socket-owner", "root", &err), 0);
	assert_int_equal(ig_config_set_flag(&cfg, "socket-owner", "", &err), 0);
	assert_null(cfg.socket_owner);
	assert_int_equal(ig_config_set_flag(&cfg, "socket-group", "", &err), 0);
	assert_null(cfg.socket_group);

	/* Relative paths on the command line are relative to the current directory. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(ig_config_set_flag(&cfg, "runs", "state/runs/", &err), 0);
	snprintf(want, sizeof(want), "%s/state/runs", strcmp(cwd, "/") == 0 ? "" : cwd);
	assert_string_equal(cfg.runs_dir, want);

	/* Ranges that accept a negative spelling correctly refuse it. */
	assert_int_equal(ig_config_set_flag(&cfg, "warm-pool", "-0", &err), 0);
	assert_int_equal(cfg.warm_pool, 0);
	assert_int_equal(ig_config_set_flag(&cfg, "warm-pool", "+1", &err), -1);
	ig_config_free(&cfg);
}

static void
test_precedence(void **state)
{
	struct ig_config cfg;
	struct ig_diags d = { 0 };
	struct ig_err err = { 0 };
	const char *path;

	(void)state;
	path = write_config("prec.yaml",
	    "server:\n  workers: 4\n  socket: /run/file.sock\nlimits:\n  rateLimitPerMinute: 30\n", 0600);
	/* default → file → flag */
	defaults(&cfg);
	assert_int_equal(ig_config_load(path, &cfg, &d, &err), 0);
	assert_int_equal(ig_config_set_flag(&cfg, "workers", "2", &err), 0);
	assert_int_equal(ig_config_set_flag(&cfg, "log-level", "warn", &err), 0);
	assert_int_equal(cfg.workers, 2);                       /* flag over file */
	assert_string_equal(cfg.socket_path, "/run/file.sock"); /* file over default */
	assert_int_equal(cfg.rate_per_min, 30);
	assert_int_equal(cfg.log_level, IG_LOG_WARN);           /* flag over default */
	assert_int_equal(cfg.pids_limit, 64);                   /* default */
	/* The last of repeated flags wins. */
	assert_int_equal(ig_config_set_flag(&cfg, "workers", "5", &err), 0);
	assert_int_equal(cfg.workers, 5);

	/* A second load over the result keeps what it does not mention. */
	path = write_config("second.yaml", "limits:\n  rateLimitPerMinute: 90\n", 0600);
	assert_int_equal(ig_config_load(path, &cfg, &d, &err), 0);
	assert_int_equal(cfg.rate_per_min, 90);
	assert_int_equal(cfg.workers, 5);
	assert_string_equal(cfg.source, path);
	ig_config_free(&cfg);
}

/* Expects ig_config_check to refuse cfg with one problem containing want. */
static void
expect_rule_broken(const struct ig_config *cfg, const char *want)
{
	struct ig_diags d = { 0 };
	struct ig_err err = { 0 };

	assert_int_equal(ig_config_check(cfg, &d, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	if (d.n != 1 || strstr(d.v[0].msg, want) == NULL) {
		dump_diags(&d);
		fail_msg("expected one problem with \"%s\"", want);
	}
	ig_diags_free(&d);
}

static void
test_check(void **state)
{
	struct ig_config cfg;
	struct ig_diags d = { 0 };
	struct ig_err err = { 0 };

	(void)state;
	/* The defaults are consistent on any CPU count. */
	defaults(&cfg);
	assert_true(cfg.max_concurrent_per_key <= cfg.max_concurrent);
	assert_int_equal(ig_config_check(&cfg, &d, &err), 0);
	assert_int_equal(d.n, 0);

	/* Per-key above global; the order of flags does not matter. */
	assert_int_equal(ig_config_set_flag(&cfg, "max-concurrent", "2", &err), 0);
	assert_int_equal(ig_config_set_flag(&cfg, "max-concurrent-per-key", "3", &err), 0);
	expect_rule_broken(&cfg, "limits.maxConcurrentPerKey (3) must not exceed limits.maxConcurrent (2)");
	assert_int_equal(ig_config_set_flag(&cfg, "max-concurrent", "3", &err), 0);
	assert_int_equal(ig_config_check(&cfg, &d, &err), 0);

	/* scrypt memory: 128 * N * r, with 0 standing for the keys defaults (r = 8). */
	assert_int_equal(ig_config_set_flag(&cfg, "scrypt-n", "524288", &err), 0);
	expect_rule_broken(&cfg, "auth.scryptN 524288 with auth.scryptR 8 needs 512 MiB");
	assert_int_equal(ig_config_set_flag(&cfg, "scrypt-r", "1", &err), 0);
	assert_int_equal(ig_config_check(&cfg, &d, &err), 0);
	/* scrypt work: N * r * p. */
	assert_int_equal(ig_config_set_flag(&cfg, "scrypt-p", "16", &err), 0);
	expect_rule_broken(&cfg, "is too much work per key check");
	ig_config_free(&cfg);

	/* Diagnostics name the file the configuration came from; every
	 * broken rule is reported. */
	parse_ok("limits:\n  maxConcurrent: 1\n  maxConcurrentPerKey: 2\nauth:\n  scryptN: 1048576\n"
	    "  scryptR: 32\n  scryptP: 16\n", &cfg);
	assert_int_equal(ig_config_check(&cfg, &d, &err), -1);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.v[0].file, FILE_NAME);
	assert_non_null(strstr(err.msg, "3 problems"));
	ig_diags_free(&d);
	ig_config_free(&cfg);
}

/* ---- shipped files stay in step with the flag table --------------------- */

/* Repository files are read from the top of the tree, where the tests run;
 * a test whose file is missing is skipped. */

/* ignite.yaml.example holds every key and, as written, means the defaults. */
static void
test_example_file(void **state)
{
	const struct ig_config_flag *fl;
	struct ig_config def, cfg;
	struct ig_diags d = { 0 };
	struct ig_err err = { 0 };
	char *text, *a, *b, needle[96];
	size_t len = 0, n, i;

	(void)state;
	text = file_read_optional("ignite.yaml.example", &len);
	if (text == NULL)
		skip();
	defaults(&def);
	defaults(&cfg);
	if (ig_config_parse(text, len, "ignite.yaml.example", &cfg, &d, &err) != 0) {
		dump_diags(&d);
		fail_msg("ignite.yaml.example: %s", err.msg);
	}
	a = json_text(&def);
	b = json_text(&cfg);
	assert_string_equal(a, b);
	fl = ig_config_flags(&n);
	for (i = 0; i < n; i++) {
		const char *key = strchr(fl[i].key, '.') + 1;

		snprintf(needle, sizeof(needle), " %s:", key);
		if (strstr(text, needle) == NULL)
			fail_msg("ignite.yaml.example lacks %s", fl[i].key);
		snprintf(needle, sizeof(needle), "--%s", fl[i].name);
		if (strstr(text, needle) == NULL)
			fail_msg("ignite.yaml.example does not name %s", needle);
	}
	free(a);
	free(b);
	free(text);
	ig_config_free(&def);
	ig_config_free(&cfg);
}

/* True when roff text describes option --flag: as "\-\-flag=" (a value) or
 * "\-\-flag [" (an optional value); roff writes each '-' as "\-". */
static bool
man_describes(const char *man, const char *flag)
{
	char opt[160];
	size_t j, k = 0;

	opt[k++] = '\\';
	opt[k++] = '-';
	opt[k++] = '\\';
	opt[k++] = '-';
	for (j = 0; flag[j] && k + 4 < sizeof(opt); j++) {
		if (flag[j] == '-')
			opt[k++] = '\\';
		opt[k++] = flag[j];
	}
	opt[k + 1] = '\0';
	opt[k] = '=';
	if (strstr(man, opt) != NULL)
		return true;
	opt[k] = ' ';
	opt[k + 1] = '[';
	opt[k + 2] = '\0';
	return strstr(man, opt) != NULL;
}

/* docs/config.md and ignite-fcgi(8) describe every key and flag. */
static void
test_docs_cover_every_flag(void **state)
{
	const struct ig_config_flag *fl;
	char *doc, *man, needle[128];
	size_t len = 0, n, i;

	(void)state;
	doc = file_read_optional("docs/config.md", &len);
	man = file_read_optional("man/ignite-fcgi.8", &len);
	if (doc == NULL || man == NULL) {
		free(doc);
		free(man);
		skip();
	}
	assert_false(man_describes(man, "no-such-flag"));
	fl = ig_config_flags(&n);
	for (i = 0; i < n; i++) {
		snprintf(needle, sizeof(needle), "| `%s` | `--%s` |", fl[i].key, fl[i].name);
		if (strstr(doc, needle) == NULL)
			fail_msg("docs/config.md has no table row %s", needle);
		if (!man_describes(man, fl[i].name))
			fail_msg("man/ignite-fcgi.8 does not describe --%s", fl[i].name);
		if (strstr(man, fl[i].key) == NULL)
			fail_msg("man/ignite-fcgi.8 does not name %s", fl[i].key);
	}
	free(doc);
	free(man);
}

/* ---- usage, JSON, copy, restart ---------------------------------------- */

static void
test_usage(void **state)
{
	const struct ig_config_flag *fl;
	char *text = NULL, opt[80];
	size_t len = 0, n, i;
	FILE *f;

	(void)state;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	ig_config_usage(f);
	assert_int_equal(fclose(f), 0);
	fl = ig_config_flags(&n);
	for (i = 0; i < n; i++) {
		snprintf(opt, sizeof(opt), "--%s", fl[i].name);
		if (strstr(text, opt) == NULL || strstr(text, fl[i].key) == NULL)
			fail_msg("usage lacks %s (%s)", opt, fl[i].key);
	}
	assert_non_null(strstr(text, "--workers=N"));
	assert_non_null(strstr(text, "--allow-non-audit[=BOOL]"));
	assert_non_null(strstr(text, "[/run/ignite/ignite.sock]"));
	assert_non_null(strstr(text, "[0660]"));
	free(text);
}

static void
test_json_round_trip(void **state)
{
	struct ig_config a, b;
	struct json_object *j;
	struct json_object *sec, *v;
	const char *s;
	char *ta, *tb;

	(void)state;
	parse_ok(full_config, &a);
	j = ig_config_to_json(&a);
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "server", &sec));
	assert_true(json_object_object_get_ex(sec, "socketMode", &v));
	assert_string_equal(json_object_get_string(v), "0600");
	assert_true(json_object_object_get_ex(j, "log", &sec));
	assert_true(json_object_object_get_ex(sec, "format", &v));
	assert_string_equal(json_object_get_string(v), "text");
	s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY);
	/* JSON is YAML: the printed configuration loads back unchanged. */
	parse_ok(s, &b);
	json_object_put(j);
	ta = json_text(&a);
	tb = json_text(&b);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	ig_config_free(&a);
	ig_config_free(&b);

	/* Unset optional strings are left out (null is not a valid value). */
	defaults(&a);
	j = ig_config_to_json(&a);
	assert_true(json_object_object_get_ex(j, "execution", &sec));
	assert_false(json_object_object_get_ex(sec, "dockerHost", &v));
	assert_true(json_object_object_get_ex(j, "server", &sec));
	assert_false(json_object_object_get_ex(sec, "socketOwner", &v));
	s = json_object_to_json_string(j);
	parse_ok(s, &b);
	json_object_put(j);
	ig_config_free(&a);
	ig_config_free(&b);
}

static void
test_copy_and_restart(void **state)
{
	struct ig_config a, b;
	struct ig_err err = { 0 };

	(void)state;
	parse_ok(full_config, &a);
	assert_int_equal(ig_config_copy(&b, &a, &err), 0);
	assert_ptr_not_equal(a.socket_path, b.socket_path);
	assert_string_equal(a.socket_path, b.socket_path);
	assert_ptr_not_equal(a.source, b.source);
	assert_null(ig_config_restart_field(&a, &b));

	/* Reloadable changes need no restart; socket and workers do. */
	assert_int_equal(ig_config_set_flag(&b, "rate-limit", "1", &err), 0);
	assert_int_equal(ig_config_set_flag(&b, "runs", "/elsewhere", &err), 0);
	assert_int_equal(ig_config_set_flag(&b, "log-level", "error", &err), 0);
	assert_null(ig_config_restart_field(&a, &b));
	assert_int_equal(ig_config_set_flag(&b, "workers", "1", &err), 0);
	assert_string_equal(ig_config_restart_field(&a, &b), "server.workers");
	assert_int_equal(ig_config_set_flag(&b, "workers", "256", &err), 0);
	assert_int_equal(ig_config_set_flag(&b, "socket-mode", "0660", &err), 0);
	assert_string_equal(ig_config_restart_field(&a, &b), "server.socketMode");
	assert_int_equal(ig_config_set_flag(&b, "socket-mode", "0600", &err), 0);
	assert_int_equal(ig_config_set_flag(&b, "socket-group", "", &err), 0);
	assert_string_equal(ig_config_restart_field(&a, &b), "server.socketGroup");
	assert_int_equal(ig_config_set_flag(&b, "socket-group", "www-data", &err), 0);
	assert_int_equal(ig_config_set_flag(&b, "socket", "/run/other.sock", &err), 0);
	assert_string_equal(ig_config_restart_field(&a, &b), "server.socket");

	ig_config_free(&a);
	assert_string_equal(b.runs_dir, "/elsewhere");
	ig_config_free(&b);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_file_keeps_defaults),
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_value_spellings),
		cmocka_unit_test(test_paths_relative_to_config_dir),
		cmocka_unit_test(test_every_problem_at_once),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_too_big),
		cmocka_unit_test(test_flag_table),
		cmocka_unit_test(test_every_flag),
		cmocka_unit_test(test_flag_details),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_docs_cover_every_flag),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_copy_and_restart),
	};
	enum { N_FIXED = sizeof(fixed) / sizeof(fixed[0]),
	       N_BAD = sizeof(bad_cases) / sizeof(bad_cases[0]) };
	static struct CMUnitTest tests[N_FIXED + N_BAD];
	static char names[N_BAD][64];
	size_t i;

	for (i = 0; i < N_FIXED; i++)
		tests[i] = fixed[i];
	/* One test per validation rule, each named after its first line. */
	for (i = 0; i < N_BAD; i++) {
		struct CMUnitTest t = cmocka_unit_test_prestate(test_bad_case, (void *)&bad_cases[i]);

		size_t k;

		snprintf(names[i], sizeof(names[i]), "invalid %02zu: %s", i + 1, bad_cases[i].text);
		for (k = 0; names[i][k]; k++)
			if ((unsigned char)names[i][k] < 0x20)
				names[i][k] = ' ';
		t.name = names[i];
		tests[N_FIXED + i] = t;
	}
	return cmocka_run_group_tests_name("config", tests, scratch_setup, scratch_teardown);
}
