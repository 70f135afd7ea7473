/* main.c — ignite-fcgi: configuration, the listening socket, a fixed pool of
 * worker threads, signals (SIGTERM: drain and exit; SIGHUP: reload). */
#include "server.h"
#include "catalog.h"
#include "datadir.h"
#include "docker.h"
#include "exec.h"
#include "keys.h"
#include "log.h"
#include "pool.h"
#include "reaper.h"
#include "run.h"
#include "ratelimit.h"
#include "runtime.h"
#include "session.h"
#include "store.h"
#include "template.h"
#include "timefmt.h"

#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <grp.h>
#include <json-c/json.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef IG_VERSION
#define IG_VERSION "0.0.0"
#endif

/* At shutdown, finished containers still queued for removal get this long. */
#define REAPER_DRAIN_MS 10000

struct ig_server *ig_srv;

static pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ig_docker_endpoint endpoint;

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: ignite-fcgi [--config FILE] [options]\n"
	    "\n"
	    "The Ignite FastCGI daemon: serves the HTTP API and report pages behind\n"
	    "nginx on a unix socket. SIGTERM stops it gracefully (in-flight runs\n"
	    "finish within the grace period), SIGHUP reloads keys and configuration.\n"
	    "\n"
	    "  -c, --config FILE     ignite.yaml (every field has a default)\n"
	    "      --print-config    print the effective configuration as JSON and exit\n"
	    "      --check-config    validate the configuration and exit\n"
	    "  -V, --version         print the version and exit\n"
	    "  -h, --help            show this help\n"
	    "\n"
	    "Overrides (each wins over the file):\n");
	ig_config_usage(fp);
}

/* Worker: one FastCGI request at a time, its own Docker client. */
static void *
worker(void *arg)
{
	FCGX_Request fcgx;
	struct ig_docker_config dcfg = { 0 };
	struct ig_docker *docker = NULL;
	struct ig_err err = { 0 };
	int rc;

	(void)arg;
	dcfg.endpoint = &endpoint;
	if (ig_docker_new(&dcfg, &docker, &err) != 0) {
		ig_log(IG_LOG_ERROR, "docker client", "error", err.msg, NULL);
		return NULL;
	}
	/* Connect and agree on the API version now, not in a client's first
	 * request; an engine that is down now is tried again per request. */
	ig_docker_negotiate(docker, NULL, NULL);
	if (FCGX_InitRequest(&fcgx, ig_srv->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		ig_docker_free(docker);
		return NULL;
	}
	for (;;) {
		struct ig_req r;
		int st;

		pthread_mutex_lock(&accept_lock);
		rc = ig_srv->stopping ? -1 : FCGX_Accept_r(&fcgx);
		pthread_mutex_unlock(&accept_lock);
		if (rc < 0)
			break;
		pthread_rwlock_rdlock(&ig_srv->lock);
		if ((st = ig_req_init(&r, &fcgx, docker)) != 0) {
			r.route = "bad-request";
			ig_resp_error(&r, st, st == 414 ? "uri_too_long" : "bad_request",
			    "malformed request", NULL);
		} else {
			ig_route(&r);
		}
		pthread_rwlock_unlock(&ig_srv->lock);
		ig_req_free(&r);
		FCGX_Finish_r(&fcgx);
	}
	FCGX_Free(&fcgx, 0);
	ig_docker_free(docker);
	return NULL;
}

/* Creates the listening socket with the configured mode and owner. */
static int
open_socket(const struct ig_config *cfg)
{
	struct stat st;
	int fd;

	/* A socket left by a previous run is replaced; anything else is not. */
	if (lstat(cfg->socket_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "ignite-fcgi: %s: exists and is not a socket\n", cfg->socket_path);
			return -1;
		}
		unlink(cfg->socket_path);
	}
	fd = FCGX_OpenSocket(cfg->socket_path, 128);
	if (fd < 0) {
		fprintf(stderr, "ignite-fcgi: %s: cannot listen: %s\n", cfg->socket_path, strerror(errno));
		return -1;
	}
	if (chmod(cfg->socket_path, cfg->socket_mode) != 0) {
		fprintf(stderr, "ignite-fcgi: %s: chmod: %s\n", cfg->socket_path, strerror(errno));
		return -1;
	}
	if (cfg->socket_owner != NULL || cfg->socket_group != NULL) {
		uid_t uid = (uid_t)-1;
		gid_t gid = (gid_t)-1;
		struct passwd *pw;
		struct group *gr;
		if (cfg->socket_owner != NULL) {
			if ((pw = getpwnam(cfg->socket_owner)) == NULL) {
				fprintf(stderr, "ignite-fcgi: socket owner %s: no such user\n", cfg->socket_owner);
				return -1;
			}
			uid = pw->pw_uid;
		}
		if (cfg->socket_group != NULL) {
			if ((gr = getgrnam(cfg->socket_group)) == NULL) {
				fprintf(stderr, "ignite-fcgi: socket group %s: no such group\n", cfg->socket_group);
				return -1;
			}
			gid = gr->gr_gid;
		}
		if (chown(cfg->socket_path, uid, gid) != 0) {
			fprintf(stderr, "ignite-fcgi: %s: chown: %s\n", cfg->socket_path, strerror(errno));
			return -1;
		}
	}
	return fd;
}

