/* test_yamldoc.c — the bounded YAML tree, typed reads, schema walking, and
 * hostile input (limits, alias bombs, bad UTF-8, random and truncated bytes). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "yamldoc.h"

/* ---- helpers ----------------------------------------------------------- */

static struct ig_ydoc *
parse_ok(const char *text)
{
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_ydoc *doc = NULL;
	char line[700];

	if (ig_ydoc_parse(text, strlen(text), "t.yaml", &doc, &d, &err) != 0) {
		if (d.n > 0)
			fail_msg("parse failed: %s / %s", err.msg, ig_diag_format(&d.v[0], line, sizeof(line)));
		fail_msg("parse failed: %s", err.msg);
	}
	assert_int_equal(d.n, 0);
	assert_non_null(doc);
	assert_non_null(doc->root);
	ig_diags_free(&d);
	return doc;
}

/* Parses len bytes expecting failure with a diagnostic at line (-1: any)
 * whose text contains want. */
static void
parse_fail_len(const char *text, size_t len, int line, const char *want)
{
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_ydoc *doc = NULL;
	char buf[700];
	size_t i;
	bool found = false;

	assert_int_equal(ig_ydoc_parse(text, len, "t.yaml", &doc, &d, &err), -1);
	assert_null(doc);
	assert_int_equal(err.code, IG_EINVAL);
	for (i = 0; i < d.n; i++) {
		if (strstr(d.v[i].msg, want) != NULL && (line < 0 || d.v[i].line == line))
			found = true;
		assert_string_equal(d.v[i].file, "t.yaml");
	}
	if (!found) {
		for (i = 0; i < d.n; i++)
			print_message("  got: %s\n", ig_diag_format(&d.v[i], buf, sizeof(buf)));
		fail_msg("no diagnostic at line %d containing \"%s\"", line, want);
	}
	ig_diags_free(&d);
}

static void
parse_fail(const char *text, int line, const char *want)
{
	parse_fail_len(text, strlen(text), line, want);
}

/* Parses any bytes; must not crash, leak, or return inconsistent results. */
static void
parse_any(const char *text, size_t len)
{
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_ydoc *doc = NULL;
	int rc = ig_ydoc_parse(text, len, "t.yaml", &doc, &d, &err);

	if (rc == 0) {
		assert_non_null(doc);
		assert_non_null(doc->root);
		assert_true(doc->n_nodes <= IG_YAML_MAX_NODES);
	} else {
		assert_null(doc);
		assert_true(err.code == IG_EINVAL || err.code == IG_ENOMEM);
		if (err.code == IG_EINVAL)
			assert_true(d.n + d.dropped > 0);
	}
	ig_ydoc_free(doc);
	ig_diags_free(&d);
}

static char *
repeat(const char *unit, size_t times, const char *tail)
{
	size_t ul = strlen(unit), tl = strlen(tail), i;
	char *s = malloc(ul * times + tl + 1);

	assert_non_null(s);
	for (i = 0; i < times; i++)
		memcpy(s + i * ul, unit, ul);
	memcpy(s + ul * times, tail, tl + 1);
	return s;
}

/* Deterministic generator so a failing iteration can be replayed. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- tree shape -------------------------------------------------------- */

static void
test_tree_shape(void **state)
{
	const char *text =
	    "a: 1\n"
	    "b: \"123\"\n"
	    "c:\n"
	    "  - x\n"
	    "  - 'y'\n"
	    "d: { e: true }\n"
	    "f: |\n"
	    "  literal\n";
	struct ig_ydoc *doc = parse_ok(text);
	const struct ig_ynode *r = doc->root, *n;

	(void)state;
	assert_int_equal(r->kind, IG_YMAP);
	assert_int_equal(r->n_pairs, 5);
	assert_string_equal(r->pairs[0].key->text, "a");
	assert_int_equal(r->pairs[0].key->line, 1);

	n = ig_ynode_get(r, "a");
	assert_int_equal(n->kind, IG_YSCALAR);
	assert_true(n->plain);
	assert_string_equal(n->text, "1");
	assert_int_equal(n->len, 1);

	n = ig_ynode_get(r, "b");
	assert_false(n->plain);
	assert_string_equal(n->text, "123");
	assert_int_equal(n->line, 2);

	n = ig_ynode_get(r, "c");
	assert_int_equal(n->kind, IG_YSEQ);
	assert_int_equal(n->n_items, 2);
	assert_true(n->items[0]->plain);
	assert_false(n->items[1]->plain);
	assert_int_equal(n->items[1]->line, 5);

	n = ig_ynode_path(r, "d.e");
	assert_non_null(n);
	assert_string_equal(n->text, "true");
	assert_int_equal(n->line, 6);

	n = ig_ynode_get(r, "f");
	assert_false(n->plain);
	assert_string_equal(n->text, "literal\n");

	assert_null(ig_ynode_get(r, "zz"));
	assert_null(ig_ynode_path(r, "a.b"));
	assert_null(ig_ynode_path(r, "d.zz"));
	assert_null(ig_ynode_get(n, "x"));
	ig_ydoc_free(doc);
}

