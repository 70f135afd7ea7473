/*
 * docker_attach.c — the attach session (see docker_attach.h): its own
 * libcurl connection to the engine, used as a raw socket once the engine
 * has switched protocols; the HTTP head parser for that switch and the
 * demultiplexer of the stream after it.
 */
#include "docker_attach.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "docker_priv.h"

#define ATTACH_BUF     (64 * 1024)    /* one curl_easy_recv on an attach session */
#define ATTACH_REQ_MAX (8 * 1024)     /* the upgrade request we write */

/* ================================================================== */
/* HTTP response head (attach only: libcurl parses all other answers). */

static bool
name_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

int
ig_docker_parse_http_head(const char *p, size_t n, int *status,
    size_t *head_len, long long *content_length, struct ig_err *err)
{
	size_t scan = n < IG_DOCKER_HEAD_MAX ? n : IG_DOCKER_HEAD_MAX;
	size_t end = 0, i, line, eol;
	long long cl = -1;
	bool found = false;

	for (i = 0; i + 4 <= scan; i++) {
		if (memcmp(p + i, "\r\n\r\n", 4) == 0) {
			end = i + 4;
			found = true;
			break;
		}
	}
	/* Refuse a wrong status line as soon as it can be seen. */
	if (scan >= 1 && memcmp(p, "HTTP/1.", scan < 7 ? scan : 7) != 0)
		goto bad;
	if (!found) {
		if (n >= IG_DOCKER_HEAD_MAX) {
			ig_err_set(err, IG_EDOCKER, "%s: response head longer than %d bytes",
			    BAD_ANSWER, IG_DOCKER_HEAD_MAX);
			return -1;
		}
		return 0;
	}
	/* "HTTP/1.x NNN[ reason]\r\n" */
	if (end < 14 + 2 || (p[7] != '0' && p[7] != '1') || p[8] != ' ' ||
	    !is_digit(p[9]) || !is_digit(p[10]) || !is_digit(p[11]) ||
	    (p[12] != ' ' && p[12] != '\r'))
		goto bad;
	*status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (*status < 100)
		goto bad;
	for (eol = 12; eol + 1 < end && !(p[eol] == '\r' && p[eol + 1] == '\n'); eol++)
		if ((unsigned char)p[eol] < 0x20 && p[eol] != '\t')
			goto bad;
	/* Header lines up to the blank one. */
	for (line = eol + 2; line + 2 < end; line = eol + 2) {
		const char *colon = NULL;
		size_t k;

		for (eol = line; !(p[eol] == '\r' && p[eol + 1] == '\n'); eol++) {
			if ((unsigned char)p[eol] < 0x20 && p[eol] != '\t')
				goto bad;
			if (p[eol] == ':' && colon == NULL)
				colon = p + eol;
		}
		if (colon == NULL || colon == p + line)
			goto bad;
		if (name_is(p + line, (size_t)(colon - (p + line)), "Content-Length")) {
			const char *v = colon + 1, *ve = p + eol;
			long long x = 0;
			int nd = 0;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			for (k = 0; v + k < ve; k++) {
				if (!is_digit(v[k]) || ++nd > 15)
					goto bad;
				x = x * 10 + (v[k] - '0');
			}
			if (nd == 0 || (cl >= 0 && cl != x))
				goto bad;
			cl = x;
		}
	}
	*head_len = end;
	*content_length = cl;
	return 1;
bad:
	ig_err_set(err, IG_EDOCKER, "%s: malformed HTTP response head", BAD_ANSWER);
	return -1;
}

/* ================================================================== */
/* Attach stream demultiplexer.                                        */

void
ig_docker_demux_init(struct ig_docker_demux *d)
{
	memset(d, 0, sizeof(*d));
}

bool
ig_docker_demux_at_boundary(const struct ig_docker_demux *d)
{
	return !d->broken && d->hdr_len == 0 && d->left == 0;
}

