/*
 * fuzz_template.c — the Mustache engine: ig_template_compile and
 * ig_template_render on any template text and any JSON context.
 *
 * Input: parts separated by NUL bytes:
 *   template \0 JSON context \0 partial \0 partial …
 * Each partial part is "name\ntext" and is added to a template set under
 * that name (a bad name just leaves it out); a partial tag naming no
 * partial of the set resolves to the template itself, so recursion is
 * exercised too. Without a context part the context is JSON null.
 *
 * Properties: compile and render fail only with their documented codes;
 * the output never exceeds its buffer maximum; the set's check and render
 * work on whatever was added; ig_template_escape_html leaves none of the
 * characters it escapes (& only as the start of one of its entities).
 */
#include "fuzz.h"

#include "buf.h"
#include "err.h"
#include "jsonin.h"
#include "template.h"

#include <json-c/json.h>

#define TEMPLATE_OUT_MAX   (256 * 1024)
#define TEMPLATE_PARTS_MAX 6

struct template_lookup {
	const struct ig_template_set *set;
	const struct ig_template *self;
};

static const struct ig_template *
template_find(void *arg, const char *name)
{
	const struct template_lookup *l = arg;
	const struct ig_template *t = ig_template_set_get(l->set, name);

	return t != NULL ? t : l->self;
}

static void
template_escape_ok(const char *p, size_t n)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#96;", "&#61;" };
	struct ig_buf b;
	size_t i, k;

	ig_buf_init(&b, 8 * n + 16);
	FUZZ_CHECK(ig_template_escape_html(&b, p, n) == 0);
	for (i = 0; i < b.len; i++) {
		char c = b.data[i];
		FUZZ_CHECK(c != '<' && c != '>' && c != '"' && c != '\'' && c != '`' && c != '=' && c != '\0');
		if (c == '&') {
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
				if (b.len - i >= strlen(ents[k]) && memcmp(b.data + i, ents[k], strlen(ents[k])) == 0)
					break;
			FUZZ_CHECK(k < sizeof(ents) / sizeof(ents[0]));
		}
	}
	ig_buf_free(&b);
}

int
fuzz_template(const uint8_t *data, size_t size)
{
	const uint8_t *part[TEMPLATE_PARTS_MAX];
	size_t plen[TEMPLATE_PARTS_MAX], nparts = 0, off = 0, i;
	struct ig_template *tpl = NULL;
	struct ig_template_set *set = NULL;
	struct json_object *ctx = NULL;
	struct ig_err err = { 0 };
	struct ig_buf out;
	int rc;

	while (nparts < TEMPLATE_PARTS_MAX) {
		size_t l = fuzz_part_len(data + off, size - off);
		part[nparts] = data + off;
		plen[nparts++] = l;
		off += l;
		if (off >= size)
			break;
		off++;  /* the NUL */
	}
	if (nparts > 1 && ig_jsonin_parse((const char *)part[1], plen[1], 0, &ctx, &err) != 0)
		ctx = NULL;

	set = ig_template_set_new();
	FUZZ_CHECK(set != NULL);
	for (i = 2; i < nparts; i++) {
		const uint8_t *nl = memchr(part[i], '\n', plen[i]);
		char *name;

		if (nl == NULL)
			continue;
		name = fuzz_strndup(part[i], (size_t)(nl - part[i]));
		FUZZ_CHECK(name != NULL);
		rc = ig_template_set_add(set, name, (const char *)nl + 1,
		    plen[i] - (size_t)(nl + 1 - part[i]), &err);
		FUZZ_CHECK(rc == 0 || err.code == IG_EINVAL || err.code == IG_ETOOBIG ||
		    err.code == IG_EEXIST || err.code == IG_ENOMEM);
		free(name);
	}

	rc = ig_template_compile((const char *)part[0], plen[0], "fuzz.html", &tpl, &err);
	if (rc != 0) {
		FUZZ_CHECK(tpl == NULL);
		FUZZ_CHECK(err.code == IG_EINVAL || err.code == IG_ETOOBIG || err.code == IG_ENOMEM);
	} else {
		struct template_lookup l = { set, tpl };
		struct ig_template_partials partials = { template_find, &l };

		FUZZ_CHECK(strcmp(ig_template_name(tpl), "fuzz.html") == 0);
		ig_buf_init(&out, TEMPLATE_OUT_MAX);
		rc = ig_template_render(tpl, ctx, &partials, &out, &err);
		FUZZ_CHECK(rc == 0 || err.code == IG_ETOOBIG || err.code == IG_ENOMEM);
		FUZZ_CHECK(out.len <= TEMPLATE_OUT_MAX);
		ig_buf_free(&out);
		ig_buf_init(&out, TEMPLATE_OUT_MAX);
		rc = ig_template_render(tpl, ctx, NULL, &out, &err);
		FUZZ_CHECK(rc == 0 || err.code == IG_ETOOBIG || err.code == IG_ENOMEM);
		ig_buf_free(&out);
	}
	/* The set on its own: check, and render each template it holds. */
	(void)ig_template_set_check(set, &err);
	for (i = 2; i < nparts; i++) {
		const uint8_t *nl = memchr(part[i], '\n', plen[i]);
		char *name;

		if (nl == NULL)
			continue;
		name = fuzz_strndup(part[i], (size_t)(nl - part[i]));
		FUZZ_CHECK(name != NULL);
		ig_buf_init(&out, TEMPLATE_OUT_MAX);
		rc = ig_template_set_render(set, name, ctx, &out, &err);
		FUZZ_CHECK(rc == 0 || err.code == IG_ENOENT || err.code == IG_ETOOBIG ||
		    err.code == IG_ENOMEM);
		ig_buf_free(&out);
		free(name);
	}
	template_escape_ok((const char *)data, size < 4096 ? size : 4096);

	ig_template_free(tpl);
	ig_template_set_free(set);
	json_object_put(ctx);
	return 0;
}

#ifndef IG_FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_template(data, size);
}
#endif