static void
test_empty_is_empty_mapping(void **state)
{
	const char *inputs[] = { "", "# only a comment\n", "\n\n   \n", "---\n", "---\n...\n" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct ig_ydoc *doc = parse_ok(inputs[i]);

		/* "---" alone is a document holding a null, which schemas read as empty. */
		assert_true(doc->root->kind == IG_YMAP || ig_ynode_is_null(doc->root));
		if (doc->root->kind == IG_YMAP)
			assert_int_equal(doc->root->n_pairs, 0);
		ig_ydoc_free(doc);
	}
}

static void
test_embedded_nul_scalar(void **state)
{
	struct ig_ydoc *doc = parse_ok("a: \"x\\0y\"\n");
	const struct ig_ynode *n = ig_ynode_get(doc->root, "a");

	(void)state;
	assert_int_equal(n->len, 3);
	assert_int_equal(n->text[1], '\0');
	ig_ydoc_free(doc);
}

static void
test_tags(void **state)
{
	struct ig_ydoc *doc;

	(void)state;
	doc = parse_ok("a: !!str 123\nb: !!int 5\nc: !!map {x: 1}\nd: !!seq [1]\n");
	assert_false(ig_ynode_get(doc->root, "a")->plain);
	assert_true(ig_ynode_get(doc->root, "b")->plain);
	ig_ydoc_free(doc);

	parse_fail("a: !custom 1\n", 1, "is not supported");
	parse_fail("a: !!python/object:os.system x\n", 1, "is not supported");
	parse_fail("a: !!map 1\n", 1, "does not fit a scalar");
	parse_fail("a: !!str [1]\n", 1, "does not fit a list");
	parse_fail("%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n", 3, "is not supported");
}

/* ---- rejected constructs ----------------------------------------------- */

static void
test_alias_bomb_refused(void **state)
{
	const char *bomb =
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";

	(void)state;
	parse_fail(bomb, 1, "anchors");
	/* An alias alone (no anchor), and an anchor on a scalar. */
	parse_fail("a: *nowhere\n", 1, "aliases");
	parse_fail("a: &x 1\n", 1, "anchors (&x)");
	parse_fail("base: &b {x: 1}\nother:\n  <<: *b\n", 1, "anchors");
}

static void
test_duplicate_keys(void **state)
{
	(void)state;
	parse_fail("a: 1\nb: 2\na: 3\n", 3, "a: duplicate key (first defined at line 1)");
	parse_fail("s:\n  x: 1\n  y: 2\n  x: 3\n", 4, "s.x: duplicate key (first defined at line 2)");
	parse_fail("l:\n  - {k: 1, k: 2}\n", 2, "l[0].k: duplicate key");
	parse_fail("\"a\": 1\na: 2\n", 2, "duplicate key");

	/* Three copies: two problems, each pointing at the first. */
	{
		struct ig_diags d = {0};
		struct ig_err err = {0};
		struct ig_ydoc *doc = NULL;
		const char *t = "k: 1\nk: 2\nk: 3\n";

		assert_int_equal(ig_ydoc_parse(t, strlen(t), "t.yaml", &doc, &d, &err), -1);
		assert_int_equal(d.n, 2);
		assert_int_equal(d.v[0].line, 2);
		assert_int_equal(d.v[1].line, 3);
		assert_non_null(strstr(d.v[1].msg, "first defined at line 1"));
		ig_diags_free(&d);
	}
}

