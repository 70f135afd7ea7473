/*
 * template.c — Mustache templates compiled to an instruction list and
 * rendered over json-c values. See template.h for the language and the
 * rules for values; the bounds are in bounds.h.
 *
 * Compilation turns the text into a flat array of instructions. Literal
 * text is split after every newline so that each instruction knows
 * whether it starts a source line ("bol"): a standalone partial indents
 * every line of the partial, and with the lines known at compile time the
 * indentation is applied while rendering, without re-compiling the partial
 * per indentation. A section instruction records the index just past its
 * END instruction, so skipping it is one jump.
 *
 * Rendering walks the instructions with the context stack as a chain of
 * frames on the C stack. Recursion happens only for sections that push a
 * context (bounded by IG_TEMPLATE_MAX_DEPTH per template) and for partials
 * (bounded by IG_TEMPLATE_PARTIAL_DEPTH); all work is charged to a step
 * budget so that hostile templates (partials that call themselves many
 * times per level, lists nested in lists) end with an error, not a hang.
 */
#include "template.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fs.h"
#include "bounds.h"

enum op_kind {
	OP_TEXT,        /* src[off, off+len) */
	OP_VAR,         /* escaped interpolation of a name */
	OP_RAW,         /* unescaped interpolation */
	OP_SECTION,     /* {{#name}}: body is [i+1, end), the last being OP_END */
	OP_INVERTED,    /* {{^name}} */
	OP_END,         /* {{/name}}: emits nothing */
	OP_PARTIAL,     /* {{> name}}: name is one string in the pool */
	OP_NOP,         /* a comment or delimiter tag that starts a line: keeps
	                   that line's indentation inside indented partials */
};

struct op {
	uint8_t  kind;
	uint8_t  bol;           /* starts a source line */
	uint16_t nseg;          /* name segments; 0 for "." */
	uint32_t off;           /* TEXT: offset in src; others: offset in names */
	uint32_t len;           /* TEXT: byte count */
	uint32_t end;           /* SECTION/INVERTED: index just past the END */
	uint32_t ind_off;       /* PARTIAL: standalone indentation in src */
	uint32_t ind_len;
	uint32_t line;          /* source line of the tag */
};

struct ig_template {
	char       *name;
	char       *src;        /* copy of the template text */
	size_t      srclen;
	struct ig_buf names;    /* name segments, each NUL-terminated */
	struct op  *ops;
	size_t      nops;
	size_t      cap;
};

/* Makes s printable for an error message: at most 64 bytes, anything
 * outside printable ASCII becomes '?'. */
static void
printable(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n && k + 4 < dstsz && i < 64; i++)
		dst[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < n && k + 4 < dstsz) {
		dst[k++] = '.';
		dst[k++] = '.';
		dst[k++] = '.';
	}
	dst[k] = '\0';
}

/* ---- compilation -------------------------------------------------------- */

struct section_open {
	uint32_t op;            /* index of the SECTION/INVERTED instruction */
	uint32_t name_pos;      /* the name as written, in src */
	uint32_t name_len;
	uint32_t line;
	char     sigil;
};

struct compiler {
	struct ig_template *t;
	const char *s;
	size_t      n;
	char        open[IG_TEMPLATE_DELIM_MAX + 1];
	size_t      olen;
	char        close[IG_TEMPLATE_DELIM_MAX + 2]; /* room for a leading '}' or '=' */
	size_t      clen;
	struct section_open stack[IG_TEMPLATE_MAX_DEPTH];
	int         depth;
	uint32_t    line;       /* line number at line_pos */
	size_t      line_pos;
	struct ig_err *err;
};

/* The line of byte pos; pos never moves backwards between calls. */
static uint32_t
line_at(struct compiler *c, size_t pos)
{
	while (c->line_pos < pos) {
		if (c->s[c->line_pos] == '\n')
			c->line++;
		c->line_pos++;
	}
	return c->line;
}

static int
add_op(struct compiler *c, const struct op *o)
{
	struct ig_template *t = c->t;

	if (t->nops == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		struct op *nops;

		if (t->nops >= IG_TEMPLATE_MAX_OPS) {
			ig_err_set(c->err, IG_ETOOBIG, "%s: more than %d instructions",
			    t->name, IG_TEMPLATE_MAX_OPS);
			return -1;
		}
		if (ncap > IG_TEMPLATE_MAX_OPS)
			ncap = IG_TEMPLATE_MAX_OPS;
		nops = realloc(t->ops, ncap * sizeof(*nops));
		if (nops == NULL) {
			ig_err_set(c->err, IG_ENOMEM, "%s: out of memory", t->name);
			return -1;
		}
		t->ops = nops;
		t->cap = ncap;
	}
	t->ops[t->nops++] = *o;
	return 0;
}

