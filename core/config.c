/* config.c — ignite.yaml, the server configuration (DESIGN §9).
 *
 * One table (`fields`) describes every setting: its YAML section and key,
 * its command-line flag, its kind and bounds. The YAML schema for the
 * structural walk (unknown keys, types) and the flag list are both built
 * from it, and the file and the flags share one validator per kind, so a
 * value is accepted or refused for the same reason wherever it comes from.
 */
#include "config.h"
#include "docker.h"
#include "bounds.h"
#include "webhook.h"
#include "yamldoc.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_SOCKET    "/run/ignite/ignite.sock"
#define DEFAULT_SERVICES  "/var/lib/ignite/services"
#define DEFAULT_RUNS      "/var/lib/ignite/runs"
#define DEFAULT_KEYS      "/var/lib/ignite/keys"
#define DEFAULT_ADHOC     "/var/lib/ignite/adhoc"
#define DEFAULT_MODE      0660u

enum kind {
	K_INT,          /* long in [min, max] */
	K_POW2,         /* long: 0 (library default) or a power of two in [min, max] */
	K_BOOL,         /* bool */
	K_PATH,         /* char *, never NULL: an absolute, normalised path */
	K_SOCKET,       /* K_PATH that must also fit a unix socket address */
	K_ID,           /* char *, NULL = unset: a user/group name or numeric id */
	K_DOCKER,       /* char *, NULL = unset: unix:///path or tcp://host:port */
	K_MODE,         /* unsigned: permission bits written in octal, "0660" */
	K_LEVEL,        /* enum ig_log_level: debug|info|warn|error */
	K_FORMAT,       /* enum ig_config_log_format: json|text */
	K_RUNTIMES,     /* char *, never NULL: runtime patterns name[@version], comma-joined */
	K_CIDRS,        /* char *, never NULL: CIDR ranges, comma-joined */
};

#define F_RESTART 0x1u  /* a change needs a restart, not just SIGHUP */

struct field {
	const char *section;
	const char *key;
	const char *flag;
	enum kind   kind;
	size_t      offset;
	long        min, max;
	unsigned    flags;
	const char *metavar;
	const char *help;
};

#define C(m) offsetof(struct ig_config, m)

