/* diag.c — collecting configuration problems. */
#include "diag.h"
#include "bounds.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ig_diags_add(struct ig_diags *d, const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	struct ig_diag *dg;
	va_list ap;

	if (d == NULL)
		return;
	if (d->n >= IG_CONFIG_MAX_ERRORS) {
		d->dropped++;
		return;
	}
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 8;
		struct ig_diag *nv = realloc(d->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			d->dropped++;
			return;
		}
		d->v = nv;
		d->cap = ncap;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dg = &d->v[d->n];
	dg->file = strdup(file ? file : "");
	dg->msg = strdup(msg);
	dg->line = line;
	if (dg->file == NULL || dg->msg == NULL) {
		free(dg->file);
		free(dg->msg);
		d->dropped++;
		return;
	}
	d->n++;
}

char *
ig_diag_format(const struct ig_diag *dg, char *buf, size_t len)
{
	if (dg->line > 0)
		snprintf(buf, len, "%s:%d: %s", dg->file, dg->line, dg->msg);
	else
		snprintf(buf, len, "%s: %s", dg->file, dg->msg);
	return buf;
}

void
ig_diags_free(struct ig_diags *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}
