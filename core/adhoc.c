/* adhoc.c — code sent in a request: validated, written where only Ignite
 * can write, run as an in-memory service, deleted afterwards. */
#include "adhoc.h"
#include "docker.h"
#include "fs.h"
#include "bounds.h"
#include "policy.h"
#include "preflight.h"
#include "runtime.h"
#include "service.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COMPONENT_MAX 255            /* NAME_MAX of the host filesystem */

void
ig_adhoc_profile_defaults(struct ig_adhoc_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->runtimes = IG_ADHOC_RUNTIMES_DEFAULT;
	p->max_memory_mb = IG_ADHOC_MAX_MEMORY_MB_DEFAULT;
	p->max_cpu = IG_ADHOC_MAX_CPUS_DEFAULT;
	p->max_timeout_ms = IG_ADHOC_MAX_TIMEOUT_MS_DEFAULT;
	p->max_files = IG_ADHOC_FILES_DEFAULT;
	p->max_total_bytes = IG_ADHOC_TOTAL_BYTES_DEFAULT;
	p->max_file_bytes = IG_ADHOC_FILE_BYTES_DEFAULT;
	p->max_depth = IG_ADHOC_DEPTH_DEFAULT;
}

/* ---- errors that name their field ----------------------------------------- */

/* `files["name"]` with the name made printable and cut, into out. */
static void
file_field(const char *name, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[IG_ADHOC_FIELD_MAX];
	size_t i, o = 0, keep = outlen < sizeof(tmp) ? outlen : sizeof(tmp);

	/* room for files[" … "] and a trailing "..." */
	keep = keep > 20 ? keep - 20 : 0;
	for (i = 0; name[i] != '\0' && o < keep; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			tmp[o++] = (char)c;
		} else if (o + 4 <= keep) {
			tmp[o++] = '\\';
			tmp[o++] = 'x';
			tmp[o++] = hex[c >> 4];
			tmp[o++] = hex[c & 15];
		} else {
			break;
		}
	}
	tmp[o] = '\0';
	snprintf(out, outlen, "files[\"%s%s\"]", tmp, name[i] != '\0' ? "..." : "");
}