static bool
at_bol(const struct compiler *c, size_t pos)
{
	return pos == 0 || c->s[pos - 1] == '\n';
}

/* Adds literal text [a, b), one instruction per line. */
static int
add_text(struct compiler *c, size_t a, size_t b)
{
	while (a < b) {
		const char *nl = memchr(c->s + a, '\n', b - a);
		size_t e = nl != NULL ? (size_t)(nl - c->s) + 1 : b;
		struct op o = { .kind = OP_TEXT, .bol = at_bol(c, a),
		    .off = (uint32_t)a, .len = (uint32_t)(e - a) };

		if (add_op(c, &o) != 0)
			return -1;
		a = e;
	}
	return 0;
}

static bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Trims spaces around [*p, *p + *n). */
static void
trim(const char *s, size_t *p, size_t *n)
{
	while (*n > 0 && is_space(s[*p])) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_space(s[*p + *n - 1]))
		(*n)--;
}

/* Checks a tag's name (already trimmed) and stores it in the pool: split at
 * '.' into segments when split is set, else whole. Sets o->off and o->nseg. */
static int
store_name(struct compiler *c, size_t p, size_t n, bool split, uint32_t line,
    struct op *o)
{
	struct ig_template *t = c->t;
	char shown[80];
	size_t i, seg = 0, nseg = 0;

	printable(shown, sizeof(shown), c->s + p, n);
	if (n == 0) {
		ig_err_set(c->err, IG_EINVAL, "%s:%u: empty tag name", t->name, line);
		return -1;
	}
	if (n > IG_TEMPLATE_TAG_MAX) {
		ig_err_set(c->err, IG_ETOOBIG, "%s:%u: tag name longer than %d bytes",
		    t->name, line, IG_TEMPLATE_TAG_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)c->s[p + i];

		if (ch <= 0x20 || ch == 0x7f) {
			ig_err_set(c->err, IG_EINVAL, "%s:%u: invalid tag name '%s'",
			    t->name, line, shown);
			return -1;
		}
	}
	o->off = (uint32_t)t->names.len;
	if (split && n == 1 && c->s[p] == '.') {
		o->nseg = 0;
		return 0;
	}
	if (!split) {
		o->nseg = 1;
		if (ig_buf_append(&t->names, c->s + p, n) != 0 ||
		    ig_buf_append(&t->names, "", 1) != 0)
			goto nomem;
		return 0;
	}
	for (i = 0; i <= n; i++) {
		if (i < n && c->s[p + i] != '.')
			continue;
		if (i == seg) {
			ig_err_set(c->err, IG_EINVAL, "%s:%u: empty part in name '%s'",
			    t->name, line, shown);
			return -1;
		}
		if (ig_buf_append(&t->names, c->s + p + seg, i - seg) != 0 ||
		    ig_buf_append(&t->names, "", 1) != 0)
			goto nomem;
		nseg++;
		seg = i + 1;
	}
	o->nseg = (uint16_t)nseg;   /* at most IG_TEMPLATE_TAG_MAX / 2 + 1 */
	return 0;
nomem:
	ig_err_set(c->err, IG_ENOMEM, "%s: out of memory", t->name);
	return -1;
}

/* Parses "=<open> <close>=" content (between '=' and '=') into new
 * delimiters. */
static int
set_delims(struct compiler *c, size_t p, size_t n, uint32_t line)
{
	size_t a, alen = 0, b, blen = 0;

	trim(c->s, &p, &n);
	a = p;
	while (alen < n && !is_space(c->s[a + alen]))
		alen++;
	b = a + alen;
	while (b < p + n && is_space(c->s[b]))
		b++;
	while (b + blen < p + n && !is_space(c->s[b + blen]))
		blen++;
	if (alen == 0 || blen == 0 || b + blen != p + n ||
	    alen > IG_TEMPLATE_DELIM_MAX || blen > IG_TEMPLATE_DELIM_MAX ||
	    memchr(c->s + a, '\0', alen) != NULL || memchr(c->s + b, '\0', blen) != NULL) {
		ig_err_set(c->err, IG_EINVAL,
		    "%s:%u: invalid set-delimiter tag (want {{=<open> <close>=}}, "
		    "each 1 to %d non-space bytes)", c->t->name, line, IG_TEMPLATE_DELIM_MAX);
		return -1;
	}
	memcpy(c->open, c->s + a, alen);
	c->open[alen] = '\0';
	c->olen = alen;
	memcpy(c->close, c->s + b, blen);
	c->close[blen] = '\0';
	c->clen = blen;
	return 0;
}

