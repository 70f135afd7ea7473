/* runtime.c — loading runtimes.json and resolving "name@version" specs. */
#include "runtime.h"
#include "buf.h"
#include "bounds.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_MAX_LEN  32        /* runtime names: ^[a-z][a-z0-9_-]{0,31}$ */
#define EXT_MAX_LEN   16        /* ".mjs": a dot and up to 15 alphanumerics */
#define PART_DIGITS   9         /* one version component fits an unsigned long */

static const char *const ts_exts[] = { ".ts", ".mts", ".cts", ".tsx" };

struct vnum {
	unsigned long part[IG_RUNTIME_VERSION_PARTS];
	size_t n;
};

/* ---- small helpers ---------------------------------------------------- */

int
ig_runtime_ext_is_typescript(const char *ext)
{
	if (ext == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(ts_exts) / sizeof(ts_exts[0]); i++)
		if (strcmp(ext, ts_exts[i]) == 0)
			return 1;
	return 0;
}

/* Copies s into out for quoting in a message: at most outlen-1 bytes,
 * anything that is not printable ASCII shown as '?', so that a hostile spec
 * cannot put control sequences into a terminal or a log line. */
static const char *
printable(const char *s, char *out, size_t outlen)
{
	size_t i = 0;

	for (; s != NULL && s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
	return out;
}

/* Parses "24", "24.22", "24.22.3" (optionally with a leading "v" when
 * allow_v) into v. Returns 0, or -1 if s is not 1..IG_RUNTIME_VERSION_PARTS
 * dot-separated runs of 1..PART_DIGITS decimal digits. */
static int
parse_vnum(const char *s, bool allow_v, struct vnum *v)
{
	size_t digits;

	memset(v, 0, sizeof(*v));
	if (s == NULL)
		return -1;
	if (allow_v && (*s == 'v' || *s == 'V'))
		s++;
	for (;;) {
		unsigned long acc = 0;

		if (v->n == IG_RUNTIME_VERSION_PARTS)
			return -1;
		for (digits = 0; *s >= '0' && *s <= '9'; s++, digits++) {
			if (digits == PART_DIGITS)
				return -1;
			acc = acc * 10 + (unsigned long)(*s - '0');
		}
		if (digits == 0)
			return -1;
		v->part[v->n++] = acc;
		if (*s == '\0')
			return 0;
		if (*s != '.')
			return -1;
		s++;
	}
}

/* Orders versions numerically; a missing component counts as 0, and the
 * shorter spelling sorts first when otherwise equal ("24" < "24.0"). */
static int
vnum_cmp(const unsigned long *a, size_t an, const unsigned long *b, size_t bn)
{
	for (size_t i = 0; i < IG_RUNTIME_VERSION_PARTS; i++) {
		unsigned long x = i < an ? a[i] : 0, y = i < bn ? b[i] : 0;

		if (x != y)
			return x < y ? -1 : 1;
	}
	return an < bn ? -1 : an > bn;
}

static int
version_qsort_cmp(const void *pa, const void *pb)
{
	const struct ig_runtime_version *a = pa, *b = pb;

	return vnum_cmp(a->num, a->num_n, b->num, b->num_n);
}

/* 1 if the spec's components are a prefix of the version's. */
static int
vnum_matches(const struct vnum *spec, const struct ig_runtime_version *v)
{
	if (spec->n > v->num_n)
		return 0;
	for (size_t i = 0; i < spec->n; i++)
		if (spec->part[i] != v->num[i])
			return 0;
	return 1;
}

/* The highest version of rt that spec matches, or NULL. Versions are sorted
 * ascending, so the last match is the highest. */
static const struct ig_runtime_version *
highest_match(const struct ig_runtime *rt, const struct vnum *spec)
{
	for (size_t i = rt->versions_n; i > 0; i--)
		if (vnum_matches(spec, &rt->versions[i - 1]))
			return &rt->versions[i - 1];
	return NULL;
}

/* Appends "a, b, c" to a message buffer, stopping quietly when it is full. */
static void
join_into(char *buf, size_t len, const char *const *items, size_t n)
{
	size_t used = strlen(buf);

	for (size_t i = 0; i < n && used + 1 < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", items[i]);

		if (w < 0)
			return;
		used += (size_t)w;
		if (used >= len)
			used = len - 1;
	}
}

static void
versions_into(char *buf, size_t len, const struct ig_runtime *rt, bool typescript_only)
{
	size_t used = strlen(buf);
	int first = 1;

	for (size_t i = 0; i < rt->versions_n && used + 1 < len; i++) {
		int w;

		if (typescript_only && !rt->versions[i].typescript)
			continue;
		w = snprintf(buf + used, len - used, "%s%s", first ? "" : ", ",
		    rt->versions[i].version);
		first = 0;
		if (w < 0)
			return;
		used += (size_t)w;
		if (used >= len)
			used = len - 1;
	}
}

/* ---- validation ------------------------------------------------------- */

/* The dotted path of the field being validated, for messages. */
struct vctx {
	const char   *file;
	struct ig_err *err;
};

static int fail(struct vctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets err to "file: path what" and returns -1. */
static int
fail(struct vctx *c, const char *path, const char *fmt, ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ig_err_set(c->err, IG_EINVAL, "%s: %s %s", c->file, path, what);
	return -1;
}

/* A JSON string of 1..IG_RUNTIME_STRING_MAX bytes, no NUL and no control
 * characters. Returns it, or NULL after fail(). */
static const char *
get_string(struct vctx *c, struct json_object *o, const char *path)
{
	const char *s;
	size_t len;

	if (!json_object_is_type(o, json_type_string)) {
		fail(c, path, "must be a string");
		return NULL;
	}
	s = json_object_get_string(o);
	len = (size_t)json_object_get_string_len(o);
	if (len == 0 || len > IG_RUNTIME_STRING_MAX || strlen(s) != len) {
		fail(c, path, "must be a non-empty string of at most %d bytes without NUL", IG_RUNTIME_STRING_MAX);
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			fail(c, path, "must not contain control characters");
			return NULL;
		}
	}
	return s;
}

/* Looks up a required (or optional, when !required) member. Returns 1 with
 * *v set when present, 0 when absent and optional, -1 after fail(). */
static int
member(struct vctx *c, struct json_object *obj, const char *key, const char *path,
    bool required, struct json_object **v)
{
	*v = NULL;
	if (json_object_object_get_ex(obj, key, v)) {
		if (*v != NULL)
			return 1;
		return fail(c, path, "must not be null");
	}
	if (required)
		return fail(c, path, "is required");
	return 0;
}

static int
check_ext(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > EXT_MAX_LEN || s[0] != '.')
		return -1;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9')))
			return -1;
	return 0;
}

