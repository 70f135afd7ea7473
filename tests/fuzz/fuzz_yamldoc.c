/*
 * fuzz_yamldoc.c — the YAML reader under every Ignite YAML file:
 * ig_ydoc_parse on any bytes, then a walk of the tree with every typed read,
 * ig_ydoc_printable at several buffer sizes, ig_ynode_path, and
 * ig_ydoc_apply/ig_ydoc_release with a table that uses every field type.
 *
 * Properties: a parsed tree respects the documented bounds (depth, node
 * count, scalar size, NUL-terminated scalars, scalar keys); printable
 * renderings are NUL-terminated within their buffer and escape every
 * control, quote and non-ASCII byte.
 */
#include "fuzz.h"

#include "diag.h"
#include "err.h"
#include "bounds.h"
#include "yamldoc.h"

#include <stdbool.h>

struct yamldoc_kv {
	char *name;
	char *value;
};

struct yamldoc_base {
	char  *s, *ms;
	long   i, mi;
	double n;
	bool   b;
	char **l;
	size_t l_n;
	struct yamldoc_kv *sm;
	size_t sm_n;
};

static const char *
yamldoc_check(const char *s, size_t len)
{
	return len == 3 && memcmp(s, "bad", 3) == 0 ? "is not allowed" : NULL;
}

#define YB(f) offsetof(struct yamldoc_base, f)

static const struct ig_yfield yamldoc_nested[] = {
	{ .key = "mi", .type = IG_YT_INT, .offset = YB(mi), .max = 10 },
	{ .key = "ms", .type = IG_YT_STRING, .flags = IG_YF_REQUIRED, .offset = YB(ms), .max_len = 8 },
	{ .key = NULL },
};

static const struct ig_yfield yamldoc_fields[] = {
	{ .key = "s", .type = IG_YT_STRING, .offset = YB(s), .check = yamldoc_check },
	{ .key = "i", .type = IG_YT_INT, .flags = IG_YF_POSITIVE, .offset = YB(i), .max = 1000 },
	{ .key = "n", .type = IG_YT_NUMBER, .flags = IG_YF_POSITIVE, .offset = YB(n), .max = 1e6 },
	{ .key = "b", .type = IG_YT_BOOL, .offset = YB(b) },
	{ .key = "m", .type = IG_YT_MAP, .fields = yamldoc_nested },
	{ .key = "l", .type = IG_YT_STRING_LIST, .offset = YB(l), .count_offset = YB(l_n),
	  .max_len = 16, .max_items = 4, .check = yamldoc_check },
	{ .key = "sm", .type = IG_YT_SCALAR_MAP, .offset = YB(sm), .count_offset = YB(sm_n),
	  .max_items = 8, .max_len = 32, .check = yamldoc_check, .check_key = yamldoc_check,
	  .elem_size = sizeof(struct yamldoc_kv), .elem_key_offset = offsetof(struct yamldoc_kv, name),
	  .elem_value_offset = offsetof(struct yamldoc_kv, value) },
	{ .key = "req", .type = IG_YT_STRING, .flags = IG_YF_REQUIRED, .offset = YB(s) },
	{ .key = NULL },
};

static void
yamldoc_printable_ok(const char *s, size_t len)
{
	static const size_t sizes[] = { 5, 6, 8, 9, 13, 64, 300 };
	char buf[300];
	size_t k, i, o;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		memset(buf, 'Z', sizeof(buf));
		ig_ydoc_printable(s, len, buf, sizes[k]);
		o = strnlen(buf, sizes[k]);
		FUZZ_CHECK(o < sizes[k]);
		for (i = 0; i < o; i++) {
			unsigned char c = (unsigned char)buf[i];
			FUZZ_CHECK(c >= 0x20 && c < 0x7f && c != '"');
		}
	}
}