static int
compile(struct compiler *c)
{
	struct ig_template *t = c->t;
	const char *s = c->s;
	size_t n = c->n, pos = 0;
	bool pos_bol = true;

	for (;;) {
		const char *hit = c->olen <= n - pos ?
		    memmem(s + pos, n - pos, c->open, c->olen) : NULL;
		size_t ts, p, q, te, np, nn, lb = 0, le = 0;
		char sigil = 0, seq[IG_TEMPLATE_DELIM_MAX + 2];
		size_t seqlen;
		const char *cl;
		bool standalone = false;
		uint32_t line;
		struct op o;
		char shown[80];

		if (hit == NULL)
			return add_text(c, pos, n);
		ts = (size_t)(hit - s);
		line = line_at(c, ts);
		p = ts + c->olen;
		/* The sigil decides the closing sequence: a triple mustache ends
		 * with '}' + close, a delimiter change with '=' + close. */
		if (p < n && (s[p] == '{' || s[p] == '=')) {
			sigil = s[p];
			seq[0] = sigil == '{' ? '}' : '=';
			memcpy(seq + 1, c->close, c->clen);
			seqlen = c->clen + 1;
			p++;
		} else {
			if (p < n && strchr("#^/!>&", s[p]) != NULL && s[p] != '\0') {
				sigil = s[p];
				p++;
			}
			memcpy(seq, c->close, c->clen);
			seqlen = c->clen;
		}
		cl = seqlen <= n - p ? memmem(s + p, n - p, seq, seqlen) : NULL;
		if (cl == NULL) {
			printable(shown, sizeof(shown), s + ts, n - ts < 24 ? n - ts : 24);
			ig_err_set(c->err, IG_EINVAL, "%s:%u: unclosed tag '%s'", t->name,
			    line, shown);
			return -1;
		}
		q = (size_t)(cl - s);
		te = q + seqlen;
		np = p;
		nn = q - p;
		if (sigil != '!' && sigil != '=')
			trim(s, &np, &nn);

		/* Standalone: only spaces/tabs between the line's start and the
		 * tag and between the tag and the line's end (or the text's). */
		if (sigil != 0 && sigil != '{' && sigil != '&') {
			const char *nl = ts > pos ? memrchr(s + pos, '\n', ts - pos) : NULL;
			bool ok = true;
			size_t k;

			if (nl != NULL)
				lb = (size_t)(nl - s) + 1;
			else if (pos_bol)
				lb = pos;
			else
				ok = false;
			for (k = lb; ok && k < ts; k++)
				if (s[k] != ' ' && s[k] != '\t')
					ok = false;
			if (ok) {
				k = te;
				while (k < n && (s[k] == ' ' || s[k] == '\t'))
					k++;
				if (k == n)
					le = k;
				else if (s[k] == '\n')
					le = k + 1;
				else if (s[k] == '\r' && k + 1 < n && s[k + 1] == '\n')
					le = k + 2;
				else
					ok = false;
			}
			standalone = ok;
		}
		if (standalone) {
			if (add_text(c, pos, lb) != 0)
				return -1;
			pos = le;
			pos_bol = true;
		} else {
			if (add_text(c, pos, ts) != 0)
				return -1;
			pos = te;
			pos_bol = false;
		}

		memset(&o, 0, sizeof(o));
		o.line = line;
		o.bol = !standalone && at_bol(c, ts);
		switch (sigil) {
		case '!':
		case '=':
			if (sigil == '=' && set_delims(c, np, nn, line) != 0)
				return -1;
			if (o.bol) {
				o.kind = OP_NOP;
				if (add_op(c, &o) != 0)
					return -1;
			}
			break;
		case '#':
		case '^':
			if (c->depth == IG_TEMPLATE_MAX_DEPTH) {
				ig_err_set(c->err, IG_ETOOBIG, "%s:%u: sections nested deeper than %d",
				    t->name, line, IG_TEMPLATE_MAX_DEPTH);
				return -1;
			}
			o.kind = sigil == '#' ? OP_SECTION : OP_INVERTED;
			if (store_name(c, np, nn, true, line, &o) != 0)
				return -1;
			c->stack[c->depth].op = (uint32_t)t->nops;
			c->stack[c->depth].name_pos = (uint32_t)np;
			c->stack[c->depth].name_len = (uint32_t)nn;
			c->stack[c->depth].line = line;
			c->stack[c->depth].sigil = sigil;
			c->depth++;
			if (add_op(c, &o) != 0)
				return -1;
			break;
		case '/': {
			struct section_open *so;

			printable(shown, sizeof(shown), s + np, nn);
			if (c->depth == 0) {
				ig_err_set(c->err, IG_EINVAL,
				    "%s:%u: unexpected {{/%s}}: no section is open", t->name, line, shown);
				return -1;
			}
			so = &c->stack[c->depth - 1];
			if (so->name_len != nn || memcmp(s + so->name_pos, s + np, nn) != 0) {
				char opened[80];

				printable(opened, sizeof(opened), s + so->name_pos, so->name_len);
				ig_err_set(c->err, IG_EINVAL,
				    "%s:%u: {{/%s}} does not close {{%c%s}} (line %u)", t->name, line,
				    shown, so->sigil, opened, so->line);
				return -1;
			}
			o.kind = OP_END;
			if (add_op(c, &o) != 0)
				return -1;
			t->ops[so->op].end = (uint32_t)t->nops;
			c->depth--;
			break;
		}
		case '>':
			o.kind = OP_PARTIAL;
			if (store_name(c, np, nn, false, line, &o) != 0)
				return -1;
			if (standalone) {
				o.ind_off = (uint32_t)lb;
				o.ind_len = (uint32_t)(ts - lb);
			}
			if (add_op(c, &o) != 0)
				return -1;
			break;
		default:    /* '{', '&' or a plain variable */
			o.kind = (sigil == '{' || sigil == '&') ? OP_RAW : OP_VAR;
			if (store_name(c, np, nn, true, line, &o) != 0)
				return -1;
			if (add_op(c, &o) != 0)
				return -1;
			break;
		}
	}
}

