/* service.c — service.yaml: schema (DESIGN §3), cross-field rules, entry file. */
#include "service.h"
#include "fs.h"
#include "bounds.h"
#include "yamldoc.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SERVICE_FILE "service.yaml"

/* ---- value rules ------------------------------------------------------- */

int
ig_service_name_ok(const char *name)
{
	size_t i, n;

	if (name == NULL)
		return 0;
	n = strlen(name);
	if (n == 0 || n > IG_SERVICE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && !(c == '-' && i > 0 && i + 1 < n))
			return 0;
	}
	return 1;
}

static const char *
check_name(const char *s, size_t len)
{
	if (strlen(s) != len || !ig_service_name_ok(s))
		return "must match ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ "
		    "(lowercase letters, digits and inner '-', at most 63 characters)";
	return NULL;
}

/* name[@version]: name of lowercase letters, version of letters, digits
 * and . _ + -. Whether the runtime exists is the registry's business. */
static const char *
check_runtime(const char *s, size_t len)
{
	static const char *msg = "must be name[@version], e.g. node@24 (name: lowercase letters; "
	    "version: letters, digits, '.', '_', '+', '-')";
	size_t i = 0, v;

	while (i < len && s[i] >= 'a' && s[i] <= 'z')
		i++;
	if (i == 0)
		return msg;
	if (i == len)
		return NULL;
	if (s[i] != '@' || i + 1 == len)
		return msg;
	for (v = i + 1; v < len; v++) {
		char c = s[v];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '+' || c == '-'))
			return msg;
	}
	return NULL;
}

static const char *
check_entry(const char *s, size_t len)
{
	if (strlen(s) != len || !ig_fs_relpath_ok(s))
		return "must be a relative path inside the service directory "
		    "(no absolute path, no '..' or '.' component, no empty component, "
		    "no control characters)";
	return NULL;
}

static const char *
check_env_name(const char *s, size_t len)
{
	size_t i;

	if (len > IG_ENV_NAME_MAX)
		return "is too long for an environment variable name";
	for (i = 0; i < len; i++) {
		char c = s[i];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
		    (i > 0 && c >= '0' && c <= '9');

		if (!ok)
			return "is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)";
	}
	if (len >= 7 && memcmp(s, "IGNITE_", 7) == 0)
		return "is reserved (names starting with IGNITE_ are set by Ignite)";
	return NULL;
}

/* ---- schema ------------------------------------------------------------ */

#define SVC(m) offsetof(struct ig_service, m)
#define PF(m)  offsetof(struct ig_service, preflight.m)

#define POS_NUMBER(k, m)  { .key = k, .type = IG_YT_NUMBER, .flags = IG_YF_POSITIVE, \
                            .offset = PF(m), .max = IG_PREFLIGHT_VALUE_MAX }
#define POS_COUNT(k, m)   { .key = k, .type = IG_YT_INT, .flags = IG_YF_POSITIVE, \
                            .offset = PF(m), .max = IG_PREFLIGHT_VALUE_MAX }
#define POS_MS(k, m)      { .key = k, .type = IG_YT_INT, .flags = IG_YF_POSITIVE, \
                            .offset = PF(m), .max = IG_TIMEOUT_MS_MAX }

static const struct ig_yfield memory_fields[] = {
	POS_NUMBER("baseMb", memory_base_mb),
	POS_NUMBER("perDependencyMb", memory_per_dep_mb),
	POS_NUMBER("warnRatio", memory_warn_ratio),
	POS_NUMBER("failRatio", memory_fail_ratio),
	{ .key = NULL },
};

static const struct ig_yfield deps_fields[] = {
	POS_COUNT("warnCount", deps_warn_count),
	POS_COUNT("infoCount", deps_info_count),
	{ .key = NULL },
};

static const struct ig_yfield image_fields[] = {
	POS_NUMBER("warnMb", image_warn_mb),
	POS_NUMBER("failMb", image_fail_mb),
	{ .key = NULL },
};

static const struct ig_yfield timeout_fields[] = {
	POS_MS("minMs", timeout_min_ms),
	POS_MS("maxMs", timeout_max_ms),
	POS_MS("coldStartBufferMs", cold_start_buffer_ms),
	{ .key = NULL },
};

static const struct ig_yfield preflight_fields[] = {
	{ .key = "memory", .type = IG_YT_MAP, .fields = memory_fields },
	{ .key = "dependencies", .type = IG_YT_MAP, .fields = deps_fields },
	{ .key = "image", .type = IG_YT_MAP, .fields = image_fields },
	{ .key = "timeout", .type = IG_YT_MAP, .fields = timeout_fields },
	{ .key = NULL },
};