static size_t
yamldoc_walk(const struct ig_ynode *n, int depth)
{
	size_t i, count = 1;
	long long ll;
	double d;
	bool b;

	FUZZ_CHECK(n != NULL);
	FUZZ_CHECK(depth <= IG_YAML_MAX_DEPTH + 1);
	FUZZ_CHECK(n->line >= 1);
	switch (n->kind) {
	case IG_YSCALAR:
		FUZZ_CHECK(n->text != NULL && n->text[n->len] == '\0');
		FUZZ_CHECK(n->len <= IG_YAML_MAX_SCALAR);
		if (ig_ynode_int(n, &ll) == 0)
			FUZZ_CHECK(n->plain);
		if (ig_ynode_number(n, &d) == 0)
			FUZZ_CHECK(n->plain && d == d && d - d == 0);
		if (ig_ynode_bool(n, &b) == 0)
			FUZZ_CHECK(n->plain);
		(void)ig_ynode_is_null(n);
		yamldoc_printable_ok(n->text, n->len);
		break;
	case IG_YSEQ:
		FUZZ_CHECK(n->n_items == 0 || n->items != NULL);
		for (i = 0; i < n->n_items; i++)
			count += yamldoc_walk(n->items[i], depth + 1);
		break;
	case IG_YMAP:
		FUZZ_CHECK(n->n_pairs == 0 || n->pairs != NULL);
		for (i = 0; i < n->n_pairs; i++) {
			FUZZ_CHECK(n->pairs[i].key != NULL && n->pairs[i].key->kind == IG_YSCALAR);
			count += yamldoc_walk(n->pairs[i].key, depth + 1);
			count += yamldoc_walk(n->pairs[i].value, depth + 1);
			/* A key with an embedded NUL cannot be looked up by C string. */
			FUZZ_CHECK(strlen(n->pairs[i].key->text) != n->pairs[i].key->len ||
			    ig_ynode_get(n, n->pairs[i].key->text) != NULL);
		}
		break;
	default:
		FUZZ_CHECK(!"unknown node kind");
	}
	return count;
}

int
fuzz_yamldoc(const uint8_t *data, size_t size)
{
	struct yamldoc_base base;
	struct ig_ydoc *doc = NULL;
	struct ig_diags diags = { 0 }, adiags = { 0 };
	struct ig_err err = { 0 };
	size_t nodes, problems, i;
	int rc;

	rc = ig_ydoc_parse((const char *)data, size, "doc.yaml", &doc, &diags, &err);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1 && doc == NULL);
		FUZZ_CHECK(err.code != IG_OK);
		FUZZ_CHECK(err.code != IG_EINVAL || diags.n + diags.dropped > 0);
		goto out;
	}
	FUZZ_CHECK(doc != NULL && doc->root != NULL);
	nodes = yamldoc_walk(doc->root, 0);
	FUZZ_CHECK(nodes <= IG_YAML_MAX_NODES);
	(void)ig_ynode_path(doc->root, "m.mi");
	(void)ig_ynode_path(doc->root, "service.name");
	(void)ig_ynode_path(doc->root, "");

	memset(&base, 0, sizeof(base));
	problems = ig_ydoc_apply(doc->root, yamldoc_fields, "", 1, "doc.yaml", &base, &adiags);
	FUZZ_CHECK(problems <= adiags.n + adiags.dropped);
	FUZZ_CHECK(base.l_n <= 4 && base.sm_n <= 8);
	for (i = 0; i < base.l_n; i++)
		FUZZ_CHECK(base.l[i] != NULL && strlen(base.l[i]) <= 16);
	for (i = 0; i < base.sm_n; i++)
		FUZZ_CHECK(base.sm[i].name != NULL && base.sm[i].value != NULL &&
		    strlen(base.sm[i].value) <= 32);
	if (base.ms != NULL)
		FUZZ_CHECK(strlen(base.ms) <= 8);
	ig_ydoc_release(yamldoc_fields, &base);
	FUZZ_CHECK(base.s == NULL && base.l == NULL && base.sm == NULL && base.ms == NULL);
out:
	ig_ydoc_free(doc);
	ig_diags_free(&diags);
	ig_diags_free(&adiags);
	return 0;
}

#ifndef IG_FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_yamldoc(data, size);
}
#endif