/* An image reference: no whitespace, and '{' only as "{version}". */
static int
check_image(const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == ' ')
			return -1;
		if (*p == '{') {
			if (strncmp(p, "{version}", 9) != 0)
				return -1;
			p += 8;
		} else if (*p == '}') {
			return -1;
		}
	}
	return 0;
}

enum list_kind { LIST_EXTENSIONS, LIST_COMMAND };

/* Validates a non-empty array of strings and returns a malloc'd array of
 * pointers into the JSON (free only the array). */
static int
get_list(struct vctx *c, struct json_object *arr, const char *path, enum list_kind kind,
    const char ***out, size_t *out_n)
{
	char ipath[192];
	const char **v = NULL;
	size_t n;

	if (!json_object_is_type(arr, json_type_array))
		return fail(c, path, "must be an array of strings");
	n = json_object_array_length(arr);
	if (n == 0)
		return fail(c, path, "must not be empty");
	if (n > IG_RUNTIME_LIST_MAX)
		return fail(c, path, "has too many entries (at most %d)", IG_RUNTIME_LIST_MAX);
	if ((v = calloc(n, sizeof(*v))) == NULL) {
		ig_err_set(c->err, IG_ENOMEM, "%s: out of memory", c->file);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		if ((v[i] = get_string(c, json_object_array_get_idx(arr, i), ipath)) == NULL)
			goto bad;
		if (kind == LIST_EXTENSIONS) {
			if (check_ext(v[i]) != 0) {
				fail(c, ipath, "must be a file extension such as \".js\"");
				goto bad;
			}
			for (size_t j = 0; j < i; j++) {
				if (strcmp(v[i], v[j]) == 0) {
					fail(c, ipath, "repeats an earlier extension");
					goto bad;
				}
			}
		}
	}
	*out = v;
	*out_n = n;
	return 0;
bad:
	free(v);
	return -1;
}

