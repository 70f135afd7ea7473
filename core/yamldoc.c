/* yamldoc.c — bounded YAML parsing (libyaml events) and table-driven schemas. */
#include "yamldoc.h"
#include "bounds.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define CORE_TAG_PREFIX "tag:yaml.org,2002:"
#define PATH_MAX_LEN    512

/* ---- the tree ---------------------------------------------------------- */

static void
node_free(struct ig_ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	/* Recursion depth is bounded by IG_YAML_MAX_DEPTH. */
	switch (n->kind) {
	case IG_YSCALAR:
		free(n->text);
		break;
	case IG_YSEQ:
		for (i = 0; i < n->n_items; i++)
			node_free(n->items[i]);
		free(n->items);
		break;
	case IG_YMAP:
		for (i = 0; i < n->n_pairs; i++) {
			node_free(n->pairs[i].key);
			node_free(n->pairs[i].value);
		}
		free(n->pairs);
		break;
	}
	free(n);
}

void
ig_ydoc_free(struct ig_ydoc *doc)
{
	if (doc == NULL)
		return;
	node_free(doc->root);
	free(doc);
}

char *
ig_ydoc_printable(const char *s, size_t len, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0, cut = 64;

	if (size < 5) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		/* Room for the longest escape plus "..." and the NUL. */
		if (i >= cut || o + 4 + 4 >= size) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = '\0';
	return buf;
}

/* ---- parsing ----------------------------------------------------------- */

struct frame {
	struct ig_ynode *node;          /* the open sequence or mapping */
	struct ig_ynode *key;           /* mapping: key waiting for its value */
};

struct builder {
	const char      *file;
	const char      *text;
	size_t           len;
	struct ig_diags *diags;
	struct ig_err   *err;
	struct frame     stack[IG_YAML_MAX_DEPTH];
	int              depth;
	size_t           nodes;
	size_t           problems;
	int              docs;
	bool             nomem;
	struct ig_ynode *root;
};