/* Sets field and err ("<field>: <message>"); returns -1. */
static int
fail(struct ig_err *err, char *field, size_t fieldlen, int code, const char *which,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int
fail(struct ig_err *err, char *field, size_t fieldlen, int code, const char *which,
    const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (field != NULL && fieldlen > 0)
		snprintf(field, fieldlen, "%s", which);
	if (which[0] != '\0')
		ig_err_set(err, code, "%s: %s", which, msg);
	else
		ig_err_set(err, code, "%s", msg);
	return -1;
}

/* ---- the files ---------------------------------------------------------- */

void
ig_adhoc_files_free(struct ig_adhoc_files *fs)
{
	size_t i;

	if (fs == NULL)
		return;
	for (i = 0; i < fs->n; i++) {
		free(fs->v[i].name);
		free(fs->v[i].data);
	}
	free(fs->v);
	memset(fs, 0, sizeof(*fs));
}

/* True if `dir` names a directory on the way to `path` ("a/b" of "a/b/c"). */
static bool
is_parent(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	return strncmp(dir, path, n) == 0 && path[n] == '/';
}

int
ig_adhoc_files_add(struct ig_adhoc_files *fs, const struct ig_adhoc_profile *p,
    const char *name, const void *data, size_t len, bool base64,
    char *field, size_t fieldlen, struct ig_err *err)
{
	char which[IG_ADHOC_FIELD_MAX];
	const char *c, *seg;
	size_t depth = 0, i, nlen;
	struct ig_adhoc_file f;

	if (name == NULL)
		name = "";
	file_field(name, which, sizeof(which));
	if (fs->n >= p->max_files)
		return fail(err, field, fieldlen, IG_ETOOBIG, "files",
		    "more than %zu files (the sandbox limit)", p->max_files);
	nlen = strlen(name);
	if (nlen == 0)
		return fail(err, field, fieldlen, IG_EINVAL, which, "a file name must not be empty");
	if (nlen > IG_ADHOC_NAME_MAX)
		return fail(err, field, fieldlen, IG_EINVAL, which,
		    "file name longer than %d bytes", IG_ADHOC_NAME_MAX);
	if (name[0] == '/')
		return fail(err, field, fieldlen, IG_EINVAL, which,
		    "must be a relative path, not an absolute one");
	if (!ig_fs_relpath_ok(name)) {
		for (seg = name; seg != NULL; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL)
			if (strncmp(seg, "..", 2) == 0 && (seg[2] == '/' || seg[2] == '\0'))
				return fail(err, field, fieldlen, IG_EINVAL, which,
				    "must not contain \"..\" components");
		return fail(err, field, fieldlen, IG_EINVAL, which,
		    "must be a plain relative path (no \".\" or empty components, no control "
		    "characters or backslashes)");
	}
	for (seg = name, c = name;; c++) {
		if (*c == '/' || *c == '\0') {
			depth++;
			if ((size_t)(c - seg) > COMPONENT_MAX)
				return fail(err, field, fieldlen, IG_EINVAL, which,
				    "a path component is longer than %d bytes", COMPONENT_MAX);
			seg = c + 1;
			if (*c == '\0')
				break;
		}
	}
	if (depth > p->max_depth)
		return fail(err, field, fieldlen, IG_EINVAL, which,
		    "nested %zu levels deep; at most %zu allowed", depth, p->max_depth);
	if (len > p->max_file_bytes)
		return fail(err, field, fieldlen, IG_ETOOBIG, which,
		    "%zu bytes; one file may have at most %zu", len, p->max_file_bytes);
	if (len > p->max_total_bytes || fs->total > p->max_total_bytes - len)
		return fail(err, field, fieldlen, IG_ETOOBIG, "files",
		    "more than %zu bytes in all (the sandbox limit)", p->max_total_bytes);
	for (i = 0; i < fs->n; i++) {
		if (strcmp(fs->v[i].name, name) == 0)
			return fail(err, field, fieldlen, IG_EINVAL, which, "the same file is given twice");
		if (is_parent(fs->v[i].name, name) || is_parent(name, fs->v[i].name))
			return fail(err, field, fieldlen, IG_EINVAL, which,
			    "conflicts with file \"%.64s\": a name cannot be both a file and a directory",
			    fs->v[i].name);
	}
	if (fs->n == fs->cap) {
		size_t ncap = fs->cap ? fs->cap * 2 : 8;
		struct ig_adhoc_file *nv = realloc(fs->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return fail(err, field, fieldlen, IG_ENOMEM, "", "out of memory");
		fs->v = nv;
		fs->cap = ncap;
	}
	memset(&f, 0, sizeof(f));
	f.name = strdup(name);
	f.data = malloc(len > 0 ? len : 1);
	if (f.name == NULL || f.data == NULL) {
		free(f.name);
		free(f.data);
		return fail(err, field, fieldlen, IG_ENOMEM, "", "out of memory");
	}
	if (len > 0)
		memcpy(f.data, data, len);
	f.len = len;
	f.base64 = base64;
	fs->v[fs->n++] = f;
	fs->total += len;
	return 0;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
ig_adhoc_base64_decode(const char *in, size_t len, size_t max,
    unsigned char **out, size_t *outlen, struct ig_err *err)
{
	unsigned char *buf;
	size_t i, pad = 0;
	int n;

	*out = NULL;
	*outlen = 0;
	if (len % 4 != 0) {
		ig_err_set(err, IG_EINVAL, "invalid base64: the length must be a multiple of 4");
		return -1;
	}
	/* Every 4 characters give at most 3 bytes. */
	if (len / 4 > max / 3 + 1 || len > (size_t)INT_MAX) {
		ig_err_set(err, IG_ETOOBIG, "more than %zu bytes once decoded", max);
		return -1;
	}
	if (len >= 1 && in[len - 1] == '=')
		pad++;
	if (len >= 2 && in[len - 2] == '=')
		pad++;
	for (i = 0; i < len - pad; i++) {
		if (b64_value((unsigned char)in[i]) < 0) {
			ig_err_set(err, IG_EINVAL, "invalid base64: unexpected character at offset %zu", i);
			return -1;
		}
	}
	/* The bits after the last byte must be zero (one encoding per input). */
	if ((pad == 1 && (b64_value((unsigned char)in[len - 2]) & 0x3) != 0) ||
	    (pad == 2 && (b64_value((unsigned char)in[len - 3]) & 0xf) != 0)) {
		ig_err_set(err, IG_EINVAL, "invalid base64: non-zero bits after the last byte");
		return -1;
	}
	if ((buf = malloc(len / 4 * 3 + 1)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	n = len > 0 ? EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len) : 0;
	if (n < 0 || (size_t)n != len / 4 * 3) {
		free(buf);
		ig_err_set(err, IG_EINVAL, "invalid base64");
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	*outlen = (size_t)n - pad;
	if (*outlen > max) {
		free(buf);
		ig_err_set(err, IG_ETOOBIG, "more than %zu bytes once decoded", max);
		return -1;
	}
	*out = buf;
	return 0;
}

/* One value of the "files" object: a string, or {content, encoding}. */
static int
file_from_json(struct ig_adhoc_files *fs, const struct ig_adhoc_profile *p, const char *name,
    struct json_object *v, char *field, size_t fieldlen, struct ig_err *err)
{
	char which[IG_ADHOC_FIELD_MAX], sub[IG_ADHOC_FIELD_MAX + 16];
	struct json_object *content = NULL;
	const char *encoding = "utf-8";
	unsigned char *dec = NULL;
	size_t declen = 0;
	int rc;

	file_field(name, which, sizeof(which));
	if (json_object_is_type(v, json_type_string)) {
		content = v;
	} else if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, m) {
			if (strcmp(k, "content") == 0) {
				if (!json_object_is_type(m, json_type_string)) {
					snprintf(sub, sizeof(sub), "%s.content", which);
					return fail(err, field, fieldlen, IG_EINVAL, sub, "must be a string");
				}
				content = m;
			} else if (strcmp(k, "encoding") == 0) {
				if (!json_object_is_type(m, json_type_string) ||
				    (strcmp(json_object_get_string(m), "base64") != 0 &&
				    strcmp(json_object_get_string(m), "utf-8") != 0)) {
					snprintf(sub, sizeof(sub), "%s.encoding", which);
					return fail(err, field, fieldlen, IG_EINVAL, sub,
					    "must be \"utf-8\" or \"base64\"");
				}
				encoding = json_object_get_string(m);
			} else {
				return fail(err, field, fieldlen, IG_EINVAL, which,
				    "unknown key \"%.32s\" (expected content, encoding)", k);
			}
		}
		if (content == NULL)
			return fail(err, field, fieldlen, IG_EINVAL, which, "\"content\" is required");
	} else {
		return fail(err, field, fieldlen, IG_EINVAL, which,
		    "must be a string or an object {\"content\", \"encoding\"}");
	}
	if (strcmp(encoding, "base64") == 0) {
		struct ig_err derr = { 0 };
		if (ig_adhoc_base64_decode(json_object_get_string(content),
		    (size_t)json_object_get_string_len(content), p->max_file_bytes, &dec, &declen,
		    &derr) != 0)
			return fail(err, field, fieldlen, derr.code, which, "%s", derr.msg);
		rc = ig_adhoc_files_add(fs, p, name, dec, declen, true, field, fieldlen, err);
		free(dec);
		return rc;
	}
	return ig_adhoc_files_add(fs, p, name, json_object_get_string(content),
	    (size_t)json_object_get_string_len(content), false, field, fieldlen, err);
}

int
ig_adhoc_files_from_json(struct json_object *files, const struct ig_adhoc_profile *p,
    struct ig_adhoc_files *fs, char *field, size_t fieldlen, struct ig_err *err)
{
	if (files == NULL || !json_object_is_type(files, json_type_object))
		return fail(err, field, fieldlen, IG_EINVAL, "files",
		    "must be an object mapping file names to their contents");
	if (json_object_object_length(files) == 0)
		return fail(err, field, fieldlen, IG_EINVAL, "files", "at least one file is required");
	/* Counted before anything is decoded. */
	if ((size_t)json_object_object_length(files) > p->max_files)
		return fail(err, field, fieldlen, IG_ETOOBIG, "files",
		    "%d files; at most %zu allowed (the sandbox limit)",
		    json_object_object_length(files), p->max_files);
	json_object_object_foreach(files, name, v) {
		if (file_from_json(fs, p, name, v, field, fieldlen, err) != 0)
			return -1;
	}
	return 0;
}

/* ---- runtimes and limits ------------------------------------------------ */

/* True if pattern "name[@version]" (n bytes) allows rt. */
static bool
pattern_allows(const char *pat, size_t n, const struct ig_runtime_resolved *rt)
{
	const char *at = memchr(pat, '@', n), *ver;
	size_t name_n = at ? (size_t)(at - pat) : n, ver_n;

	if (name_n != strlen(rt->name) || strncmp(pat, rt->name, name_n) != 0)
		return false;
	if (at == NULL)
		return true;
	ver = at + 1;
	ver_n = n - name_n - 1;
	if (ver_n > 0 && ver[0] == 'v') {
		ver++;
		ver_n--;
	}
	if (ver_n == 0)
		return false;
	/* A prefix on a component boundary: "24" allows 24.22.3, not 240.1. */
	return strncmp(rt->version, ver, ver_n) == 0 &&
	    (rt->version[ver_n] == '\0' || rt->version[ver_n] == '.');
}

int
ig_adhoc_runtime_allowed(const char *allowed, const struct ig_runtime_resolved *rt)
{
	const char *p = allowed;

	if (allowed == NULL || rt == NULL)
		return 0;
	while (*p) {
		const char *e;
		size_t n;

		while (*p == ' ' || *p == ',')
			p++;
		e = p;
		while (*e && *e != ',')
			e++;
		n = (size_t)(e - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0 && pattern_allows(p, n, rt))
			return 1;
		p = e;
	}
	return 0;
}

int
ig_adhoc_check(const struct ig_adhoc_profile *p, const struct ig_adhoc_spec *spec,
    const struct ig_adhoc_files *fs, char *field, size_t fieldlen, struct ig_err *err)
{
	size_t i;

	if (p->runtimes == NULL || p->runtimes[strspn(p->runtimes, " ,")] == '\0')
		return fail(err, field, fieldlen, IG_EPERM, "runtime",
		    "ad-hoc runs are disabled on this server (sandbox.allowedRuntimes is empty)");
	if (spec->runtime == NULL || spec->runtime[0] == '\0')
		return fail(err, field, fieldlen, IG_EINVAL, "runtime", "is required (e.g. \"node@24\")");
	if (spec->memory_mb < 0 || spec->memory_mb > p->max_memory_mb)
		return fail(err, field, fieldlen, IG_EINVAL, "limits.memoryMb",
		    "%ld is above the sandbox maximum of %ld", spec->memory_mb, p->max_memory_mb);
	if (spec->cpu < 0 || spec->cpu > p->max_cpu)
		return fail(err, field, fieldlen, IG_EINVAL, "limits.cpuLimit",
		    "%g is above the sandbox maximum of %g", spec->cpu, p->max_cpu);
	if (spec->timeout_ms < 0 || spec->timeout_ms > p->max_timeout_ms)
		return fail(err, field, fieldlen, IG_EINVAL, "limits.timeoutMs",
		    "%ld is above the sandbox maximum of %ld", spec->timeout_ms, p->max_timeout_ms);
	if (fs->n == 0)
		return fail(err, field, fieldlen, IG_EINVAL, "files", "at least one file is required");
	if (spec->entry == NULL) {
		if (fs->n != 1)
			return fail(err, field, fieldlen, IG_EINVAL, "entry",
			    "is required when more than one file is sent");
		return 0;
	}
	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i].name, spec->entry) == 0)
			return 0;
	return fail(err, field, fieldlen, IG_EINVAL, "entry", "\"%.64s\" is not one of the files",
	    spec->entry);
}