static int
parse_version_entry(struct vctx *c, const struct ig_runtime *rt, struct json_object *o,
    const char *path, struct ig_runtime_version *v)
{
	char fpath[160];
	struct json_object *f;
	struct vnum num;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return fail(c, path, "must be an object");
	v->json = o;

	snprintf(fpath, sizeof(fpath), "%s.version", path);
	if (member(c, o, "version", fpath, true, &f) < 0 ||
	    (v->version = get_string(c, f, fpath)) == NULL)
		return -1;
	if (parse_vnum(v->version, false, &num) != 0)
		return fail(c, fpath, "must be a dotted number such as \"24.22.3\"");
	memcpy(v->num, num.part, sizeof(v->num));
	v->num_n = num.n;

	snprintf(fpath, sizeof(fpath), "%s.package", path);
	if ((r = member(c, o, "package", fpath, false, &f)) < 0 ||
	    (r == 1 && (v->package = get_string(c, f, fpath)) == NULL))
		return -1;
	snprintf(fpath, sizeof(fpath), "%s.integrity", path);
	if ((r = member(c, o, "integrity", fpath, false, &f)) < 0 ||
	    (r == 1 && (v->integrity = get_string(c, f, fpath)) == NULL))
		return -1;

	snprintf(fpath, sizeof(fpath), "%s.typescript", path);
	if ((r = member(c, o, "typescript", fpath, false, &f)) < 0)
		return -1;
	if (r == 1) {
		if (!json_object_is_type(f, json_type_boolean))
			return fail(c, fpath, "must be true or false");
		v->typescript = json_object_get_boolean(f);
	}

	snprintf(fpath, sizeof(fpath), "%s.image", path);
	if ((r = member(c, o, "image", fpath, false, &f)) < 0)
		return -1;
	if (r == 1) {
		if ((v->image = get_string(c, f, fpath)) == NULL)
			return -1;
		if (check_image(v->image) != 0)
			return fail(c, fpath, "must be an image reference without spaces; only \"{version}\" may appear in braces");
	} else {
		v->image = rt->image;
	}

	snprintf(fpath, sizeof(fpath), "%s.extensions", path);
	if ((r = member(c, o, "extensions", fpath, false, &f)) < 0)
		return -1;
	if (r == 1) {
		if (get_list(c, f, fpath, LIST_EXTENSIONS, &v->extensions, &v->extensions_n) < 0)
			return -1;
	} else {
		/* Share the runtime's list; duplicated so that every version owns
		 * its array and freeing stays uniform. */
		v->extensions = calloc(rt->extensions_n, sizeof(*v->extensions));
		if (v->extensions == NULL) {
			ig_err_set(c->err, IG_ENOMEM, "%s: out of memory", c->file);
			return -1;
		}
		memcpy(v->extensions, rt->extensions, rt->extensions_n * sizeof(*v->extensions));
		v->extensions_n = rt->extensions_n;
	}
	if (!v->typescript) {
		for (size_t i = 0; i < v->extensions_n; i++) {
			if (ig_runtime_ext_is_typescript(v->extensions[i])) {
				snprintf(fpath, sizeof(fpath), "%s.extensions", path);
				return fail(c, fpath, "lists a TypeScript extension but \"typescript\" is not true"
				    " (give this version its own \"extensions\")");
			}
		}
	}
	return 0;
}

