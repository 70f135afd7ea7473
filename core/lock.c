/* lock.c — ignite.lock: compute, write, load and compare. */
#include "lock.h"
#include "buf.h"
#include "fs.h"
#include "bounds.h"
#include "yamldoc.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Canonical order: how they are hashed, written and compared. */
static const char *const hashed_files[] = {
	"package.json",
	"package-lock.json",
	"npm-shrinkwrap.json",
	"yarn.lock",
	"pnpm-lock.yaml",
	"bun.lock",
	"bun.lockb",
	"deno.lock",
};
#define N_HASHED (sizeof(hashed_files) / sizeof(hashed_files[0]))

static int
file_rank(const char *name)
{
	size_t i;

	for (i = 0; i < N_HASHED; i++)
		if (strcmp(hashed_files[i], name) == 0)
			return (int)i;
	return -1;
}

/* ---- value rules ------------------------------------------------------- */

/* Runtime and image strings are written double-quoted without escapes, so
 * they are limited to printable ASCII other than '"' and '\\'. */
static const char *
check_lock_string(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			return "must be printable ASCII without quotes or backslashes";
	}
	return NULL;
}

static const char *
check_file_name(const char *s, size_t len)
{
	(void)len;
	if (file_rank(s) < 0)
		return "is not a file Ignite hashes (package.json, package-lock.json, "
		    "npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, bun.lock, bun.lockb, deno.lock)";
	return NULL;
}

static const char *
check_sha256(const char *s, size_t len)
{
	size_t i;

	if (len != 64)
		return "must be a SHA-256 digest (64 lowercase hex digits)";
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return "must be a SHA-256 digest (64 lowercase hex digits)";
	return NULL;
}

#define LK(m) offsetof(struct ig_lock, m)

static const struct ig_yfield root_fields[] = {
	{ .key = "lockfileVersion", .type = IG_YT_INT, .flags = IG_YF_REQUIRED,
	  .offset = LK(version) },
	{ .key = "runtime", .type = IG_YT_STRING, .flags = IG_YF_REQUIRED, .offset = LK(runtime),
	  .max_len = IG_LOCK_STRING_MAX, .check = check_lock_string },
	{ .key = "image", .type = IG_YT_STRING, .offset = LK(image),
	  .max_len = IG_LOCK_STRING_MAX, .check = check_lock_string },
	{ .key = "sha256", .type = IG_YT_SCALAR_MAP, .offset = LK(files), .count_offset = LK(files_n),
	  .max_items = N_HASHED, .max_len = 64, .check_key = check_file_name,
	  .check = check_sha256, .elem_size = sizeof(struct ig_lock_entry),
	  .elem_key_offset = offsetof(struct ig_lock_entry, name),
	  .elem_value_offset = offsetof(struct ig_lock_entry, sha256) },
	{ .key = NULL },
};

void
ig_lock_free(struct ig_lock *lock)
{
	if (lock == NULL)
		return;
	ig_ydoc_release(root_fields, lock);
	free(lock);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct ig_lock_entry *x = a, *y = b;

	return file_rank(x->name) - file_rank(y->name);
}

/* ---- computing --------------------------------------------------------- */

/* Hashes the regular file name beneath dirfd into hex (65 bytes), reading
 * in chunks so a large lockfile is never held in memory. */
static int
hash_file(int dirfd, const char *name, char *hex, struct ig_err *err)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char chunk[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx = NULL;
	struct stat st;
	size_t total = 0;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = ig_fs_open_beneath(dirfd, name, O_RDONLY | O_NOCTTY | O_NONBLOCK, err)) < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		ig_err_sys(err, IG_EIO, "%s", name);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ig_err_set(err, IG_EPERM, "%s: not a regular file", name);
		goto out;
	}
	if ((unsigned long long)st.st_size > IG_HASHED_FILE_MAX) {
		ig_err_set(err, IG_ETOOBIG, "%s: larger than %d bytes", name, IG_HASHED_FILE_MAX);
		goto out;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		ig_err_set(err, IG_ENOMEM, "%s: cannot start SHA-256", name);
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ig_err_sys(err, IG_EIO, "%s", name);
			goto out;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > IG_HASHED_FILE_MAX) {
			/* It grew while being read. */
			ig_err_set(err, IG_ETOOBIG, "%s: larger than %d bytes", name, IG_HASHED_FILE_MAX);
			goto out;
		}
		if (EVP_DigestUpdate(ctx, chunk, (size_t)n) != 1) {
			ig_err_set(err, IG_EINTERNAL, "%s: SHA-256 failed", name);
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
		ig_err_set(err, IG_EINTERNAL, "%s: SHA-256 failed", name);
		goto out;
	}
	for (i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * mdlen] = '\0';
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return rc;
}