static const struct field fields[] = {
	{ "server", "socket", "socket", K_SOCKET, C(socket_path), 0, 0, F_RESTART,
	  "PATH", "unix socket nginx connects to" },
	{ "server", "socketMode", "socket-mode", K_MODE, C(socket_mode), 0, 0, F_RESTART,
	  "MODE", "socket permission bits, in octal" },
	{ "server", "socketOwner", "socket-owner", K_ID, C(socket_owner), 0, 0, F_RESTART,
	  "USER", "socket owner, a user name or uid" },
	{ "server", "socketGroup", "socket-group", K_ID, C(socket_group), 0, 0, F_RESTART,
	  "GROUP", "socket group, a group name or gid" },
	{ "server", "workers", "workers", K_INT, C(workers), 1, IG_CONFIG_WORKERS_MAX, F_RESTART,
	  "N", "FastCGI worker threads" },
	{ "server", "shutdownGraceSeconds", "shutdown-grace", K_INT, C(shutdown_grace_s),
	  0, IG_CONFIG_GRACE_S_MAX, 0,
	  "S", "SIGTERM: seconds for running executions" },

	{ "paths", "services", "services", K_PATH, C(services_dir), 0, 0, 0,
	  "DIR", "directory of service directories" },
	{ "paths", "runs", "runs", K_PATH, C(runs_dir), 0, 0, 0,
	  "DIR", "directory of stored run reports" },
	{ "paths", "keys", "keys", K_PATH, C(keys_file), 0, 0, 0,
	  "FILE", "API keys file (see `ignite keys`)" },

	{ "limits", "requestBodyBytes", "body-limit", K_INT, C(body_max),
	  IG_CONFIG_BODY_MIN, IG_CONFIG_BODY_MAX, 0,
	  "BYTES", "largest request body (413 beyond)" },
	{ "limits", "outputBytes", "output-limit", K_INT, C(output_max),
	  IG_CONFIG_OUTPUT_MIN, IG_CONFIG_OUTPUT_MAX, 0,
	  "BYTES", "stdout/stderr bytes kept per stream" },
	{ "limits", "rateLimitPerMinute", "rate-limit", K_INT, C(rate_per_min),
	  1, IG_RATELIMIT_RATE_MAX, 0,
	  "N", "requests per API key per minute" },
	{ "limits", "authFailuresPerMinute", "auth-failure-limit", K_INT, C(auth_failures_per_min),
	  1, IG_RATELIMIT_RATE_MAX, 0,
	  "N", "failed logins per client address per minute" },
	{ "limits", "maxConcurrent", "max-concurrent", K_INT, C(max_concurrent),
	  1, IG_CONC_MAX, 0,
	  "N", "executions at once, all keys together" },
	{ "limits", "maxConcurrentPerKey", "max-concurrent-per-key", K_INT, C(max_concurrent_per_key),
	  1, IG_CONC_MAX, 0,
	  "N", "executions at once for one API key" },
	{ "limits", "slotWaitMs", "slot-wait", K_INT, C(slot_wait_ms),
	  0, IG_CONC_WAIT_MS_MAX, 0,
	  "MS", "wait for a free execution slot, then 429" },

	{ "execution", "allowNonAudit", "allow-non-audit", K_BOOL, C(allow_non_audit), 0, 0, 0,
	  "BOOL", "honour \"audit\": false in execute requests" },
	{ "execution", "dockerHost", "docker-host", K_DOCKER, C(docker_host), 0, 0, 0,
	  "URL", "Docker engine (unix:///path, tcp://host:port)" },
	{ "execution", "warmPool", "warm-pool", K_INT, C(warm_pool), 0, IG_CONFIG_WARM_POOL_MAX, 0,
	  "N", "containers kept ready per runtime (0: off)" },
	{ "execution", "pidsLimit", "pids-limit", K_INT, C(pids_limit),
	  IG_CONFIG_PIDS_MIN, IG_NPROC_LIMIT, 0,
	  "N", "processes and threads per container" },

	{ "retention", "maxRuns", "retention-runs", K_INT, C(retention_max_runs),
	  0, IG_CONFIG_RETAIN_RUNS_MAX, 0,
	  "N", "stored runs kept (0: no limit)" },
	{ "retention", "maxAgeDays", "retention-days", K_INT, C(retention_max_age_days),
	  0, IG_CONFIG_RETAIN_DAYS_MAX, 0,
	  "DAYS", "days stored runs are kept (0: no limit)" },

	{ "auth", "scryptN", "scrypt-n", K_POW2, C(scrypt_n),
	  1L << IG_KEYS_SCRYPT_LOGN_MIN, 1L << IG_KEYS_SCRYPT_LOGN_MAX, 0,
	  "N", "scrypt N of decoy key checks (0: default)" },
	{ "auth", "scryptR", "scrypt-r", K_INT, C(scrypt_r), 0, IG_KEYS_SCRYPT_R_MAX, 0,
	  "R", "scrypt r of decoy key checks (0: default)" },
	{ "auth", "scryptP", "scrypt-p", K_INT, C(scrypt_p), 0, IG_KEYS_SCRYPT_P_MAX, 0,
	  "P", "scrypt p of decoy key checks (0: default)" },
	{ "auth", "keyCacheSeconds", "key-cache-ttl", K_INT, C(key_cache_ttl_s),
	  0, IG_KEYS_CACHE_TTL_MS_MAX / 1000, 0,
	  "S", "seconds a verified key stays cached (0: off)" },
	{ "auth", "sessionSeconds", "session-ttl", K_INT, C(session_ttl_s),
	  IG_CONFIG_SESSION_S_MIN, IG_CONFIG_SESSION_S_MAX, 0,
	  "S", "browser login session lifetime, seconds" },
	{ "auth", "secureCookies", "secure-cookies", K_BOOL, C(secure_cookies), 0, 0, 0,
	  "BOOL", "Secure cookies (set when serving HTTPS)" },

	{ "sandbox", "allowedRuntimes", "sandbox-runtimes", K_RUNTIMES, C(sandbox_runtimes), 0, 0, 0,
	  "LIST", "runtimes ad-hoc code may use (empty: none)" },
	{ "sandbox", "maxMemoryMb", "sandbox-max-memory", K_INT, C(sandbox_max_memory_mb),
	  1, IG_MEMORY_MB_MAX, 0,
	  "MB", "largest memory an ad-hoc run may ask for" },
	{ "sandbox", "maxCpus", "sandbox-max-cpus", K_INT, C(sandbox_max_cpus),
	  1, (long)IG_CPU_LIMIT_MAX, 0,
	  "N", "largest CPU limit an ad-hoc run may ask for" },
	{ "sandbox", "maxTimeoutMs", "sandbox-max-timeout", K_INT, C(sandbox_max_timeout_ms),
	  1, IG_TIMEOUT_MS_MAX, 0,
	  "MS", "longest timeout an ad-hoc run may ask for" },
	{ "sandbox", "maxFiles", "sandbox-max-files", K_INT, C(sandbox_max_files),
	  1, IG_ADHOC_FILES_MAX, 0,
	  "N", "files in one ad-hoc request" },
	{ "sandbox", "maxTotalBytes", "sandbox-max-bytes", K_INT, C(sandbox_max_total_bytes),
	  1, IG_ADHOC_BYTES_MAX, 0,
	  "BYTES", "decoded bytes of all files of a request" },
	{ "sandbox", "maxFileBytes", "sandbox-max-file-bytes", K_INT, C(sandbox_max_file_bytes),
	  1, IG_ADHOC_BYTES_MAX, 0,
	  "BYTES", "decoded bytes of one file" },
	{ "sandbox", "maxPathDepth", "sandbox-max-depth", K_INT, C(sandbox_max_depth),
	  1, IG_ADHOC_DEPTH_MAX, 0,
	  "N", "path components of one file name" },
	{ "sandbox", "workDir", "sandbox-work-dir", K_PATH, C(sandbox_work_dir), 0, 0, 0,
	  "DIR", "where ad-hoc files are written, per run" },

	{ "async", "queueSize", "async-queue", K_INT, C(async_queue), 1, IG_JOBS_QUEUE_MAX, F_RESTART,
	  "N", "async runs waiting, all keys together" },
	{ "async", "workers", "async-workers", K_INT, C(async_workers), 1, IG_JOBS_WORKERS_MAX,
	  F_RESTART, "N", "threads running async runs" },
	{ "async", "batchMax", "batch-max", K_INT, C(batch_max), 1, IG_BATCH_MAX, 0,
	  "N", "requests in one POST /api/batch" },
	{ "async", "idempotencySeconds", "idempotency-ttl", K_INT, C(idempotency_ttl_s),
	  60, IG_IDEM_TTL_S_MAX, F_RESTART,
	  "S", "how long an Idempotency-Key is remembered" },
	{ "async", "callbackAllow", "callback-allow", K_CIDRS, C(callback_allow), 0, 0, F_RESTART,
	  "CIDRS", "callback ranges allowed despite the denylist" },
	{ "async", "callbackRetries", "callback-retries", K_INT, C(callback_retries),
	  0, IG_WEBHOOK_RETRIES_MAX, F_RESTART,
	  "N", "callback attempts after the first" },
	{ "async", "callbackTimeoutMs", "callback-timeout", K_INT, C(callback_timeout_ms),
	  IG_WEBHOOK_TIMEOUT_MS_MIN, IG_WEBHOOK_TIMEOUT_MS_MAX, F_RESTART,
	  "MS", "one callback attempt, connecting included" },

	{ "log", "level", "log-level", K_LEVEL, C(log_level), 0, 0, 0,
	  "LEVEL", "debug, info, warn or error" },
	{ "log", "format", "log-format", K_FORMAT, C(log_format), 0, 0, 0,
	  "FORMAT", "json (JSON lines) or text" },
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static const char *const sections[] = {
	"server", "paths", "limits", "execution", "retention", "auth", "sandbox", "async", "log",
};

#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

static const char *const level_names[] = { "debug", "info", "warn", "error" };
static const char *const format_names[] = { "json", "text" };

/* ---- access to a field's slot ------------------------------------------ */

static void *
slot(struct ig_config *cfg, const struct field *f)
{
	return (char *)cfg + f->offset;
}

static const void *
cslot(const struct ig_config *cfg, const struct field *f)
{
	return (const char *)cfg + f->offset;
}

static bool
is_string_kind(enum kind k)
{
	return k == K_PATH || k == K_SOCKET || k == K_ID || k == K_DOCKER || k == K_RUNTIMES ||
	    k == K_CIDRS;
}

static char *
get_str(const struct ig_config *cfg, const struct field *f)
{
	char *s;

	memcpy(&s, cslot(cfg, f), sizeof(s));
	return s;
}

static void
put_str(struct ig_config *cfg, const struct field *f, char *s)
{
	char *old = get_str(cfg, f);

	free(old);
	memcpy(slot(cfg, f), &s, sizeof(s));
}

/* ---- defaults, copy, free ---------------------------------------------- */

static long
cpu_count(void)
{
	cpu_set_t set;
	long n;

	/* The CPUs this process may run on (taskset, cpusets), not the host's. */
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

void
ig_config_free(struct ig_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < N_FIELDS; i++)
		if (is_string_kind(fields[i].kind))
			put_str(cfg, &fields[i], NULL);
	free(cfg->source);
	memset(cfg, 0, sizeof(*cfg));
}

int
ig_config_defaults(struct ig_config *cfg)
{
	long conc = cpu_count() * 2;

	memset(cfg, 0, sizeof(*cfg));
	cfg->socket_path = strdup(DEFAULT_SOCKET);
	cfg->services_dir = strdup(DEFAULT_SERVICES);
	cfg->runs_dir = strdup(DEFAULT_RUNS);
	cfg->keys_file = strdup(DEFAULT_KEYS);
	cfg->sandbox_runtimes = strdup(IG_ADHOC_RUNTIMES_DEFAULT);
	cfg->sandbox_work_dir = strdup(DEFAULT_ADHOC);
	cfg->callback_allow = strdup("");
	if (cfg->socket_path == NULL || cfg->services_dir == NULL || cfg->runs_dir == NULL ||
	    cfg->keys_file == NULL || cfg->sandbox_runtimes == NULL || cfg->sandbox_work_dir == NULL ||
	    cfg->callback_allow == NULL) {
		ig_config_free(cfg);
		return -1;
	}
	cfg->socket_mode = DEFAULT_MODE;
	cfg->workers = IG_CONFIG_WORKERS_DEFAULT;
	cfg->shutdown_grace_s = IG_CONFIG_GRACE_S_DEFAULT;
	cfg->body_max = IG_BODY_MAX_DEFAULT;
	cfg->output_max = IG_OUTPUT_MAX_DEFAULT;
	cfg->rate_per_min = IG_RATELIMIT_PER_MINUTE;
	cfg->auth_failures_per_min = IG_AUTHFAIL_PER_MINUTE;
	if (conc < 2)
		conc = 2;
	if (conc > IG_CONC_MAX)
		conc = IG_CONC_MAX;
	cfg->max_concurrent = conc;
	/* A per-key cap above the global one is refused (ig_config_check). */
	cfg->max_concurrent_per_key = conc < IG_CONFIG_PER_KEY_DEFAULT ? conc : IG_CONFIG_PER_KEY_DEFAULT;
	cfg->slot_wait_ms = IG_CONC_WAIT_MS;
	cfg->allow_non_audit = false;
	cfg->warm_pool = 1;         /* first requests are warm too (services are declared) */
	cfg->pids_limit = IG_PIDS_LIMIT_DEFAULT;
	cfg->retention_max_runs = IG_CONFIG_RETAIN_RUNS_DEFAULT;
	cfg->retention_max_age_days = IG_CONFIG_RETAIN_DAYS_DEFAULT;
	cfg->key_cache_ttl_s = IG_KEYS_CACHE_TTL_MS / 1000;
	cfg->session_ttl_s = IG_CONFIG_SESSION_S_DEFAULT;
	cfg->secure_cookies = false;
	cfg->sandbox_max_memory_mb = IG_ADHOC_MAX_MEMORY_MB_DEFAULT;
	cfg->sandbox_max_cpus = IG_ADHOC_MAX_CPUS_DEFAULT;
	cfg->sandbox_max_timeout_ms = IG_ADHOC_MAX_TIMEOUT_MS_DEFAULT;
	cfg->sandbox_max_files = IG_ADHOC_FILES_DEFAULT;
	cfg->sandbox_max_total_bytes = IG_ADHOC_TOTAL_BYTES_DEFAULT;
	cfg->sandbox_max_file_bytes = IG_ADHOC_FILE_BYTES_DEFAULT;
	cfg->sandbox_max_depth = IG_ADHOC_DEPTH_DEFAULT;
	cfg->async_queue = IG_JOBS_QUEUE_DEFAULT;
	cfg->async_workers = IG_JOBS_WORKERS_DEFAULT;
	cfg->batch_max = IG_BATCH_DEFAULT;
	cfg->idempotency_ttl_s = IG_IDEM_TTL_S_DEFAULT;
	cfg->callback_retries = IG_WEBHOOK_RETRIES_DEFAULT;
	cfg->callback_timeout_ms = IG_WEBHOOK_TIMEOUT_MS_DEFAULT;
	cfg->log_level = IG_LOG_INFO;
	cfg->log_format = IG_CONFIG_LOG_JSON;
	return 0;
}

int
ig_config_copy(struct ig_config *dst, const struct ig_config *src, struct ig_err *err)
{
	size_t i;

	*dst = *src;
	/* Detach every pointer first so that a failure half-way frees only
	 * what this copy made. */
	for (i = 0; i < N_FIELDS; i++)
		if (is_string_kind(fields[i].kind))
			memset(slot(dst, &fields[i]), 0, sizeof(char *));
	dst->source = NULL;
	for (i = 0; i < N_FIELDS; i++) {
		char *s = get_str(src, &fields[i]), *c;

		if (!is_string_kind(fields[i].kind) || s == NULL)
			continue;
		if ((c = strdup(s)) == NULL)
			goto nomem;
		put_str(dst, &fields[i], c);
	}
	if (src->source != NULL && (dst->source = strdup(src->source)) == NULL)
		goto nomem;
	return 0;
nomem:
	ig_config_free(dst);
	ig_err_set(err, IG_ENOMEM, "out of memory");
	return -1;
}

/* ---- validation shared by the file and the flags ------------------------ */

/* Appends path components of s to out (which holds a normalised absolute
 * path, "" for the root): empty and "." components are dropped, ".." pops
 * one component when allow_up, else is refused. Returns NULL or why. */
static const char *
push_components(char *out, size_t size, const char *s, bool allow_up)
{
	size_t len = strlen(out);

	while (*s) {
		const char *seg;
		size_t n;

		while (*s == '/')
			s++;
		seg = s;
		while (*s && *s != '/')
			s++;
		n = (size_t)(s - seg);
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			char *slash;

			if (!allow_up)
				return "must not contain \"..\" components";
			if ((slash = strrchr(out, '/')) != NULL)
				*slash = '\0';
			len = strlen(out);
			continue;
		}
		if (len + 1 + n >= size)
			return "is too long";
		out[len++] = '/';
		memcpy(out + len, seg, n);
		len += n;
		out[len] = '\0';
	}
	return NULL;
}