static int
parse_runtime(struct vctx *c, struct json_object *o, const char *path, struct ig_runtime *rt)
{
	char fpath[64], vpath[128];
	struct json_object *f, *vers;
	struct vnum def;
	size_t n;

	if (!json_object_is_type(o, json_type_object))
		return fail(c, path, "must be an object");
	rt->json = o;

	snprintf(fpath, sizeof(fpath), "%s.name", path);
	if (member(c, o, "name", fpath, true, &f) < 0 || (rt->name = get_string(c, f, fpath)) == NULL)
		return -1;
	n = strlen(rt->name);
	if (n > NAME_MAX_LEN || rt->name[0] < 'a' || rt->name[0] > 'z')
		return fail(c, fpath, "must start with a lowercase letter and have at most %d characters", NAME_MAX_LEN);
	for (size_t i = 0; i < n; i++) {
		char ch = rt->name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return fail(c, fpath, "may contain only a-z, 0-9, '-' and '_'");
	}

	snprintf(fpath, sizeof(fpath), "%s.image", path);
	if (member(c, o, "image", fpath, true, &f) < 0 || (rt->image = get_string(c, f, fpath)) == NULL)
		return -1;
	if (check_image(rt->image) != 0)
		return fail(c, fpath, "must be an image reference without spaces; only \"{version}\" may appear in braces");

	snprintf(fpath, sizeof(fpath), "%s.extensions", path);
	if (member(c, o, "extensions", fpath, true, &f) < 0 ||
	    get_list(c, f, fpath, LIST_EXTENSIONS, &rt->extensions, &rt->extensions_n) < 0)
		return -1;

	snprintf(fpath, sizeof(fpath), "%s.command", path);
	if (member(c, o, "command", fpath, true, &f) < 0 ||
	    get_list(c, f, fpath, LIST_COMMAND, &rt->command, &rt->command_n) < 0)
		return -1;

	snprintf(fpath, sizeof(fpath), "%s.versions", path);
	if (member(c, o, "versions", fpath, true, &vers) < 0)
		return -1;
	if (!json_object_is_type(vers, json_type_array))
		return fail(c, fpath, "must be an array of version entries");
	n = json_object_array_length(vers);
	if (n == 0)
		return fail(c, fpath, "must not be empty");
	if (n > IG_RUNTIME_VERSIONS_MAX)
		return fail(c, fpath, "has too many entries (at most %d)", IG_RUNTIME_VERSIONS_MAX);
	if ((rt->versions = calloc(n, sizeof(*rt->versions))) == NULL) {
		ig_err_set(c->err, IG_ENOMEM, "%s: out of memory", c->file);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(vpath, sizeof(vpath), "%s[%zu]", fpath, i);
		/* Count before parsing so that a half-filled entry is freed too. */
		rt->versions_n = i + 1;
		if (parse_version_entry(c, rt, json_object_array_get_idx(vers, i), vpath,
		    &rt->versions[i]) < 0)
			return -1;
		for (size_t j = 0; j < i; j++) {
			if (vnum_cmp(rt->versions[i].num, rt->versions[i].num_n,
			    rt->versions[j].num, rt->versions[j].num_n) == 0) {
				snprintf(vpath, sizeof(vpath), "%s[%zu].version", fpath, i);
				return fail(c, vpath, "repeats an earlier version");
			}
		}
	}
	qsort(rt->versions, rt->versions_n, sizeof(*rt->versions), version_qsort_cmp);

	snprintf(fpath, sizeof(fpath), "%s.defaultVersion", path);
	if (member(c, o, "defaultVersion", fpath, true, &f) < 0 ||
	    (rt->default_version = get_string(c, f, fpath)) == NULL)
		return -1;
	if (parse_vnum(rt->default_version, true, &def) != 0)
		return fail(c, fpath, "must be a version such as \"24\" or \"24.22.3\"");
	if (highest_match(rt, &def) == NULL)
		return fail(c, fpath, "matches none of the runtime's versions");
	return 0;
}

static void
runtime_clear(struct ig_runtime *rt)
{
	for (size_t i = 0; i < rt->versions_n; i++)
		free(rt->versions[i].extensions);
	free(rt->versions);
	free(rt->extensions);
	free(rt->command);
}

void
ig_runtime_registry_free(struct ig_runtime_registry *reg)
{
	if (reg == NULL)
		return;
	for (size_t i = 0; i < reg->runtimes_n; i++)
		runtime_clear(&reg->runtimes[i]);
	free(reg->runtimes);
	json_object_put(reg->root);
	free(reg->file);
	free(reg);
}

int
ig_runtime_registry_parse(const char *text, size_t len, const char *file,
    struct ig_runtime_registry **out, struct ig_err *err)
{
	struct ig_runtime_registry *reg = NULL;
	struct json_tokener *tok = NULL;
	struct json_object *arr;
	struct vctx c;
	char *copy = NULL, path[32];
	enum json_tokener_error jerr;
	size_t n;
	int rc = -1;