/* ---- the directory ------------------------------------------------------- */

/* Field 22 of /proc/<pid>/stat: the process start time in clock ticks. */
static int
proc_start_time(long pid, unsigned long long *start)
{
	char path[64], buf[1024], *p, *end;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return -1;
	errno = 0;
	*start = strtoull(p + 1, &end, 10);
	return errno == 0 && end != p + 1 ? 0 : -1;
}

/* "<pid>.<start time>" of this process: survives pid reuse. */
static void
owner_token(char *buf, size_t len)
{
	unsigned long long st = 0;
	long pid = (long)getpid();

	if (proc_start_time(pid, &st) != 0)
		st = 0;
	snprintf(buf, len, "%ld.%llu", pid, st);
}

/* For a run directory name "run-<pid>.<start>-XXXXXX": 1 if its owner is
 * alive, 0 if it is gone, -1 if the name is not one of ours. */
static int
owner_alive(const char *name)
{
	unsigned long long want, have;
	const char *p;
	char *end;
	long pid;

	if (strncmp(name, "run-", 4) != 0 || name[4] < '1' || name[4] > '9')
		return -1;
	errno = 0;
	pid = strtol(name + 4, &end, 10);
	if (errno != 0 || *end != '.' || pid <= 0)
		return -1;
	p = end + 1;
	if (*p < '0' || *p > '9')
		return -1;
	want = strtoull(p, &end, 10);
	if (errno != 0 || *end != '-' || strlen(end + 1) != 6)
		return -1;
	return proc_start_time(pid, &have) == 0 && have == want ? 1 : 0;
}

