/* test_jobs.c — async runs with a stand-in for the engine: the states a job
 * goes through in the store, the bounded queue (all-or-nothing batches),
 * cancelling queued and running jobs (and whose they are), idempotency
 * keys, shutdown, recovery of runs a dead daemon left, callbacks, and the
 * batch filter of the store listing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jobs.h"
#include "runtime.h"
#include "service.h"
#include "store.h"
#include "support.h"
#include "timefmt.h"

#define FIXTURE "tests/unit/fixtures/runtimes-basic.json"

static char workdir[96];
static struct ig_runtime_registry *reg;
static struct ig_store *st;

/* ---- the stand-in for ig_run_prepared ------------------------------------- */

struct fake {
	pthread_mutex_t mu;
	int calls;
	int block;                      /* runs wait until cancelled or unblocked */
	int running;                    /* runs in progress */
	char last_dir[256];
	int dir_existed;                /* the ad-hoc directory was there while running */
};

static struct fake fk;

static int
fake_run(void *arg, const struct ig_run_ctx *ctx, const struct ig_run_prepared *prep,
    const struct ig_run_request *req, struct json_object **report, struct ig_err *err)
{
	struct fake *f = arg;
	struct json_object *r = json_object_new_object();
	char now[IG_ISO_TIME_LEN];
	bool cancelled;

	(void)err;
	pthread_mutex_lock(&f->mu);
	f->calls++;
	f->running++;
	snprintf(f->last_dir, sizeof(f->last_dir), "%s", prep->abs_dir ? prep->abs_dir : "");
	f->dir_existed = prep->abs_dir != NULL && access(prep->abs_dir, F_OK) == 0;
	pthread_mutex_unlock(&f->mu);
	for (;;) {
		int b;
		pthread_mutex_lock(&f->mu);
		b = f->block;
		pthread_mutex_unlock(&f->mu);
		if (!b || *req->cancel)
			break;
		usleep(5000);
	}
	cancelled = *req->cancel != 0;
	ig_time_iso_now(now, sizeof(now));
	json_object_object_add(r, "runId", json_object_new_string(req->run_id));
	json_object_object_add(r, "serviceName", json_object_new_string(prep->svc->name));
	json_object_object_add(r, "kind", json_object_new_string(req->kind ? req->kind : "service"));
	json_object_object_add(r, "startedAt", json_object_new_string(now));
	json_object_object_add(r, "status", json_object_new_string(cancelled ? "cancelled" : "success"));
	json_object_object_add(r, "success", json_object_new_boolean(!cancelled));
	if (req->extra != NULL) {
		json_object_object_foreach(req->extra, k, v)
			json_object_object_add(r, k, json_object_get(v));
	}
	assert_int_equal(ig_store_put(ctx->store, req->run_id, r, NULL), 0);
	pthread_mutex_lock(&f->mu);
	f->running--;
	pthread_mutex_unlock(&f->mu);
	*report = r;
	return 0;
}

static int
fake_get(int *field)
{
	int v;

	pthread_mutex_lock(&fk.mu);
	v = *field;
	pthread_mutex_unlock(&fk.mu);
	return v;
}

static void
fake_block(int b)
{
	pthread_mutex_lock(&fk.mu);
	fk.block = b;
	pthread_mutex_unlock(&fk.mu);
}

/* ---- fixtures ---------------------------------------------------------------- */