/* Flags given on the command line, replayed over the file on SIGHUP. */
struct override {
	const char *name;
	const char *value;
};

/* Builds a configuration from defaults, the file and the overrides. */
static int
build_config(const char *path, const struct override *ov, size_t nov, struct ig_config *cfg)
{
	struct ig_diags diags = { 0 };
	struct ig_err err = { 0 };
	char line[700];
	size_t i;

	if (ig_config_defaults(cfg) != 0) {
		fprintf(stderr, "ignite-fcgi: out of memory\n");
		return -1;
	}
	if (path != NULL && ig_config_load(path, cfg, &diags, &err) != 0) {
		for (i = 0; i < diags.n; i++)
			fprintf(stderr, "ignite-fcgi: %s\n", ig_diag_format(&diags.v[i], line, sizeof(line)));
		if (diags.n == 0 || err.code != IG_EINVAL)
			fprintf(stderr, "ignite-fcgi: %s\n", err.msg);
		ig_diags_free(&diags);
		ig_config_free(cfg);
		return -1;
	}
	for (i = 0; i < nov; i++) {
		if (ig_config_set_flag(cfg, ov[i].name, ov[i].value, &err) != 0) {
			fprintf(stderr, "ignite-fcgi: %s\n", err.msg);
			ig_config_free(cfg);
			return -1;
		}
	}
	/* Rules between fields, once every source is applied. */
	if (ig_config_check(cfg, &diags, &err) != 0) {
		for (i = 0; i < diags.n; i++)
			fprintf(stderr, "ignite-fcgi: %s\n", ig_diag_format(&diags.v[i], line, sizeof(line)));
		if (diags.n == 0)
			fprintf(stderr, "ignite-fcgi: %s\n", err.msg);
		ig_diags_free(&diags);
		ig_config_free(cfg);
		return -1;
	}
	return 0;
}

static int
open_keys(const struct ig_config *cfg, struct ig_keyring **out)
{
	struct ig_keys_params kp;
	struct ig_err err = { 0 };

	ig_keys_params_default(&kp);
	if (cfg->scrypt_n > 0)
		kp.scrypt_n = (uint32_t)cfg->scrypt_n;
	if (cfg->scrypt_r > 0)
		kp.scrypt_r = (uint32_t)cfg->scrypt_r;
	if (cfg->scrypt_p > 0)
		kp.scrypt_p = (uint32_t)cfg->scrypt_p;
	kp.cache_ttl_ms = (int64_t)cfg->key_cache_ttl_s * 1000;
	if (ig_keys_open(cfg->keys_file, &kp, out, &err) != 0) {
		fprintf(stderr, "ignite-fcgi: keys: %s%s\n", err.msg, err.code == IG_ENOENT ?
		    " (create one with `ignite keys add <name> --file <path>`)" : "");
		return -1;
	}
	return 0;
}

static int
open_templates(struct ig_template_set **out)
{
	char dir[4096];
	struct ig_err err = { 0 };
	struct ig_template_set *set;

	if (ig_datadir_locate(getenv("IGNITE_DATADIR"), "templates", dir, sizeof(dir)) != 0) {
		fprintf(stderr, "ignite-fcgi: templates directory not found (%s)\n", dir);
		return -1;
	}
	if ((set = ig_template_set_new()) == NULL || ig_template_set_load_dir(set, dir, &err) != 0) {
		fprintf(stderr, "ignite-fcgi: templates: %s\n", err.msg);
		ig_template_set_free(set);
		return -1;
	}
	*out = set;
	return 0;
}

