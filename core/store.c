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

/*
 * Two locks, taken in this order when both are held: lock guards the index,
 * dir_lock guards the directory fd and its identity. dir_lock is held only
 * for a stat comparison and a dup (or, rarely, a reopen), so reading one
 * report never waits behind a rescan of the whole directory.
 *
 * No operation uses dirfd itself outside dir_lock: each takes a private
 * duplicate (dir_acquire) and closes it when done, so replacing dirfd can
 * never close a descriptor another thread is still working with.
 */
struct ig_store {
	char            *dir;       /* the configured path, immutable */
	pthread_mutex_t  dir_lock;
	int              dirfd;     /* the directory dir named when last looked at */
	dev_t            dir_dev;   /* its identity */
	ino_t            dir_ino;
	unsigned long    dir_gen;   /* bumped each time dirfd is replaced */
	pthread_mutex_t  lock;
	struct run_entry *runs;     /* sorted newest first */
	size_t           n, cap;
	unsigned long    index_gen; /* the dir_gen the index mirrors */
	struct timespec  dir_mtime; /* directory mtime at the last scan */
	int              scanned;
};

/* Returns 1 if the n characters at s are all lowercase hex digits (a NUL
 * among them is not), 0 otherwise. */
static int
lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
ig_store_id_ok(const char *id)
{
	return id != NULL && lower_hex(id, IG_RUN_ID_LEN) && id[IG_RUN_ID_LEN] == '\0';
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

/* The suffix ig_fs_write_atomic gives its temporary file: the final name
 * with a leading dot, then ".tmp-" and 16 lowercase hex digits. */
#define TEMP_INFIX      ".json.tmp-"
#define TEMP_RND_LEN    16
#define TEMP_NAME_LEN   (1 + IG_RUN_ID_LEN + sizeof(TEMP_INFIX) - 1 + TEMP_RND_LEN)

/* Returns 1 if name is exactly a temporary run report,
 * ".<run id>.json.tmp-<16 hex>", 0 otherwise. Nothing else in the run
 * directory is ever taken for one: a name that merely looks close (another
 * file's temporary, an upper-case digit, a longer suffix) is not ours. */
static int
is_temp_report(const char *name)
{
	if (strlen(name) != TEMP_NAME_LEN || name[0] != '.')
		return 0;
	name++;
	if (!lower_hex(name, IG_RUN_ID_LEN))
		return 0;
	name += IG_RUN_ID_LEN;
	if (memcmp(name, TEMP_INFIX, sizeof(TEMP_INFIX) - 1) != 0)
		return 0;
	return lower_hex(name + sizeof(TEMP_INFIX) - 1, TEMP_RND_LEN);
}

/* Removes the temporary reports that a writer killed between creating and
 * renaming one (ig_fs_write_atomic) left in the directory dirfd. Only regular
 * files whose name is_temp_report() and whose last write is more than
 * IG_STORE_TEMP_STALE_S seconds before now go: a younger one may be a write
 * still in progress, here or in another process sharing the directory (the
 * CLI and the daemon do). Symlinks and anything else are left alone, and
 * the removal is relative to dirfd. Best effort: returns the number removed. */
static size_t
sweep_stale_temps(int dirfd, time_t now)
{
	struct dirent *de;
	struct stat sb;
	size_t removed = 0;
	DIR *d;
	int fd;

	/* A fresh open file description: a dup would share its directory
	 * offset with every other duplicate of the store's fd. */
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_temp_report(de->d_name))
			continue;
		if (fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
			continue;
		/* A clock stepped back makes the age negative: kept. */
		if (now - sb.st_mtim.tv_sec <= IG_STORE_TEMP_STALE_S)
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

/* Opens the run directory path and fills *sb with what it is. The same
 * for the first open and for a reopen, so a directory an operator puts back
 * meets the rules the one Ignite started with did. Returns the fd (the
 * caller closes it), or -1 with errno set. */
static int
open_runs_dir(const char *path, struct stat *sb)
{
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, sb) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
ig_store_open(const char *dir, struct ig_store **out, struct ig_err *err)
{
	struct ig_store *st;
	struct stat sb;

	if (mkdir_parents(dir, 0700) != 0) {
		ig_err_sys(err, IG_EIO, "%s: cannot create run directory", dir);
		return -1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->dir = strdup(dir)) == NULL) {
		free(st);
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	if ((st->dirfd = open_runs_dir(dir, &sb)) < 0) {
		ig_err_sys(err, IG_EIO, "run directory %s", dir);
		free(st->dir);
		free(st);
		return -1;
	}
	st->dir_dev = sb.st_dev;
	st->dir_ino = sb.st_ino;
	(void)sweep_stale_temps(st->dirfd, time(NULL));
	pthread_mutex_init(&st->dir_lock, NULL);
	pthread_mutex_init(&st->lock, NULL);
	*out = st;
	return 0;
}

/*
 * Returns a private fd (the caller closes it) on the directory the store's
 * path names now, and in *gen the generation of that directory.
 *
 * An operator may remove the run directory and put a new one in its place
 * while Ignite runs; the fd opened at start-up then holds a deleted
 * directory, and every report written through it would be lost. So each
 * operation stats the path once and compares it with the directory held:
 * comparing (st_dev, st_ino) is enough because the held directory stays
 * open, so its inode cannot be freed and its number cannot go to the new
 * one. A different directory is opened (open_runs_dir) and replaces the held
 * one, whose stale temporaries are then swept.
 *
 * When the path names no directory that can be opened, need_path decides:
 * 1 fails (IG_EIO, so a report is never written where nobody will look),
 * 0 goes on with the directory held (reads serve what is left in it).
 * Returns -1 with err on failure.
 */
static int
dir_acquire(struct ig_store *st, int need_path, unsigned long *gen, struct ig_err *err)
{
	struct stat sb, nsb;
	int path_errno = 0, fd, nfd, old = -1, swapped = 0;

	/* Outside the lock: a stale answer only costs a redundant open below. */
	if (stat(st->dir, &sb) != 0)
		path_errno = errno;
	else if (!S_ISDIR(sb.st_mode))
		path_errno = ENOTDIR;
	pthread_mutex_lock(&st->dir_lock);
	if (path_errno == 0 && (sb.st_dev != st->dir_dev || sb.st_ino != st->dir_ino)) {
		if ((nfd = open_runs_dir(st->dir, &nsb)) < 0) {
			path_errno = errno;
		} else if (nsb.st_dev == st->dir_dev && nsb.st_ino == st->dir_ino) {
			/* Another thread replaced it first, or the path
			 * moved back: what we hold is current. */
			close(nfd);
		} else {
			old = st->dirfd;
			st->dirfd = nfd;
			st->dir_dev = nsb.st_dev;
			st->dir_ino = nsb.st_ino;
			st->dir_gen++;
			swapped = 1;
		}
	}
	if (path_errno != 0 && need_path) {
		pthread_mutex_unlock(&st->dir_lock);
		errno = path_errno;
		ig_err_sys(err, IG_EIO, "run directory %s", st->dir);
		return -1;
	}
	fd = fcntl(st->dirfd, F_DUPFD_CLOEXEC, 0);
	*gen = st->dir_gen;
	pthread_mutex_unlock(&st->dir_lock);
	/* Only the store's own copy is closed: every thread works on a
	 * duplicate of its own. */
	if (old >= 0)
		close(old);
	if (fd < 0) {
		ig_err_sys(err, IG_EIO, "run directory %s", st->dir);
		return -1;
	}
	if (swapped)
		(void)sweep_stale_temps(fd, time(NULL));
	return fd;
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
	pthread_mutex_destroy(&st->dir_lock);
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

/* Adds to s under key a copy of v. Returns 0, or -1 when out of memory. */
static int
add_copy(struct json_object *s, const char *key, struct json_object *v)
{
	struct json_object *c = NULL;

	if (v != NULL && json_object_deep_copy(v, &c, NULL) != 0)
		return -1;
	json_object_object_add(s, key, c);
	return 0;
}

/* Builds the list summary of a full report. Returns a new reference or NULL.
 * The summary holds copies, never references into rep: rep may be the
 * caller's report, which it goes on changing and freeing without the store's
 * lock while other threads copy and free the index (json-c's reference
 * counts are not atomic). */
static struct json_object *
summarize(const char *id, struct json_object *rep)
{
	struct json_object *s = json_object_new_object(), *m = NULL, *v;
	static const char *const top[] = { "serviceName", "status", "startedAt", "finishedAt",
	    "runtime", "kind", "batch", "success" };
	static const char *const metrics[][2] = { { "executionTimeMs", "durationMs" },
	    { "exitCode", "exitCode" }, { "timedOut", "timedOut" }, { "oomKilled", "oomKilled" } };
	char url[64];
	size_t i;

	if (s == NULL)
		return NULL;
	json_object_object_add(s, "runId", json_object_new_string(id));
	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		if (json_object_object_get_ex(rep, top[i], &v) && add_copy(s, top[i], v) != 0)
			goto fail;
	if (json_object_object_get_ex(rep, "metrics", &m) && json_object_is_type(m, json_type_object)) {
		for (i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++)
			if (json_object_object_get_ex(m, metrics[i][0], &v) &&
			    add_copy(s, metrics[i][1], v) != 0)
				goto fail;
	}
	snprintf(url, sizeof(url), "/runs/%s", id);
	json_object_object_add(s, "reportUrl", json_object_new_string(url));
	return s;
fail:
	json_object_put(s);
	return NULL;
}

/* Reads and parses <id>.json beneath the run directory dirfd. */
static int
read_report(int dirfd, const char *id, struct json_object **out, struct ig_err *err)
{
	char name[IG_RUN_ID_LEN + 8];
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL;
	struct ig_buf b;
	int rc = -1;

	snprintf(name, sizeof(name), "%s.json", id);
	ig_buf_init(&b, IG_REPORT_MAX);
	if (ig_fs_read_beneath(dirfd, name, &b, err) != 0) {
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

/* Forgets every run in the index. Caller holds st->lock. */
static void
index_drop(struct ig_store *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		entry_clear(&st->runs[i]);
	st->n = 0;
	st->scanned = 0;
}

/* Brings the index up to date with the directory dirfd of generation gen
 * (from dir_acquire, called with st->lock held, so gen is never older than
 * the index). An index of an earlier directory is dropped and rebuilt from
 * this one. Caller holds st->lock. */
static int
rescan(struct ig_store *st, int dirfd, unsigned long gen, struct ig_err *err)
{
	struct stat dst, fst;
	struct dirent *de;
	DIR *d;
	int fd;
	size_t i, j;

	if (gen != st->index_gen) {
		index_drop(st);
		st->index_gen = gen;
	}
	if (fstat(dirfd, &dst) != 0) {
		ig_err_sys(err, IG_EIO, "%s", st->dir);
		return -1;
	}
	if (st->scanned && dst.st_mtim.tv_sec == st->dir_mtime.tv_sec &&
	    dst.st_mtim.tv_nsec == st->dir_mtime.tv_nsec)
		return 0;
	/* A fresh open file description, so the directory offset is ours. */
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		ig_err_sys(err, IG_EIO, "%s", st->dir);
		return -1;
	}
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
		if (!ig_store_id_ok(id) || fstatat(dirfd, de->d_name, &fst, AT_SYMLINK_NOFOLLOW) != 0 ||
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
		if (read_report(dirfd, id, &rep, NULL) != 0)
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

/* Keeps the in-memory index in step with a run this process just wrote
 * into dirfd (of generation gen), so the next listing does not have to
 * rescan the directory: when the directory changed only by our own write,
 * its new mtime is taken as scanned. A write into another directory than the
 * one indexed is left to the next rescan. */
static void
index_put(struct ig_store *st, int dirfd, unsigned long gen, const char *id, const char *name,
    struct json_object *rep, const struct timespec *pre)
{
	struct stat dst, fst;
	struct run_entry *e = NULL;
	bool only_ours;
	size_t i;

	pthread_mutex_lock(&st->lock);
	if (!st->scanned || gen != st->index_gen || fstat(dirfd, &dst) != 0 ||
	    fstatat(dirfd, name, &fst, AT_SYMLINK_NOFOLLOW) != 0)
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
	unsigned long gen;
	const char *text;
	size_t len;
	int dirfd;

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
	if ((dirfd = dir_acquire(st, 1, &gen, err)) < 0)
		return -1;
	if (fstat(dirfd, &before) != 0)
		memset(&before, 0, sizeof(before));
	if (ig_fs_write_atomic(dirfd, name, text, len, 0600, err) != 0) {
		ig_err_prefix(err, "run store %s", st->dir);
		close(dirfd);
		return -1;
	}
	index_put(st, dirfd, gen, id, name, report, &before.st_mtim);
	close(dirfd);
	return 0;
}

int
ig_store_get(struct ig_store *st, const char *id, struct json_object **out,
    struct ig_err *err)
{
	unsigned long gen;
	int dirfd, rc;

	if (!ig_store_id_ok(id)) {
		ig_err_set(err, IG_ENOENT, "run not found");
		return -1;
	}
	if ((dirfd = dir_acquire(st, 0, &gen, err)) < 0)
		return -1;
	rc = read_report(dirfd, id, out, err);
	close(dirfd);
	return rc;
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
	unsigned long gen;
	int rc = -1, dirfd, scan;

	if (limit == 0 || limit > 1000) {
		ig_err_set(err, IG_EINVAL, "limit must be between 1 and 1000");
		return -1;
	}
	if (before != NULL && !ig_store_id_ok(before)) {
		ig_err_set(err, IG_EINVAL, "before must be a run id");
		return -1;
	}
	pthread_mutex_lock(&st->lock);
	if ((dirfd = dir_acquire(st, 0, &gen, err)) < 0)
		goto out;
	scan = rescan(st, dirfd, gen, err);
	close(dirfd);
	if (scan != 0)
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
	unsigned long gen;
	size_t i, j;
	int deleted = 0, dirfd;

	pthread_mutex_lock(&st->lock);
	if ((dirfd = dir_acquire(st, 0, &gen, err)) < 0) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	if (rescan(st, dirfd, gen, err) != 0) {
		pthread_mutex_unlock(&st->lock);
		close(dirfd);
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
			if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
				deleted++;
			entry_clear(&st->runs[i]);
		} else {
			st->runs[j++] = st->runs[i];
		}
	}
	st->n = j;
	st->scanned = 0;   /* our own unlinks changed the directory */
	pthread_mutex_unlock(&st->lock);
	/* Temporaries are not in the index: swept without the lock. */
	(void)sweep_stale_temps(dirfd, now);
	close(dirfd);
	return deleted;
}