static int
valid_arg(const char *what, const char *s, struct ig_err *err)
{
	size_t len = strlen(s);
	const char *why = check_lock_string(s, len);

	if (len == 0 || len > IG_LOCK_STRING_MAX)
		why = "must be 1 to 256 bytes long";
	if (why != NULL) {
		ig_err_set(err, IG_EINVAL, "ignite.lock: %s %s", what, why);
		return -1;
	}
	return 0;
}

int
ig_lock_compute(const char *dir, const char *runtime, const char *image,
    struct ig_lock **out, struct ig_err *err)
{
	struct ig_lock *lock = NULL;
	char hex[65];
	struct stat st;
	size_t i;
	int dirfd = -1, rc = -1;

	*out = NULL;
	if (runtime == NULL) {
		ig_err_set(err, IG_EINVAL, "ignite.lock: a runtime is required");
		return -1;
	}
	if (valid_arg("runtime", runtime, err) != 0)
		return -1;
	if (image != NULL && *image == '\0')
		image = NULL;
	if (image != NULL && valid_arg("image", image, err) != 0)
		return -1;
	if ((dirfd = ig_fs_open_dir(dir, err)) < 0)
		return -1;
	if ((lock = calloc(1, sizeof(*lock))) == NULL ||
	    (lock->files = calloc(N_HASHED, sizeof(*lock->files))) == NULL ||
	    (lock->runtime = strdup(runtime)) == NULL ||
	    (image != NULL && (lock->image = strdup(image)) == NULL)) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	lock->version = IG_LOCK_VERSION;
	for (i = 0; i < N_HASHED; i++) {
		const char *name = hashed_files[i];
		struct ig_lock_entry *e;

		/* Present means present as a name, even as a symlink: one that
		 * escapes must fail the lock, not vanish from it. */
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT)
				continue;
			ig_err_sys(err, IG_EIO, "%s", name);
			goto out;
		}
		if (hash_file(dirfd, name, hex, err) != 0)
			goto out;
		e = &lock->files[lock->files_n];
		if ((e->name = strdup(name)) == NULL || (e->sha256 = strdup(hex)) == NULL) {
			lock->files_n++;
			ig_err_set(err, IG_ENOMEM, "out of memory");
			goto out;
		}
		lock->files_n++;
	}
	*out = lock;
	lock = NULL;
	rc = 0;
out:
	if (rc != 0 && err != NULL && err->code != IG_ENOMEM)
		ig_err_prefix(err, "%s", dir);
	if (dirfd >= 0)
		close(dirfd);
	ig_lock_free(lock);
	return rc;
}

/* ---- text -------------------------------------------------------------- */

