/*
 * template.h — logic-less Mustache templates over json-c values, for the
 * HTML report pages.
 *
 * A template text is compiled once into a bounded, immutable instruction
 * list and rendered many times, concurrently if wanted (rendering touches
 * nothing but the caller's output buffer and its own stack).
 *
 * Supported Mustache (the spec's interpolation, sections, inverted,
 * comments, partials and delimiters modules; no lambdas):
 *
 *   {{name}}        the value, HTML-escaped: & < > " ' ` = become entities
 *                   (&amp; &lt; &gt; &quot; &#39; &#96; &#61;), NUL becomes
 *                   U+FFFD. Every page value goes through this.
 *   {{{name}}}      the value, NOT escaped. Also {{&name}}. Only for text
 *                   Ignite itself produced and knows to be markup; never
 *                   for anything a service, its output, a user or a
 *                   request can influence. Ignite's templates use none.
 *   {{a.b.c}}       dotted names: "a" is looked up through the context
 *                   stack, then "b" in that value only, then "c".
 *   {{.}}           the value on top of the context stack.
 *   {{#x}}…{{/x}}   section: skipped when x is falsey; a list renders the
 *                   body once per element (each pushed as context); any
 *                   other truthy value renders it once with x pushed.
 *   {{^x}}…{{/x}}   inverted section: rendered only when x is falsey.
 *   {{! text }}     comment.
 *   {{> name}}      partial, rendered in the current context; a standalone
 *                   partial tag indents every line of the partial.
 *   {{=<% %>=}}     set delimiters (for the rest of this template only).
 *
 * Falsey is exactly: false, null, a missing name, an empty array. The
 * empty string, 0 and {} are truthy (the page handlers add booleans where a
 * page needs a decision).
 *
 * Interpolated values: strings as they are; true/false as "true"/"false";
 * null and missing names as nothing; whole numbers (integers, and doubles
 * that are whole and below 2^53) as integers ("128", never "128.0"); other
 * doubles as the shortest of %.15g / %.17g that reads back exactly — the
 * same text the JSON API writes; NaN/infinity as nothing; objects and
 * arrays as indented JSON text.
 *
 * Standalone lines (a section, inverted, end, comment, partial or
 * set-delimiter tag alone on its line with only spaces/tabs around it) are
 * removed from the output whole, as the spec says.
 *
 * Bounds (core/bounds.h, "Templates"): template size, instructions,
 * section nesting, tag name length, partial depth, indentation, work steps
 * per render, JSON depth when interpolating objects; the output is bounded
 * by the caller's ig_buf maximum. Any template text and any JSON value is
 * safe to give to these functions: the worst outcome is an error.
 */
#ifndef IG_TEMPLATE_H
#define IG_TEMPLATE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct json_object;
struct ig_template;
struct ig_template_set;

/* Finds the compiled partial called name (NUL-terminated, as written in the
 * tag, without surrounding spaces). Returns it, or NULL when there is no
 * such partial (it then renders as nothing, as the spec says). The result
 * must stay valid for the whole render. */
typedef const struct ig_template *(*ig_template_lookup_fn)(void *arg, const char *name);

struct ig_template_partials {
	ig_template_lookup_fn lookup;
	void *arg;
};

/* Compiles len bytes of template text. name is used in error messages
 * ("run.html:12: unclosed section {{#runs}}") and kept by the template.
 * Returns 0 with *out owned by the caller (ig_template_free), or -1 with
 * err: IG_ETOOBIG past a limit, IG_EINVAL for a malformed template,
 * IG_ENOMEM. */
int ig_template_compile(const char *text, size_t len, const char *name,
    struct ig_template **out, struct ig_err *err);

/* Renders tpl with ctx (any JSON value; NULL is JSON null) as the bottom
 * of the context stack, appending to out. Partials are resolved through
 * partials (NULL: every partial renders as nothing). Returns 0, or -1 with
 * err: IG_ETOOBIG when out's maximum, the partial depth, the indentation
 * or the work budget is exceeded, IG_ENOMEM. On failure out holds a
 * partial rendering that the caller should discard. */
int ig_template_render(const struct ig_template *tpl, struct json_object *ctx,
    const struct ig_template_partials *partials, struct ig_buf *out,
    struct ig_err *err);

/* The name given to ig_template_compile. */
const char *ig_template_name(const struct ig_template *tpl);

/* Frees tpl. NULL-safe. */
void ig_template_free(struct ig_template *tpl);

/* ---- sets: templates that name each other as partials ------------------
 * A set maps names ([A-Za-z0-9_-], at most IG_TEMPLATE_SET_NAME_MAX bytes)
 * to compiled templates; {{> name}} inside a set's template resolves to the
 * set's template of that name. A filled set is read-only and can be shared
 * by threads. */

/* Returns a new, empty set (free with ig_template_set_free), or NULL when
 * memory runs out. */
struct ig_template_set *ig_template_set_new(void);

/* Compiles text and adds it to set under name (replacing nothing: a
 * duplicate name is IG_EEXIST). Returns 0, or -1 with err as
 * ig_template_compile, or IG_EINVAL for a bad name, IG_ETOOBIG past
 * IG_TEMPLATE_SET_MAX templates. */
int ig_template_set_add(struct ig_template_set *set, const char *name,
    const char *text, size_t len, struct ig_err *err);

/* Adds every regular file "<name>.html" in directory dir (read through a
 * directory fd, never following a symlink out of it) under <name>. Other
 * files are ignored. Then checks the set (ig_template_set_check). Returns
 * 0, or -1 with err naming the file. */
int ig_template_set_load_dir(struct ig_template_set *set, const char *dir,
    struct ig_err *err);

/* Checks that every partial named by a template of set exists in set, so
 * that a typo fails at startup, not as a silently empty page region.
 * Returns 0, or -1 with err ("index.html:3: unknown partial {{> heder}}"). */
int ig_template_set_check(const struct ig_template_set *set, struct ig_err *err);

/* Returns the template called name, or NULL. Valid while set lives. */
const struct ig_template *ig_template_set_get(const struct ig_template_set *set,
    const char *name);

/* Renders the set's template name with ctx into out, partials from set.
 * Returns 0, or -1 with err as ig_template_render (IG_ENOENT for an
 * unknown name). */
int ig_template_set_render(const struct ig_template_set *set, const char *name,
    struct json_object *ctx, struct ig_buf *out, struct ig_err *err);

/* Frees set and its templates. NULL-safe. */
void ig_template_set_free(struct ig_template_set *set);

/* Appends n bytes to out HTML-escaped exactly as {{name}} escapes them, for
 * code that builds markup outside a template. Returns 0, or -1 when out's
 * maximum is reached or memory runs out. */
__attribute__((warn_unused_result))
int ig_template_escape_html(struct ig_buf *out, const char *p, size_t n);

#endif