int
ig_template_compile(const char *text, size_t len, const char *name,
    struct ig_template **out, struct ig_err *err)
{
	struct ig_template *t = NULL;
	struct compiler c;
	int rc = -1;

	*out = NULL;
	if (name == NULL)
		name = "template";
	if (len > IG_TEMPLATE_MAX_BYTES) {
		ig_err_set(err, IG_ETOOBIG, "%s: template larger than %d bytes", name,
		    IG_TEMPLATE_MAX_BYTES);
		return -1;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->name = strdup(name)) == NULL ||
	    (t->src = malloc(len + 1)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "%s: out of memory", name);
		goto out;
	}
	if (len > 0)
		memcpy(t->src, text, len);
	t->src[len] = '\0';
	t->srclen = len;
	/* Names are parts of the text plus a NUL per segment. */
	ig_buf_init(&t->names, len + len / 2 + 16);
	if (ig_buf_append(&t->names, "", 0) != 0) {
		ig_err_set(err, IG_ENOMEM, "%s: out of memory", name);
		goto out;
	}

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.s = t->src;
	c.n = len;
	memcpy(c.open, "{{", 3);
	c.olen = 2;
	memcpy(c.close, "}}", 3);
	c.clen = 2;
	c.line = 1;
	c.err = err;
	if (compile(&c) != 0)
		goto out;
	if (c.depth > 0) {
		struct section_open *so = &c.stack[c.depth - 1];
		char shown[80];

		printable(shown, sizeof(shown), t->src + so->name_pos, so->name_len);
		ig_err_set(err, IG_EINVAL, "%s:%u: unclosed section {{%c%s}}", name, so->line,
		    so->sigil, shown);
		goto out;
	}
	*out = t;
	t = NULL;
	rc = 0;
out:
	ig_template_free(t);
	return rc;
}

const char *
ig_template_name(const struct ig_template *tpl)
{
	return tpl->name;
}

void
ig_template_free(struct ig_template *tpl)
{
	if (tpl == NULL)
		return;
	free(tpl->name);
	free(tpl->src);
	ig_buf_free(&tpl->names);
	free(tpl->ops);
	free(tpl);
}

/* ---- rendering ---------------------------------------------------------- */

struct frame {
	struct json_object *obj;
	const struct frame *up;
};

struct render {
	const struct ig_template_partials *partials;
	struct ig_buf *out;
	struct ig_err *err;
	long   steps;
	int    pdepth;
	size_t indent_len;
	char   indent[IG_TEMPLATE_INDENT_MAX];
};

static int
fail_put(struct render *r, size_t n)
{
	if (n > r->out->max - r->out->len)
		ig_err_set(r->err, IG_ETOOBIG, "rendered page larger than %zu bytes",
		    r->out->max);
	else
		ig_err_set(r->err, IG_ENOMEM, "out of memory while rendering");
	return -1;
}

static int
put(struct render *r, const char *p, size_t n)
{
	if (n > 0 && ig_buf_append(r->out, p, n) != 0)
		return fail_put(r, n);
	return 0;
}