/* Declares the services the daemon serves to the warm pool, so that first
 * requests find warm containers (at start-up and after a reload). */
static void
warm_services(void)
{
	struct ig_docker_config dcfg = { 0 };
	struct ig_run_ctx ctx = { ig_srv->registry, NULL, NULL, ig_srv->pool, NULL };
	char num[16];
	int n;

	if (ig_srv->pool == NULL)
		return;
	dcfg.endpoint = &endpoint;
	if (ig_docker_new(&dcfg, &ctx.docker, NULL) != 0)
		return;
	ig_pool_unpin_all(ig_srv->pool);
	pthread_rwlock_rdlock(&ig_srv->lock);
	n = ig_catalog_warm(ig_srv->config.services_dir, &ctx);
	pthread_rwlock_unlock(&ig_srv->lock);
	ig_docker_free(ctx.docker);
	snprintf(num, sizeof(num), "%d", n);
	ig_log(IG_LOG_INFO, "warm pool: services kept warm", "#count", num, NULL);
}

/* SIGHUP: new keys and configuration, or keep the old ones and say why. */
static void
reload(const char *path, const struct override *ov, size_t nov)
{
	struct ig_config cfg;
	struct ig_err err = { 0 };
	const char *restart;

	if (ig_keys_reload(ig_srv->keys, &err) != 0)
		ig_log(IG_LOG_ERROR, "reload: keeping the previous keys", "error", err.msg, NULL);
	else
		ig_log(IG_LOG_INFO, "reload: keys reloaded", NULL);
	if (build_config(path, ov, nov, &cfg) != 0) {
		ig_log(IG_LOG_ERROR, "reload: configuration invalid; keeping the previous one", NULL);
		return;
	}
	if ((restart = ig_config_restart_field(&ig_srv->config, &cfg)) != NULL)
		ig_log(IG_LOG_WARN, "reload: a changed field needs a restart", "field", restart, NULL);
	pthread_rwlock_wrlock(&ig_srv->lock);
	{
		struct ig_config old = ig_srv->config;
		/* Restart-only fields keep their running values. */
		char *sock = cfg.socket_path;
		cfg.socket_path = old.socket_path;
		old.socket_path = sock;
		cfg.workers = old.workers;
		ig_srv->config = cfg;
		ig_config_free(&old);
	}
	ig_log_setup(ig_srv->config.log_level, ig_srv->config.log_format == IG_CONFIG_LOG_JSON);
	{
		struct ig_ratelimit *rl = NULL;
		if (ig_ratelimit_new((unsigned)ig_srv->config.rate_per_min, (unsigned)ig_srv->config.rate_per_min,
		    IG_RATELIMIT_KEYS_TABLE, &rl, NULL) == 0) {
			ig_ratelimit_free(ig_srv->rate);
			ig_srv->rate = rl;
		}
	}
	pthread_rwlock_unlock(&ig_srv->lock);
	ig_log(IG_LOG_INFO, "reload: configuration reloaded", NULL);
	warm_services();
}