	*out = NULL;
	if (file == NULL)
		file = "runtimes.json";
	c.file = file;
	c.err = err;
	if (len > IG_RUNTIMES_FILE_MAX) {
		ig_err_set(err, IG_ETOOBIG, "%s: larger than %d bytes", file, IG_RUNTIMES_FILE_MAX);
		goto out;
	}
	if (text == NULL || len == 0) {
		ig_err_set(err, IG_EINVAL, "%s: empty file", file);
		goto out;
	}
	if (memchr(text, '\0', len) != NULL) {
		ig_err_set(err, IG_EINVAL, "%s: invalid JSON: contains a NUL byte", file);
		goto out;
	}
	/* json-c wants the terminating NUL counted to finish a trailing number. */
	if ((copy = malloc(len + 1)) == NULL || (reg = calloc(1, sizeof(*reg))) == NULL ||
	    (reg->file = strdup(file)) == NULL ||
	    (tok = json_tokener_new_ex(IG_RUNTIMES_JSON_DEPTH)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "%s: out of memory", file);
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	reg->root = json_tokener_parse_ex(tok, copy, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	if (jerr != json_tokener_success || reg->root == NULL) {
		ig_err_set(err, IG_EINVAL, "%s: invalid JSON at byte %zu: %s", file,
		    json_tokener_get_parse_end(tok),
		    jerr == json_tokener_success ? "null document" : json_tokener_error_desc(jerr));
		goto out;
	}
	if (json_tokener_get_parse_end(tok) < len) {
		ig_err_set(err, IG_EINVAL, "%s: invalid JSON: unexpected data after the document at byte %zu",
		    file, json_tokener_get_parse_end(tok));
		goto out;
	}

	if (!json_object_is_type(reg->root, json_type_object)) {
		fail(&c, "the document", "must be an object with a \"runtimes\" array");
		goto out;
	}
	if (member(&c, reg->root, "runtimes", "runtimes", true, &arr) < 0)
		goto out;
	if (!json_object_is_type(arr, json_type_array)) {
		fail(&c, "runtimes", "must be an array");
		goto out;
	}
	n = json_object_array_length(arr);
	if (n == 0) {
		fail(&c, "runtimes", "must not be empty");
		goto out;
	}
	if (n > IG_RUNTIMES_MAX) {
		fail(&c, "runtimes", "has too many entries (at most %d)", IG_RUNTIMES_MAX);
		goto out;
	}
	if ((reg->runtimes = calloc(n, sizeof(*reg->runtimes))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "%s: out of memory", file);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "runtimes[%zu]", i);
		reg->runtimes_n = i + 1;
		if (parse_runtime(&c, json_object_array_get_idx(arr, i), path, &reg->runtimes[i]) < 0)
			goto out;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(reg->runtimes[i].name, reg->runtimes[j].name) == 0) {
				snprintf(path, sizeof(path), "runtimes[%zu].name", i);
				fail(&c, path, "repeats an earlier runtime name");
				goto out;
			}
		}
	}
	*out = reg;
	reg = NULL;
	rc = 0;
out:
	if (tok != NULL)        /* json_tokener_free is not NULL-safe */
		json_tokener_free(tok);
	free(copy);
	ig_runtime_registry_free(reg);
	return rc;
}

/* Reads the whole regular file at path, at most max bytes. The registry is
 * operator data, not service content, so an ordinary open is right here. */