int
ig_docker_demux_feed(struct ig_docker_demux *d, const void *data, size_t n,
    ig_docker_output_fn out, void *arg, struct ig_err *err)
{
	const unsigned char *p = data;
	uint32_t flen;
	size_t take;

	if (d->broken) {
		ig_err_set(err, IG_EDOCKER, "corrupt attach stream from the Docker engine");
		return -1;
	}
	while (n > 0) {
		if (d->left > 0) {
			take = n < d->left ? n : d->left;
			if (out != NULL && out(arg, d->stream, p, take) != 0) {
				ig_err_set(err, IG_EINTERNAL, "container output consumer stopped");
				return -1;
			}
			d->left -= (uint32_t)take;
			p += take;
			n -= take;
			continue;
		}
		take = sizeof(d->hdr) - d->hdr_len;
		if (take > n)
			take = n;
		memcpy(d->hdr + d->hdr_len, p, take);
		d->hdr_len += (unsigned)take;
		p += take;
		n -= take;
		if (d->hdr_len < sizeof(d->hdr))
			break;
		d->hdr_len = 0;
		flen = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 |
		    (uint32_t)d->hdr[6] << 8 | (uint32_t)d->hdr[7];
		if (d->hdr[0] > IG_DOCKER_STDERR || d->hdr[1] != 0 || d->hdr[2] != 0 ||
		    d->hdr[3] != 0 || flen > IG_DOCKER_FRAME_MAX) {
			d->broken = true;
			if (d->hdr[0] > IG_DOCKER_STDERR)
				ig_err_set(err, IG_EDOCKER,
				    "corrupt attach stream from the Docker engine: stream type %u",
				    d->hdr[0]);
			else if (flen > IG_DOCKER_FRAME_MAX)
				ig_err_set(err, IG_EDOCKER,
				    "corrupt attach stream from the Docker engine: frame of %u bytes",
				    flen);
			else
				ig_err_set(err, IG_EDOCKER,
				    "corrupt attach stream from the Docker engine: bad frame header");
			return -1;
		}
		d->stream = d->hdr[0];
		d->left = flen;
	}
	return 0;
}

/* ================================================================== */
/* Attach session.                                                     */

struct ig_docker_attach {
	CURL                  *h;
	int                    fd;
	bool                   tls;
	bool                   stdin_closed;
	bool                   eof;
	struct ig_docker_demux dm;
	unsigned char         *buf;          /* ATTACH_BUF bytes */
	size_t                 pend_off;     /* stream bytes read with the head, */
	size_t                 pend_end;     /* held in buf[pend_off..pend_end) */
	char                   errbuf[CURL_ERROR_SIZE];
	char                   display[sizeof(((struct ig_docker_endpoint *)0)->display)];
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until the session's socket is ready for events, at most until
 * deadline (monotonic ms). Returns 0, or -1: IG_ETIMEOUT ("Docker engine at
 * <endpoint><late>"), IG_EINTERNAL when poll fails. */
static int
wait_ready(const struct ig_docker_attach *a, short events, long long deadline,
    const char *late, struct ig_err *err)
{
	struct pollfd pfd;
	long long left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			break;
		pfd.fd = a->fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n == 0)
			break;
		if (errno != EINTR) {
			ig_err_sys(err, IG_EINTERNAL, "poll");
			return -1;
		}
	}
	ig_err_set(err, IG_ETIMEOUT, "Docker engine at %s%s", a->display, late);
	return -1;
}

static void
attach_broken(struct ig_docker_attach *a, CURLcode rc, const char *doing,
    struct ig_err *err)
{
	ig_err_set(err, IG_EDOCKER_DOWN, "Docker engine at %s: attach connection broke while %s: %s",
	    a->display, doing, a->errbuf[0] ? a->errbuf : curl_easy_strerror(rc));
}

/* Sends all n bytes before deadline. */
static int
send_all(struct ig_docker_attach *a, const char *p, size_t n, long long deadline,
    struct ig_err *err)
{
	size_t sent;
	CURLcode rc;

	while (n > 0) {
		sent = 0;
		rc = curl_easy_send(a->h, p, n, &sent);
		if (rc == CURLE_AGAIN) {
			if (wait_ready(a, POLLOUT, deadline, ": attach request timed out", err) != 0)
				return -1;
			continue;
		}
		if (rc != CURLE_OK) {
			attach_broken(a, rc, "sending the request", err);
			return -1;
		}
		p += sent;
		n -= sent;
	}
	return 0;
}

/* Reads into a->buf[*have..cap) once data is there (before deadline).
 * Returns 1 with *have grown, 0 at EOF, -1 on error or timeout. */
static int
recv_some(struct ig_docker_attach *a, size_t *have, size_t cap, long long deadline,
    struct ig_err *err)
{
	size_t got;
	CURLcode rc;