int
main(int argc, char **argv)
{
	enum { O_PRINT = 1000, O_CHECK, O_FLAG0 = 2000 };
	const struct ig_config_flag *flags;
	struct override *ov = NULL;
	struct option *opts = NULL;
	const char *config_path = NULL;
	struct ig_server srv;
	struct ig_err err = { 0 };
	pthread_t *threads = NULL;
	sigset_t sigs;
	size_t nflags, nov = 0, i;
	int c, print = 0, check = 0, rc = 1, sig;
	long started_workers = 0;
	int64_t jobs_deadline = 0;

	flags = ig_config_flags(&nflags);
	opts = calloc(nflags + 6, sizeof(*opts));
	ov = calloc((size_t)argc + 1, sizeof(*ov));
	if (opts == NULL || ov == NULL)
		return 1;
	opts[0] = (struct option){ "config", required_argument, NULL, 'c' };
	opts[1] = (struct option){ "print-config", no_argument, NULL, O_PRINT };
	opts[2] = (struct option){ "check-config", no_argument, NULL, O_CHECK };
	opts[3] = (struct option){ "version", no_argument, NULL, 'V' };
	opts[4] = (struct option){ "help", no_argument, NULL, 'h' };
	for (i = 0; i < nflags; i++)
		opts[5 + i] = (struct option){ flags[i].name, flags[i].has_arg, NULL, O_FLAG0 + (int)i };
	while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		if (c >= O_FLAG0) {
			ov[nov].name = flags[c - O_FLAG0].name;
			ov[nov].value = optarg;
			nov++;
			continue;
		}
		switch (c) {
		case 'c': config_path = optarg; break;
		case O_PRINT: print = 1; break;
		case O_CHECK: check = 1; break;
		case 'V': printf("ignite-fcgi %s\n", IG_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "Try 'ignite-fcgi --help'.\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ignite-fcgi: unexpected argument '%s'\nTry 'ignite-fcgi --help'.\n", argv[optind]);
		return 2;
	}
	memset(&srv, 0, sizeof(srv));
	ig_srv = &srv;
	srv.listen_fd = -1;
	srv.config_path = config_path;
	if (build_config(config_path, ov, nov, &srv.config) != 0)
		return 2;
	if (print) {
		struct json_object *j = ig_config_to_json(&srv.config);
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
		ig_config_free(&srv.config);
		return 0;
	}
	ig_log_setup(srv.config.log_level, srv.config.log_format == IG_CONFIG_LOG_JSON);
	pthread_rwlock_init(&srv.lock, NULL);
	srv.started = time(NULL);

	/* Everything a request needs, opened once; a missing piece stops start-up. */
	{
		char path[4096];
		if (ig_datadir_locate(getenv("IGNITE_DATADIR"), "runtimes/runtimes.json", path, sizeof(path)) != 0 ||
		    ig_runtime_registry_load(path, &srv.registry, &err) != 0) {
			fprintf(stderr, "ignite-fcgi: runtimes: %s\n", err.msg[0] ? err.msg : path);
			goto out;
		}
	}
	if (ig_store_open(srv.config.runs_dir, &srv.store, &err) != 0) {
		fprintf(stderr, "ignite-fcgi: runs: %s\n", err.msg);
		goto out;
	}
	if (open_keys(&srv.config, &srv.keys) != 0 || open_templates(&srv.templates) != 0)
		goto out;
	{
		struct stat st;
		if (stat(srv.config.services_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "ignite-fcgi: services directory %s: %s\n", srv.config.services_dir,
			    errno ? strerror(errno) : "not a directory");
			goto out;
		}
	}
	if (ig_docker_endpoint_from_env(srv.config.docker_host, &endpoint, &err) != 0) {
		fprintf(stderr, "ignite-fcgi: docker: %s\n", err.msg);
		goto out;
	}
	srv.sessions = ig_sessions_new(srv.config.session_ttl_s);
	if (srv.sessions == NULL ||
	    ig_ratelimit_new((unsigned)srv.config.rate_per_min, (unsigned)srv.config.rate_per_min,
	    IG_RATELIMIT_KEYS_TABLE, &srv.rate, &err) != 0 ||
	    ig_ratelimit_failures_new((unsigned)srv.config.auth_failures_per_min,
	    IG_AUTHFAIL_TABLE, &srv.failures, &err) != 0 ||
	    ig_ratelimit_concurrency_new((unsigned)srv.config.max_concurrent,
	    (unsigned)srv.config.max_concurrent_per_key, &srv.slots, &err) != 0) {
		fprintf(stderr, "ignite-fcgi: limits: %s\n", err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	if (check) {
		printf("configuration ok\n");
		rc = 0;
		goto out;
	}

	/* Leftovers of a crashed daemon, and runs past retention. */
	{
		struct ig_docker_config dcfg = { 0 };
		struct ig_docker *dk = NULL;
		int n;
		dcfg.endpoint = &endpoint;
		if (ig_docker_new(&dcfg, &dk, &err) == 0) {
			if ((n = ig_exec_sweep(dk, false, &err)) > 0) {
				char num[16];
				snprintf(num, sizeof(num), "%d", n);
				ig_log(IG_LOG_INFO, "swept containers left by a crashed run", "#count", num, NULL);
			} else if (n < 0) {
				ig_log(IG_LOG_WARN, "sweep skipped", "error", err.msg, NULL);
			}
			ig_docker_free(dk);
		}
		ig_store_prune(srv.store, (size_t)srv.config.retention_max_runs,
		    (time_t)srv.config.retention_max_age_days * 86400, NULL);
	}

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	/* Threads started from here on inherit the blocked signals. */
	{
		struct ig_reaper_config rc_ = { 0 };
		rc_.endpoint = &endpoint;
		if (ig_reaper_new(&rc_, &srv.reaper, &err) != 0) {
			fprintf(stderr, "ignite-fcgi: container reaper: %s\n", err.msg);
			goto out;
		}
	}
	if (srv.config.warm_pool > 0) {
		struct ig_pool_config pc = { 0 };
		pc.per_key = (size_t)srv.config.warm_pool;
		pc.endpoint = &endpoint;
		if (ig_pool_new(&pc, &srv.pool, &err) != 0) {
			fprintf(stderr, "ignite-fcgi: warm pool: %s\n", err.msg);
			goto out;
		}
		warm_services();
	}
	/* Async runs, callbacks and idempotency keys (api_adhoc.c); their
	 * threads inherit the blocked signals. */
	if (ig_api_jobs_start(&endpoint, &err) != 0) {
		fprintf(stderr, "ignite-fcgi: async runs: %s\n", err.msg);
		goto out;
	}
	if (FCGX_Init() != 0 || (srv.listen_fd = open_socket(&srv.config)) < 0)
		goto out;
	threads = calloc((size_t)srv.config.workers, sizeof(*threads));
	for (started_workers = 0; threads != NULL && started_workers < srv.config.workers; started_workers++)
		if (pthread_create(&threads[started_workers], NULL, worker, NULL) != 0)
			break;
	{
		char w[24];
		snprintf(w, sizeof(w), "%ld", started_workers);
		ig_log(IG_LOG_INFO, "listening", "socket", srv.config.socket_path, "#workers", w,
		    "version", IG_VERSION, NULL);
	}
	for (;;) {
		/* Retention is applied at start-up and then hourly. */
		struct timespec hour = { 3600, 0 };
		if ((sig = sigtimedwait(&sigs, NULL, &hour)) < 0) {
			if (errno == EAGAIN) {
				pthread_rwlock_rdlock(&srv.lock);
				ig_store_prune(srv.store, (size_t)srv.config.retention_max_runs,
				    (time_t)srv.config.retention_max_age_days * 86400, NULL);
				pthread_rwlock_unlock(&srv.lock);
			}
			continue;
		}
		if (sig == SIGHUP) {
			reload(config_path, ov, nov);
			continue;
		}
		break;
	}
	ig_log(IG_LOG_INFO, "stopping: no new requests; waiting for in-flight runs", NULL);
	srv.stopping = 1;
	jobs_deadline = ig_time_mono_ms() + (int64_t)srv.config.shutdown_grace_s * 1000;
	shutdown(srv.listen_fd, SHUT_RDWR);
	close(srv.listen_fd);
	srv.listen_fd = -1;
	{
		/* In-flight runs get the grace period, then are cancelled (their
		 * containers killed and removed by the run itself). */
		struct timespec deadline;
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += srv.config.shutdown_grace_s;
		for (i = 0; i < (size_t)started_workers; i++) {
			if (pthread_timedjoin_np(threads[i], NULL, &deadline) != 0) {
				ig_log(IG_LOG_WARN, "grace period over: cancelling in-flight runs", NULL);
				ig_exec_cancel_all();
				pthread_join(threads[i], NULL);
			}
		}
	}
	/* Queued async runs keep running until the same deadline. */
	ig_api_jobs_stop(jobs_deadline);
	unlink(srv.config.socket_path);
	ig_pool_free(srv.pool);
	srv.pool = NULL;
	ig_reaper_free(srv.reaper, REAPER_DRAIN_MS);
	srv.reaper = NULL;
	ig_log(IG_LOG_INFO, "stopped", NULL);
	rc = 0;
out:
	ig_api_jobs_stop(0);
	ig_pool_free(srv.pool);
	ig_reaper_free(srv.reaper, REAPER_DRAIN_MS);
	free(threads);
	ig_template_set_free(srv.templates);
	ig_ratelimit_concurrency_free(srv.slots);
	ig_ratelimit_failures_free(srv.failures);
	ig_ratelimit_free(srv.rate);
	ig_sessions_free(srv.sessions);
	ig_keys_close(srv.keys);
	ig_store_close(srv.store);
	ig_runtime_registry_free(srv.registry);
	ig_config_free(&srv.config);
	free(opts);
	free(ov);
	return rc;
}