/* Resolves s against base (an absolute directory, or NULL when unknown)
 * into out: absolute, without ".", empty or trailing components. */
static const char *
resolve_path(const char *s, const char *base, char *out, size_t size)
{
	const char *why;
	size_t i;

	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return "must not contain control characters";
	}
	out[0] = '\0';
	if (s[0] != '/') {
		if (base == NULL || base[0] != '/')
			return "must be an absolute path (the directory to resolve it against is unknown)";
		if ((why = push_components(out, size, base, true)) != NULL)
			return why;
	}
	if ((why = push_components(out, size, s, false)) != NULL)
		return why;
	if (out[0] == '\0') {
		if (size < 2)
			return "is too long";
		out[0] = '/';
		out[1] = '\0';
	}
	return NULL;
}

static bool
id_ok(const char *s)
{
	size_t i, n = strlen(s);
	bool digits = true;

	if (n == 0 || n > IG_CONFIG_ID_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			digits = false;
	if (digits)
		return n <= 10 && (n == 1 || s[0] != '0') && strtoul(s, NULL, 10) <= INT32_MAX;
	/* POSIX portable user names, plus the trailing '$' of machine accounts. */
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return false;
	for (i = 1; i < n; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-')
			continue;
		if (c == '$' && i == n - 1)
			continue;
		return false;
	}
	return true;
}

static int
parse_mode(const char *s, unsigned *out)
{
	size_t i, n = strlen(s);
	unsigned v = 0;

	/* "660" or "0660": permission bits only, no setuid/setgid/sticky. */
	if (n == 4 && s[0] == '0') {
		s++;
		n--;
	}
	if (n != 3)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -1;
		v = v * 8 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
lookup_name(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/* True if s (n bytes) is a runtime pattern: name[@[v]version], the name
 * [a-z][a-z0-9-]*, the version 1 to 4 dot-separated numbers. */
static bool
runtime_pattern_ok(const char *s, size_t n)
{
	size_t i = 0, parts = 0;

	if (n == 0 || n > IG_RUNTIME_SPEC_MAX || s[0] < 'a' || s[0] > 'z')
		return false;
	while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
		i++;
	if (i == n)
		return true;
	if (s[i++] != '@')
		return false;
	if (i < n && s[i] == 'v')
		i++;
	for (;;) {
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d || ++parts > IG_RUNTIME_VERSION_PARTS)
			return false;
		if (i == n)
			return true;
		if (s[i++] != '.')
			return false;
	}
}

/* Checks a comma-separated list for a K_RUNTIMES or K_CIDRS field and
 * writes it to out without spaces or empty entries. Returns NULL or why. */
static const char *
normalize_list(enum kind k, const char *s, char *out, size_t size, char *why, size_t wlen)
{
	size_t o = 0, count = 0, max = k == K_CIDRS ? IG_WEBHOOK_CIDRS_MAX : IG_RUNTIMES_MAX;

	out[0] = '\0';
	while (*s) {
		struct ig_webhook_cidr c;
		struct ig_err e = { 0 };
		const char *end;
		size_t n;

		while (*s == ' ' || *s == ',')
			s++;
		if (*s == '\0')
			break;
		for (end = s; *end && *end != ','; end++)
			;
		n = (size_t)(end - s);
		while (n > 0 && s[n - 1] == ' ')
			n--;
		if (++count > max) {
			snprintf(why, wlen, "must have at most %zu entries", max);
			return why;
		}
		if (k == K_RUNTIMES && !runtime_pattern_ok(s, n)) {
			snprintf(why, wlen, "entry \"%.*s\" must be a runtime name with an optional "
			    "@version (node, node@24, bun@1.4)", (int)(n < 64 ? n : 64), s);
			return why;
		}
		if (k == K_CIDRS && ig_webhook_cidr_parse(s, n, &c, &e) != 0) {
			snprintf(why, wlen, "entry %s", e.msg);
			return why;
		}
		if (o + n + 2 > size)
			return "is too long";
		if (o > 0)
			out[o++] = ',';
		memcpy(out + o, s, n);
		o += n;
		out[o] = '\0';
		s = end;
	}
	return NULL;
}

/* Checks an integer against field f and stores it. Returns NULL or why. */
static const char *
set_int(struct ig_config *cfg, const struct field *f, long v, char *why, size_t wlen)
{
	if (f->kind == K_POW2) {
		if (v != 0 && (v < f->min || v > f->max || (v & (v - 1)) != 0)) {
			snprintf(why, wlen, "must be 0 or a power of two from %ld to %ld", f->min, f->max);
			return why;
		}
	} else if (v < f->min || v > f->max) {
		snprintf(why, wlen, "must be from %ld to %ld", f->min, f->max);
		return why;
	}
	*(long *)slot(cfg, f) = v;
	return NULL;
}

/* Checks text for a string-valued field f (any kind but K_INT, K_POW2 and
 * K_BOOL) and stores the result; base resolves relative paths. Returns
 * NULL, or why (*nomem set when it is about memory). */
static const char *
set_text(struct ig_config *cfg, const struct field *f, const char *s, const char *base,
    char *why, size_t wlen, bool *nomem)
{
	char path[IG_CONFIG_PATH_MAX + 1];
	struct ig_docker_endpoint *ep = NULL;
	struct ig_err e = { 0 };
	const char *w = NULL;
	char *copy = NULL;
	unsigned mode;
	int i;

	*nomem = false;
	switch (f->kind) {
	case K_PATH:
	case K_SOCKET:
		if ((w = resolve_path(s, base, path, sizeof(path))) != NULL)
			break;
		if (f->kind == K_SOCKET && strlen(path) > IG_CONFIG_SOCKET_PATH_MAX) {
			snprintf(why, wlen, "is too long for a unix socket (%zu bytes; at most %d)",
			    strlen(path), IG_CONFIG_SOCKET_PATH_MAX);
			w = why;
			break;
		}
		if (f->kind == K_SOCKET && strcmp(path, "/") == 0) {
			w = "must name a socket file, not a directory";
			break;
		}
		if ((copy = strdup(path)) == NULL)
			goto nomem;
		put_str(cfg, f, copy);
		break;
	case K_ID:
		if (!id_ok(s)) {
			w = "must be a user or group name ([A-Za-z_][A-Za-z0-9_.-]*, at most 32 bytes) "
			    "or a numeric id";
			break;
		}
		if ((copy = strdup(s)) == NULL)
			goto nomem;
		put_str(cfg, f, copy);
		break;
	case K_DOCKER:
		if ((ep = malloc(sizeof(*ep))) == NULL)
			goto nomem;
		if (ig_docker_endpoint_parse(s, NULL, NULL, NULL, ep, &e) != 0) {
			snprintf(why, wlen, "must be unix:///absolute/path or tcp://host[:port] (%s)", e.msg);
			w = why;
			break;
		}
		if ((copy = strdup(s)) == NULL)
			goto nomem;
		put_str(cfg, f, copy);
		break;
	case K_MODE:
		if (parse_mode(s, &mode) != 0) {
			w = "must be permission bits in octal, such as \"0660\"";
			break;
		}
		*(unsigned *)slot(cfg, f) = mode;
		break;
	case K_LEVEL:
		if ((i = lookup_name(level_names, 4, s)) < 0) {
			w = "must be one of debug, info, warn, error";
			break;
		}
		*(enum ig_log_level *)slot(cfg, f) = (enum ig_log_level)i;
		break;
	case K_FORMAT:
		if ((i = lookup_name(format_names, 2, s)) < 0) {
			w = "must be json or text";
			break;
		}
		*(enum ig_config_log_format *)slot(cfg, f) = (enum ig_config_log_format)i;
		break;
	case K_RUNTIMES:
	case K_CIDRS:
		if ((w = normalize_list(f->kind, s, path, sizeof(path), why, wlen)) != NULL)
			break;
		if ((copy = strdup(path)) == NULL)
			goto nomem;
		put_str(cfg, f, copy);
		break;
	case K_INT:
	case K_POW2:
	case K_BOOL:
		w = "is not a text setting";   /* not reached: callers dispatch on kind */
		break;
	}
	free(ep);
	return w;
nomem:
	free(ep);
	*nomem = true;
	return "out of memory";
}

int
ig_config_check(const struct ig_config *cfg, struct ig_diags *diags, struct ig_err *err)
{
	const char *file = cfg->source ? cfg->source : "configuration";
	/* Zero scrypt parameters stand for the keys module's defaults. */
	unsigned long n = cfg->scrypt_n > 0 ? (unsigned long)cfg->scrypt_n : IG_KEYS_SCRYPT_N;
	unsigned long r = cfg->scrypt_r > 0 ? (unsigned long)cfg->scrypt_r : IG_KEYS_SCRYPT_R;
	unsigned long p = cfg->scrypt_p > 0 ? (unsigned long)cfg->scrypt_p : IG_KEYS_SCRYPT_P;
	size_t problems = 0;

	if (cfg->max_concurrent_per_key > cfg->max_concurrent) {
		ig_diags_add(diags, file, 0, "limits.maxConcurrentPerKey (%ld) must not exceed "
		    "limits.maxConcurrent (%ld)", cfg->max_concurrent_per_key, cfg->max_concurrent);
		problems++;
	}
	/* Bounds are on n, r and p separately, so these products cannot overflow. */
	if (128UL * n * r > IG_KEYS_SCRYPT_MEM_MAX) {
		ig_diags_add(diags, file, 0, "auth.scryptN %lu with auth.scryptR %lu needs %lu MiB per "
		    "key check (128 * N * r bytes; at most %lu MiB)", n, r,
		    128UL * n * r / (1024 * 1024), (unsigned long)(IG_KEYS_SCRYPT_MEM_MAX / (1024 * 1024)));
		problems++;
	}
	if (n * r * p > IG_KEYS_SCRYPT_WORK_MAX) {
		ig_diags_add(diags, file, 0, "auth.scryptN %lu * auth.scryptR %lu * auth.scryptP %lu "
		    "is too much work per key check (at most %lu)", n, r, p,
		    (unsigned long)IG_KEYS_SCRYPT_WORK_MAX);
		problems++;
	}
	if (problems > 0) {
		ig_err_set(err, IG_EINVAL, "%s: inconsistent configuration (%zu problem%s)", file,
		    problems, problems == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

/* ---- the file ---------------------------------------------------------- */

/* The value slots the structural walk stores into: every field of one
 * YAML type shares one slot (a replaced string is freed by the walker). */
struct scratch {
	char  *s;
	long   i;
	bool   b;
	char **l;
	size_t ln;
};

struct schema {
	struct ig_yfield root[N_SECTIONS + 1];
	struct ig_yfield sec[N_SECTIONS][N_FIELDS + 1];
};

static void
build_schema(struct schema *sc)
{
	size_t s, i, n;

	memset(sc, 0, sizeof(*sc));
	for (s = 0; s < N_SECTIONS; s++) {
		for (i = 0, n = 0; i < N_FIELDS; i++) {
			struct ig_yfield *y = &sc->sec[s][n];

			if (strcmp(fields[i].section, sections[s]) != 0)
				continue;
			y->key = fields[i].key;
			switch (fields[i].kind) {
			case K_INT:
			case K_POW2:
				y->type = IG_YT_INT;
				y->offset = offsetof(struct scratch, i);
				break;
			case K_BOOL:
				y->type = IG_YT_BOOL;
				y->offset = offsetof(struct scratch, b);
				break;
			case K_RUNTIMES:
			case K_CIDRS:
				y->type = IG_YT_STRING_LIST;
				y->offset = offsetof(struct scratch, l);
				y->count_offset = offsetof(struct scratch, ln);
				y->max_len = IG_CONFIG_PATH_MAX;
				y->max_items = IG_WEBHOOK_CIDRS_MAX;
				break;
			default:
				y->type = IG_YT_STRING;
				y->offset = offsetof(struct scratch, s);
				y->max_len = IG_CONFIG_PATH_MAX;
				break;
			}
			n++;
		}
		sc->root[s].key = sections[s];
		sc->root[s].type = IG_YT_MAP;
		sc->root[s].fields = sc->sec[s];
	}
}

/* True when the structural walk accepted node v for field f (it reported
 * a problem otherwise), so the value can be checked further and stored. */
static bool
walk_accepted(const struct ig_ynode *v, const struct field *f)
{
	long long ll;
	size_t i;
	bool b;

	/* Lists are sequences of strings; null is the empty list. */
	if (f->kind == K_RUNTIMES || f->kind == K_CIDRS) {
		if (v->kind == IG_YSCALAR)
			return ig_ynode_is_null(v);
		if (v->kind != IG_YSEQ || v->n_items > IG_WEBHOOK_CIDRS_MAX)
			return false;
		for (i = 0; i < v->n_items; i++)
			if (v->items[i]->kind != IG_YSCALAR || ig_ynode_is_null(v->items[i]) ||
			    v->items[i]->len == 0 || v->items[i]->len > IG_CONFIG_PATH_MAX ||
			    memchr(v->items[i]->text, '\0', v->items[i]->len) != NULL)
				return false;
		return true;
	}
	if (v->kind != IG_YSCALAR)
		return false;
	switch (f->kind) {
	case K_INT:
	case K_POW2:
		return !ig_ynode_is_null(v) && v->plain && ig_ynode_int(v, &ll) == 0 &&
		    (long long)(long)ll == ll;
	case K_BOOL:
		return ig_ynode_bool(v, &b) == 0;
	default:
		return !ig_ynode_is_null(v) && v->len > 0 && v->len <= IG_CONFIG_PATH_MAX &&
		    memchr(v->text, '\0', v->len) == NULL;
	}
}

/* The absolute directory of file, into out; "" when it cannot be known. */
static void
file_dir(const char *file, char *out, size_t size)
{
	char cwd[IG_CONFIG_PATH_MAX + 1];
	const char *slash = strrchr(file, '/');
	size_t n = slash ? (size_t)(slash - file) : 0;
	int r;

	out[0] = '\0';
	if (file[0] == '/') {
		if (n == 0)
			n = 1;
		if (n < size) {
			memcpy(out, file, n);
			out[n] = '\0';
		}
		return;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL || cwd[0] != '/')
		return;
	r = slash ? snprintf(out, size, "%s/%.*s", cwd, (int)n, file) : snprintf(out, size, "%s", cwd);
	if (r < 0 || (size_t)r >= size)
		out[0] = '\0';
}

int
ig_config_parse(const char *text, size_t len, const char *file,
    struct ig_config *cfg, struct ig_diags *diags, struct ig_err *err)
{
	char base[IG_CONFIG_PATH_MAX + 1], why[512];
	struct ig_config tmp;
	struct ig_ydoc *doc = NULL;
	struct schema *sc = NULL;
	struct scratch scr = { 0 };
	const char *w;
	size_t problems, i;
	bool have_tmp = false, nomem = false;
	int rc = -1;

	if (file == NULL)
		file = "ignite.yaml";
	if (len > IG_YAML_MAX_BYTES) {
		ig_diags_add(diags, file, 0, "file is larger than %d bytes", IG_YAML_MAX_BYTES);
		ig_err_set(err, IG_EINVAL, "%s: invalid configuration (1 problem)", file);
		return -1;
	}
	if (ig_config_copy(&tmp, cfg, err) != 0)
		return -1;
	have_tmp = true;
	if ((sc = malloc(sizeof(*sc))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	if (ig_ydoc_parse(text, len, file, &doc, diags, err) != 0)
		goto out;
	build_schema(sc);
	problems = ig_ydoc_apply(doc->root, sc->root, "", 0, file, &scr, diags);
	free(scr.s);
	scr.s = NULL;
	for (i = 0; i < scr.ln; i++)
		free(scr.l[i]);
	free(scr.l);
	scr.l = NULL;
	scr.ln = 0;

	file_dir(file, base, sizeof(base));
	for (i = 0; i < N_FIELDS; i++) {
		const struct field *f = &fields[i];
		const struct ig_ynode *v = ig_ynode_get(ig_ynode_get(doc->root, f->section), f->key);
		long long ll;
		bool b;

		if (v == NULL || !walk_accepted(v, f))
			continue;
		w = NULL;
		switch (f->kind) {
		case K_INT:
		case K_POW2:
			(void)ig_ynode_int(v, &ll);
			w = set_int(&tmp, f, (long)ll, why, sizeof(why));
			break;
		case K_BOOL:
			(void)ig_ynode_bool(v, &b);
			*(bool *)slot(&tmp, f) = b;
			break;
		case K_RUNTIMES:
		case K_CIDRS: {
			/* The items joined with commas: the flag's form. */
			char joined[IG_CONFIG_PATH_MAX + 1];
			size_t k, o = 0;

			joined[0] = '\0';
			for (k = 0; v->kind == IG_YSEQ && k < v->n_items; k++) {
				if (o + v->items[k]->len + 2 > sizeof(joined)) {
					w = "is too long";
					break;
				}
				if (o > 0)
					joined[o++] = ',';
				memcpy(joined + o, v->items[k]->text, v->items[k]->len);
				o += v->items[k]->len;
				joined[o] = '\0';
			}
			if (w == NULL)
				w = set_text(&tmp, f, joined, NULL, why, sizeof(why), &nomem);
			if (nomem) {
				ig_err_set(err, IG_ENOMEM, "out of memory");
				goto out;
			}
			break;
		}
		default:
			w = set_text(&tmp, f, v->text, base[0] ? base : NULL, why, sizeof(why), &nomem);
			if (nomem) {
				ig_err_set(err, IG_ENOMEM, "out of memory");
				goto out;
			}
			break;
		}
		if (w != NULL) {
			ig_diags_add(diags, file, v->line, "%s.%s %s", f->section, f->key, w);
			problems++;
		}
	}
	if (problems > 0) {
		ig_err_set(err, IG_EINVAL, "%s: invalid configuration (%zu problem%s)", file, problems,
		    problems == 1 ? "" : "s");
		goto out;
	}
	free(tmp.source);
	if ((tmp.source = strdup(file)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	ig_config_free(cfg);
	*cfg = tmp;
	have_tmp = false;
	rc = 0;
out:
	free(scr.s);
	free(sc);
	ig_ydoc_free(doc);
	if (have_tmp)
		ig_config_free(&tmp);
	return rc;
}

int
ig_config_load(const char *path, struct ig_config *cfg,
    struct ig_diags *diags, struct ig_err *err)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	ssize_t r;
	int fd = -1, rc = -1;

	/* O_NONBLOCK: opening a FIFO must not hang; regular files ignore it. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		ig_err_sys(err, errno == ENOENT ? IG_ENOENT : IG_EIO, "%s", path);
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		ig_err_sys(err, IG_EIO, "%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ig_err_set(err, IG_EINVAL, "%s: not a regular file", path);
		goto out;
	}
	/* Whoever can write the configuration decides where keys are read
	 * from and whether audit mode may be skipped. */
	if (st.st_mode & S_IWOTH) {
		ig_err_set(err, IG_EPERM, "%s: refusing a configuration file writable by others "
		    "(mode %04o; chmod o-w)", path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		ig_err_set(err, IG_EPERM, "%s: refusing a configuration file owned by uid %u "
		    "(neither root nor the user running ignite-fcgi)", path, (unsigned)st.st_uid);
		goto out;
	}
	if (st.st_size > IG_YAML_MAX_BYTES) {
		ig_diags_add(diags, path, 0, "file is larger than %d bytes", IG_YAML_MAX_BYTES);
		ig_err_set(err, IG_EINVAL, "%s: invalid configuration (1 problem)", path);
		goto out;
	}
	if ((text = malloc(IG_YAML_MAX_BYTES + 1)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	/* Read one byte past the limit to notice a file that grew meanwhile. */
	while (len <= IG_YAML_MAX_BYTES) {
		r = read(fd, text + len, IG_YAML_MAX_BYTES + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ig_err_sys(err, IG_EIO, "%s", path);
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	rc = ig_config_parse(text, len, path, cfg, diags, err);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	return rc;
}

/* ---- flags ------------------------------------------------------------- */

static struct ig_config_flag flag_view[N_FIELDS];
static pthread_once_t flag_once = PTHREAD_ONCE_INIT;
static char flag_keys[N_FIELDS][64];

static void
build_flags(void)
{
	size_t i;

	for (i = 0; i < N_FIELDS; i++) {
		snprintf(flag_keys[i], sizeof(flag_keys[i]), "%s.%s", fields[i].section, fields[i].key);
		flag_view[i].name = fields[i].flag;
		flag_view[i].has_arg = fields[i].kind == K_BOOL ? optional_argument : required_argument;
		flag_view[i].metavar = fields[i].metavar;
		flag_view[i].key = flag_keys[i];
		flag_view[i].help = fields[i].help;
	}
}

const struct ig_config_flag *
ig_config_flags(size_t *n)
{
	pthread_once(&flag_once, build_flags);
	*n = N_FIELDS;
	return flag_view;
}

/* Strict decimal: optional '-', digits, no leading zeros, fits a long. */
static int
parse_long(const char *s, long *out)
{
	const char *p = s;
	char *end;
	long v;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0'))
		return -1;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
ig_config_set_flag(struct ig_config *cfg, const char *name, const char *value,
    struct ig_err *err)
{
	char cwd[IG_CONFIG_PATH_MAX + 1], why[512];
	const struct field *f = NULL;
	struct ig_config tmp;
	const char *w = NULL;
	bool nomem = false;
	long v;
	size_t i;
	int rc = -1;

	for (i = 0; i < N_FIELDS; i++)
		if (strcmp(fields[i].flag, name) == 0)
			f = &fields[i];
	if (f == NULL) {
		ig_err_set(err, IG_EINVAL, "--%s: unknown option", name);
		return -1;
	}
	if (value == NULL && f->kind != K_BOOL) {
		ig_err_set(err, IG_EINVAL, "--%s: requires a value", name);
		return -1;
	}
	if (ig_config_copy(&tmp, cfg, err) != 0)
		return -1;
	switch (f->kind) {
	case K_INT:
	case K_POW2:
		if (parse_long(value, &v) != 0)
			w = "must be an integer (digits only)";
		else
			w = set_int(&tmp, f, v, why, sizeof(why));
		break;
	case K_BOOL:
		if (value == NULL || strcmp(value, "true") == 0)
			*(bool *)slot(&tmp, f) = true;
		else if (strcmp(value, "false") == 0)
			*(bool *)slot(&tmp, f) = false;
		else
			w = "must be true or false";
		break;
	default:
		if (value[0] == '\0') {
			if (f->kind == K_ID || f->kind == K_DOCKER)
				put_str(&tmp, f, NULL);
			else if (f->kind == K_RUNTIMES || f->kind == K_CIDRS)
				w = set_text(&tmp, f, "", NULL, why, sizeof(why), &nomem);
			else
				w = "must not be empty";
			break;
		}
		if (strlen(value) > IG_CONFIG_PATH_MAX) {
			w = "is too long";
			break;
		}
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			cwd[0] = '\0';
		w = set_text(&tmp, f, value, cwd[0] == '/' ? cwd : NULL, why, sizeof(why), &nomem);
		if (nomem) {
			ig_err_set(err, IG_ENOMEM, "out of memory");
			goto out;
		}
		break;
	}
	if (w != NULL) {
		ig_err_set(err, IG_EINVAL, "--%s: %s", name, w);
		goto out;
	}
	ig_config_free(cfg);
	*cfg = tmp;
	memset(&tmp, 0, sizeof(tmp));
	rc = 0;
out:
	ig_config_free(&tmp);
	return rc;
}

/* The current value of f as text, for usage and JSON; "" for unset. */
static const char *
value_text(const struct ig_config *cfg, const struct field *f, char *buf, size_t size)
{
	const char *s;

	switch (f->kind) {
	case K_INT:
	case K_POW2:
		snprintf(buf, size, "%ld", *(const long *)cslot(cfg, f));
		return buf;
	case K_BOOL:
		return *(const bool *)cslot(cfg, f) ? "true" : "false";
	case K_MODE:
		snprintf(buf, size, "%04o", *(const unsigned *)cslot(cfg, f));
		return buf;
	case K_LEVEL:
		return level_names[*(const enum ig_log_level *)cslot(cfg, f) & 3];
	case K_FORMAT:
		return format_names[*(const enum ig_config_log_format *)cslot(cfg, f) & 1];
	default:
		s = get_str(cfg, f);
		return s ? s : "";
	}
}

void
ig_config_usage(FILE *out)
{
	struct ig_config def;
	char opt[64], buf[64];
	const char *v;
	size_t i;
	bool have_def = ig_config_defaults(&def) == 0;

	for (i = 0; i < N_FIELDS; i++) {
		const struct field *f = &fields[i];

		if (f->kind == K_BOOL)
			snprintf(opt, sizeof(opt), "--%s[=%s]", f->flag, f->metavar);
		else
			snprintf(opt, sizeof(opt), "--%s=%s", f->flag, f->metavar);
		fprintf(out, "  %-32s %s\n", opt, f->help);
		v = have_def ? value_text(&def, f, buf, sizeof(buf)) : "";
		if (*v == '\0' && f->kind == K_ID)
			v = "unchanged";
		else if (*v == '\0' && f->kind == K_DOCKER)
			v = "$DOCKER_HOST, else " IG_DOCKER_DEFAULT_HOST;
		if (*v)
			fprintf(out, "  %-32s [%s] (%s.%s)\n", "", v, f->section, f->key);
		else
			fprintf(out, "  %-32s (%s.%s)\n", "", f->section, f->key);
	}
	if (have_def)
		ig_config_free(&def);
}

/* ---- JSON, comparison -------------------------------------------------- */

struct json_object *
ig_config_to_json(const struct ig_config *cfg)
{
	struct json_object *root = json_object_new_object(), *sec[N_SECTIONS] = { 0 };
	char buf[64];
	size_t i, s;
	bool ok = root != NULL;

	for (s = 0; ok && s < N_SECTIONS; s++)
		ok = (sec[s] = json_object_new_object()) != NULL;
	for (i = 0; ok && i < N_FIELDS; i++) {
		const struct field *f = &fields[i];
		struct json_object *v = NULL;

		for (s = 0; strcmp(sections[s], f->section) != 0; s++)
			;
		switch (f->kind) {
		case K_INT:
		case K_POW2:
			v = json_object_new_int64(*(const long *)cslot(cfg, f));
			break;
		case K_BOOL:
			v = json_object_new_boolean(*(const bool *)cslot(cfg, f));
			break;
		case K_RUNTIMES:
		case K_CIDRS: {
			const char *p = get_str(cfg, f), *e;

			if ((v = json_object_new_array()) == NULL)
				break;
			while (p != NULL && *p) {
				for (e = p; *e && *e != ','; e++)
					;
				json_object_array_add(v, json_object_new_string_len(p, (int)(e - p)));
				p = *e ? e + 1 : e;
			}
			break;
		}
		default:
			if (is_string_kind(f->kind) && get_str(cfg, f) == NULL)
				continue;
			v = json_object_new_string(value_text(cfg, f, buf, sizeof(buf)));
			break;
		}
		if (v == NULL || json_object_object_add(sec[s], f->key, v) != 0) {
			json_object_put(v);
			ok = false;
		}
	}
	for (s = 0; s < N_SECTIONS; s++) {
		/* The parent takes the reference on a successful add. */
		if (ok && json_object_object_add(root, sections[s], sec[s]) == 0)
			sec[s] = NULL;
		else
			ok = false;
		json_object_put(sec[s]);
	}
	if (!ok) {
		json_object_put(root);
		return NULL;
	}
	return root;
}

const char *
ig_config_restart_field(const struct ig_config *a, const struct ig_config *b)
{
	char ba[64], bb[64];
	size_t i;

	pthread_once(&flag_once, build_flags);
	for (i = 0; i < N_FIELDS; i++) {
		const struct field *f = &fields[i];

		if (!(f->flags & F_RESTART))
			continue;
		if (strcmp(value_text(a, f, ba, sizeof(ba)), value_text(b, f, bb, sizeof(bb))) != 0)
			return flag_keys[i];
	}
	return NULL;
}