static int
read_file(const char *path, size_t max, struct ig_buf *out, struct ig_err *err)
{
	char chunk[8192];
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		ig_err_sys(err, errno == ENOENT ? IG_ENOENT : IG_EIO, "%s", path);
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		ig_err_sys(err, IG_EIO, "%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ig_err_set(err, IG_EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
		ig_err_set(err, IG_ETOOBIG, "%s: larger than %zu bytes", path, max);
		goto out;
	}
	ig_buf_init(out, max);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ig_err_sys(err, IG_EIO, "%s", path);
			goto out;
		}
		if (n == 0)
			break;
		if (ig_buf_append(out, chunk, (size_t)n) != 0) {
			/* The file grew past the limit while being read. */
			ig_err_set(err, IG_ETOOBIG, "%s: larger than %zu bytes", path, max);
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int
ig_runtime_registry_load(const char *path, struct ig_runtime_registry **out,
    struct ig_err *err)
{
	struct ig_buf b;
	int rc;

	*out = NULL;
	ig_buf_init(&b, IG_RUNTIMES_FILE_MAX);
	if (path == NULL) {
		ig_err_set(err, IG_EINVAL, "no runtime registry file given");
		return -1;
	}
	if (read_file(path, IG_RUNTIMES_FILE_MAX, &b, err) != 0) {
		ig_buf_free(&b);
		return -1;
	}
	rc = ig_runtime_registry_parse(b.data, b.len, path, out, err);
	ig_buf_free(&b);
	return rc;
}

/* ---- resolution ------------------------------------------------------- */

const struct ig_runtime *
ig_runtime_find(const struct ig_runtime_registry *reg, const char *name)
{
	if (reg == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < reg->runtimes_n; i++)
		if (strcmp(reg->runtimes[i].name, name) == 0)
			return &reg->runtimes[i];
	return NULL;
}

void
ig_runtime_resolved_free(struct ig_runtime_resolved *rt)
{
	if (rt == NULL)
		return;
	free(rt->name);
	free(rt->version);
	free(rt->image);
	for (size_t i = 0; rt->extensions != NULL && i < rt->extensions_n; i++)
		free(rt->extensions[i]);
	free(rt->extensions);
	for (size_t i = 0; rt->command != NULL && i < rt->command_n; i++)
		free(rt->command[i]);
	free(rt->command);
	free(rt);
}

/* Copies n strings into a new NULL-terminated array. */
static char **
dup_list(const char *const *src, size_t n)
{
	char **v = calloc(n + 1, sizeof(*v));

	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if ((v[i] = strdup(src[i])) == NULL) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return NULL;
		}
	}
	return v;
}

/* Replaces every "{version}" in tmpl with version. Returns a new string or
 * NULL on allocation failure (or an absurd result length). */
static char *
expand_image(const char *tmpl, const char *version)
{
	struct ig_buf b;
	const char *p = tmpl, *hit;

	ig_buf_init(&b, 2 * IG_RUNTIME_STRING_MAX + 64);
	while ((hit = strstr(p, "{version}")) != NULL) {
		if (ig_buf_append(&b, p, (size_t)(hit - p)) != 0 || ig_buf_puts(&b, version) != 0)
			goto bad;
		p = hit + 9;
	}
	if (ig_buf_puts(&b, p) != 0)
		goto bad;
	return ig_buf_steal(&b);
bad:
	ig_buf_free(&b);
	return NULL;
}

int
ig_runtime_resolve(const struct ig_runtime_registry *reg, const char *spec,
    struct ig_runtime_resolved **out, struct ig_err *err)
{
	char name[IG_RUNTIME_SPEC_MAX + 1], shown[IG_RUNTIME_SPEC_MAX + 1];
	char list[200];
	struct ig_runtime_resolved *r = NULL;
	const struct ig_runtime *rt;
	const struct ig_runtime_version *v;
	const char *at, *vspec;
	struct vnum want;
	size_t nlen;
	int rc = -1;

	*out = NULL;
	if (reg == NULL || spec == NULL || *spec == '\0') {
		ig_err_set(err, IG_EINVAL, "runtime must be given as name[@version], e.g. node@24");
		goto out;
	}
	if (strlen(spec) > IG_RUNTIME_SPEC_MAX) {
		ig_err_set(err, IG_EINVAL, "runtime \"%.24s...\" is too long (at most %d characters)",
		    printable(spec, shown, sizeof(shown)), IG_RUNTIME_SPEC_MAX);
		goto out;
	}
	printable(spec, shown, sizeof(shown));
	at = strchr(spec, '@');
	nlen = at ? (size_t)(at - spec) : strlen(spec);
	memcpy(name, spec, nlen);
	name[nlen] = '\0';
	vspec = at ? at + 1 : NULL;