/* The entity for an HTML-special byte, or NULL. */
static const char *
entity(unsigned char ch)
{
	switch (ch) {
	case '&':  return "&amp;";
	case '<':  return "&lt;";
	case '>':  return "&gt;";
	case '"':  return "&quot;";
	case '\'': return "&#39;";
	case '`':  return "&#96;";
	case '=':  return "&#61;";
	case '\0': return "\xef\xbf\xbd";   /* U+FFFD */
	default:   return NULL;
	}
}

int
ig_template_escape_html(struct ig_buf *out, const char *p, size_t n)
{
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		const char *e = entity((unsigned char)p[i]);

		if (e == NULL)
			continue;
		if (ig_buf_append(out, p + run, i - run) != 0 || ig_buf_puts(out, e) != 0)
			return -1;
		run = i + 1;
	}
	return ig_buf_append(out, p + run, n - run);
}

static int
emit(struct render *r, const char *p, size_t n, bool escape)
{
	size_t i, run = 0;

	if (!escape)
		return put(r, p, n);
	for (i = 0; i < n; i++) {
		const char *e = entity((unsigned char)p[i]);

		if (e == NULL)
			continue;
		if (put(r, p + run, i - run) != 0 || put(r, e, strlen(e)) != 0)
			return -1;
		run = i + 1;
	}
	return put(r, p + run, n - run);
}

static int
emit_number(struct render *r, struct json_object *v, bool escape)
{
	char buf[48];

	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);

		if (i == INT64_MAX)
			snprintf(buf, sizeof(buf), "%" PRIu64, json_object_get_uint64(v));
		else
			snprintf(buf, sizeof(buf), "%" PRId64, i);
	} else {
		double d = json_object_get_double(v);

		if (!isfinite(d))
			return 0;
		if (fabs(d) < 9007199254740992.0 && d == (double)(long long)d) {
			snprintf(buf, sizeof(buf), "%lld", (long long)d);
		} else {
			char *end = NULL;

			snprintf(buf, sizeof(buf), "%.15g", d);
			if (strtod(buf, &end) != d || end == NULL || *end != '\0')
				snprintf(buf, sizeof(buf), "%.17g", d);
		}
	}
	return emit(r, buf, strlen(buf), escape);
}

static int
emit_json_string(struct render *r, const char *s, size_t n, bool escape)
{
	size_t i, run = 0;
	char u[8];

	if (emit(r, "\"", 1, escape) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		const char *rep = NULL;

		switch (ch) {
		case '"':  rep = "\\\""; break;
		case '\\': rep = "\\\\"; break;
		case '\n': rep = "\\n"; break;
		case '\r': rep = "\\r"; break;
		case '\t': rep = "\\t"; break;
		case '\b': rep = "\\b"; break;
		case '\f': rep = "\\f"; break;
		default:
			if (ch < 0x20) {
				snprintf(u, sizeof(u), "\\u%04x", ch);
				rep = u;
			}
		}
		if (rep == NULL)
			continue;
		if (emit(r, s + run, i - run, escape) != 0 ||
		    emit(r, rep, strlen(rep), escape) != 0)
			return -1;
		run = i + 1;
	}
	if (emit(r, s + run, n - run, escape) != 0)
		return -1;
	return emit(r, "\"", 1, escape);
}

static int
emit_newline_indent(struct render *r, int level, bool escape)
{
	static const char spaces[] = "                                ";
	size_t want = (size_t)level * 2;

	if (emit(r, "\n", 1, escape) != 0)
		return -1;
	while (want > 0) {
		size_t k = want < sizeof(spaces) - 1 ? want : sizeof(spaces) - 1;

		if (emit(r, spaces, k, escape) != 0)
			return -1;
		want -= k;
	}
	return 0;
}