char *
ig_lock_to_yaml(const struct ig_lock *lock, size_t *len, struct ig_err *err)
{
	struct ig_buf b;
	char *text;
	int bad = 0;
	size_t i;

	if (lock->runtime == NULL) {
		ig_err_set(err, IG_EINVAL, "ignite.lock: a runtime is required");
		return NULL;
	}
	if (valid_arg("runtime", lock->runtime, err) != 0 ||
	    (lock->image != NULL && valid_arg("image", lock->image, err) != 0))
		return NULL;
	for (i = 0; i < lock->files_n; i++) {
		const struct ig_lock_entry *e = &lock->files[i];

		if (e->name == NULL || e->sha256 == NULL || file_rank(e->name) < 0 ||
		    check_sha256(e->sha256, strlen(e->sha256)) != NULL) {
			ig_err_set(err, IG_EINVAL, "ignite.lock: invalid file entry %zu", i);
			return NULL;
		}
	}
	ig_buf_init(&b, IG_YAML_MAX_BYTES);
	bad |= ig_buf_puts(&b,
	    "# ignite.lock: the runtime and dependency files this service was checked with.\n"
	    "# Written by `ignite lock --update`; `ignite lock --check` reports any drift.\n");
	bad |= ig_buf_printf(&b, "lockfileVersion: %d\n", IG_LOCK_VERSION);
	bad |= ig_buf_printf(&b, "runtime: \"%s\"\n", lock->runtime);
	if (lock->image != NULL)
		bad |= ig_buf_printf(&b, "image: \"%s\"\n", lock->image);
	if (lock->files_n == 0)
		bad |= ig_buf_puts(&b, "sha256: {}\n");
	else
		bad |= ig_buf_puts(&b, "sha256:\n");
	for (i = 0; i < lock->files_n; i++)
		bad |= ig_buf_printf(&b, "  \"%s\": \"%s\"\n", lock->files[i].name,
		    lock->files[i].sha256);
	if (bad) {
		ig_buf_free(&b);
		ig_err_set(err, IG_ENOMEM, "ignite.lock: out of memory");
		return NULL;
	}
	if (len != NULL)
		*len = b.len;
	text = ig_buf_steal(&b);
	return text;
}

int
ig_lock_write(const char *dir, const struct ig_lock *lock, struct ig_err *err)
{
	char *text;
	size_t len = 0;
	int dirfd, rc;

	if ((text = ig_lock_to_yaml(lock, &len, err)) == NULL)
		return -1;
	if ((dirfd = ig_fs_open_dir(dir, err)) < 0) {
		free(text);
		return -1;
	}
	rc = ig_fs_write_atomic(dirfd, IG_LOCK_FILE, text, len, 0644, err);
	if (rc != 0)
		ig_err_prefix(err, "%s", dir);
	close(dirfd);
	free(text);
	return rc;
}

int
ig_lock_parse(const char *text, size_t len, const char *file,
    struct ig_lock **out, struct ig_diags *diags, struct ig_err *err)
{
	struct ig_lock *lock = NULL;
	struct ig_ydoc *doc = NULL;
	const struct ig_ynode *vn;
	long long v;
	size_t problems;
	int rc = -1;