static void
b_problem(struct builder *b, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
b_problem(struct builder *b, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ig_diags_add(b->diags, b->file, line, "%s", msg);
	b->problems++;
}

/* The YAML path of the innermost open collection, from the open frames:
 * each ancestor's child is its last item, or the value of its last pair. */
static void
b_path(const struct builder *b, char *buf, size_t size)
{
	char key[128];
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i + 1 < b->depth && o < size; i++) {
		const struct ig_ynode *p = b->stack[i].node;
		int n;

		if (p->kind == IG_YSEQ && p->n_items > 0) {
			n = snprintf(buf + o, size - o, "[%zu]", p->n_items - 1);
		} else if (p->kind == IG_YMAP && p->n_pairs > 0) {
			const struct ig_ynode *k = p->pairs[p->n_pairs - 1].key;

			ig_ydoc_printable(k->text, k->len, key, sizeof(key));
			n = snprintf(buf + o, size - o, "%s%s", o ? "." : "", key);
		} else {
			break;
		}
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static struct ig_ynode *
b_node(struct builder *b, enum ig_ynode_kind kind, int line)
{
	struct ig_ynode *n;

	if (b->nodes >= IG_YAML_MAX_NODES) {
		b_problem(b, line, "document has more than %d nodes", IG_YAML_MAX_NODES);
		return NULL;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		b->nomem = true;
		return NULL;
	}
	b->nodes++;
	n->kind = kind;
	n->line = line;
	return n;
}

/* Hangs n under the innermost open node (or makes it the root). Takes n
 * in every case; returns 0, or -1 after recording why. */
static int
b_attach(struct builder *b, struct ig_ynode *n)
{
	struct frame *f;

	if (b->depth == 0) {
		if (b->root != NULL) {
			/* Cannot happen with one document; be safe anyway. */
			node_free(n);
			b_problem(b, 0, "more than one root node");
			return -1;
		}
		b->root = n;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->kind == IG_YSEQ) {
		struct ig_ynode *p = f->node;
		struct ig_ynode **nv;

		nv = reallocarray(p->items, p->n_items + 1, sizeof(*nv));
		if (nv == NULL) {
			node_free(n);
			b->nomem = true;
			return -1;
		}
		p->items = nv;
		p->items[p->n_items++] = n;
		return 0;
	}
	if (f->key == NULL) {
		if (n->kind != IG_YSCALAR) {
			char path[PATH_MAX_LEN];

			b_path(b, path, sizeof(path));
			b_problem(b, n->line, "%s%smapping keys must be plain scalars, not %s",
			    path, *path ? ": " : "", n->kind == IG_YMAP ? "mappings" : "lists");
			node_free(n);
			return -1;
		}
		f->key = n;
		return 0;
	} else {
		struct ig_ynode *p = f->node;
		struct ig_ypair *nv;

		nv = reallocarray(p->pairs, p->n_pairs + 1, sizeof(*nv));
		if (nv == NULL) {
			node_free(n);
			b->nomem = true;
			return -1;
		}
		p->pairs = nv;
		p->pairs[p->n_pairs].key = f->key;
		p->pairs[p->n_pairs].value = n;
		p->n_pairs++;
		f->key = NULL;
		return 0;
	}
}

/* Refuses anchors; checks tags against the core schema. Returns 0, 1 when
 * a scalar tag marks text (!!str), or -1 after recording the problem. */
static int
b_props(struct builder *b, const yaml_char_t *anchor, const yaml_char_t *tag,
    enum ig_ynode_kind kind, int line)
{
	static const struct { const char *name; int kind; } core[] = {
		{ "str", IG_YSCALAR }, { "int", IG_YSCALAR }, { "float", IG_YSCALAR },
		{ "bool", IG_YSCALAR }, { "null", IG_YSCALAR },
		{ "map", IG_YMAP }, { "seq", IG_YSEQ },
	};
	char shown[100];
	const char *t;
	size_t i;

	if (anchor != NULL) {
		ig_ydoc_printable((const char *)anchor, strlen((const char *)anchor), shown, sizeof(shown));
		b_problem(b, line, "anchors (&%s) and aliases are not supported", shown);
		return -1;
	}
	if (tag == NULL)
		return 0;
	t = (const char *)tag;
	if (strncmp(t, CORE_TAG_PREFIX, strlen(CORE_TAG_PREFIX)) == 0) {
		const char *name = t + strlen(CORE_TAG_PREFIX);

		for (i = 0; i < sizeof(core) / sizeof(core[0]); i++) {
			if (strcmp(name, core[i].name) != 0)
				continue;
			if ((int)kind != core[i].kind) {
				b_problem(b, line, "tag !!%s does not fit a %s", core[i].name,
				    kind == IG_YSCALAR ? "scalar" : kind == IG_YMAP ? "mapping" : "list");
				return -1;
			}
			return i == 0 ? 1 : 0;
		}
	}
	ig_ydoc_printable(t, strlen(t), shown, sizeof(shown));
	b_problem(b, line, "tag \"%s\" is not supported (only the YAML core tags !!str, !!int, "
	    "!!float, !!bool, !!null, !!map, !!seq are)", shown);
	return -1;
}

static int
key_cmp(const struct ig_ynode *a, const struct ig_ynode *b)
{
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->text, b->text, a->len);
}

static int
pair_index_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct ig_ynode *map = ctx;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int c = key_cmp(map->pairs[a].key, map->pairs[b].key);

	if (c != 0)
		return c;
	return a < b ? -1 : a > b;
}

/* Reports every key of map that repeats an earlier one, in O(n log n). */
static void
b_check_duplicates(struct builder *b, const struct ig_ynode *map)
{
	char path[PATH_MAX_LEN], key[128];
	size_t *idx, i;

	if (map->n_pairs < 2)
		return;
	if ((idx = calloc(map->n_pairs, sizeof(*idx))) == NULL) {
		b->nomem = true;
		return;
	}
	for (i = 0; i < map->n_pairs; i++)
		idx[i] = i;
	qsort_r(idx, map->n_pairs, sizeof(*idx), pair_index_cmp, (void *)map);
	b_path(b, path, sizeof(path));
	for (i = 1; i < map->n_pairs; i++) {
		const struct ig_ypair *first, *dup;
		size_t j = i;

		if (key_cmp(map->pairs[idx[i - 1]].key, map->pairs[idx[i]].key) != 0)
			continue;
		/* The first of the run of equal keys is the original. */
		while (j > 0 && key_cmp(map->pairs[idx[j - 1]].key, map->pairs[idx[i]].key) == 0)
			j--;
		first = &map->pairs[idx[j]];
		dup = &map->pairs[idx[i]];
		ig_ydoc_printable(dup->key->text, dup->key->len, key, sizeof(key));
		b_problem(b, dup->key->line, "%s%s%s: duplicate key (first defined at line %d)",
		    path, *path ? "." : "", key, first->key->line);
	}
	free(idx);
}