/* mkdir -p: parents 0755, the last component with mode. */
static int
mkdir_parents(const char *path, mode_t mode)
{
	char tmp[IG_ENTRY_PATH_MAX * 4];
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

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes one file beneath root, making its directories on the way. */
static int
write_one(int root, const struct ig_adhoc_file *f, struct ig_err *err)
{
	char *copy = strdup(f->name), *comp, *slash;
	int cur = root, fd = -1, rc = -1;

	if (copy == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	comp = copy;
	while ((slash = strchr(comp, '/')) != NULL) {
		int next;

		*slash = '\0';
		if (mkdirat(cur, comp, 0755) != 0 && errno != EEXIST) {
			ig_err_sys(err, IG_EIO, "%s: cannot create directory", f->name);
			goto out;
		}
		next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			ig_err_sys(err, IG_EIO, "%s: cannot open directory", f->name);
			goto out;
		}
		if (cur != root)
			close(cur);
		cur = next;
		/* The umask must not hide it from the container user. */
		if (fchmod(cur, 0755) != 0) {
			ig_err_sys(err, IG_EIO, "%s: chmod", f->name);
			goto out;
		}
		comp = slash + 1;
	}
	fd = openat(cur, comp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		ig_err_sys(err, IG_EIO, "%s: cannot create", f->name);
		goto out;
	}
	if (fchmod(fd, 0644) != 0 || write_all(fd, f->data, f->len) != 0) {
		ig_err_sys(err, IG_EIO, "%s: cannot write", f->name);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		ig_err_sys(err, IG_EIO, "%s: cannot write", f->name);
		rc = -1;
	}
	if (cur != root)
		close(cur);
	free(copy);
	return rc;
}

/* Deletes everything beneath dfd, never following a symlink. */
static int
remove_children(int dfd, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	if (depth > IG_ADHOC_DEPTH_MAX + 2)
		return -1;
	if ((fd = dup(dfd)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno != ENOENT)
				rc = -1;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				if (remove_children(sub, depth + 1) != 0)
					rc = -1;
				close(sub);
				if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) != 0 && errno != ENOENT)
					rc = -1;
				continue;
			}
			/* Replaced by something else meanwhile: unlink that. */
		}
		if (unlinkat(dfd, de->d_name, 0) != 0 && errno != ENOENT)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
