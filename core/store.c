/* store.c — run reports on disk, one atomic JSON file per run. */
#include "store.h"
#include "buf.h"
#include "fs.h"
#include "bounds.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* One run in the in-memory index, which mirrors the directory. */
struct run_entry {
	char     id[IG_RUN_ID_LEN + 1];
	char    *service;
	char    *started;           /* ISO-8601, sorts chronologically as text */
	struct timespec mtime;      /* of the file when it was read */
	struct json_object *summary;
	int      seen;              /* mark for rescans */
};

struct ig_store {
	char            *dir;
	int              dirfd;
	pthread_mutex_t  lock;
	struct run_entry *runs;     /* sorted newest first */
	size_t           n, cap;
	struct timespec  dir_mtime; /* directory mtime at the last scan */
	int              scanned;
};

int
ig_store_id_ok(const char *id)
{
	size_t i;

	if (id == NULL)
		return 0;
	for (i = 0; i < IG_RUN_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[IG_RUN_ID_LEN] == '\0';
}

int
ig_store_new_id(char id[IG_RUN_ID_LEN + 1], struct ig_err *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[IG_RUN_ID_LEN / 2];
	size_t i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		ig_err_sys(err, IG_EIO, "getrandom");
		return -1;
	}
	for (i = 0; i < sizeof(rnd); i++) {
		id[2 * i] = hex[rnd[i] >> 4];
		id[2 * i + 1] = hex[rnd[i] & 15];
	}
	id[IG_RUN_ID_LEN] = '\0';
	return 0;
}