	if ((rt = ig_runtime_find(reg, name)) == NULL) {
		char shown_name[IG_RUNTIME_SPEC_MAX + 1];
		const char *names[IG_RUNTIMES_MAX];

		for (size_t i = 0; i < reg->runtimes_n && i < IG_RUNTIMES_MAX; i++)
			names[i] = reg->runtimes[i].name;
		list[0] = '\0';
		join_into(list, sizeof(list), names, reg->runtimes_n);
		ig_err_set(err, IG_EINVAL, "unknown runtime \"%s\"; supported: %s",
		    printable(name, shown_name, sizeof(shown_name)), list);
		goto out;
	}

	list[0] = '\0';
	versions_into(list, sizeof(list), rt, false);
	if (vspec == NULL) {
		/* Validated at load: the default always matches something. */
		if (parse_vnum(rt->default_version, true, &want) != 0) {
			ig_err_set(err, IG_EINTERNAL, "%s: defaultVersion does not parse", rt->name);
			goto out;
		}
	} else if (parse_vnum(vspec, true, &want) != 0) {
		ig_err_set(err, IG_EINVAL, "%s: invalid version; expected a number such as %s@24 "
		    "or %s@24.22.3; supported versions: %s", shown, rt->name, rt->name, list);
		goto out;
	}
	if ((v = highest_match(rt, &want)) == NULL) {
		ig_err_set(err, IG_EINVAL, "%s is not available; supported versions: %s", shown, list);
		goto out;
	}

	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto nomem;
	r->runtime = rt;
	r->entry = v;
	r->runtime_json = rt->json;
	r->version_json = v->json;
	r->typescript = v->typescript;
	r->extensions_n = v->extensions_n;
	r->command_n = rt->command_n;
	if ((r->name = strdup(rt->name)) == NULL || (r->version = strdup(v->version)) == NULL ||
	    (r->image = expand_image(v->image, v->version)) == NULL ||
	    (r->extensions = dup_list(v->extensions, v->extensions_n)) == NULL ||
	    (r->command = dup_list(rt->command, rt->command_n)) == NULL)
		goto nomem;
	*out = r;
	r = NULL;
	rc = 0;
	goto out;
nomem:
	ig_err_set(err, IG_ENOMEM, "resolving runtime: out of memory");
out:
	ig_runtime_resolved_free(r);
	return rc;
}

int
ig_runtime_check_entry(const struct ig_runtime_resolved *rt, const char *entry,
    struct ig_err *err)
{
	char shown[96], list[160];
	const char *base, *ext;

	if (rt == NULL || entry == NULL || *entry == '\0') {
		ig_err_set(err, IG_EINVAL, "no entry file given");
		return -1;
	}
	printable(entry, shown, sizeof(shown));
	base = strrchr(entry, '/');
	base = base ? base + 1 : entry;
	ext = strrchr(base, '.');
	if (ext == base)
		ext = NULL;     /* ".hidden" has no extension */

	list[0] = '\0';
	join_into(list, sizeof(list), (const char *const *)rt->extensions, rt->extensions_n);
	if (ext == NULL) {
		ig_err_set(err, IG_EINVAL, "%s: the entry file needs an extension; %s %s runs %s",
		    shown, rt->name, rt->version, list);
		return -1;
	}
	if (ig_runtime_ext_is_typescript(ext) && !rt->typescript) {
		char can[120] = "";

		if (rt->runtime != NULL)
			versions_into(can, sizeof(can), rt->runtime, true);
		if (can[0] != '\0')
			ig_err_set(err, IG_EINVAL, "%s: %s %s cannot run TypeScript; versions that can: %s"
			    " (or use a .js entry)", shown, rt->name, rt->version, can);
		else
			ig_err_set(err, IG_EINVAL, "%s: %s %s cannot run TypeScript; use a .js entry",
			    shown, rt->name, rt->version);
		return -1;
	}
	for (size_t i = 0; i < rt->extensions_n; i++)
		if (strcmp(ext, rt->extensions[i]) == 0)
			return 0;
	{
		char shown_ext[24];

		ig_err_set(err, IG_EINVAL, "%s: %s %s does not run \"%s\" files; it runs %s",
		    shown, rt->name, rt->version, printable(ext, shown_ext, sizeof(shown_ext)), list);
	}
	return -1;
}
