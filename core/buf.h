/*
 * buf.h — a growable byte buffer with a hard maximum fixed at init.
 *
 * Every buffer that holds bytes from outside (a file, the Docker engine, a
 * container's output, a request body) has a maximum; appending past it fails
 * (or, with ig_buf_append_trunc, keeps what fits and says so). The contents
 * are always NUL-terminated for convenience; `len` excludes the NUL.
 */
#ifndef IG_BUF_H
#define IG_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct ig_buf {
	char   *data;     /* NULL until the first append */
	size_t  len;
	size_t  cap;
	size_t  max;      /* maximum len */
};

/* Initialises an empty buffer that may hold at most max bytes. */
void ig_buf_init(struct ig_buf *b, size_t max);

/* Appends n bytes. Returns 0, or -1 (buffer unchanged) when the result would
 * exceed max or memory runs out. */
__attribute__((warn_unused_result))
int ig_buf_append(struct ig_buf *b, const void *p, size_t n);

/* Appends a NUL-terminated string; as ig_buf_append. */
__attribute__((warn_unused_result))
int ig_buf_puts(struct ig_buf *b, const char *s);

/* Appends printf-style output; as ig_buf_append. */
__attribute__((warn_unused_result))
int ig_buf_printf(struct ig_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends as much of p as fits under max. Returns true if everything fitted,
 * false if bytes were dropped (or memory ran out). */
bool ig_buf_append_trunc(struct ig_buf *b, const void *p, size_t n);

/* Hands the contents to the caller (free() it; never NULL after a successful
 * append, may be NULL for an empty buffer) and resets the buffer. */
char *ig_buf_steal(struct ig_buf *b);

/* Empties the buffer, keeping its maximum. */
void ig_buf_reset(struct ig_buf *b);

/* Frees the contents. NULL-safe. */
void ig_buf_free(struct ig_buf *b);

#endif