static const struct ig_yfield service_fields[] = {
	{ .key = "name", .type = IG_YT_STRING, .flags = IG_YF_REQUIRED, .offset = SVC(name),
	  .max_len = IG_SERVICE_NAME_MAX, .check = check_name },
	{ .key = "runtime", .type = IG_YT_STRING, .flags = IG_YF_REQUIRED, .offset = SVC(runtime),
	  .max_len = IG_RUNTIME_SPEC_MAX, .check = check_runtime },
	{ .key = "entry", .type = IG_YT_STRING, .flags = IG_YF_REQUIRED, .offset = SVC(entry),
	  .max_len = IG_ENTRY_PATH_MAX, .check = check_entry },
	{ .key = "memoryMb", .type = IG_YT_INT, .flags = IG_YF_REQUIRED | IG_YF_POSITIVE,
	  .offset = SVC(memory_mb), .max = IG_MEMORY_MB_MAX },
	{ .key = "cpuLimit", .type = IG_YT_NUMBER, .flags = IG_YF_POSITIVE,
	  .offset = SVC(cpu_limit), .max = IG_CPU_LIMIT_MAX },
	{ .key = "timeoutMs", .type = IG_YT_INT, .flags = IG_YF_REQUIRED | IG_YF_POSITIVE,
	  .offset = SVC(timeout_ms), .max = IG_TIMEOUT_MS_MAX },
	{ .key = "env", .type = IG_YT_SCALAR_MAP, .offset = SVC(env), .count_offset = SVC(env_n),
	  .max_items = IG_ENV_MAX_VARS, .max_len = IG_ENV_VALUE_MAX, .check_key = check_env_name,
	  .elem_size = sizeof(struct ig_env_var),
	  .elem_key_offset = offsetof(struct ig_env_var, name),
	  .elem_value_offset = offsetof(struct ig_env_var, value) },
	{ .key = NULL },
};

static const struct ig_yfield root_fields[] = {
	{ .key = "service", .type = IG_YT_MAP, .flags = IG_YF_REQUIRED, .fields = service_fields },
	{ .key = "preflight", .type = IG_YT_MAP, .fields = preflight_fields },
	{ .key = NULL },
};

/* Pairs of thresholds where the first must be below the second. */
struct order_rule {
	const char *lo, *hi;                 /* YAML paths */
	size_t      lo_off, hi_off;          /* into struct ig_preflight_cfg */
	bool        is_long;
	double      max;
};

static const struct order_rule order_rules[] = {
	{ "preflight.dependencies.infoCount", "preflight.dependencies.warnCount",
	  offsetof(struct ig_preflight_cfg, deps_info_count),
	  offsetof(struct ig_preflight_cfg, deps_warn_count), true, IG_PREFLIGHT_VALUE_MAX },
	{ "preflight.image.warnMb", "preflight.image.failMb",
	  offsetof(struct ig_preflight_cfg, image_warn_mb),
	  offsetof(struct ig_preflight_cfg, image_fail_mb), false, IG_PREFLIGHT_VALUE_MAX },
	{ "preflight.timeout.minMs", "preflight.timeout.maxMs",
	  offsetof(struct ig_preflight_cfg, timeout_min_ms),
	  offsetof(struct ig_preflight_cfg, timeout_max_ms), true, IG_TIMEOUT_MS_MAX },
	{ "preflight.memory.failRatio", "preflight.memory.warnRatio",
	  offsetof(struct ig_preflight_cfg, memory_fail_ratio),
	  offsetof(struct ig_preflight_cfg, memory_warn_ratio), false, IG_PREFLIGHT_VALUE_MAX },
};

void
ig_preflight_cfg_defaults(struct ig_preflight_cfg *cfg)
{
	cfg->memory_base_mb = 50;
	cfg->memory_per_dep_mb = 2;
	cfg->memory_warn_ratio = 1;
	cfg->memory_fail_ratio = 0.8;
	cfg->deps_warn_count = 100;
	cfg->deps_info_count = 50;
	cfg->image_warn_mb = 500;
	cfg->image_fail_mb = 1000;
	cfg->timeout_min_ms = 100;
	cfg->timeout_max_ms = 30000;
	cfg->cold_start_buffer_ms = 500;
}

/* True if a threshold node written in the file held a valid value (so the
 * value in cfg is the user's, and an ordering complaint is meaningful). */