static void
test_complex_keys_refused(void **state)
{
	(void)state;
	parse_fail("? [a, b]\n: 1\n", 1, "mapping keys must be plain scalars");
	parse_fail("{ {a: 1}: 2 }\n", 1, "mapping keys must be plain scalars");
}

static void
test_multiple_documents(void **state)
{
	(void)state;
	parse_fail("a: 1\n---\nb: 2\n", 2, "more than one YAML document");
	parse_fail("---\na: 1\n...\n---\nb: 2\n", 4, "more than one YAML document");
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	parse_fail("a: \xff\n", 1, "not valid UTF-8");
	parse_fail("a: 1\nb: 2\nc: \xc3\x28\n", 3, "not valid UTF-8");
	parse_fail("a: 1\n\xed\xa0\x80: x\n", 2, "not valid UTF-8");   /* surrogate */
	parse_fail("a: \xf8\x88\x80\x80\x80\n", 1, "not valid UTF-8");  /* 5-byte form */
	/* UTF-16 with a byte order mark is not accepted as UTF-8. */
	parse_fail_len("\xff\xfe" "a\0:\0 \0" "1\0", 10, 1, "not valid UTF-8");
	/* Control characters and raw NUL bytes. */
	parse_fail_len("a: 1\nb: x\0y\n", 12, 2, "not valid UTF-8");
	parse_fail("a: \x01\n", 1, "not valid UTF-8");
	/* A UTF-8 byte order mark is fine. */
	ig_ydoc_free(parse_ok("\xef\xbb\xbf" "a: 1\n"));
	ig_ydoc_free(parse_ok("name: caf\xc3\xa9\n"));
}

static void
test_syntax_errors_have_lines(void **state)
{
	(void)state;
	parse_fail("a: 1\nb: [1, 2\n", -1, "YAML syntax error");
	parse_fail("a: 1\n  b: 2\n", 2, "YAML syntax error");
	parse_fail("a: \"unterminated\n", -1, "YAML syntax error");
	parse_fail("a:\n\t- 1\n", 2, "YAML syntax error");
	parse_fail("a: 1\nb: 2\nc: @x\n", 3, "YAML syntax error");
}

/* ---- limits ------------------------------------------------------------ */

static void
test_size_limit(void **state)
{
	size_t big = 10u * 1024 * 1024;
	char *s = malloc(big);
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_ydoc *doc = NULL;

	(void)state;
	assert_non_null(s);
	memset(s, 'a', big);
	parse_fail_len(s, big, 0, "larger than");
	parse_fail_len(s, IG_YAML_MAX_BYTES + 1, 0, "larger than");
	/* Exactly at the limit is parsed (one long plain scalar is too long,
	 * but it is the scalar limit that speaks, not the size limit). */
	assert_int_equal(ig_ydoc_parse(s, IG_YAML_MAX_BYTES, "t.yaml", &doc, &d, &err), -1);
	assert_null(strstr(d.v[0].msg, "larger than"));
	ig_diags_free(&d);
	free(s);
}

static void
test_depth_limit(void **state)
{
	char *ok, *deep, *huge;

	(void)state;
	ok = repeat("[", IG_YAML_MAX_DEPTH, "");
	{
		char *full = malloc(2 * IG_YAML_MAX_DEPTH + 1);

		memcpy(full, ok, IG_YAML_MAX_DEPTH);
		memset(full + IG_YAML_MAX_DEPTH, ']', IG_YAML_MAX_DEPTH);
		full[2 * IG_YAML_MAX_DEPTH] = '\0';
		ig_ydoc_free(parse_ok(full));
		free(full);
	}
	deep = repeat("[", IG_YAML_MAX_DEPTH + 1, "");
	parse_fail(deep, 1, "nesting deeper than");
	/* Block style nesting, one level per line. */
	{
		char *block = malloc(64 * 64 * 2 + 16);
		size_t o = 0;
		int i, j;

		for (i = 0; i < 40; i++) {
			for (j = 0; j < i; j++)
				block[o++] = ' ';
			o += (size_t)snprintf(block + o, 32, "k%d:\n", i);
		}
		block[o] = '\0';
		parse_fail(block, IG_YAML_MAX_DEPTH + 1, "nesting deeper than");
		free(block);
	}
	/* As deep as the size limit allows: refused quickly, no stack blowup. */
	huge = repeat("[", IG_YAML_MAX_BYTES - 1, "");
	parse_fail(huge, 1, "nesting deeper than");
	huge[0] = '{';
	parse_any(huge, strlen(huge));
	free(ok);
	free(deep);
	free(huge);
}