/* Writes v as indented JSON text (as JSON.stringify(v, null, 2) would). */
static int
emit_json(struct render *r, struct json_object *v, int level, bool escape)
{
	if (level > IG_TEMPLATE_JSON_DEPTH) {
		ig_err_set(r->err, IG_ETOOBIG, "value nested deeper than %d levels",
		    IG_TEMPLATE_JSON_DEPTH);
		return -1;
	}
	if (++r->steps > IG_TEMPLATE_MAX_STEPS) {
		ig_err_set(r->err, IG_ETOOBIG, "rendering took more than %ld steps",
		    (long)IG_TEMPLATE_MAX_STEPS);
		return -1;
	}
	switch (json_object_get_type(v)) {
	case json_type_null:
		return emit(r, "null", 4, escape);
	case json_type_boolean:
		return json_object_get_boolean(v) ? emit(r, "true", 4, escape) :
		    emit(r, "false", 5, escape);
	case json_type_int:
	case json_type_double:
		if (json_object_is_type(v, json_type_double) &&
		    !isfinite(json_object_get_double(v)))
			return emit(r, "null", 4, escape);
		return emit_number(r, v, escape);
	case json_type_string:
		return emit_json_string(r, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), escape);
	case json_type_array: {
		size_t i, k = json_object_array_length(v);

		if (k == 0)
			return emit(r, "[]", 2, escape);
		if (emit(r, "[", 1, escape) != 0)
			return -1;
		for (i = 0; i < k; i++) {
			if ((i > 0 && emit(r, ",", 1, escape) != 0) ||
			    emit_newline_indent(r, level + 1, escape) != 0 ||
			    emit_json(r, json_object_array_get_idx(v, i), level + 1, escape) != 0)
				return -1;
		}
		if (emit_newline_indent(r, level, escape) != 0)
			return -1;
		return emit(r, "]", 1, escape);
	}
	case json_type_object: {
		bool first = true;

		if (json_object_object_length(v) == 0)
			return emit(r, "{}", 2, escape);
		if (emit(r, "{", 1, escape) != 0)
			return -1;
		json_object_object_foreach(v, key, val) {
			if ((!first && emit(r, ",", 1, escape) != 0) ||
			    emit_newline_indent(r, level + 1, escape) != 0 ||
			    emit_json_string(r, key, strlen(key), escape) != 0 ||
			    emit(r, ": ", 2, escape) != 0 ||
			    emit_json(r, val, level + 1, escape) != 0)
				return -1;
			first = false;
		}
		if (emit_newline_indent(r, level, escape) != 0)
			return -1;
		return emit(r, "}", 1, escape);
	}
	}
	return 0;
}

static int
emit_value(struct render *r, struct json_object *v, bool escape)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return 0;
	case json_type_boolean:
		return json_object_get_boolean(v) ? emit(r, "true", 4, escape) :
		    emit(r, "false", 5, escape);
	case json_type_int:
	case json_type_double:
		return emit_number(r, v, escape);
	case json_type_string:
		return emit(r, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), escape);
	case json_type_array:
	case json_type_object:
		return emit_json(r, v, 0, escape);
	}
	return 0;
}

static int
charge(struct render *r, long n)
{
	r->steps += n;
	if (r->steps > IG_TEMPLATE_MAX_STEPS) {
		ig_err_set(r->err, IG_ETOOBIG, "rendering took more than %ld steps",
		    (long)IG_TEMPLATE_MAX_STEPS);
		return -1;
	}
	return 0;
}

/* Looks the instruction's name up through the context stack. Returns 0 with
 * *found and *val (NULL for JSON null), or -1 when the budget runs out. */
static int
resolve(struct render *r, const struct ig_template *t, const struct op *o,
    const struct frame *ctx, struct json_object **val, bool *found)
{
	const char *seg = t->names.data + o->off;
	const struct frame *f;
	struct json_object *v = NULL;
	long walked = 0;
	unsigned i;

	*val = NULL;
	*found = false;
	if (o->nseg == 0) {
		*val = ctx->obj;
		*found = true;
		return 0;
	}
	for (f = ctx; f != NULL; f = f->up) {
		walked++;
		if (json_object_is_type(f->obj, json_type_object) &&
		    json_object_object_get_ex(f->obj, seg, &v))
			break;
	}
	if (charge(r, walked + o->nseg) != 0)
		return -1;
	if (f == NULL)
		return 0;
	for (i = 1; i < o->nseg; i++) {
		struct json_object *next = NULL;

		seg += strlen(seg) + 1;
		if (!json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, seg, &next))
			return 0;
		v = next;
	}
	*val = v;
	*found = true;
	return 0;
}

static bool
falsey(struct json_object *v, bool found)
{
	if (!found || v == NULL)
		return true;
	if (json_object_is_type(v, json_type_boolean))
		return !json_object_get_boolean(v);
	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v) == 0;
	return false;
}

static int render_ops(struct render *r, const struct ig_template *t, size_t from,
    size_t to, const struct frame *ctx);

