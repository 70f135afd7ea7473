/*
 * docker_attach.h — a container's stdin, stdout and stderr over a hijacked
 * connection to the Docker engine (POST /containers/{id}/attach with
 * Upgrade: tcp), the parser of that answer's HTTP head, and the
 * demultiplexer of the stream that follows. The head parser and the
 * demultiplexer are pure and accept any bytes (fuzzing entry points).
 */
#ifndef IG_DOCKER_ATTACH_H
#define IG_DOCKER_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct ig_docker;

/* ------------------------------------------------------------------ */
/* Demultiplexing the attach stream (Tty=false): frames of an 8-byte
 * header {stream 0|1|2, 0, 0, 0, big-endian uint32 length} + payload.
 * Incremental: bytes may be fed in pieces split anywhere (headers too). */

enum ig_docker_stream {
	IG_DOCKER_STDIN  = 0,        /* the engine's echo of stdin; treat as stdout */
	IG_DOCKER_STDOUT = 1,
	IG_DOCKER_STDERR = 2,
};

/* Receives payload bytes of one stream (never with n == 0). A frame may be
 * delivered in several calls. Return 0 to go on, non-zero to stop: the feed
 * then fails with IG_EINTERNAL. */
typedef int (*ig_docker_output_fn)(void *arg, int stream, const void *p,
    size_t n);

struct ig_docker_demux {
	unsigned char hdr[8];        /* header bytes collected so far */
	unsigned      hdr_len;
	int           stream;        /* stream of the current frame */
	uint32_t      left;          /* payload bytes of the current frame still due */
	bool          broken;        /* a corrupt header was seen: stays failed */
};

/* Resets d to the start of a stream. */
void ig_docker_demux_init(struct ig_docker_demux *d);

/* Feeds n bytes of the stream, calling out(arg, stream, bytes, len) for
 * payload. Returns 0, or -1 with IG_EDOCKER for a corrupt stream (a stream
 * type other than 0/1/2, non-zero padding, a frame longer than
 * IG_DOCKER_FRAME_MAX; every later feed fails too) or IG_EINTERNAL when out
 * asked to stop. Pure: no I/O, no allocation. */
int ig_docker_demux_feed(struct ig_docker_demux *d, const void *p, size_t n,
    ig_docker_output_fn out, void *arg, struct ig_err *err);

/* True between frames (a stream may end only there). */
bool ig_docker_demux_at_boundary(const struct ig_docker_demux *d);

/* ------------------------------------------------------------------ */
/* Attach: the hijacked stdin/stdout/stderr of a container. Open it after
 * create and BEFORE start, so no output is missed. The session has its own
 * connection; the client stays usable for JSON calls meanwhile. The
 * container must have been created with Tty=false (and OpenStdin=true,
 * StdinOnce=true for stdin to reach it and end with EOF).
 *
 * The session never blocks after open: poll() ig_docker_attach_fd() with
 * your own deadline, then call ig_docker_attach_recv / _send until they
 * report IG_DOCKER_IO_AGAIN. Over TLS the bytes go through libcurl (never
 * the raw fd), so always drain recv until AGAIN before polling again. */

struct ig_docker_attach;

enum ig_docker_io {
	IG_DOCKER_IO_AGAIN = 0,      /* nothing more now: poll before calling again */
	IG_DOCKER_IO_MORE  = 1,      /* budget used up, more may be pending: call again without polling */
	IG_DOCKER_IO_EOF   = 2,      /* recv: the stream ended (the container's output is complete) */
};

/* POST /containers/{id}/attach?stream=1&stdin=1&stdout=1&stderr=1 with
 * Connection: Upgrade, Upgrade: tcp, waiting (at most the client's request
 * timeout) for 101 Switching Protocols. Returns 0 with *out owned by the
 * caller (free with ig_docker_attach_free), or -1 (IG_ENOENT, IG_EDOCKER,
 * IG_EDOCKER_DOWN, IG_ETIMEOUT). */
int ig_docker_attach_open(struct ig_docker *c, const char *id,
    struct ig_docker_attach **out, struct ig_err *err);

/* The socket to poll (POLLIN for output, POLLOUT for stdin room). */
int ig_docker_attach_fd(const struct ig_docker_attach *a);

/* Sends up to n bytes of stdin without blocking; *sent receives how many
 * went out (0 when the socket is full: poll for POLLOUT). Returns 0, or -1
 * (IG_EDOCKER_DOWN when the connection broke, IG_EINVAL after close_stdin). */
int ig_docker_attach_send(struct ig_docker_attach *a, const void *p, size_t n,
    size_t *sent, struct ig_err *err);

/* Ends stdin (shutdown(SHUT_WR) of the connection): the container reads EOF.
 * Output keeps flowing. Returns 0, or -1 (IG_EINVAL over TLS, where libcurl
 * offers no half-close). Idempotent. */
int ig_docker_attach_close_stdin(struct ig_docker_attach *a,
    struct ig_err *err);

/* Reads what is available (at most IG_DOCKER_RECV_BUDGET bytes per call)
 * without blocking and delivers it through the demultiplexer to out.
 * Returns an enum ig_docker_io (EOF once the engine has closed the stream
 * at a frame boundary; every later call returns EOF again), or -1: IG_EDOCKER
 * for a corrupt stream or one that ends inside a frame, IG_EDOCKER_DOWN when
 * the connection broke, IG_EINTERNAL when out asked to stop. */
int ig_docker_attach_recv(struct ig_docker_attach *a, ig_docker_output_fn out,
    void *arg, struct ig_err *err);

/* Closes the session. NULL-safe. */
void ig_docker_attach_free(struct ig_docker_attach *a);

/* ------------------------------------------------------------------ */
/* The attach answer's HTTP head (libcurl parses every other answer). */

/* Parses an HTTP/1.x response head at the start of p[0..n): *status gets the
 * status code, *head_len the bytes up to and including the blank line,
 * *content_length the Content-Length value or -1 when absent. Returns 1 when
 * complete, 0 when more bytes are needed (and n < IG_DOCKER_HEAD_MAX), -1
 * (IG_EDOCKER) when malformed or longer than IG_DOCKER_HEAD_MAX. */
int ig_docker_parse_http_head(const char *p, size_t n, int *status,
    size_t *head_len, long long *content_length, struct ig_err *err);

#endif