/* "[1,1,…,1]" with items entries. */
static char *
flow_list(size_t items)
{
	char *s = malloc(2 * items + 2), *p = s;
	size_t i;

	assert_non_null(s);
	*p++ = '[';
	for (i = 0; i < items; i++) {
		*p++ = '1';
		*p++ = i + 1 < items ? ',' : ']';
	}
	*p = '\0';
	return s;
}

static void
test_node_limit(void **state)
{
	char *many = flow_list(IG_YAML_MAX_NODES);
	char *fits = flow_list(IG_YAML_MAX_NODES - 1);   /* plus the list itself */

	(void)state;
	parse_fail(many, 1, "more than 20000 nodes");
	ig_ydoc_free(parse_ok(fits));
	free(many);
	free(fits);
}

static void
test_scalar_limit(void **state)
{
	char *s = repeat("x", 3 + IG_YAML_MAX_SCALAR + 1, "\n");   /* "a: " + one byte too many */
	char *t;

	(void)state;
	memcpy(s, "a: ", 3);
	parse_fail(s, 1, "scalar longer than");
	free(s);
	t = repeat("x", IG_YAML_MAX_SCALAR + 3, "\n");
	memcpy(t, "a: ", 3);
	t[IG_YAML_MAX_SCALAR + 3] = '\0';
	ig_ydoc_free(parse_ok(t));
	free(t);
}

static void
test_many_keys_duplicate_check_is_fast(void **state)
{
	/* 9000 distinct keys plus one repeat at the end. */
	size_t cap = 9001 * 16, o = 0;
	char *s = malloc(cap);
	int i;

	(void)state;
	for (i = 0; i < 9000; i++)
		o += (size_t)snprintf(s + o, cap - o, "k%d: 1\n", i);
	snprintf(s + o, cap - o, "k17: 2\n");
	parse_fail(s, 9001, "k17: duplicate key (first defined at line 18)");
	free(s);
}

/* ---- hostile bytes ----------------------------------------------------- */

static const char *const seeds[] = {
	("service:\n  name: svc\n  runtime: node@24\n  entry: index.ts\n  memoryMb: 128\n"
	 "  timeoutMs: 5000\n  env: { A: \"1\", B: 'x' }\npreflight:\n  memory: { baseMb: 50 }\n"),
	"security:\n  process:\n    allowedCommands: [ls, \"/bin/cat\"]\n",
	"a: &x [1, *x]\n--- \nb: !!str |\n  text\n? [c]\n: d\n",
	"{a: [b, {c: d}], \"e\\u00e9\\0\": 'f''g', h: >-\n  folded\n}\n",
	"- - - - [1, 2, {a: b}]\n- %\n- @\n- `\n",
};

static void
test_truncated_inputs(void **state)
{
	size_t i, cut;

	(void)state;
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		size_t len = strlen(seeds[i]);

		for (cut = 0; cut <= len; cut++) {
			/* A fresh heap copy of exactly cut bytes, so ASan sees any overread. */
			char *p = malloc(cut ? cut : 1);

			memcpy(p, seeds[i], cut);
			parse_any(p, cut);
			free(p);
		}
	}
}

static void
test_random_bytes(void **state)
{
	static const char alphabet[] = "abc:- \n\t[]{},'\"&*!|>?#%@`\\0123456789.~\xc3\xa9\xff";
	int iter;

	(void)state;
	for (iter = 0; iter < 4000; iter++) {
		size_t len = (size_t)(rng() % 300), i;
		char *p = malloc(len ? len : 1);
		int mode = (int)(rng() % 3);

		for (i = 0; i < len; i++) {
			if (mode == 0)
				p[i] = (char)(rng() & 0xff);
			else
				p[i] = alphabet[rng() % (sizeof(alphabet) - 1)];
		}
		if (mode == 2 && len > 0) {
			/* Mutate a seed instead. */
			const char *s = seeds[rng() % (sizeof(seeds) / sizeof(seeds[0]))];
			size_t sl = strlen(s), n = len < sl ? len : sl;

			memcpy(p, s, n);
			for (i = 0; i < 1 + rng() % 4; i++)
				p[rng() % n] = alphabet[rng() % (sizeof(alphabet) - 1)];
			len = n;
		}
		parse_any(p, len);
		free(p);
	}
}