static int
setup(void **state)
{
	if (scratch_setup(state) != 0)
		return -1;
	snprintf(workdir, sizeof(workdir), "%s/adhoc", scratch_dir());
	memset(&fk, 0, sizeof(fk));
	pthread_mutex_init(&fk.mu, NULL);
	if (ig_runtime_registry_load(FIXTURE, &reg, NULL) != 0)
		return -1;
	{
		char runs[128];
		snprintf(runs, sizeof(runs), "%s/runs", scratch_dir());
		if (ig_store_open(runs, &st, NULL) != 0)
			return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	ig_store_close(st);
	st = NULL;
	ig_runtime_registry_free(reg);
	reg = NULL;
	pthread_mutex_destroy(&fk.mu);
	return scratch_teardown(state);
}

static struct ig_jobs *
start(size_t queue, unsigned workers, const char *allow)
{
	struct ig_jobs_config cfg;
	struct ig_jobs *jobs = NULL;
	struct ig_err err = { 0 };

	memset(&cfg, 0, sizeof(cfg));
	cfg.registry = reg;
	cfg.store = st;
	cfg.queue_max = queue;
	cfg.workers = workers;
	cfg.run = fake_run;
	cfg.run_arg = &fk;
	cfg.webhook.allow = allow;
	cfg.webhook.retries = 1;
	cfg.webhook.timeout_ms = 2000;
	cfg.webhook.backoff_ms = 10;
	memset(cfg.webhook.server_secret, 3, sizeof(cfg.webhook.server_secret));
	if (ig_jobs_start(&cfg, &jobs, &err) != 0)
		fail_msg("ig_jobs_start: %s", err.msg);
	return jobs;
}

/* An ad-hoc job with one file, written under workdir. */
static void
make_spec(struct ig_job_spec *s, const char *key)
{
	struct ig_run_ctx ctx;
	struct ig_adhoc_profile p;
	struct ig_adhoc_files fs = { 0 };
	struct ig_adhoc_spec as = { "node@24", NULL, 0, 0, 0 };
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX];

	memset(s, 0, sizeof(*s));
	memset(&ctx, 0, sizeof(ctx));
	ctx.registry = reg;
	ig_adhoc_profile_defaults(&p);
	p.work_dir = workdir;
	assert_int_equal(ig_adhoc_files_add(&fs, &p, "index.js", "1", 1, false, field, sizeof(field), &err), 0);
	if (ig_adhoc_prepare(&ctx, &p, &as, &fs, &s->run, field, sizeof(field), &err) != 0)
		fail_msg("prepare: %s", err.msg);
	ig_adhoc_files_free(&fs);
	s->audit = true;
	s->kind = "adhoc";
	s->extra = json_object_new_object();
	json_object_object_add(s->extra, "files", json_object_get(s->run.files));
	snprintf(s->key_id, sizeof(s->key_id), "%s", key);
}

static const char *
status_of(const char *id, struct json_object **keep)
{
	struct json_object *r = NULL, *v;

	if (ig_store_get(st, id, &r, NULL) != 0)
		return NULL;
	*keep = r;
	if (!json_object_object_get_ex(r, "status", &v))
		return NULL;
	return json_object_get_string(v);
}

/* Waits until run id has status want (up to 5 s). */
static void
wait_status(const char *id, const char *want)
{
	struct json_object *r = NULL;
	const char *s = NULL;
	int i;

	for (i = 0; i < 500; i++) {
		s = status_of(id, &r);
		if (s != NULL && strcmp(s, want) == 0) {
			json_object_put(r);
			return;
		}
		json_object_put(r);
		r = NULL;
		usleep(10000);
	}
	fail_msg("run %s: status stayed %s, wanted %s", id, s ? s : "(none)", want);
}

static void
wait_running(int n)
{
	int i;

	for (i = 0; i < 500 && fake_get(&fk.running) < n; i++)
		usleep(10000);
	assert_int_equal(fake_get(&fk.running), n);
}

/* ---- tests ---------------------------------------------------------------- */