	*out = NULL;
	if (file == NULL)
		file = IG_LOCK_FILE;
	if ((lock = calloc(1, sizeof(*lock))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	if (ig_ydoc_parse(text, len, file, &doc, diags, err) != 0)
		goto out;
	problems = ig_ydoc_apply(doc->root, root_fields, "", 0, file, lock, diags);
	vn = ig_ynode_get(doc->root, "lockfileVersion");
	if (vn != NULL && ig_ynode_int(vn, &v) == 0 && v != IG_LOCK_VERSION) {
		ig_diags_add(diags, file, vn->line, "lockfileVersion %lld is not supported "
		    "(this Ignite reads version %d; run `ignite lock --update`)", v, IG_LOCK_VERSION);
		problems++;
	}
	if (problems > 0) {
		ig_err_set(err, IG_EINVAL, "%s: invalid lock file (%zu problem%s)", file, problems,
		    problems == 1 ? "" : "s");
		goto out;
	}
	if (lock->files_n > 1)
		qsort(lock->files, lock->files_n, sizeof(*lock->files), entry_cmp);
	*out = lock;
	lock = NULL;
	rc = 0;
out:
	ig_ydoc_free(doc);
	ig_lock_free(lock);
	return rc;
}

int
ig_lock_load(const char *dir, struct ig_lock **out,
    struct ig_diags *diags, struct ig_err *err)
{
	struct ig_buf text;
	int dirfd, rc = -1;

	*out = NULL;
	if ((dirfd = ig_fs_open_dir(dir, err)) < 0)
		return -1;
	ig_buf_init(&text, IG_YAML_MAX_BYTES);
	if (ig_fs_read_beneath(dirfd, IG_LOCK_FILE, &text, err) != 0) {
		if (err != NULL && err->code == IG_ETOOBIG) {
			ig_diags_add(diags, IG_LOCK_FILE, 0, "file is larger than %d bytes",
			    IG_YAML_MAX_BYTES);
			ig_err_set(err, IG_EINVAL, "%s: invalid lock file (1 problem)", IG_LOCK_FILE);
		} else {
			ig_err_prefix(err, "%s", dir);
		}
		goto out;
	}
	rc = ig_lock_parse(text.data ? text.data : "", text.len, IG_LOCK_FILE, out, diags, err);
out:
	close(dirfd);
	ig_buf_free(&text);
	return rc;
}

/* ---- drift ------------------------------------------------------------- */

static const struct ig_lock_entry *
find_entry(const struct ig_lock *lock, const char *name)
{
	size_t i;

	for (i = 0; i < lock->files_n; i++)
		if (lock->files[i].name != NULL && strcmp(lock->files[i].name, name) == 0)
			return &lock->files[i];
	return NULL;
}

static int
drift_add(struct ig_lock_drift *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
drift_add(struct ig_lock_drift *d, const char *fmt, ...)
{
	char **nv, *line = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((nv = reallocarray(d->v, d->n + 1, sizeof(*nv))) == NULL) {
		free(line);
		return -1;
	}
	d->v = nv;
	d->v[d->n++] = line;
	return 0;
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
ig_lock_diff(const struct ig_lock *locked, const struct ig_lock *current,
    struct ig_lock_drift *out, struct ig_err *err)
{
	size_t i;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (!str_eq(locked->runtime, current->runtime))
		r |= drift_add(out, "runtime: %s \u2192 %s",
		    locked->runtime ? locked->runtime : "(none)",
		    current->runtime ? current->runtime : "(none)");
	if (!str_eq(locked->image, current->image))
		r |= drift_add(out, "image: %s \u2192 %s",
		    locked->image ? locked->image : "(none)",
		    current->image ? current->image : "(none)");
	for (i = 0; i < N_HASHED; i++) {
		const struct ig_lock_entry *a = find_entry(locked, hashed_files[i]);
		const struct ig_lock_entry *b = find_entry(current, hashed_files[i]);

		if (a == NULL && b == NULL)
			continue;
		if (a == NULL)
			r |= drift_add(out, "%s: added", hashed_files[i]);
		else if (b == NULL)
			r |= drift_add(out, "%s: removed", hashed_files[i]);
		else if (!str_eq(a->sha256, b->sha256))
			r |= drift_add(out, "%s: sha256 changed (%.8s\u2026 \u2192 %.8s\u2026)",
			    hashed_files[i], a->sha256 ? a->sha256 : "", b->sha256 ? b->sha256 : "");
	}
	if (r != 0) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	return 0;
}

void
ig_lock_drift_free(struct ig_lock_drift *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

/* ---- JSON -------------------------------------------------------------- */

struct json_object *
ig_lock_to_json(const struct ig_lock *lock)
{
	struct json_object *root = json_object_new_object();
	struct json_object *files = json_object_new_object();
	bool ok = root != NULL && files != NULL;
	size_t i;

	if (ok)
		ok = json_object_object_add(root, "lockfileVersion",
		    json_object_new_int64(lock->version)) == 0 &&
		    json_object_object_add(root, "runtime",
		    json_object_new_string(lock->runtime ? lock->runtime : "")) == 0 &&
		    json_object_object_add(root, "image",
		    lock->image ? json_object_new_string(lock->image) : NULL) == 0;
	for (i = 0; ok && i < lock->files_n; i++)
		ok = json_object_object_add(files, lock->files[i].name,
		    json_object_new_string(lock->files[i].sha256)) == 0;
	if (ok && json_object_object_add(root, "sha256", files) == 0)
		files = NULL;
	else
		ok = false;
	json_object_put(files);
	if (!ok) {
		json_object_put(root);
		return NULL;
	}
	return root;
}
