/*
 * docker_priv.h — what the files of the Docker client share, included by
 * core/docker*.c only: the client's state (the attach session opens its own
 * connection to the client's engine), the libcurl setup and error mapping
 * every connection uses, and a few bounded text helpers.
 */
#ifndef IG_DOCKER_PRIV_H
#define IG_DOCKER_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "docker.h"

#define BAD_ANSWER     "unexpected answer from the Docker engine"

struct ig_docker {
	struct ig_docker_endpoint ep;
	CURL          *curl;
	char           errbuf[CURL_ERROR_SIZE];
	struct ig_buf  resp;            /* body of the last answer, capped */
	bool           resp_overflow;
	long           connect_timeout_ms;
	long           request_timeout_ms;
	char           api[16];         /* negotiated, "" before */
	long           connections;
};

/* Sets the options every handle to the engine carries: where it is, TLS,
 * the connect timeout, no proxy, HTTP/1.1; errors go to errbuf
 * (CURL_ERROR_SIZE). Returns 0, or -1 when libcurl refused an option. */
int ig_docker_curl_base(CURL *h, const struct ig_docker_endpoint *ep,
    long connect_timeout_ms, char *errbuf);

/* Fills err with why a transfer on h failed (rc): IG_EDOCKER_DOWN when the
 * engine was not reached or dropped the connection, IG_ETIMEOUT when it did
 * not answer in timeout_ms, IG_ETOOBIG when overflow says the answer passed
 * cap, IG_ENOMEM, IG_EINTERNAL for a bad URL. */
void ig_docker_curl_error(const struct ig_docker_endpoint *ep, CURL *h,
    CURLcode rc, const char *errbuf, bool overflow, size_t cap, long timeout_ms,
    struct ig_err *err);

/* Returns 0 when id is a container id or name that may go into a URL path,
 * else -1 with IG_EINVAL. */
int ig_docker_check_container(const char *id, struct ig_err *err);

static inline bool
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static inline bool
is_alnum(int ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Copies n bytes of src into dst (size dstsz) with a NUL. Returns -1 if
 * they do not fit. */
static inline int
copy_bounded(char *dst, size_t dstsz, const char *src, size_t n)
{
	if (n >= dstsz)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* Formats into dst; returns -1 when the result would be truncated. */
static inline __attribute__((format(printf, 3, 4))) int
fmt_bounded(char *dst, size_t dstsz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, dstsz, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= dstsz) ? -1 : 0;
}

#endif