/* ---- typed reads ------------------------------------------------------- */

static struct ig_ynode
scalar(const char *text, bool plain)
{
	struct ig_ynode n;

	memset(&n, 0, sizeof(n));
	n.kind = IG_YSCALAR;
	n.text = (char *)text;
	n.len = strlen(text);
	n.plain = plain;
	n.line = 1;
	return n;
}

static void
test_int_reads(void **state)
{
	static const struct { const char *t; long long v; } good[] = {
		{ "0", 0 }, { "7", 7 }, { "-5", -5 }, { "+9", 9 }, { "9223372036854775807", INT64_MAX },
	};
	static const char *const bad[] = {
		"", "010", "0x10", "0o7", "1e3", "1.0", "1_000", "9223372036854775808", "12a",
		"- 1", "+", "-", " 1", ".inf", "true", "~",
	};
	struct ig_ynode n;
	long long v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		n = scalar(good[i].t, true);
		assert_int_equal(ig_ynode_int(&n, &v), 0);
		assert_true(v == good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = scalar(bad[i], true);
		if (ig_ynode_int(&n, &v) == 0)
			fail_msg("\"%s\" read as an integer", bad[i]);
	}
	n = scalar("5", false);
	assert_int_equal(ig_ynode_int(&n, &v), -1);
	assert_int_equal(ig_ynode_int(NULL, &v), -1);
}

static void
test_number_reads(void **state)
{
	static const struct { const char *t; double v; } good[] = {
		{ "0", 0 }, { "1.5", 1.5 }, { ".5", 0.5 }, { "5.", 5 }, { "1e3", 1000 },
		{ "-0.25", -0.25 }, { "+2E-2", 0.02 }, { "0.8", 0.8 },
	};
	static const char *const bad[] = {
		"", ".", "e3", "1e", "1e+", ".inf", "-.inf", ".nan", ".NaN", "nan", "inf", "Infinity",
		"0x10", "0x1p3", "1e999", "-1e999", "1e-400", "1_000.5", "1.2.3", "01.5", "1,5", "~",
	};
	struct ig_ynode n;
	double v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		n = scalar(good[i].t, true);
		if (ig_ynode_number(&n, &v) != 0)
			fail_msg("\"%s\" not read as a number", good[i].t);
		assert_true(v == good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = scalar(bad[i], true);
		if (ig_ynode_number(&n, &v) == 0)
			fail_msg("\"%s\" read as a number", bad[i]);
	}
	n = scalar("1.5", false);
	assert_int_equal(ig_ynode_number(&n, &v), -1);
}

static void
test_bool_and_null_reads(void **state)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	static const char *const bad[] = { "yes", "no", "on", "off", "y", "1", "0", "tRUE", "" };
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	struct ig_ynode n;
	bool b;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		n = scalar(yes[i], true);
		assert_int_equal(ig_ynode_bool(&n, &b), 0);
		assert_true(b);
		n = scalar(no[i], true);
		assert_int_equal(ig_ynode_bool(&n, &b), 0);
		assert_false(b);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = scalar(bad[i], true);
		assert_int_equal(ig_ynode_bool(&n, &b), -1);
	}
	n = scalar("true", false);
	assert_int_equal(ig_ynode_bool(&n, &b), -1);
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
		n = scalar(nulls[i], true);
		assert_true(ig_ynode_is_null(&n));
		n = scalar(nulls[i], false);
		assert_false(ig_ynode_is_null(&n));
	}
	n = scalar("nil", true);
	assert_false(ig_ynode_is_null(&n));
	assert_false(ig_ynode_is_null(NULL));
}