static bool
threshold_valid(const struct ig_ynode *n, bool is_long, double max)
{
	long long iv;
	double d;

	if (ig_ynode_number(n, &d) != 0 || !(d > 0) || d > max)
		return false;
	return !is_long || ig_ynode_int(n, &iv) == 0;
}

static double
cfg_value(const struct ig_preflight_cfg *cfg, size_t off, bool is_long)
{
	const char *p = (const char *)cfg + off;
	double d;
	long l;

	if (is_long) {
		memcpy(&l, p, sizeof(l));
		return (double)l;
	}
	memcpy(&d, p, sizeof(d));
	return d;
}

static void
fmt_value(char *buf, size_t size, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%g", v);
}

static size_t
check_order(const struct ig_ynode *root, const struct ig_preflight_cfg *cfg,
    const char *file, struct ig_diags *diags)
{
	size_t i, problems = 0;

	for (i = 0; i < sizeof(order_rules) / sizeof(order_rules[0]); i++) {
		const struct order_rule *r = &order_rules[i];
		const struct ig_ynode *lo = ig_ynode_path(root, r->lo);
		const struct ig_ynode *hi = ig_ynode_path(root, r->hi);
		double lv = cfg_value(cfg, r->lo_off, r->is_long);
		double hv = cfg_value(cfg, r->hi_off, r->is_long);
		char ls[48], hs[48];

		if ((lo != NULL && !threshold_valid(lo, r->is_long, r->max)) ||
		    (hi != NULL && !threshold_valid(hi, r->is_long, r->max)))
			continue;       /* already reported as invalid */
		if (lv < hv)
			continue;
		fmt_value(ls, sizeof(ls), lv);
		fmt_value(hs, sizeof(hs), hv);
		ig_diags_add(diags, file, lo ? lo->line : hi ? hi->line : 0,
		    "%s (%s%s) must be less than %s (%s%s)", r->lo, ls, lo ? "" : ", the default",
		    r->hi, hs, hi ? "" : ", the default");
		problems++;
	}
	return problems;
}

/* ---- parsing ----------------------------------------------------------- */

static void
service_release(struct ig_service *svc)
{
	if (svc == NULL)
		return;
	ig_ydoc_release(root_fields, svc);
	free(svc->dir);
	free(svc);
}

void
ig_service_free(struct ig_service *svc)
{
	service_release(svc);
}

static struct ig_service *
service_new(void)
{
	struct ig_service *svc = calloc(1, sizeof(*svc));

	if (svc == NULL)
		return NULL;
	svc->cpu_limit = 1;
	ig_preflight_cfg_defaults(&svc->preflight);
	return svc;
}

/* Parses and validates text into svc (which keeps every valid value even
 * when others are wrong). Returns the number of problems added to diags, or
 * -1 (err set, diags as ig_ydoc_parse left them) when the YAML itself could
 * not be turned into a tree. *docp receives the tree on success. */
static long
service_validate(const char *text, size_t len, const char *file, struct ig_service *svc,
    struct ig_ydoc **docp, struct ig_diags *diags, struct ig_err *err)
{
	struct ig_ydoc *doc = NULL;
	size_t problems;

	*docp = NULL;
	if (ig_ydoc_parse(text, len, file, &doc, diags, err) != 0)
		return -1;
	problems = ig_ydoc_apply(doc->root, root_fields, "", 0, file, svc, diags);
	problems += check_order(doc->root, &svc->preflight, file, diags);
	*docp = doc;
	return (long)problems;
}

/* Puts the problems added since index `from` in line order (stable), so
 * they read top to bottom like the file. */
static void
sort_by_line(struct ig_diags *diags, size_t from)
{
	size_t i, j;

	if (diags == NULL)
		return;
	for (i = from + 1; i < diags->n; i++) {
		struct ig_diag cur = diags->v[i];

		for (j = i; j > from && diags->v[j - 1].line > cur.line; j--)
			diags->v[j] = diags->v[j - 1];
		diags->v[j] = cur;
	}
}

static void
invalid(struct ig_err *err, const char *file, size_t problems)
{
	ig_err_set(err, IG_EINVAL, "%s: invalid configuration (%zu problem%s)", file,
	    problems, problems == 1 ? "" : "s");
}

int
ig_service_parse(const char *text, size_t len, const char *file,
    struct ig_service **out, struct ig_diags *diags, struct ig_err *err)
{
	struct ig_service *svc = NULL;
	struct ig_ydoc *doc = NULL;
	size_t first = diags ? diags->n : 0;
	long problems;
	int rc = -1;

