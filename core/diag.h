/*
 * diag.h — a list of configuration problems, each tied to a file and line.
 *
 * Validators add every problem they find instead of stopping at the first,
 * so a user fixes a file in one pass. Rendered as "file:line: message".
 */
#ifndef IG_DIAG_H
#define IG_DIAG_H

#include <stddef.h>

struct ig_diag {
	char *file;     /* file name as shown to the user, e.g. "service.yaml" */
	int   line;     /* 1-based; 0 when the problem has no line */
	char *msg;      /* "service.memoryMb must be a positive number" */
};

struct ig_diags {
	struct ig_diag *v;
	size_t          n;
	size_t          cap;
	size_t          dropped;    /* problems past IG_CONFIG_MAX_ERRORS, counted only */
};

/* Appends a problem. Allocation failure or the list cap only bumps
 * `dropped`, so adding never fails. */
void ig_diags_add(struct ig_diags *d, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Writes the problem as "file:line: msg" (or "file: msg" without a line) into
 * buf of size len; returns buf. */
char *ig_diag_format(const struct ig_diag *dg, char *buf, size_t len);

/* Frees every entry and resets the list to empty. NULL-safe. */
void ig_diags_free(struct ig_diags *d);

#endif