static void
test_printable(void **state)
{
	char buf[200];
	char *long_text = repeat("a", 500, "");

	(void)state;
	assert_string_equal(ig_ydoc_printable("ok", 2, buf, sizeof(buf)), "ok");
	assert_string_equal(ig_ydoc_printable("a\nb\"\x1b[0m", 8, buf, sizeof(buf)),
	    "a\\x0ab\\x22\\x1b[0m");
	assert_string_equal(ig_ydoc_printable("a\0b", 3, buf, sizeof(buf)), "a\\x00b");
	ig_ydoc_printable(long_text, 500, buf, sizeof(buf));
	assert_true(strlen(buf) <= 70);
	assert_non_null(strstr(buf, "..."));
	ig_ydoc_printable(long_text, 500, buf, 10);
	assert_true(strlen(buf) < 10);
	ig_ydoc_printable("\xff\xff\xff\xff\xff", 5, buf, 12);
	assert_true(strlen(buf) < 12);
	free(long_text);
}

/* ---- schema walking ---------------------------------------------------- */

struct kv {
	char *name;
	char *value;
};

struct sample {
	char   *name;
	long    count;
	double  ratio;
	bool    flag;
	char  **tags;
	size_t  tags_n;
	struct kv *vars;
	size_t  vars_n;
	long    inner;
};

static const char *
no_x(const char *s, size_t len)
{
	return memchr(s, 'x', len) ? "must not contain x" : NULL;
}

static const char *
upper_only(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return "must be upper case";
	return NULL;
}

#define S(m) offsetof(struct sample, m)

static const struct ig_yfield inner_fields[] = {
	{ .key = "value", .type = IG_YT_INT, .flags = IG_YF_REQUIRED, .offset = S(inner) },
	{ .key = NULL },
};

static const struct ig_yfield sample_fields[] = {
	{ .key = "name", .type = IG_YT_STRING, .flags = IG_YF_REQUIRED, .offset = S(name),
	  .max_len = 8, .check = no_x },
	{ .key = "count", .type = IG_YT_INT, .flags = IG_YF_POSITIVE, .offset = S(count), .max = 100 },
	{ .key = "ratio", .type = IG_YT_NUMBER, .offset = S(ratio), .max = 2.5 },
	{ .key = "flag", .type = IG_YT_BOOL, .offset = S(flag) },
	{ .key = "tags", .type = IG_YT_STRING_LIST, .offset = S(tags), .count_offset = S(tags_n),
	  .max_items = 3, .max_len = 8, .check = no_x },
	{ .key = "vars", .type = IG_YT_SCALAR_MAP, .offset = S(vars), .count_offset = S(vars_n),
	  .max_items = 2, .max_len = 5, .check_key = upper_only,
	  .elem_size = sizeof(struct kv), .elem_key_offset = offsetof(struct kv, name),
	  .elem_value_offset = offsetof(struct kv, value) },
	{ .key = "inner", .type = IG_YT_MAP, .fields = inner_fields },
	{ .key = NULL },
};

static const struct ig_yfield sample_root[] = {
	{ .key = "sample", .type = IG_YT_MAP, .flags = IG_YF_REQUIRED, .fields = sample_fields },
	{ .key = NULL },
};

/* Applies the sample schema; returns problems, with diags in *d. */
static size_t
apply(const char *text, struct sample *s, struct ig_diags *d)
{
	struct ig_ydoc *doc = parse_ok(text);
	size_t n;

	memset(s, 0, sizeof(*s));
	n = ig_ydoc_apply(doc->root, sample_root, "", 0, "t.yaml", s, d);
	ig_ydoc_free(doc);
	return n;
}

static void
apply_fail(const char *text, int line, const char *want)
{
	struct ig_diags d = {0};
	struct sample s;
	char buf[700];
	size_t i;
	bool found = false;

	assert_true(apply(text, &s, &d) > 0);
	for (i = 0; i < d.n; i++)
		if (strcmp(d.v[i].msg, want) == 0 && d.v[i].line == line)
			found = true;
	if (!found) {
		for (i = 0; i < d.n; i++)
			print_message("  got: %s\n", ig_diag_format(&d.v[i], buf, sizeof(buf)));
		fail_msg("expected t.yaml:%d: %s", line, want);
	}
	ig_ydoc_release(sample_root, &s);
	ig_diags_free(&d);
}