	*out = NULL;
	if (file == NULL)
		file = SERVICE_FILE;
	if ((svc = service_new()) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	if ((problems = service_validate(text, len, file, svc, &doc, diags, err)) < 0)
		goto out;
	if (problems > 0) {
		sort_by_line(diags, first);
		invalid(err, file, (size_t)problems);
		goto out;
	}
	*out = svc;
	svc = NULL;
	rc = 0;
out:
	ig_ydoc_free(doc);
	service_release(svc);
	return rc;
}

/* ---- loading from a directory ------------------------------------------ */

/* The entry must be a regular file beneath dirfd. Returns problems added. */
static size_t
check_entry_file(int dirfd, const struct ig_service *svc, const struct ig_ydoc *doc,
    const char *file, struct ig_diags *diags)
{
	const struct ig_ynode *n = ig_ynode_path(doc->root, "service.entry");
	int line = n ? n->line : 0;
	char shown[128];
	struct ig_err e = { 0 };
	struct stat st;
	int fd;

	ig_ydoc_printable(svc->entry, strlen(svc->entry), shown, sizeof(shown));
	/* Symlinks are followed only while they stay beneath dirfd. */
	fd = ig_fs_open_beneath(dirfd, svc->entry, O_PATH, &e);
	if (fd < 0) {
		if (e.code == IG_ENOENT)
			ig_diags_add(diags, file, line, "service.entry \"%s\" does not exist in the "
			    "service directory", shown);
		else if (e.code == IG_EPERM)
			ig_diags_add(diags, file, line, "service.entry \"%s\" resolves outside the "
			    "service directory (symlink escape refused)", shown);
		else
			ig_diags_add(diags, file, line, "service.entry \"%s\" cannot be checked (%s)",
			    shown, e.sys_errno ? strerror(e.sys_errno) : ig_err_name(e.code));
		return 1;
	}
	if (fstat(fd, &st) != 0) {
		ig_diags_add(diags, file, line, "service.entry \"%s\" cannot be checked (%s)",
		    shown, strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	if (S_ISDIR(st.st_mode)) {
		ig_diags_add(diags, file, line, "service.entry \"%s\" is a directory, not a file", shown);
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		ig_diags_add(diags, file, line, "service.entry \"%s\" is not a regular file", shown);
		return 1;
	}
	return 0;
}

/* The last path component of dir, resolving "." and "..". NULL on failure. */
static char *
dir_basename(const char *dir)
{
	char *copy = strdup(dir), *real = NULL, *base, *res = NULL;
	size_t n;

	if (copy == NULL)
		return NULL;
	n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	base = strrchr(copy, '/');
	base = base ? base + 1 : copy;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		if ((real = realpath(dir, NULL)) == NULL)
			goto out;
		base = strrchr(real, '/');
		base = base ? base + 1 : real;
	}
	res = strdup(base);
out:
	free(copy);
	free(real);
	return res;
}

static size_t
check_dir_name(const char *dir, const struct ig_service *svc, const struct ig_ydoc *doc,
    const char *file, struct ig_diags *diags)
{
	const struct ig_ynode *n = ig_ynode_path(doc->root, "service.name");
	char shown[128];
	char *base = dir_basename(dir);
	size_t problems = 0;

	if (base == NULL) {
		ig_diags_add(diags, file, n ? n->line : 0,
		    "service.name cannot be compared with the directory name");
		return 1;
	}
	if (strcmp(base, svc->name) != 0) {
		ig_ydoc_printable(base, strlen(base), shown, sizeof(shown));
		ig_diags_add(diags, file, n ? n->line : 0,
		    "service.name \"%s\" must equal the directory name \"%s\"", svc->name, shown);
		problems = 1;
	}
	free(base);
	return problems;
}

int
ig_service_load(const char *dir, bool require_dir_name,
    struct ig_service **out, struct ig_diags *diags, struct ig_err *err)
{
	struct ig_service *svc = NULL;
	struct ig_ydoc *doc = NULL;
	struct ig_buf text;
	size_t first = diags ? diags->n : 0;
	long problems;
	int dirfd = -1, rc = -1;

	*out = NULL;
	ig_buf_init(&text, IG_YAML_MAX_BYTES);
	if ((dirfd = ig_fs_open_dir(dir, err)) < 0)
		goto out;
	if (ig_fs_read_beneath(dirfd, SERVICE_FILE, &text, err) != 0) {
		if (err != NULL && err->code == IG_ETOOBIG) {
			ig_diags_add(diags, SERVICE_FILE, 0, "file is larger than %d bytes",
			    IG_YAML_MAX_BYTES);
			invalid(err, SERVICE_FILE, 1);
		} else {
			ig_err_prefix(err, "%s", dir);
		}
		goto out;
	}
	if ((svc = service_new()) == NULL || (svc->dir = strdup(dir)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	problems = service_validate(text.data ? text.data : "", text.len, SERVICE_FILE, svc,
	    &doc, diags, err);
	if (problems < 0)
		goto out;
	/* Checked even when other keys are wrong: every problem in one pass. */
	if (svc->entry != NULL)
		problems += (long)check_entry_file(dirfd, svc, doc, SERVICE_FILE, diags);
	if (require_dir_name && svc->name != NULL)
		problems += (long)check_dir_name(dir, svc, doc, SERVICE_FILE, diags);
	if (problems > 0) {
		sort_by_line(diags, first);
		invalid(err, SERVICE_FILE, (size_t)problems);
		goto out;
	}
	*out = svc;
	svc = NULL;
	rc = 0;
out:
	if (dirfd >= 0)
		close(dirfd);
	ig_buf_free(&text);
	ig_ydoc_free(doc);
	service_release(svc);
	return rc;
}

/* ---- JSON -------------------------------------------------------------- */

/* Whole numbers as JSON integers (50, not 50.0); others as the shortest
 * text that reads back the same in practice (0.8, not 0.80000000000000004). */
static struct json_object *
json_num(double v)
{
	char text[40];

	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_object_new_int64((int64_t)v);
	snprintf(text, sizeof(text), "%.15g", v);
	return json_object_new_double_s(v, text);
}

/* Adds val under key; a NULL val (allocation failure) marks *ok false. */
static void
put(struct json_object *obj, const char *key, struct json_object *val, bool *ok)
{
	if (obj == NULL || val == NULL) {
		json_object_put(val);
		*ok = false;
		return;
	}
	if (json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		*ok = false;
	}
}

struct json_object *
ig_service_to_json(const struct ig_service *svc)
{
	const struct ig_preflight_cfg *p = &svc->preflight;
	struct json_object *root, *s, *env, *pf, *m, *d, *im, *t;
	bool ok = true;
	size_t i;

	root = json_object_new_object();
	s = json_object_new_object();
	env = json_object_new_object();
	pf = json_object_new_object();
	m = json_object_new_object();
	d = json_object_new_object();
	im = json_object_new_object();
	t = json_object_new_object();

	put(s, "name", json_object_new_string(svc->name ? svc->name : ""), &ok);
	put(s, "runtime", json_object_new_string(svc->runtime ? svc->runtime : ""), &ok);
	put(s, "entry", json_object_new_string(svc->entry ? svc->entry : ""), &ok);
	put(s, "memoryMb", json_object_new_int64(svc->memory_mb), &ok);
	put(s, "cpuLimit", json_num(svc->cpu_limit), &ok);
	put(s, "timeoutMs", json_object_new_int64(svc->timeout_ms), &ok);
	for (i = 0; i < svc->env_n; i++)
		put(env, svc->env[i].name, json_object_new_string(svc->env[i].value), &ok);
	put(s, "env", env, &ok);

	put(m, "baseMb", json_num(p->memory_base_mb), &ok);
	put(m, "perDependencyMb", json_num(p->memory_per_dep_mb), &ok);
	put(m, "warnRatio", json_num(p->memory_warn_ratio), &ok);
	put(m, "failRatio", json_num(p->memory_fail_ratio), &ok);
	put(d, "warnCount", json_object_new_int64(p->deps_warn_count), &ok);
	put(d, "infoCount", json_object_new_int64(p->deps_info_count), &ok);
	put(im, "warnMb", json_num(p->image_warn_mb), &ok);
	put(im, "failMb", json_num(p->image_fail_mb), &ok);
	put(t, "minMs", json_object_new_int64(p->timeout_min_ms), &ok);
	put(t, "maxMs", json_object_new_int64(p->timeout_max_ms), &ok);
	put(t, "coldStartBufferMs", json_object_new_int64(p->cold_start_buffer_ms), &ok);
	put(pf, "memory", m, &ok);
	put(pf, "dependencies", d, &ok);
	put(pf, "image", im, &ok);
	put(pf, "timeout", t, &ok);

	put(root, "service", s, &ok);
	put(root, "preflight", pf, &ok);
	if (!ok) {
		json_object_put(root);
		return NULL;
	}
	return root;
}