	for (;;) {
		got = 0;
		rc = curl_easy_recv(a->h, a->buf + *have, cap - *have, &got);
		if (rc == CURLE_OK) {
			*have += got;
			return got > 0 ? 1 : 0;
		}
		if (rc != CURLE_AGAIN) {
			attach_broken(a, rc, "reading the answer", err);
			return -1;
		}
		if (wait_ready(a, POLLIN, deadline, " did not answer the attach in time", err) != 0)
			return -1;
	}
}

int
ig_docker_attach_open(struct ig_docker *c, const char *id,
    struct ig_docker_attach **out, struct ig_err *err)
{
	struct ig_docker_attach *a = NULL;
	struct ig_buf req;
	char host[IG_DOCKER_HOSTNAME_MAX + 16];
	curl_socket_t sock = CURL_SOCKET_BAD;
	long long deadline, cl = -1;
	size_t have = 0, head_len = 0, want;
	int status = 0, hr, rr;
	CURLcode crc;
	int rc = -1;

	*out = NULL;
	ig_buf_init(&req, ATTACH_REQ_MAX);
	if (ig_docker_check_container(id, err) != 0)
		goto out;
	if (c->api[0] == '\0' && ig_docker_negotiate(c, NULL, err) != 0)
		goto out;
	if ((a = calloc(1, sizeof(*a))) == NULL || (a->buf = malloc(ATTACH_BUF)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	a->fd = -1;
	a->tls = c->ep.tls;
	snprintf(a->display, sizeof(a->display), "%s", c->ep.display);
	ig_docker_demux_init(&a->dm);
	if ((a->h = curl_easy_init()) == NULL) {
		ig_err_set(err, IG_ENOMEM, "libcurl handle could not be created");
		goto out;
	}
	/* A connection of its own, with no HTTP done by libcurl: we write the
	 * upgrade request and read the hijacked stream through curl_easy_send
	 * and curl_easy_recv (which also carry TLS when the endpoint has it). */
	if (ig_docker_curl_base(a->h, &c->ep, c->connect_timeout_ms, a->errbuf) != 0 ||
	    curl_easy_setopt(a->h, CURLOPT_URL, c->ep.base_url) != CURLE_OK ||
	    curl_easy_setopt(a->h, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK ||
	    curl_easy_setopt(a->h, CURLOPT_TIMEOUT_MS, c->connect_timeout_ms) != CURLE_OK) {
		ig_err_set(err, IG_EINTERNAL, "libcurl refused an option");
		goto out;
	}
	if ((crc = curl_easy_perform(a->h)) != CURLE_OK) {
		ig_docker_curl_error(&c->ep, a->h, crc, a->errbuf, false, 0, c->connect_timeout_ms, err);
		if (err != NULL && err->code == IG_ETIMEOUT)
			err->code = IG_EDOCKER_DOWN;
		goto out;
	}
	if (curl_easy_getinfo(a->h, CURLINFO_ACTIVESOCKET, &sock) != CURLE_OK ||
	    sock == CURL_SOCKET_BAD) {
		ig_err_set(err, IG_EINTERNAL, "attach connection has no socket");
		goto out;
	}
	a->fd = (int)sock;
	deadline = now_ms() + c->request_timeout_ms;
	if (c->ep.transport == IG_DOCKER_UNIX)
		snprintf(host, sizeof(host), "localhost");
	else
		snprintf(host, sizeof(host), "%s:%d", c->ep.host, c->ep.port);
	if (ig_buf_printf(&req,
	    "POST /v%s/containers/%s/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "User-Agent: ignite\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 0\r\n"
	    "Connection: Upgrade\r\n"
	    "Upgrade: tcp\r\n"
	    "\r\n",
	    c->api, id, host) != 0) {
		ig_err_set(err, IG_EINVAL, "attach request too long");
		goto out;
	}
	if (send_all(a, req.data, req.len, deadline, err) != 0)
		goto out;
	/* The response head; anything read past it is already stream. */
	for (;;) {
		hr = ig_docker_parse_http_head((const char *)a->buf, have, &status, &head_len,
		    &cl, err);
		if (hr < 0)
			goto out;
		if (hr == 1)
			break;
		rr = recv_some(a, &have, IG_DOCKER_HEAD_MAX, deadline, err);
		if (rr < 0)
			goto out;
		if (rr == 0) {
			ig_err_set(err, IG_EDOCKER_DOWN,
			    "Docker engine at %s closed the attach connection", a->display);
			goto out;
		}
	}
	if (status != 101 && status != 200) {
		char msg[200];

		/* Read the error body (bounded) for the engine's message. */
		want = head_len + (cl >= 0 && (unsigned long long)cl < ATTACH_BUF - head_len ?
		    (size_t)cl : ATTACH_BUF - head_len);
		while (have < want && recv_some(a, &have, want, deadline, NULL) == 1)
			;
		ig_docker_error_message((const char *)a->buf + head_len, have - head_len,
		    msg, sizeof(msg));
		if (status == 404)
			ig_err_set(err, IG_ENOENT, "%s", msg[0] ? msg : "no such container");
		else
			ig_err_set(err, IG_EDOCKER, "Docker engine: %s (HTTP %d)",
			    msg[0] ? msg : "attach refused", status);
		goto out;
	}
	a->pend_off = head_len;
	a->pend_end = have;
	*out = a;
	a = NULL;
	rc = 0;
out:
	ig_docker_attach_free(a);
	ig_buf_free(&req);
	return rc;
}

int
ig_docker_attach_fd(const struct ig_docker_attach *a)
{
	return a->fd;
}

int
ig_docker_attach_send(struct ig_docker_attach *a, const void *p, size_t n,
    size_t *sent, struct ig_err *err)
{
	CURLcode rc;

	*sent = 0;
	if (a->stdin_closed) {
		ig_err_set(err, IG_EINVAL, "container stdin is already closed");
		return -1;
	}
	if (n == 0)
		return 0;
	a->errbuf[0] = '\0';
	rc = curl_easy_send(a->h, p, n, sent);
	if (rc == CURLE_AGAIN) {
		*sent = 0;
		return 0;
	}
	if (rc != CURLE_OK) {
		*sent = 0;
		attach_broken(a, rc, "sending stdin", err);
		return -1;
	}
	return 0;
}

int
ig_docker_attach_close_stdin(struct ig_docker_attach *a, struct ig_err *err)
{
	if (a->stdin_closed)
		return 0;
	if (a->tls) {
		/* A TLS half-close needs close_notify without closing the
		 * connection, which libcurl's send/recv API cannot express. */
		ig_err_set(err, IG_EINVAL,
		    "closing a container's stdin is not supported over a TLS Docker endpoint");
		return -1;
	}
	if (shutdown(a->fd, SHUT_WR) != 0 && errno != ENOTCONN) {
		ig_err_sys(err, IG_EDOCKER_DOWN, "Docker engine at %s: closing stdin", a->display);
		return -1;
	}
	a->stdin_closed = true;
	return 0;
}

int
ig_docker_attach_recv(struct ig_docker_attach *a, ig_docker_output_fn out,
    void *arg, struct ig_err *err)
{
	size_t total = 0, got, n;
	CURLcode rc;

	if (a->eof)
		return IG_DOCKER_IO_EOF;
	if (a->pend_off < a->pend_end) {
		n = a->pend_end - a->pend_off;
		a->pend_off = a->pend_end;
		if (ig_docker_demux_feed(&a->dm, a->buf + a->pend_end - n, n, out, arg, err) != 0)
			return -1;
		total += n;
	}
	while (total < IG_DOCKER_RECV_BUDGET) {
		got = 0;
		a->errbuf[0] = '\0';
		rc = curl_easy_recv(a->h, a->buf, ATTACH_BUF, &got);
		if (rc == CURLE_AGAIN)
			return IG_DOCKER_IO_AGAIN;
		if (rc != CURLE_OK) {
			attach_broken(a, rc, "reading output", err);
			return -1;
		}
		if (got == 0) {
			if (!ig_docker_demux_at_boundary(&a->dm)) {
				ig_err_set(err, IG_EDOCKER,
				    "Docker engine at %s: attach stream ended inside a frame", a->display);
				return -1;
			}
			a->eof = true;
			return IG_DOCKER_IO_EOF;
		}
		if (ig_docker_demux_feed(&a->dm, a->buf, got, out, arg, err) != 0)
			return -1;
		total += got;
	}
	return IG_DOCKER_IO_MORE;
}

void
ig_docker_attach_free(struct ig_docker_attach *a)
{
	if (a == NULL)
		return;
	if (a->h != NULL)
		curl_easy_cleanup(a->h);
	free(a->buf);
	free(a);
}