static void
test_schema_stores_values(void **state)
{
	struct ig_diags d = {0};
	struct sample s;

	(void)state;
	assert_int_equal(apply("sample:\n  name: abc\n  count: 7\n  ratio: 2.5\n  flag: true\n"
	    "  tags: [a, \"b\"]\n  vars: { A: 3000, B: true }\n  inner: { value: -3 }\n", &s, &d), 0);
	assert_string_equal(s.name, "abc");
	assert_int_equal(s.count, 7);
	assert_true(s.ratio == 2.5);
	assert_true(s.flag);
	assert_int_equal(s.tags_n, 2);
	assert_string_equal(s.tags[1], "b");
	assert_int_equal(s.vars_n, 2);
	assert_string_equal(s.vars[0].name, "A");
	assert_string_equal(s.vars[0].value, "3000");
	assert_string_equal(s.vars[1].value, "true");
	assert_int_equal(s.inner, -3);
	ig_ydoc_release(sample_root, &s);
	assert_null(s.name);
	assert_null(s.tags);
	assert_null(s.vars);
	assert_int_equal(s.vars_n, 0);

	/* Null collections are empty; optional keys may be absent. */
	assert_int_equal(apply("sample:\n  name: n\n  tags:\n  vars: ~\n", &s, &d), 0);
	assert_int_equal(s.tags_n, 0);
	assert_int_equal(s.vars_n, 0);
	ig_ydoc_release(sample_root, &s);
	assert_int_equal(d.n, 0);
}

static void
test_schema_problems(void **state)
{
	(void)state;
	apply_fail("other: 1\n", 0, "sample is required");
	apply_fail("sample:\n", 1, "sample.name is required");
	apply_fail("sample: 5\n", 1, "sample must be a mapping");
	apply_fail("- a\n", 1, "the document must be a mapping of keys to values");
	apply_fail("sample:\n  name: n\n  nmae: m\n", 3, "sample.nmae: unknown key (did you mean name?)");
	apply_fail("sample:\n  name: n\n  FLAG: true\n", 3, "sample.FLAG: unknown key (did you mean flag?)");
	apply_fail("sample:\n  name: n\n  zzzzzz: 1\n", 3, "sample.zzzzzz: unknown key");
	apply_fail("samp1e:\n", 1, "samp1e: unknown key (did you mean sample?)");
	apply_fail("sample:\n  name: [a]\n", 2, "sample.name must be a string, not a list");
	apply_fail("sample:\n  name: \"\"\n", 2, "sample.name must be a non-empty string");
	apply_fail("sample:\n  name: ~\n", 2, "sample.name must be a non-empty string");
	apply_fail("sample:\n  name: \"a\\0b\"\n", 2, "sample.name must not contain NUL characters");
	apply_fail("sample:\n  name: abcdefghi\n", 2, "sample.name is too long (at most 8 bytes)");
	apply_fail("sample:\n  name: axe\n", 2, "sample.name must not contain x");
	apply_fail("sample:\n  name: n\n  count: 0\n", 3, "sample.count must be a positive number");
	apply_fail("sample:\n  name: n\n  count: -1\n", 3, "sample.count must be a positive number");
	apply_fail("sample:\n  name: n\n  count: \"5\"\n", 3,
	    "sample.count must be a positive number, not a quoted string");
	apply_fail("sample:\n  name: n\n  count: 2.5\n", 3, "sample.count must be an integer (digits only)");
	apply_fail("sample:\n  name: n\n  count: 101\n", 3, "sample.count must be at most 100");
	apply_fail("sample:\n  name: n\n  count: {a: 1}\n", 3, "sample.count must be a positive number");
	apply_fail("sample:\n  name: n\n  ratio: abc\n", 3, "sample.ratio must be a number");
	apply_fail("sample:\n  name: n\n  ratio: 2.6\n", 3, "sample.ratio must be at most 2.5");
	apply_fail("sample:\n  name: n\n  ratio: .nan\n", 3, "sample.ratio must be a number");
	apply_fail("sample:\n  name: n\n  flag: yes\n", 3, "sample.flag must be true or false");
	apply_fail("sample:\n  name: n\n  flag: \"true\"\n", 3,
	    "sample.flag must be true or false, not a quoted string");
	apply_fail("sample:\n  name: n\n  tags: a\n", 3, "sample.tags must be a list of strings");
	apply_fail("sample:\n  name: n\n  tags: [a, b, c, d]\n", 3,
	    "sample.tags has too many entries (4; at most 3)");
	apply_fail("sample:\n  name: n\n  tags: [a, [b]]\n", 3, "sample.tags[1] must be a string, not a list");
	apply_fail("sample:\n  name: n\n  tags:\n    - a\n    - ''\n", 5,
	    "sample.tags[1] must be a non-empty string");
	apply_fail("sample:\n  name: n\n  tags: [x]\n", 3, "sample.tags[0] must not contain x");
	apply_fail("sample:\n  name: n\n  vars: [A]\n", 3, "sample.vars must be a mapping of names to values");
	apply_fail("sample:\n  name: n\n  vars: {a: 1}\n", 3, "sample.vars.a must be upper case");
	apply_fail("sample:\n  name: n\n  vars: {A: [1]}\n", 3, "sample.vars.A must be a scalar value, not a list");
	apply_fail("sample:\n  name: n\n  vars: {A: {b: 1}}\n", 3,
	    "sample.vars.A must be a scalar value, not a mapping");
	apply_fail("sample:\n  name: n\n  vars: {A: }\n", 3,
	    "sample.vars.A must have a value (write \"\" for an empty string)");
	apply_fail("sample:\n  name: n\n  vars: {A: 123456}\n", 3, "sample.vars.A is too long (at most 5 bytes)");
	apply_fail("sample:\n  name: n\n  vars: {A: 1, B: 2, C: 3}\n", 3,
	    "sample.vars has too many entries (3; at most 2)");
	apply_fail("sample:\n  name: n\n  vars: {\"\": 1}\n", 3,
	    "sample.vars.: names must be non-empty and without NUL characters");
	apply_fail("sample:\n  name: n\n  inner: {}\n", 3, "sample.inner.value is required");
	apply_fail("sample:\n  name: n\n  inner: {value: 1, x: 2}\n", 3, "sample.inner.x: unknown key");
	/* Hostile key text is shown escaped. */
	apply_fail("sample:\n  name: n\n  \"\\e[31mred\": 1\n", 3, "sample.\\x1b[31mred: unknown key");
}