static int
offset_line(const char *text, size_t len, size_t off)
{
	int line = 1;
	size_t i;

	if (off > len)
		off = len;
	for (i = 0; i < off; i++)
		if (text[i] == '\n' && line < INT32_MAX)
			line++;
	return line;
}

static void
b_libyaml_error(struct builder *b, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown error";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		b->nomem = true;
		break;
	case YAML_READER_ERROR:
		b_problem(b, offset_line(b->text, b->len, p->problem_offset),
		    "not valid UTF-8 text: %s (byte offset %zu)", problem, p->problem_offset);
		break;
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		if (p->context != NULL)
			b_problem(b, (int)p->problem_mark.line + 1,
			    "YAML syntax error: %s (%s at line %d)", problem, p->context,
			    (int)p->context_mark.line + 1);
		else
			b_problem(b, (int)p->problem_mark.line + 1, "YAML syntax error: %s", problem);
		break;
	default:
		b_problem(b, 0, "YAML error: %s", problem);
	}
}

/* Handles one event. Returns 1 to continue, 0 at the end of the stream,
 * -1 to stop on a problem. */
static int
b_event(struct builder *b, yaml_event_t *ev)
{
	int line = (int)ev->start_mark.line + 1;
	struct ig_ynode *n;
	int r;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1) {
			b_problem(b, line, "more than one YAML document (a second \"---\"); "
			    "only one is allowed");
			return -1;
		}
		return 1;
	case YAML_ALIAS_EVENT:
		b_problem(b, line, "aliases (*name) and anchors are not supported");
		return -1;
	case YAML_SCALAR_EVENT:
		if ((r = b_props(b, ev->data.scalar.anchor, ev->data.scalar.tag, IG_YSCALAR, line)) < 0)
			return -1;
		if (ev->data.scalar.length > IG_YAML_MAX_SCALAR) {
			b_problem(b, line, "scalar longer than %d bytes", IG_YAML_MAX_SCALAR);
			return -1;
		}
		if ((n = b_node(b, IG_YSCALAR, line)) == NULL)
			return -1;
		if ((n->text = malloc(ev->data.scalar.length + 1)) == NULL) {
			free(n);
			b->nomem = true;
			return -1;
		}
		memcpy(n->text, ev->data.scalar.value, ev->data.scalar.length);
		n->text[ev->data.scalar.length] = '\0';
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && r == 0;
		return b_attach(b, n) == 0 ? 1 : -1;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool map = ev->type == YAML_MAPPING_START_EVENT;
		const yaml_char_t *anchor = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
		const yaml_char_t *tag = map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;

		if (b_props(b, anchor, tag, map ? IG_YMAP : IG_YSEQ, line) < 0)
			return -1;
		if (b->depth >= IG_YAML_MAX_DEPTH) {
			b_problem(b, line, "nesting deeper than %d levels", IG_YAML_MAX_DEPTH);
			return -1;
		}
		if ((n = b_node(b, map ? IG_YMAP : IG_YSEQ, line)) == NULL)
			return -1;
		if (b_attach(b, n) != 0)
			return -1;
		b->stack[b->depth].node = n;
		b->stack[b->depth].key = NULL;
		b->depth++;
		return 1;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth == 0) {
			b_problem(b, line, "unbalanced end of collection");
			return -1;
		}
		n = b->stack[b->depth - 1].node;
		if (n->kind == IG_YMAP)
			b_check_duplicates(b, n);
		/* libyaml always completes a pair; a stray key would be a bug. */
		node_free(b->stack[b->depth - 1].key);
		b->stack[b->depth - 1].key = NULL;
		b->depth--;
		return b->nomem ? -1 : 1;
	default:
		return 1;
	}
}

