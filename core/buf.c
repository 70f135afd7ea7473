/* buf.c — bounded growable buffers. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ig_buf_init(struct ig_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

/* Makes room for `need` more bytes plus the terminating NUL. */
static int
reserve(struct ig_buf *b, size_t need)
{
	size_t want, ncap;
	char *nd;

	if (need > b->max - b->len)
		return -1;
	want = b->len + need + 1;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < want)
		ncap = ncap > ((size_t)-1) / 2 ? want : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	nd = realloc(b->data, ncap);
	if (nd == NULL)
		return -1;
	b->data = nd;
	b->cap = ncap;
	return 0;
}

int
ig_buf_append(struct ig_buf *b, const void *p, size_t n)
{
	if (reserve(b, n) != 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
ig_buf_puts(struct ig_buf *b, const char *s)
{
	return ig_buf_append(b, s, strlen(s));
}

int
ig_buf_printf(struct ig_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(b, (size_t)n) != 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

bool
ig_buf_append_trunc(struct ig_buf *b, const void *p, size_t n)
{
	size_t room = b->max - b->len;

	if (n <= room)
		return ig_buf_append(b, p, n) == 0;
	if (room > 0 && ig_buf_append(b, p, room) != 0)
		return false;
	return false;
}

char *
ig_buf_steal(struct ig_buf *b)
{
	char *p = b->data;

	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

void
ig_buf_reset(struct ig_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
ig_buf_free(struct ig_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