ig_adhoc_dir_remove(struct ig_adhoc_dir *d, struct ig_err *err)
{
	int rc = 0;

	/* A zeroed struct owns nothing: name is set only once both fds are. */
	if (d == NULL || d->name[0] == '\0') {
		if (d != NULL) {
			free(d->path);
			memset(d, 0, sizeof(*d));
		}
		return 0;
	}
	if (remove_children(d->fd, 0) != 0)
		rc = -1;
	if (unlinkat(d->parent_fd, d->name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		rc = -1;
	if (rc != 0)
		ig_err_sys(err, IG_EIO, "%s: could not delete every file", d->path ? d->path : d->name);
	close(d->fd);
	close(d->parent_fd);
	free(d->path);
	memset(d, 0, sizeof(*d));
	return rc;
}

int
ig_adhoc_sweep(const char *work_dir, struct ig_err *err)
{
	struct dirent *de;
	DIR *d;
	int dfd, fd, removed = 0;

	if ((dfd = open(work_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		ig_err_sys(err, IG_EIO, "%s", work_dir);
		return -1;
	}
	if ((fd = dup(dfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		close(dfd);
		ig_err_sys(err, IG_EIO, "%s", work_dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		int sub;

		if (owner_alive(de->d_name) != 0)
			continue;
		sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		remove_children(sub, 0);
		close(sub);
		if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) == 0)
			removed++;
	}
	closedir(d);
	close(dfd);
	return removed;
}

int
ig_adhoc_dir_write(const char *work_dir, const struct ig_adhoc_files *fs,
    struct ig_adhoc_dir *out, struct ig_err *err)
{
	struct ig_adhoc_dir d;
	char *tmpl = NULL, owner[48];
	const char *base;
	size_t i, wl;

	memset(&d, 0, sizeof(d));
	memset(out, 0, sizeof(*out));
	d.fd = d.parent_fd = -1;
	if (work_dir == NULL || work_dir[0] != '/' || strchr(work_dir, ',') != NULL ||
	    strchr(work_dir, ':') != NULL) {
		ig_err_set(err, IG_EINTERNAL, "the ad-hoc work directory must be an absolute path "
		    "without ',' or ':'");
		return -1;
	}
	if (mkdir_parents(work_dir, 0700) != 0) {
		ig_err_sys(err, IG_EIO, "%s: cannot create the ad-hoc work directory", work_dir);
		return -1;
	}
	if ((d.parent_fd = open(work_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ig_err_sys(err, IG_EIO, "%s", work_dir);
		goto fail;
	}
	wl = strlen(work_dir);
	while (wl > 1 && work_dir[wl - 1] == '/')
		wl--;
	owner_token(owner, sizeof(owner));
	if ((tmpl = malloc(wl + sizeof(owner) + 16)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto fail;
	}
	snprintf(tmpl, wl + sizeof(owner) + 16, "%.*s/run-%s-XXXXXX", (int)wl, work_dir, owner);
	if (mkdtemp(tmpl) == NULL) {
		ig_err_sys(err, IG_EIO, "%s: cannot create a run directory", work_dir);
		goto fail;
	}
	base = strrchr(tmpl, '/') + 1;
	d.path = tmpl;
	tmpl = NULL;
	d.fd = openat(d.parent_fd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d.fd < 0) {
		ig_err_sys(err, IG_EIO, "%s", d.path);
		unlinkat(d.parent_fd, base, AT_REMOVEDIR);
		goto fail;
	}
	snprintf(d.name, sizeof(d.name), "%s", base);
	if (fchmod(d.fd, 0755) != 0) {
		ig_err_sys(err, IG_EIO, "%s: chmod", d.path);
		goto fail_remove;
	}
	for (i = 0; i < fs->n; i++)
		if (write_one(d.fd, &fs->v[i], err) != 0)
			goto fail_remove;
	*out = d;
	return 0;
fail_remove:
	ig_adhoc_dir_remove(&d, NULL);
	return -1;
fail:
	free(tmpl);
	if (d.fd >= 0)
		close(d.fd);
	if (d.parent_fd >= 0)
		close(d.parent_fd);
	free(d.path);
	return -1;
}

/* ---- the report's view of the files ------------------------------------- */

/* Length of the valid UTF-8 prefix of p (n bytes), without NUL bytes. */
static size_t
utf8_valid_prefix(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t k, need;
		unsigned long cp;

		if (c == 0)
			return i;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return i;
		}
		if (i + need >= n)
			return i;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += need + 1;
	}
	return i;
}

struct json_object *
ig_adhoc_files_report(const struct ig_adhoc_files *fs)
{
	struct json_object *arr = json_object_new_array();
	size_t i, budget = IG_ADHOC_REPORT_FILES_MAX;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < fs->n; i++) {
		const struct ig_adhoc_file *f = &fs->v[i];
		struct json_object *o = json_object_new_object();
		bool text = utf8_valid_prefix(f->data, f->len) == f->len;
		size_t keep = f->len;

		if (o == NULL) {
			json_object_put(arr);
			return NULL;
		}
		json_object_object_add(o, "name", json_object_new_string(f->name));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)f->len));
		json_object_object_add(o, "encoding", json_object_new_string(f->base64 ? "base64" : "utf-8"));
		if (text) {
			if (keep > IG_ADHOC_REPORT_FILE_MAX)
				keep = IG_ADHOC_REPORT_FILE_MAX;
			if (keep > budget)
				keep = budget;
			/* Cut on a character boundary. */
			while (keep > 0 && keep < f->len && (f->data[keep] & 0xc0) == 0x80)
				keep--;
			budget -= keep;
			json_object_object_add(o, "content",
			    json_object_new_string_len((const char *)f->data, (int)keep));
			json_object_object_add(o, "truncated", json_object_new_boolean(keep < f->len));
		} else {
			json_object_object_add(o, "binary", json_object_new_boolean(1));
			json_object_object_add(o, "truncated", json_object_new_boolean(0));
		}
		json_object_array_add(arr, o);
	}
	return arr;
}

/* ---- the prepared run ----------------------------------------------------- */

void
ig_adhoc_run_free(struct ig_adhoc_run *r)
{
	if (r == NULL)
		return;
	ig_run_prepared_free(&r->prep);
	ig_adhoc_dir_remove(&r->dir, NULL);
	json_object_put(r->files);
	memset(r, 0, sizeof(*r));
}

int
ig_adhoc_prepare(const struct ig_run_ctx *ctx, const struct ig_adhoc_profile *p,
    const struct ig_adhoc_spec *spec, const struct ig_adhoc_files *fs,
    struct ig_adhoc_run *out, char *field, size_t fieldlen, struct ig_err *err)
{
	struct ig_preflight_input in;
	struct ig_docker_image *img = NULL;
	struct ig_adhoc_run r;
	struct ig_service *svc;
	const char *entry;
	char allowed[160];

	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	if (field != NULL && fieldlen > 0)
		field[0] = '\0';
	if (ig_adhoc_check(p, spec, fs, field, fieldlen, err) != 0)
		return -1;
	entry = spec->entry != NULL ? spec->entry : fs->v[0].name;
	if (ctx->registry == NULL)
		return fail(err, field, fieldlen, IG_EINTERNAL, "", "no runtime registry loaded");
	if (ig_runtime_resolve(ctx->registry, spec->runtime, &r.prep.rt, err) != 0) {
		struct ig_err e = *err;
		return fail(err, field, fieldlen, e.code, "runtime", "%s", e.msg);
	}
	if (!ig_adhoc_runtime_allowed(p->runtimes, r.prep.rt)) {
		snprintf(allowed, sizeof(allowed), "%s", p->runtimes);
		fail(err, field, fieldlen, IG_EINVAL, "runtime", "%s %s is not allowed here "
		    "(sandbox.allowedRuntimes: %s)", r.prep.rt->name, r.prep.rt->version, allowed);
		goto fail;
	}
	if (ig_runtime_check_entry(r.prep.rt, entry, err) != 0) {
		struct ig_err e = *err;
		fail(err, field, fieldlen, e.code, "entry", "%s", e.msg);
		goto fail;
	}
	if ((svc = calloc(1, sizeof(*svc))) == NULL)
		goto nomem;
	r.prep.svc = svc;
	ig_preflight_cfg_defaults(&svc->preflight);
	svc->name = strdup(IG_ADHOC_SERVICE_NAME);
	svc->runtime = strdup(spec->runtime);
	svc->entry = strdup(entry);
	if (svc->name == NULL || svc->runtime == NULL || svc->entry == NULL)
		goto nomem;
	svc->memory_mb = spec->memory_mb > 0 ? spec->memory_mb :
	    (IG_ADHOC_MEMORY_MB_DEFAULT < p->max_memory_mb ? IG_ADHOC_MEMORY_MB_DEFAULT : p->max_memory_mb);
	svc->cpu_limit = spec->cpu > 0 ? spec->cpu : (1 < p->max_cpu ? 1 : p->max_cpu);
	svc->timeout_ms = spec->timeout_ms > 0 ? spec->timeout_ms :
	    (IG_ADHOC_TIMEOUT_MS_DEFAULT < p->max_timeout_ms ? IG_ADHOC_TIMEOUT_MS_DEFAULT : p->max_timeout_ms);
	if ((r.prep.policy = ig_policy_new_default()) == NULL)
		goto nomem;
	if (ig_adhoc_dir_write(p->work_dir, fs, &r.dir, err) != 0)
		goto fail_plain;
	if ((svc->dir = strdup(r.dir.path)) == NULL || (r.prep.abs_dir = strdup(r.dir.path)) == NULL)
		goto nomem;
	memset(&in, 0, sizeof(in));
	in.image = r.prep.rt->image;
	if (ctx->docker != NULL && ig_docker_image_inspect(ctx->docker, r.prep.rt->image, &img, NULL) == 0) {
		in.image_known = true;
		in.image_mb = (double)img->size / (1024.0 * 1024.0);
		ig_docker_image_free(img);
	}
	if (ig_preflight_run(svc, &in, &r.prep.preflight, err) != 0)
		goto fail_plain;
	if ((r.files = ig_adhoc_files_report(fs)) == NULL)
		goto nomem;
	*out = r;
	return 0;
nomem:
	ig_err_set(err, IG_ENOMEM, "out of memory");
fail_plain:
	if (field != NULL && fieldlen > 0)
		field[0] = '\0';
fail:
	ig_adhoc_run_free(&r);
	return -1;
}