int
ig_ydoc_parse(const char *text, size_t len, const char *file,
    struct ig_ydoc **out, struct ig_diags *diags, struct ig_err *err)
{
	struct builder b;
	struct ig_ydoc *doc = NULL;
	yaml_parser_t parser;
	yaml_event_t ev;
	bool parser_ok = false;
	int rc = -1, r, i;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.file = file;
	b.text = text;
	b.len = len;
	b.diags = diags;
	b.err = err;
	if (len > IG_YAML_MAX_BYTES) {
		b_problem(&b, 0, "file is larger than %d bytes", IG_YAML_MAX_BYTES);
		goto out;
	}
	if (text == NULL && len > 0) {
		ig_err_set(err, IG_EINTERNAL, "ig_ydoc_parse: NULL text");
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		b.nomem = true;
		goto out;
	}
	parser_ok = true;
	yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""), len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	for (;;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			b_libyaml_error(&b, &parser);
			break;
		}
		r = b_event(&b, &ev);
		yaml_event_delete(&ev);
		if (r <= 0)
			break;
	}
	if (b.nomem)
		goto out;
	if (b.problems > 0)
		goto out;
	if ((doc = calloc(1, sizeof(*doc))) == NULL) {
		b.nomem = true;
		goto out;
	}
	if (b.root == NULL) {
		/* An empty stream is an empty mapping. */
		if ((b.root = b_node(&b, IG_YMAP, 1)) == NULL) {
			b.nomem = true;
			goto out;
		}
	}
	doc->root = b.root;
	doc->n_nodes = b.nodes;
	b.root = NULL;
	*out = doc;
	doc = NULL;
	rc = 0;
out:
	if (parser_ok)
		yaml_parser_delete(&parser);
	for (i = 0; i < b.depth; i++)
		node_free(b.stack[i].key);
	node_free(b.root);
	free(doc);
	if (rc != 0) {
		if (b.nomem)
			ig_err_set(err, IG_ENOMEM, "%s: out of memory while parsing YAML", file ? file : "");
		else
			ig_err_set(err, IG_EINVAL, "%s: invalid YAML (%zu problem%s)", file ? file : "",
			    b.problems, b.problems == 1 ? "" : "s");
	}
	return rc;
}

/* ---- lookups and typed reads ------------------------------------------- */

const struct ig_ynode *
ig_ynode_get(const struct ig_ynode *map, const char *key)
{
	size_t i, klen;

	if (map == NULL || map->kind != IG_YMAP || key == NULL)
		return NULL;
	klen = strlen(key);
	for (i = 0; i < map->n_pairs; i++) {
		const struct ig_ynode *k = map->pairs[i].key;

		if (k->len == klen && memcmp(k->text, key, klen) == 0)
			return map->pairs[i].value;
	}
	return NULL;
}

const struct ig_ynode *
ig_ynode_path(const struct ig_ynode *root, const char *path)
{
	char seg[128];
	const char *p = path, *dot;
	size_t n;

	if (path == NULL)
		return NULL;
	while (root != NULL) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		root = ig_ynode_get(root, seg);
		if (dot == NULL)
			return root;
		p = dot + 1;
	}
	return NULL;
}

static bool
text_is(const struct ig_ynode *n, const char *s)
{
	size_t l = strlen(s);

	return n->len == l && memcmp(n->text, s, l) == 0;
}

bool
ig_ynode_is_null(const struct ig_ynode *n)
{
	if (n == NULL || n->kind != IG_YSCALAR || !n->plain)
		return false;
	return n->len == 0 || text_is(n, "~") || text_is(n, "null") ||
	    text_is(n, "Null") || text_is(n, "NULL");
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
ig_ynode_int(const struct ig_ynode *n, long long *out)
{
	const char *s;
	char *end;
	size_t i = 0;
	long long v;

	if (n == NULL || n->kind != IG_YSCALAR || !n->plain || n->len == 0 || n->len > 24)
		return -1;
	s = n->text;
	if (s[0] == '-' || s[0] == '+')
		i++;
	if (i == n->len)
		return -1;
	if (s[i] == '0' && i + 1 < n->len)
		return -1;          /* leading zero: octal in YAML 1.1, refuse the doubt */
	for (; i < n->len; i++)
		if (!is_digit(s[i]))
			return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end != s + n->len)
		return -1;
	*out = v;
	return 0;
}