/* mkdir -p with mode for the last component. */
static int
mkdir_parents(const char *path, mode_t mode)
{
	char tmp[4096];
	size_t i, len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, path, len + 1);
	for (i = 1; i < len; i++) {
		if (tmp[i] != '/')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return -1;
		tmp[i] = '/';
	}
	if (mkdir(tmp, mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
ig_store_open(const char *dir, struct ig_store **out, struct ig_err *err)
{
	struct ig_store *st;

	if (mkdir_parents(dir, 0700) != 0) {
		ig_err_sys(err, IG_EIO, "%s: cannot create run directory", dir);
		return -1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->dir = strdup(dir)) == NULL) {
		free(st);
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	if ((st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ig_err_sys(err, IG_EIO, "%s", dir);
		free(st->dir);
		free(st);
		return -1;
	}
	pthread_mutex_init(&st->lock, NULL);
	*out = st;
	return 0;
}

static void
entry_clear(struct run_entry *e)
{
	free(e->service);
	free(e->started);
	json_object_put(e->summary);
	memset(e, 0, sizeof(*e));
}

void
ig_store_close(struct ig_store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n; i++)
		entry_clear(&st->runs[i]);
	free(st->runs);
	close(st->dirfd);
	pthread_mutex_destroy(&st->lock);
	free(st->dir);
	free(st);
}

const char *
ig_store_dir(const struct ig_store *st)
{
	return st->dir;
}

static const char *
get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Builds the list summary of a full report. Returns a new reference or NULL. */
static struct json_object *
summarize(const char *id, struct json_object *rep)
{
	struct json_object *s = json_object_new_object(), *m = NULL, *v;
	static const char *const top[] = { "serviceName", "status", "startedAt", "finishedAt",
	    "runtime", "kind", "batch" };
	char url[64];
	size_t i;

	if (s == NULL)
		return NULL;
	json_object_object_add(s, "runId", json_object_new_string(id));
	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		if (json_object_object_get_ex(rep, top[i], &v))
			json_object_object_add(s, top[i], json_object_get(v));
	if (json_object_object_get_ex(rep, "success", &v))
		json_object_object_add(s, "success", json_object_get(v));
	if (json_object_object_get_ex(rep, "metrics", &m) && json_object_is_type(m, json_type_object)) {
		if (json_object_object_get_ex(m, "executionTimeMs", &v))
			json_object_object_add(s, "durationMs", json_object_get(v));
		if (json_object_object_get_ex(m, "exitCode", &v))
			json_object_object_add(s, "exitCode", json_object_get(v));
		if (json_object_object_get_ex(m, "timedOut", &v))
			json_object_object_add(s, "timedOut", json_object_get(v));
		if (json_object_object_get_ex(m, "oomKilled", &v))
			json_object_object_add(s, "oomKilled", json_object_get(v));
	}
	snprintf(url, sizeof(url), "/runs/%s", id);
	json_object_object_add(s, "reportUrl", json_object_new_string(url));
	return s;
}

/* Reads and parses <id>.json beneath the store directory. */
static int
read_report(struct ig_store *st, const char *id, struct json_object **out, struct ig_err *err)
{
	char name[IG_RUN_ID_LEN + 8];
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL;
	struct ig_buf b;
	int rc = -1;

	snprintf(name, sizeof(name), "%s.json", id);
	ig_buf_init(&b, IG_REPORT_MAX);
	if (ig_fs_read_beneath(st->dirfd, name, &b, err) != 0) {
		if (err != NULL && err->code == IG_ENOENT)
			ig_err_set(err, IG_ENOENT, "run %s not found", id);
		goto out;
	}
	if ((tok = json_tokener_new_ex(IG_JSON_MAX_DEPTH)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	o = json_tokener_parse_ex(tok, b.data ? b.data : "", (int)b.len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		ig_err_set(err, IG_EIO, "run %s: stored report is corrupt", id);
		json_object_put(o);
		o = NULL;
		goto out;
	}
	*out = o;
	rc = 0;
out:
	if (tok != NULL)
		json_tokener_free(tok);
	ig_buf_free(&b);
	return rc;
}

static int
newer_first(const void *a, const void *b)
{
	const struct run_entry *x = a, *y = b;
	int c = strcmp(y->started ? y->started : "", x->started ? x->started : "");

	return c != 0 ? c : strcmp(y->id, x->id);
}

/* Brings the index up to date with the directory. Caller holds st->lock. */
static int
rescan(struct ig_store *st, struct ig_err *err)
{
	struct stat dst, fst;
	struct dirent *de;
	DIR *d;
	int fd;
	size_t i, j;

	if (fstat(st->dirfd, &dst) != 0) {
		ig_err_sys(err, IG_EIO, "%s", st->dir);
		return -1;
	}
	if (st->scanned && dst.st_mtim.tv_sec == st->dir_mtime.tv_sec &&
	    dst.st_mtim.tv_nsec == st->dir_mtime.tv_nsec)
		return 0;
	if ((fd = dup(st->dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		ig_err_sys(err, IG_EIO, "%s", st->dir);
		return -1;
	}
	rewinddir(d);
	for (i = 0; i < st->n; i++)
		st->runs[i].seen = 0;
	while ((de = readdir(d)) != NULL) {
		char id[IG_RUN_ID_LEN + 1];
		struct json_object *rep = NULL;
		struct run_entry *e = NULL;
		const char *svc, *started;

		if (strlen(de->d_name) != IG_RUN_ID_LEN + 5 ||
		    strcmp(de->d_name + IG_RUN_ID_LEN, ".json") != 0)
			continue;
		memcpy(id, de->d_name, IG_RUN_ID_LEN);
		id[IG_RUN_ID_LEN] = '\0';
		if (!ig_store_id_ok(id) || fstatat(st->dirfd, de->d_name, &fst, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(fst.st_mode))
			continue;
		for (i = 0; i < st->n; i++)
			if (strcmp(st->runs[i].id, id) == 0) {
				e = &st->runs[i];
				break;
			}
		if (e != NULL && e->mtime.tv_sec == fst.st_mtim.tv_sec &&
		    e->mtime.tv_nsec == fst.st_mtim.tv_nsec) {
			e->seen = 1;
			continue;
		}
		if (read_report(st, id, &rep, NULL) != 0)
			continue;   /* unreadable or corrupt runs are not listed */
		if (e == NULL) {
			if (st->n == st->cap) {
				size_t ncap = st->cap ? st->cap * 2 : 64;
				struct run_entry *nr = realloc(st->runs, ncap * sizeof(*nr));
				if (nr == NULL) {
					json_object_put(rep);
					continue;
				}
				st->runs = nr;
				st->cap = ncap;
			}
			e = &st->runs[st->n++];
			memset(e, 0, sizeof(*e));
		} else {
			entry_clear(e);
		}
		memcpy(e->id, id, sizeof(e->id));
		svc = get_str(rep, "serviceName");
		started = get_str(rep, "startedAt");
		e->service = strdup(svc ? svc : "");
		e->started = strdup(started ? started : "");
		e->summary = summarize(id, rep);
		e->mtime = fst.st_mtim;
		e->seen = 1;
		json_object_put(rep);
	}
	closedir(d);
	for (i = 0, j = 0; i < st->n; i++) {
		if (st->runs[i].seen && st->runs[i].summary != NULL)
			st->runs[j++] = st->runs[i];
		else
			entry_clear(&st->runs[i]);
	}
	st->n = j;
	if (st->n > 1)
		qsort(st->runs, st->n, sizeof(*st->runs), newer_first);
	st->dir_mtime = dst.st_mtim;
	st->scanned = 1;
	return 0;
}

/* Keeps the in-memory index in step with a run this process just wrote, so
 * the next listing does not have to rescan the directory: when the directory
 * changed only by our own write, its new mtime is taken as scanned. */
static void
index_put(struct ig_store *st, const char *id, const char *name, struct json_object *rep,
    const struct timespec *pre)
{
	struct stat dst, fst;
	struct run_entry *e = NULL;
	bool only_ours;
	size_t i;

	pthread_mutex_lock(&st->lock);
	if (!st->scanned || fstat(st->dirfd, &dst) != 0 ||
	    fstatat(st->dirfd, name, &fst, AT_SYMLINK_NOFOLLOW) != 0)
		goto out;
	for (i = 0; i < st->n; i++)
		if (strcmp(st->runs[i].id, id) == 0)
			e = &st->runs[i];
	if (e == NULL) {
		if (st->n == st->cap) {
			size_t ncap = st->cap ? st->cap * 2 : 64;
			struct run_entry *nr = realloc(st->runs, ncap * sizeof(*nr));
			if (nr == NULL) {
				st->scanned = 0;
				goto out;
			}
			st->runs = nr;
			st->cap = ncap;
		}
		e = &st->runs[st->n++];
		memset(e, 0, sizeof(*e));
	} else {
		entry_clear(e);
	}
	memcpy(e->id, id, sizeof(e->id));
	e->service = strdup(get_str(rep, "serviceName"));
	e->started = strdup(get_str(rep, "startedAt"));
	e->summary = summarize(id, rep);
	e->mtime = fst.st_mtim;
	e->seen = 1;
	if (e->service == NULL || e->started == NULL || e->summary == NULL) {
		st->scanned = 0;
		goto out;
	}
	if (st->n > 1)
		qsort(st->runs, st->n, sizeof(*st->runs), newer_first);
	/* Trust the directory's new mtime only if nothing else had changed it
	 * since our last look: then the change is this write. */
	only_ours = pre->tv_sec == st->dir_mtime.tv_sec && pre->tv_nsec == st->dir_mtime.tv_nsec;
	if (only_ours)
		st->dir_mtime = dst.st_mtim;
	else
		st->scanned = 0;
out:
	pthread_mutex_unlock(&st->lock);
}

int
ig_store_put(struct ig_store *st, const char *id, struct json_object *report,
    struct ig_err *err)
{
	char name[IG_RUN_ID_LEN + 8];
	struct stat before;
	const char *text;
	size_t len;

	if (!ig_store_id_ok(id)) {
		ig_err_set(err, IG_EINVAL, "invalid run id");
		return -1;
	}
	if (get_str(report, "serviceName") == NULL || get_str(report, "startedAt") == NULL) {
		ig_err_set(err, IG_EINTERNAL, "run %s: report lacks serviceName or startedAt", id);
		return -1;
	}
	text = json_object_to_json_string_length(report, JSON_C_TO_STRING_PLAIN, &len);
	if (text == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	if (len > IG_REPORT_MAX) {
		ig_err_set(err, IG_ETOOBIG, "run %s: report exceeds %d bytes", id, IG_REPORT_MAX);
		return -1;
	}
	snprintf(name, sizeof(name), "%s.json", id);
	if (fstat(st->dirfd, &before) != 0)
		memset(&before, 0, sizeof(before));
	if (ig_fs_write_atomic(st->dirfd, name, text, len, 0600, err) != 0) {
		ig_err_prefix(err, "run store %s", st->dir);
		return -1;
	}
	index_put(st, id, name, report, &before.st_mtim);
	return 0;
}

int
ig_store_get(struct ig_store *st, const char *id, struct json_object **out,
    struct ig_err *err)
{
	if (!ig_store_id_ok(id)) {
		ig_err_set(err, IG_ENOENT, "run not found");
		return -1;
	}
	return read_report(st, id, out, err);
}

/* True if run e passes the listing filters (NULL: any). */
static int
list_match(const struct run_entry *e, const char *service, const char *batch)
{
	const char *b;

	if (service != NULL && strcmp(e->service, service) != 0)
		return 0;
	if (batch != NULL && ((b = get_str(e->summary, "batch")) == NULL || strcmp(b, batch) != 0))
		return 0;
	return 1;
}

int
ig_store_list(struct ig_store *st, const char *service, size_t limit,
    const char *before, struct json_object **out, struct ig_err *err)
{
	return ig_store_list_filtered(st, service, NULL, limit, before, out, err);
}

int
ig_store_list_filtered(struct ig_store *st, const char *service, const char *batch,
    size_t limit, const char *before, struct json_object **out, struct ig_err *err)
{
	struct json_object *res = NULL, *arr = NULL;
	size_t i, start = 0, taken = 0;
	int rc = -1;

	if (limit == 0 || limit > 1000) {
		ig_err_set(err, IG_EINVAL, "limit must be between 1 and 1000");
		return -1;
	}
	if (before != NULL && !ig_store_id_ok(before)) {
		ig_err_set(err, IG_EINVAL, "before must be a run id");
		return -1;
	}
	pthread_mutex_lock(&st->lock);
	if (rescan(st, err) != 0)
		goto out;
	if (before != NULL) {
		for (i = 0; i < st->n; i++)
			if (strcmp(st->runs[i].id, before) == 0)
				break;
		start = i < st->n ? i + 1 : st->n;
	}
	res = json_object_new_object();
	arr = json_object_new_array();
	if (res == NULL || arr == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		json_object_put(arr);
		goto out;
	}
	json_object_object_add(res, "runs", arr);
	for (i = start; i < st->n; i++) {
		if (!list_match(&st->runs[i], service, batch))
			continue;
		if (taken == limit)
			break;
		/* A copy, never a shared reference: json-c's reference counts are
		 * not atomic, and the caller serialises and frees the answer
		 * without the store's lock while other threads do the same. */
		{
			struct json_object *copy = NULL;
			if (json_object_deep_copy(st->runs[i].summary, &copy, NULL) != 0) {
				ig_err_set(err, IG_ENOMEM, "out of memory");
				json_object_put(res);
				res = NULL;
				goto out;
			}
			json_object_array_add(arr, copy);
		}
		taken++;
	}
	/* There is a next page only if another matching run follows. */
	for (; i < st->n; i++)
		if (list_match(&st->runs[i], service, batch))
			break;
	if (i < st->n && taken > 0) {
		struct json_object *last = json_object_array_get_idx(arr, taken - 1);
		json_object_object_add(res, "next", json_object_new_string(get_str(last, "runId")));
	} else {
		json_object_object_add(res, "next", NULL);
	}
	*out = res;
	res = NULL;
	rc = 0;
out:
	pthread_mutex_unlock(&st->lock);
	json_object_put(res);
	return rc;
}

int
ig_store_prune(struct ig_store *st, size_t keep_max, time_t max_age_s, struct ig_err *err)
{
	char name[IG_RUN_ID_LEN + 8];
	time_t now = time(NULL);
	size_t i, j;
	int deleted = 0;

	pthread_mutex_lock(&st->lock);
	if (rescan(st, err) != 0) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	for (i = 0, j = 0; i < st->n; i++) {
		int drop = (keep_max > 0 && i >= keep_max) ||
		    (max_age_s > 0 && st->runs[i].mtime.tv_sec + max_age_s < now);
		const char *status = get_str(st->runs[i].summary, "status");

		/* Never prune a run that has not finished yet. */
		if (drop && status != NULL && (strcmp(status, "running") == 0 || strcmp(status, "queued") == 0))
			drop = 0;
		if (drop) {
			snprintf(name, sizeof(name), "%s.json", st->runs[i].id);
			if (unlinkat(st->dirfd, name, 0) == 0 || errno == ENOENT)
				deleted++;
			entry_clear(&st->runs[i]);
		} else {
			st->runs[j++] = st->runs[i];
		}
	}
	st->n = j;
	st->scanned = 0;   /* our own unlinks changed the directory */
	pthread_mutex_unlock(&st->lock);
	return deleted;
}