static int
render_partial(struct render *r, const struct ig_template *t, const struct op *o,
    const struct frame *ctx)
{
	const char *name = t->names.data + o->off;
	const struct ig_template *p;
	size_t saved = r->indent_len;
	int rc;

	if (r->partials == NULL || r->partials->lookup == NULL ||
	    (p = r->partials->lookup(r->partials->arg, name)) == NULL)
		return 0;
	if (r->pdepth >= IG_TEMPLATE_PARTIAL_DEPTH) {
		char shown[80];

		printable(shown, sizeof(shown), name, strlen(name));
		ig_err_set(r->err, IG_ETOOBIG, "%s:%u: partials nested deeper than %d at {{> %s}}",
		    t->name, o->line, IG_TEMPLATE_PARTIAL_DEPTH, shown);
		return -1;
	}
	/* A standalone partial adds its own indentation to the current one; an
	 * inline partial is not indented at all (its text was not part of the
	 * indented lines). */
	if (o->ind_len > 0) {
		if (o->ind_len > sizeof(r->indent) - r->indent_len) {
			ig_err_set(r->err, IG_ETOOBIG, "%s:%u: partial indentation beyond %d bytes",
			    t->name, o->line, IG_TEMPLATE_INDENT_MAX);
			return -1;
		}
		memcpy(r->indent + r->indent_len, t->src + o->ind_off, o->ind_len);
		r->indent_len += o->ind_len;
	} else {
		r->indent_len = 0;
	}
	r->pdepth++;
	rc = render_ops(r, p, 0, p->nops, ctx);
	r->pdepth--;
	r->indent_len = saved;
	return rc;
}

static int
render_ops(struct render *r, const struct ig_template *t, size_t from, size_t to,
    const struct frame *ctx)
{
	size_t i;

	for (i = from; i < to; i++) {
		const struct op *o = &t->ops[i];
		struct json_object *v;
		bool found;

		if (charge(r, 1) != 0)
			return -1;
		if (o->bol && r->indent_len > 0 && put(r, r->indent, r->indent_len) != 0)
			return -1;
		switch (o->kind) {
		case OP_TEXT:
			if (put(r, t->src + o->off, o->len) != 0)
				return -1;
			break;
		case OP_VAR:
		case OP_RAW:
			if (resolve(r, t, o, ctx, &v, &found) != 0)
				return -1;
			if (found && emit_value(r, v, o->kind == OP_VAR) != 0)
				return -1;
			break;
		case OP_INVERTED:
			if (resolve(r, t, o, ctx, &v, &found) != 0)
				return -1;
			/* The body follows in line; its END is a no-op. */
			if (!falsey(v, found))
				i = o->end - 1;
			break;
		case OP_SECTION:
			if (resolve(r, t, o, ctx, &v, &found) != 0)
				return -1;
			if (falsey(v, found)) {
				i = o->end - 1;
				break;
			}
			if (json_object_is_type(v, json_type_array)) {
				size_t k, nel = json_object_array_length(v);

				for (k = 0; k < nel; k++) {
					struct frame f = { json_object_array_get_idx(v, k), ctx };

					if (charge(r, 1) != 0 ||
					    render_ops(r, t, i + 1, o->end, &f) != 0)
						return -1;
				}
			} else {
				struct frame f = { v, ctx };

				if (render_ops(r, t, i + 1, o->end, &f) != 0)
					return -1;
			}
			i = o->end - 1;
			break;
		case OP_PARTIAL:
			if (render_partial(r, t, o, ctx) != 0)
				return -1;
			break;
		case OP_END:
		case OP_NOP:
			break;
		}
	}
	return 0;
}

int
ig_template_render(const struct ig_template *tpl, struct json_object *ctx,
    const struct ig_template_partials *partials, struct ig_buf *out,
    struct ig_err *err)
{
	struct render *r;
	struct frame root = { ctx, NULL };
	int rc;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	r->partials = partials;
	r->out = out;
	r->err = err;
	/* An empty page is still a NUL-terminated string. */
	rc = ig_buf_append(out, "", 0) == 0 ? 0 : fail_put(r, 0);
	if (rc == 0)
		rc = render_ops(r, tpl, 0, tpl->nops, &root);
	if (rc != 0)
		ig_err_prefix(err, "%s", tpl->name);
	free(r);
	return rc;
}

/* ---- sets --------------------------------------------------------------- */

struct set_entry {
	char name[IG_TEMPLATE_SET_NAME_MAX + 1];
	struct ig_template *tpl;
};

struct ig_template_set {
	struct set_entry e[IG_TEMPLATE_SET_MAX];
	size_t n;
};

static bool
set_name_ok(const char *name, size_t n)
{
	size_t i;

	if (n == 0 || n > IG_TEMPLATE_SET_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (!isalnum(ch) && ch != '_' && ch != '-')
			return false;
	}
	return true;
}

struct ig_template_set *
ig_template_set_new(void)
{
	return calloc(1, sizeof(struct ig_template_set));
}