int
ig_ynode_number(const struct ig_ynode *n, double *out)
{
	const char *s;
	char *end;
	size_t i = 0, int_digits = 0, frac_digits = 0;
	double v;

	if (n == NULL || n->kind != IG_YSCALAR || !n->plain || n->len == 0 || n->len > 64)
		return -1;
	s = n->text;
	if (s[i] == '-' || s[i] == '+')
		i++;
	if (i < n->len && s[i] == '0' && i + 1 < n->len && is_digit(s[i + 1]))
		return -1;          /* leading zero */
	while (i < n->len && is_digit(s[i])) {
		i++;
		int_digits++;
	}
	if (i < n->len && s[i] == '.') {
		i++;
		while (i < n->len && is_digit(s[i])) {
			i++;
			frac_digits++;
		}
	}
	if (int_digits + frac_digits == 0)
		return -1;
	if (i < n->len && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp_digits = 0;

		i++;
		if (i < n->len && (s[i] == '-' || s[i] == '+'))
			i++;
		while (i < n->len && is_digit(s[i])) {
			i++;
			exp_digits++;
		}
		if (exp_digits == 0)
			return -1;
	}
	if (i != n->len)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end != s + n->len || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int
ig_ynode_bool(const struct ig_ynode *n, bool *out)
{
	if (n == NULL || n->kind != IG_YSCALAR || !n->plain)
		return -1;
	if (text_is(n, "true") || text_is(n, "True") || text_is(n, "TRUE")) {
		*out = true;
		return 0;
	}
	if (text_is(n, "false") || text_is(n, "False") || text_is(n, "FALSE")) {
		*out = false;
		return 0;
	}
	return -1;
}

/* ---- schema walking ---------------------------------------------------- */

struct walk {
	const char      *file;
	struct ig_diags *diags;
	size_t           problems;
};

static void
w_problem(struct walk *w, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
w_problem(struct walk *w, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ig_diags_add(w->diags, w->file, line, "%s", msg);
	w->problems++;
}

static void *
at(void *base, size_t off)
{
	return (char *)base + off;
}

/* Builds a YAML path; long paths are cut, which only shortens a message. */
static void
path_fmt(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
path_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static void
join_key(char *buf, size_t size, const char *path, const char *key, size_t klen)
{
	char shown[128];

	ig_ydoc_printable(key, klen, shown, sizeof(shown));
	path_fmt(buf, size, "%s%s%s", path, *path ? "." : "", shown);
}

/* Formats a bound without exponent noise: 65536, 86400000, 0.5. */
static void
fmt_bound(char *buf, size_t size, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%g", v);
}

static size_t
edit_distance(const char *a, size_t al, const char *b, size_t bl)
{
	size_t prev[65], cur[65], i, j;

	if (al > 64 || bl > 64)
		return SIZE_MAX;
	for (j = 0; j <= bl; j++)
		prev[j] = j;
	for (i = 1; i <= al; i++) {
		cur[0] = i;
		for (j = 1; j <= bl; j++) {
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t m = del < ins ? del : ins;

			cur[j] = m < sub ? m : sub;
		}
		memcpy(prev, cur, (bl + 1) * sizeof(prev[0]));
	}
	return prev[bl];
}

static const char *
suggest(const struct ig_yfield *fields, const char *key, size_t klen)
{
	const struct ig_yfield *f, *best = NULL;
	size_t d, best_d = 3;

	for (f = fields; f->key != NULL; f++) {
		size_t fl = strlen(f->key);

		if (fl == klen && strncasecmp(f->key, key, klen) == 0)
			return f->key;
		if (klen < 3)
			continue;
		d = edit_distance(key, klen, f->key, fl);
		/* "networking" for "network", "allowedCommand" for "allowedCommands". */
		if (d > 2 && klen >= 4 && fl >= 4 &&
		    strncmp(key, f->key, klen < fl ? klen : fl) == 0)
			d = 2;
		if (d < best_d) {
			best_d = d;
			best = f;
		}
	}
	return best ? best->key : NULL;
}

/* Reads a scalar as text for a STRING field, a list item or a map value.
 * Returns a new string, or NULL after recording a problem. */
static char *
w_text(struct walk *w, const struct ig_ynode *v, const char *path,
    const struct ig_yfield *f, bool allow_empty)
{
	size_t max = f->max_len ? f->max_len : IG_YAML_MAX_SCALAR;
	const char *why;
	char *s;

	if (v->kind != IG_YSCALAR) {
		w_problem(w, v->line, "%s must be %s, not a %s", path,
		    allow_empty ? "a scalar value" : "a string",
		    v->kind == IG_YMAP ? "mapping" : "list");
		return NULL;
	}
	if (ig_ynode_is_null(v)) {
		if (allow_empty)
			w_problem(w, v->line, "%s must have a value (write \"\" for an empty string)", path);
		else
			w_problem(w, v->line, "%s must be a non-empty string", path);
		return NULL;
	}
	if (v->len == 0 && !allow_empty) {
		w_problem(w, v->line, "%s must be a non-empty string", path);
		return NULL;
	}
	if (memchr(v->text, '\0', v->len) != NULL) {
		w_problem(w, v->line, "%s must not contain NUL characters", path);
		return NULL;
	}
	if (v->len > max) {
		w_problem(w, v->line, "%s is too long (at most %zu bytes)", path, max);
		return NULL;
	}
	if (f->check != NULL && (why = f->check(v->text, v->len)) != NULL) {
		w_problem(w, v->line, "%s %s", path, why);
		return NULL;
	}
	if ((s = strdup(v->text)) == NULL)
		w_problem(w, v->line, "%s: out of memory", path);
	return s;
}

static void
w_number(struct walk *w, const struct ig_yfield *f, const struct ig_ynode *v,
    const char *path, void *base)
{
	bool positive = (f->flags & IG_YF_POSITIVE) != 0;
	bool is_int = f->type == IG_YT_INT;
	const char *want = positive ? "a positive number" : is_int ? "an integer" : "a number";
	char bound[64];
	long long iv;
	double d;

	if (v->kind != IG_YSCALAR || ig_ynode_is_null(v)) {
		w_problem(w, v->line, "%s must be %s", path, want);
		return;
	}
	if (!v->plain) {
		w_problem(w, v->line, "%s must be %s, not a quoted string", path, want);
		return;
	}
	if (ig_ynode_number(v, &d) != 0) {
		w_problem(w, v->line, "%s must be %s", path, want);
		return;
	}
	if (positive && !(d > 0)) {
		w_problem(w, v->line, "%s must be %s", path, want);
		return;
	}
	if (f->max > 0 && d > f->max) {
		fmt_bound(bound, sizeof(bound), f->max);
		w_problem(w, v->line, "%s must be at most %s", path, bound);
		return;
	}
	if (!is_int) {
		*(double *)at(base, f->offset) = d;
		return;
	}
	if (ig_ynode_int(v, &iv) != 0) {
		if (d == floor(d) && fabs(d) >= 9e18)
			w_problem(w, v->line, "%s is out of range", path);
		else
			w_problem(w, v->line, "%s must be an integer (digits only)", path);
		return;
	}
	if ((long long)(long)iv != iv) {
		w_problem(w, v->line, "%s is out of range", path);
		return;
	}
	*(long *)at(base, f->offset) = (long)iv;
}

static void free_scalar_map(const struct ig_yfield *f, void *base);
static void free_string_list(const struct ig_yfield *f, void *base);

static void
w_string_list(struct walk *w, const struct ig_yfield *f, const struct ig_ynode *v,
    const char *path, void *base)
{
	char item[PATH_MAX_LEN];
	char **list = NULL;
	size_t i, before = w->problems;

	if (ig_ynode_is_null(v)) {
		free_string_list(f, base);
		return;
	}
	if (v->kind != IG_YSEQ) {
		w_problem(w, v->line, "%s must be a list of strings", path);
		return;
	}
	if (f->max_items && v->n_items > f->max_items) {
		w_problem(w, v->line, "%s has too many entries (%zu; at most %zu)", path,
		    v->n_items, f->max_items);
		return;
	}
	if (v->n_items > 0 && (list = calloc(v->n_items, sizeof(*list))) == NULL) {
		w_problem(w, v->line, "%s: out of memory", path);
		return;
	}
	for (i = 0; i < v->n_items; i++) {
		path_fmt(item, sizeof(item), "%s[%zu]", path, i);
		list[i] = w_text(w, v->items[i], item, f, false);
	}
	if (w->problems != before) {
		for (i = 0; i < v->n_items; i++)
			free(list[i]);
		free(list);
		return;
	}
	free_string_list(f, base);
	*(char ***)at(base, f->offset) = list;
	*(size_t *)at(base, f->count_offset) = v->n_items;
}

static void
w_scalar_map(struct walk *w, const struct ig_yfield *f, const struct ig_ynode *v,
    const char *path, void *base)
{
	char child[PATH_MAX_LEN];
	char *arr = NULL;
	size_t i, before = w->problems;
	const char *why;

	if (ig_ynode_is_null(v)) {
		free_scalar_map(f, base);
		return;
	}
	if (v->kind != IG_YMAP) {
		w_problem(w, v->line, "%s must be a mapping of names to values", path);
		return;
	}
	if (f->max_items && v->n_pairs > f->max_items) {
		w_problem(w, v->line, "%s has too many entries (%zu; at most %zu)", path,
		    v->n_pairs, f->max_items);
		return;
	}
	if (v->n_pairs > 0 && (arr = calloc(v->n_pairs, f->elem_size)) == NULL) {
		w_problem(w, v->line, "%s: out of memory", path);
		return;
	}
	for (i = 0; i < v->n_pairs; i++) {
		const struct ig_ynode *k = v->pairs[i].key, *val = v->pairs[i].value;
		char *elem = arr + i * f->elem_size, *name = NULL, *text;

		join_key(child, sizeof(child), path, k->text, k->len);
		if (k->len == 0 || memchr(k->text, '\0', k->len) != NULL) {
			w_problem(w, k->line, "%s: names must be non-empty and without NUL characters", child);
		} else if (f->check_key != NULL && (why = f->check_key(k->text, k->len)) != NULL) {
			w_problem(w, k->line, "%s %s", child, why);
		} else if ((name = strdup(k->text)) == NULL) {
			w_problem(w, k->line, "%s: out of memory", child);
		}
		text = w_text(w, val, child, f, true);
		memcpy(elem + f->elem_key_offset, &name, sizeof(name));
		memcpy(elem + f->elem_value_offset, &text, sizeof(text));
	}
	if (w->problems != before) {
		for (i = 0; i < v->n_pairs; i++) {
			char *p;

			memcpy(&p, arr + i * f->elem_size + f->elem_key_offset, sizeof(p));
			free(p);
			memcpy(&p, arr + i * f->elem_size + f->elem_value_offset, sizeof(p));
			free(p);
		}
		free(arr);
		return;
	}
	free_scalar_map(f, base);
	memcpy(at(base, f->offset), &arr, sizeof(arr));
	*(size_t *)at(base, f->count_offset) = v->n_pairs;
}

static void w_map(struct walk *w, const struct ig_ynode *map, const struct ig_yfield *fields,
    const char *path, int line, void *base);

static void
w_field(struct walk *w, const struct ig_yfield *f, const struct ig_ynode *key,
    const struct ig_ynode *v, const char *path, void *base)
{
	bool b;
	char *s;

	switch (f->type) {
	case IG_YT_STRING:
		if ((s = w_text(w, v, path, f, false)) != NULL) {
			char **slot = (char **)at(base, f->offset);

			free(*slot);
			*slot = s;
		}
		break;
	case IG_YT_INT:
	case IG_YT_NUMBER:
		w_number(w, f, v, path, base);
		break;
	case IG_YT_BOOL:
		if (v->kind == IG_YSCALAR && ig_ynode_bool(v, &b) == 0)
			*(bool *)at(base, f->offset) = b;
		else if (v->kind == IG_YSCALAR && !v->plain)
			w_problem(w, v->line, "%s must be true or false, not a quoted string", path);
		else
			w_problem(w, v->line, "%s must be true or false", path);
		break;
	case IG_YT_MAP:
		w_map(w, v, f->fields, path, key->line, base);
		break;
	case IG_YT_STRING_LIST:
		w_string_list(w, f, v, path, base);
		break;
	case IG_YT_SCALAR_MAP:
		w_scalar_map(w, f, v, path, base);
		break;
	}
}

static void
w_map(struct walk *w, const struct ig_ynode *map, const struct ig_yfield *fields,
    const char *path, int line, void *base)
{
	char child[PATH_MAX_LEN];
	const struct ig_yfield *f;
	const char *hint;
	size_t i;

	if (ig_ynode_is_null(map)) {
		map = NULL;
	} else if (map->kind != IG_YMAP) {
		if (*path)
			w_problem(w, map->line, "%s must be a mapping", path);
		else
			w_problem(w, map->line, "the document must be a mapping of keys to values");
		return;
	}
	for (i = 0; map != NULL && i < map->n_pairs; i++) {
		const struct ig_ynode *k = map->pairs[i].key;

		for (f = fields; f->key != NULL; f++)
			if (strlen(f->key) == k->len && memcmp(f->key, k->text, k->len) == 0)
				break;
		join_key(child, sizeof(child), path, k->text, k->len);
		if (f->key == NULL) {
			if ((hint = suggest(fields, k->text, k->len)) != NULL)
				w_problem(w, k->line, "%s: unknown key (did you mean %s?)", child, hint);
			else
				w_problem(w, k->line, "%s: unknown key", child);
			continue;
		}
		w_field(w, f, k, map->pairs[i].value, child, base);
	}
	for (f = fields; f->key != NULL; f++) {
		if (!(f->flags & IG_YF_REQUIRED))
			continue;
		if (map != NULL && ig_ynode_get(map, f->key) != NULL)
			continue;
		path_fmt(child, sizeof(child), "%s%s%s", path, *path ? "." : "", f->key);
		w_problem(w, line, "%s is required", child);
	}
}

size_t
ig_ydoc_apply(const struct ig_ynode *map, const struct ig_yfield *fields,
    const char *path, int line, const char *file, void *base, struct ig_diags *diags)
{
	struct walk w = { .file = file, .diags = diags, .problems = 0 };

	w_map(&w, map, fields, path ? path : "", line, base);
	return w.problems;
}

static void
free_string_list(const struct ig_yfield *f, void *base)
{
	char ***slot = (char ***)at(base, f->offset);
	size_t *n = (size_t *)at(base, f->count_offset), i;

	for (i = 0; *slot != NULL && i < *n; i++)
		free((*slot)[i]);
	free(*slot);
	*slot = NULL;
	*n = 0;
}

/* The element array is stored in a member of some struct pointer type;
 * memcpy through char * keeps that well defined. */
static void
free_scalar_map(const struct ig_yfield *f, void *base)
{
	size_t *n = (size_t *)at(base, f->count_offset), i;
	char *arr, *p;

	memcpy(&arr, at(base, f->offset), sizeof(arr));
	for (i = 0; arr != NULL && i < *n; i++) {
		memcpy(&p, arr + i * f->elem_size + f->elem_key_offset, sizeof(p));
		free(p);
		memcpy(&p, arr + i * f->elem_size + f->elem_value_offset, sizeof(p));
		free(p);
	}
	free(arr);
	arr = NULL;
	memcpy(at(base, f->offset), &arr, sizeof(arr));
	*n = 0;
}

void
ig_ydoc_release(const struct ig_yfield *fields, void *base)
{
	const struct ig_yfield *f;

	if (fields == NULL || base == NULL)
		return;
	for (f = fields; f->key != NULL; f++) {
		switch (f->type) {
		case IG_YT_STRING: {
			char **slot = (char **)at(base, f->offset);

			free(*slot);
			*slot = NULL;
			break;
		}
		case IG_YT_STRING_LIST:
			free_string_list(f, base);
			break;
		case IG_YT_SCALAR_MAP:
			free_scalar_map(f, base);
			break;
		case IG_YT_MAP:
			ig_ydoc_release(f->fields, base);
			break;
		default:
			break;
		}
	}
}