static void
test_schema_all_problems_at_once(void **state)
{
	struct ig_diags d = {0};
	struct sample s;

	(void)state;
	assert_int_equal(apply("sample:\n  count: 0\n  ratio: x\n  flag: 1\n  bogus: 1\n", &s, &d), 5);
	assert_int_equal(d.n, 5);
	assert_int_equal(d.v[0].line, 2);
	assert_int_equal(d.v[1].line, 3);
	assert_int_equal(d.v[2].line, 4);
	assert_int_equal(d.v[3].line, 5);
	assert_int_equal(d.v[4].line, 1);    /* missing name, at the parent key */
	ig_ydoc_release(sample_root, &s);
	ig_diags_free(&d);
}

static void
test_schema_replaces_and_keeps(void **state)
{
	struct ig_diags d = {0};
	struct ig_ydoc *doc = parse_ok("sample:\n  name: new\n  tags: [t]\n  count: bad\n");
	struct sample s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.name = strdup("old");
	s.count = 42;
	assert_int_equal(ig_ydoc_apply(doc->root, sample_root, "", 0, "t.yaml", &s, &d), 1);
	assert_string_equal(s.name, "new");       /* old one freed (ASan checks) */
	assert_int_equal(s.count, 42);            /* invalid value leaves the default */
	assert_int_equal(s.tags_n, 1);
	/* Applying again replaces the stored list without leaking. */
	assert_int_equal(ig_ydoc_apply(doc->root, sample_root, "", 0, "t.yaml", &s, &d), 1);
	ig_ydoc_release(sample_root, &s);
	ig_ydoc_free(doc);
	ig_diags_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_shape),
		cmocka_unit_test(test_empty_is_empty_mapping),
		cmocka_unit_test(test_embedded_nul_scalar),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_alias_bomb_refused),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_complex_keys_refused),
		cmocka_unit_test(test_multiple_documents),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_syntax_errors_have_lines),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_scalar_limit),
		cmocka_unit_test(test_many_keys_duplicate_check_is_fast),
		cmocka_unit_test(test_truncated_inputs),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_int_reads),
		cmocka_unit_test(test_number_reads),
		cmocka_unit_test(test_bool_and_null_reads),
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_schema_stores_values),
		cmocka_unit_test(test_schema_problems),
		cmocka_unit_test(test_schema_all_problems_at_once),
		cmocka_unit_test(test_schema_replaces_and_keeps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