static void
test_lifecycle(void **state)
{
	struct ig_jobs *jobs;
	struct ig_job_spec s;
	struct json_object *r = NULL, *v;
	char id[IG_RUN_ID_LEN + 1], dir[256];

	(void)state;
	jobs = start(4, 1, "");
	fake_block(1);
	make_spec(&s, "key1");
	snprintf(dir, sizeof(dir), "%s", s.run.dir.path);
	assert_int_equal(ig_jobs_submit(jobs, &s, 1, NULL), 0);
	assert_true(ig_store_id_ok(s.run_id));
	memcpy(id, s.run_id, sizeof(id));
	/* The caller's spec no longer owns anything. */
	assert_null(s.extra);
	assert_null(s.run.prep.svc);
	wait_running(1);
	wait_status(id, "running");
	assert_non_null(status_of(id, &r));
	assert_true(json_object_object_get_ex(r, "queuedAt", &v));
	assert_true(json_object_object_get_ex(r, "files", &v));
	assert_true(json_object_object_get_ex(r, "kind", &v));
	assert_string_equal(json_object_get_string(v), "adhoc");
	json_object_put(r);
	assert_true(fk.dir_existed);
	fake_block(0);
	wait_status(id, "success");
	assert_non_null(status_of(id, &r));
	assert_true(json_object_object_get_ex(r, "async", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(r, "queuedAt", &v));
	json_object_put(r);
	ig_jobs_stop(jobs, ig_time_mono_ms() + 2000);
	/* The ad-hoc directory is gone once the run is over. */
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(fk.calls, 1);
}

static void
test_queued_state_is_stored(void **state)
{
	struct ig_jobs *jobs;
	struct ig_job_spec s[2];
	struct json_object *r = NULL;
	const char *status;

	(void)state;
	jobs = start(4, 1, "");
	fake_block(1);
	make_spec(&s[0], "k");
	make_spec(&s[1], "k");
	assert_int_equal(ig_jobs_submit(jobs, &s[0], 1, NULL), 0);
	wait_running(1);
	assert_int_equal(ig_jobs_submit(jobs, &s[1], 1, NULL), 0);
	assert_int_equal(ig_jobs_queued(jobs), 1);
	status = status_of(s[1].run_id, &r);
	assert_non_null(status);
	assert_string_equal(status, "queued");
	json_object_put(r);
	fake_block(0);
	wait_status(s[1].run_id, "success");
	ig_jobs_stop(jobs, ig_time_mono_ms() + 2000);
}

static void
test_queue_bound_all_or_nothing(void **state)
{
	struct ig_jobs *jobs;
	struct ig_job_spec s[4];
	struct ig_err err = { 0 };
	struct json_object *r = NULL;
	int i;

	(void)state;
	jobs = start(2, 1, "");
	fake_block(1);
	for (i = 0; i < 4; i++)
		make_spec(&s[i], "k");
	assert_int_equal(ig_jobs_submit(jobs, &s[0], 1, NULL), 0);
	wait_running(1);
	/* Two places left: a batch of three is refused whole. */
	assert_int_equal(ig_jobs_submit(jobs, &s[1], 3, &err), -1);
	assert_int_equal(err.code, IG_ETOOBIG);
	for (i = 1; i < 4; i++) {
		assert_string_equal(s[i].run_id, "");
		assert_non_null(s[i].run.prep.svc);     /* still the caller's */
	}
	assert_int_equal(ig_jobs_submit(jobs, &s[1], 2, &err), 0);
	assert_int_equal(ig_jobs_submit(jobs, &s[3], 1, &err), -1);
	assert_int_equal(err.code, IG_ETOOBIG);
	assert_null(status_of(s[3].run_id, &r));
	ig_job_spec_free(&s[3]);
	fake_block(0);
	wait_status(s[1].run_id, "success");
	wait_status(s[2].run_id, "success");
	ig_jobs_stop(jobs, ig_time_mono_ms() + 2000);
}

static void
test_cancel_queued(void **state)
{
	struct ig_jobs *jobs;
	struct ig_job_spec s[2];
	struct ig_err err = { 0 };
	struct json_object *r = NULL, *v;
	char dir[256];

	(void)state;
	jobs = start(4, 1, "");
	fake_block(1);
	make_spec(&s[0], "k");
	make_spec(&s[1], "k");
	snprintf(dir, sizeof(dir), "%s", s[1].run.dir.path);
	assert_int_equal(ig_jobs_submit(jobs, s, 2, NULL), 0);
	wait_running(1);
	assert_int_equal(ig_jobs_cancel(jobs, s[1].run_id, "other", false, 0, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_int_equal(ig_jobs_cancel(jobs, s[1].run_id, "k", false, 0, &err), IG_JOBS_CANCELLED);
	assert_string_equal(status_of(s[1].run_id, &r), "cancelled");
	assert_true(json_object_object_get_ex(r, "error", &v));
	assert_true(json_object_object_get_ex(r, "finishedAt", &v));
	json_object_put(r);
	assert_int_equal(access(dir, F_OK), -1);
	/* Gone from the queue: a second cancel finds nothing. */
	assert_int_equal(ig_jobs_cancel(jobs, s[1].run_id, "k", false, 0, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	fake_block(0);
	wait_status(s[0].run_id, "success");
	ig_jobs_stop(jobs, ig_time_mono_ms() + 2000);
	assert_int_equal(fk.calls, 1);
}

static void
test_cancel_running(void **state)
{
	struct ig_jobs *jobs;
	struct ig_job_spec s;
	struct ig_err err = { 0 };

	(void)state;
	jobs = start(4, 1, "");
	fake_block(1);
	make_spec(&s, "k");
	assert_int_equal(ig_jobs_submit(jobs, &s, 1, NULL), 0);
	wait_running(1);
	assert_int_equal(ig_jobs_cancel(jobs, s.run_id, "someone", false, 1000, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	/* An admin may cancel anyone's run. */
	assert_int_equal(ig_jobs_cancel(jobs, s.run_id, "admin-key", true, 5000, &err), IG_JOBS_STOPPED);
	wait_status(s.run_id, "cancelled");
	assert_int_equal(ig_jobs_cancel(jobs, s.run_id, "k", false, 0, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_int_equal(ig_jobs_cancel(jobs, "0123456789abcdef0123456789abcdef", "k", false, 0, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	ig_jobs_stop(jobs, ig_time_mono_ms() + 2000);
}

static void
test_idempotency(void **state)
{
	struct ig_jobs *jobs;
	unsigned char fp1[32], fp2[32];
	char a[IG_RUN_ID_LEN + 1], b[IG_RUN_ID_LEN + 1], c[IG_RUN_ID_LEN + 1], longkey[300];
	struct ig_err err = { 0 };

	(void)state;
	jobs = start(4, 1, "");
	memset(fp1, 1, sizeof(fp1));
	memset(fp2, 2, sizeof(fp2));
	assert_int_equal(ig_jobs_idem_claim(jobs, "key1", "order-42", fp1, a, &err), 0);
	assert_true(ig_store_id_ok(a));
	assert_int_equal(ig_jobs_idem_claim(jobs, "key1", "order-42", fp1, b, &err), 1);
	assert_string_equal(a, b);
	/* The same key for another request is refused. */
	assert_int_equal(ig_jobs_idem_claim(jobs, "key1", "order-42", fp2, c, &err), -1);
	assert_int_equal(err.code, IG_EEXIST);
	/* Keys are per API key. */
	assert_int_equal(ig_jobs_idem_claim(jobs, "key2", "order-42", fp1, c, &err), 0);
	assert_string_not_equal(a, c);
	/* A released key starts afresh. */
	ig_jobs_idem_release(jobs, "key1", "order-42");
	assert_int_equal(ig_jobs_idem_claim(jobs, "key1", "order-42", fp2, b, &err), 0);
	assert_string_not_equal(a, b);
	/* Malformed keys. */
	assert_int_equal(ig_jobs_idem_claim(jobs, "key1", "", fp1, c, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(ig_jobs_idem_claim(jobs, "key1", "bad\nkey", fp1, c, &err), -1);
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_int_equal(ig_jobs_idem_claim(jobs, "key1", longkey, fp1, c, &err), -1);
	ig_jobs_stop(jobs, ig_time_mono_ms());
}

static void
test_idempotency_table_is_bounded(void **state)
{
	struct ig_jobs *jobs;
	unsigned char fp[32];
	char id[IG_RUN_ID_LEN + 1], first[IG_RUN_ID_LEN + 1], k[32];
	int i;

	(void)state;
	jobs = start(4, 1, "");
	memset(fp, 9, sizeof(fp));
	assert_int_equal(ig_jobs_idem_claim(jobs, "key", "k0", fp, first, NULL), 0);
	for (i = 1; i <= IG_IDEM_TABLE; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(ig_jobs_idem_claim(jobs, "key", k, fp, id, NULL), 0);
	}
	/* The oldest entry gave way. */
	assert_int_equal(ig_jobs_idem_claim(jobs, "key", "k0", fp, id, NULL), 0);
	assert_string_not_equal(id, first);
	ig_jobs_stop(jobs, ig_time_mono_ms());
}

static void
test_stop_cancels_what_is_left(void **state)
{
	struct ig_jobs *jobs;
	struct ig_job_spec s[3];
	char dirs[3][256];
	int i;

	(void)state;
	jobs = start(4, 1, "");
	fake_block(1);
	for (i = 0; i < 3; i++) {
		make_spec(&s[i], "k");
		snprintf(dirs[i], sizeof(dirs[i]), "%s", s[i].run.dir.path);
	}
	assert_int_equal(ig_jobs_submit(jobs, s, 3, NULL), 0);
	wait_running(1);
	/* The grace period runs out at once: the running job is cancelled,
	 * the queued ones are stored as cancelled. */
	ig_jobs_stop(jobs, ig_time_mono_ms() + 100);
	for (i = 0; i < 3; i++) {
		wait_status(s[i].run_id, "cancelled");
		assert_int_equal(access(dirs[i], F_OK), -1);
	}
	assert_int_equal(fk.calls, 1);
}

static void
test_submit_after_stop_began(void **state)
{
	struct ig_jobs *jobs;

	(void)state;
	/* A stopped queue cannot be reached any more; the interesting case is
	 * the recovery of what a dead daemon left, below. */
	jobs = start(1, 1, "");
	ig_jobs_stop(jobs, ig_time_mono_ms());
	ig_jobs_stop(NULL, 0);
}

static void
test_recovery(void **state)
{
	struct ig_jobs *jobs;
	struct json_object *r = json_object_new_object(), *v, *e;
	char id[IG_RUN_ID_LEN + 1], done[IG_RUN_ID_LEN + 1];

	(void)state;
	assert_int_equal(ig_store_new_id(id, NULL), 0);
	json_object_object_add(r, "runId", json_object_new_string(id));
	json_object_object_add(r, "serviceName", json_object_new_string("adhoc"));
	json_object_object_add(r, "startedAt", json_object_new_string("2026-01-01T00:00:00.000Z"));
	json_object_object_add(r, "status", json_object_new_string("running"));
	assert_int_equal(ig_store_put(st, id, r, NULL), 0);
	json_object_object_add(r, "status", json_object_new_string("success"));
	assert_int_equal(ig_store_new_id(done, NULL), 0);
	json_object_object_add(r, "runId", json_object_new_string(done));
	assert_int_equal(ig_store_put(st, done, r, NULL), 0);
	json_object_put(r);
	jobs = start(1, 1, "");
	assert_string_equal(status_of(id, &r), "error");
	assert_true(json_object_object_get_ex(r, "error", &e));
	assert_true(json_object_object_get_ex(e, "code", &v));
	assert_string_equal(json_object_get_string(v), "interrupted");
	json_object_put(r);
	assert_string_equal(status_of(done, &r), "success");
	json_object_put(r);
	ig_jobs_stop(jobs, ig_time_mono_ms());
}

/* A one-shot HTTP receiver on loopback. */
struct recv1 {
	int fd, port, got;
	char req[8192];
	pthread_t t;
};

static void *
recv1_loop(void *arg)
{
	struct recv1 *rv = arg;
	int c = accept(rv->fd, NULL, NULL);
	size_t n = 0;
	const char *resp = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";

	if (c < 0)
		return NULL;
	for (;;) {
		ssize_t r = read(c, rv->req + n, sizeof(rv->req) - 1 - n);
		char *h;
		if (r <= 0)
			break;
		n += (size_t)r;
		rv->req[n] = '\0';
		if ((h = strstr(rv->req, "\r\n\r\n")) != NULL) {
			char *cl = strstr(rv->req, "Content-Length: ");
			if (cl != NULL && n >= (size_t)(h + 4 - rv->req) + (size_t)strtol(cl + 16, NULL, 10))
				break;
		}
	}
	rv->got = 1;
	if (write(c, resp, strlen(resp)) < 0) {
		/* gone */
	}
	close(c);
	return NULL;
}

static void
test_callback_recorded(void **state)
{
	struct ig_jobs *jobs;
	struct ig_job_spec s;
	struct recv1 rv;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct json_object *r = NULL, *c, *v;
	char url[64], sig[160], secret[IG_WEBHOOK_HEX_LEN + 1];
	const char *p, *body;
	int i, ok = 0;

	(void)state;
	memset(&rv, 0, sizeof(rv));
	rv.fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(rv.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(rv.fd, 4), 0);
	assert_int_equal(getsockname(rv.fd, (struct sockaddr *)&sa, &sl), 0);
	rv.port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&rv.t, NULL, recv1_loop, &rv), 0);

	jobs = start(4, 1, "127.0.0.0/8");
	make_spec(&s, "key9");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/done", rv.port);
	s.callback_url = strdup(url);
	assert_int_equal(ig_jobs_submit(jobs, &s, 1, NULL), 0);
	pthread_join(rv.t, NULL);
	close(rv.fd);
	assert_true(rv.got);
	/* The body is the final report, signed with key9's secret. */
	body = strstr(rv.req, "\r\n\r\n") + 4;
	assert_non_null(strstr(body, s.run_id));
	assert_non_null(strstr(body, "\"status\":\"success\""));
	p = strstr(rv.req, "X-Ignite-Signature: ");
	assert_non_null(p);
	snprintf(sig, sizeof(sig), "%.*s", (int)(strstr(p, "\r\n") - p - 20), p + 20);
	ig_jobs_key_secret(jobs, "key9", secret);
	assert_true(ig_webhook_verify(secret, sig, body, strlen(body), time(NULL), 300));
	/* The outcome lands in the stored report. */
	for (i = 0; i < 500 && !ok; i++) {
		if (ig_store_get(st, s.run_id, &r, NULL) == 0 && json_object_object_get_ex(r, "callback", &c) &&
		    json_object_object_get_ex(c, "delivered", &v))
			ok = json_object_get_boolean(v);
		json_object_put(r);
		r = NULL;
		if (!ok)
			usleep(10000);
	}
	assert_true(ok);
	ig_jobs_stop(jobs, ig_time_mono_ms() + 1000);
}

static void
test_batch_listing(void **state)
{
	struct ig_jobs *jobs;
	struct ig_job_spec s[4];
	struct json_object *list = NULL, *runs;
	int i;

	(void)state;
	jobs = start(8, 2, "");
	for (i = 0; i < 4; i++) {
		make_spec(&s[i], "k");
		json_object_object_add(s[i].extra, "batch", json_object_new_string(i < 3 ? "b1" : "b2"));
	}
	assert_int_equal(ig_jobs_submit(jobs, s, 3, NULL), 0);
	assert_int_equal(ig_jobs_submit(jobs, &s[3], 1, NULL), 0);
	for (i = 0; i < 4; i++)
		wait_status(s[i].run_id, "success");
	assert_int_equal(ig_store_list_filtered(st, NULL, "b1", 10, NULL, &list, NULL), 0);
	assert_true(json_object_object_get_ex(list, "runs", &runs));
	assert_int_equal(json_object_array_length(runs), 3);
	json_object_put(list);
	assert_int_equal(ig_store_list_filtered(st, NULL, "b1", 2, NULL, &list, NULL), 0);
	assert_true(json_object_object_get_ex(list, "runs", &runs));
	assert_int_equal(json_object_array_length(runs), 2);
	json_object_put(list);
	assert_int_equal(ig_store_list_filtered(st, "adhoc", "b2", 10, NULL, &list, NULL), 0);
	assert_true(json_object_object_get_ex(list, "runs", &runs));
	assert_int_equal(json_object_array_length(runs), 1);
	json_object_put(list);
	assert_int_equal(ig_store_list_filtered(st, "other", "b2", 10, NULL, &list, NULL), 0);
	assert_true(json_object_object_get_ex(list, "runs", &runs));
	assert_int_equal(json_object_array_length(runs), 0);
	json_object_put(list);
	ig_jobs_stop(jobs, ig_time_mono_ms() + 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queued_state_is_stored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_bound_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_queued, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotency_table_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_cancels_what_is_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_after_stop_began, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_listing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