const struct ig_template *
ig_template_set_get(const struct ig_template_set *set, const char *name)
{
	size_t i;

	if (set == NULL || name == NULL)
		return NULL;
	for (i = 0; i < set->n; i++)
		if (strcmp(set->e[i].name, name) == 0)
			return set->e[i].tpl;
	return NULL;
}

static int
set_add(struct ig_template_set *set, const char *name, size_t namelen,
    const char *shown, const char *text, size_t len, struct ig_err *err)
{
	char key[IG_TEMPLATE_SET_NAME_MAX + 1];
	struct ig_template *t = NULL;

	if (!set_name_ok(name, namelen)) {
		ig_err_set(err, IG_EINVAL, "%s: template names are 1 to %d of [A-Za-z0-9_-]",
		    shown, IG_TEMPLATE_SET_NAME_MAX);
		return -1;
	}
	memcpy(key, name, namelen);
	key[namelen] = '\0';
	if (ig_template_set_get(set, key) != NULL) {
		ig_err_set(err, IG_EEXIST, "%s: template \"%s\" defined twice", shown, key);
		return -1;
	}
	if (set->n == IG_TEMPLATE_SET_MAX) {
		ig_err_set(err, IG_ETOOBIG, "%s: more than %d templates", shown,
		    IG_TEMPLATE_SET_MAX);
		return -1;
	}
	if (ig_template_compile(text, len, shown, &t, err) != 0)
		return -1;
	memcpy(set->e[set->n].name, key, namelen + 1);
	set->e[set->n].tpl = t;
	set->n++;
	return 0;
}

int
ig_template_set_add(struct ig_template_set *set, const char *name, const char *text,
    size_t len, struct ig_err *err)
{
	char shown[80];

	printable(shown, sizeof(shown), name, strlen(name));
	return set_add(set, name, strlen(name), shown, text, len, err);
}

int
ig_template_set_load_dir(struct ig_template_set *set, const char *dir, struct ig_err *err)
{
	struct ig_buf text;
	DIR *d = NULL;
	struct dirent *de;
	int dirfd, fd = -1, rc = -1;

	ig_buf_init(&text, IG_TEMPLATE_MAX_BYTES);
	if ((dirfd = ig_fs_open_dir(dir, err)) < 0) {
		ig_err_prefix(err, "templates");
		return -1;
	}
	if ((fd = dup(dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		ig_err_sys(err, IG_EIO, "templates: %s", dir);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n <= 5 || de->d_name[0] == '.' || strcmp(de->d_name + n - 5, ".html") != 0)
			continue;
		ig_buf_reset(&text);
		if (ig_fs_read_beneath(dirfd, de->d_name, &text, err) != 0) {
			ig_err_prefix(err, "templates: %s", de->d_name);
			goto out;
		}
		if (set_add(set, de->d_name, n - 5, de->d_name, text.data ? text.data : "",
		    text.len, err) != 0)
			goto out;
		errno = 0;
	}
	if (errno != 0) {
		ig_err_sys(err, IG_EIO, "templates: reading %s", dir);
		goto out;
	}
	rc = ig_template_set_check(set, err);
out:
	if (d != NULL)
		closedir(d);
	close(dirfd);
	ig_buf_free(&text);
	return rc;
}

int
ig_template_set_check(const struct ig_template_set *set, struct ig_err *err)
{
	size_t i, k;

	for (i = 0; i < set->n; i++) {
		const struct ig_template *t = set->e[i].tpl;

		for (k = 0; k < t->nops; k++) {
			const char *name = t->names.data + t->ops[k].off;
			char shown[80];

			if (t->ops[k].kind != OP_PARTIAL || ig_template_set_get(set, name) != NULL)
				continue;
			printable(shown, sizeof(shown), name, strlen(name));
			ig_err_set(err, IG_EINVAL, "%s:%u: unknown partial {{> %s}}", t->name,
			    t->ops[k].line, shown);
			return -1;
		}
	}
	return 0;
}

static const struct ig_template *
set_lookup(void *arg, const char *name)
{
	return ig_template_set_get(arg, name);
}

int
ig_template_set_render(const struct ig_template_set *set, const char *name,
    struct json_object *ctx, struct ig_buf *out, struct ig_err *err)
{
	const struct ig_template *t = ig_template_set_get(set, name);
	struct ig_template_partials p = { set_lookup, (void *)set };

	if (t == NULL) {
		char shown[80];

		printable(shown, sizeof(shown), name, name ? strlen(name) : 0);
		ig_err_set(err, IG_ENOENT, "no template \"%s\"", shown);
		return -1;
	}
	return ig_template_render(t, ctx, &p, out, err);
}

void
ig_template_set_free(struct ig_template_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		ig_template_free(set->e[i].tpl);
	free(set);
}
