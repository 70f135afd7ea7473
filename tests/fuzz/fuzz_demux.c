/*
 * fuzz_demux.c — the attach stream demultiplexer, ig_docker_demux_feed.
 *
 * Input: one control byte, then the stream. The control byte seeds the
 * sizes of the pieces the stream is fed in (1..64 bytes, or 1..4096 when
 * bit 7 is set); with bit 6 set the consumer asks to stop after 100 bytes.
 *
 * Properties: feeding in pieces delivers exactly the same bytes, to the
 * same streams, and fails (or not) exactly like feeding everything at once
 * (up to the stop, when the consumer stops)
 * — a container cannot change what Ignite sees by how its output is split
 * into reads; payload is never delivered with n == 0; a failed demuxer
 * stays failed; at_boundary agrees between the two.
 */
#include "fuzz.h"

#include "docker.h"
#include "err.h"

#include <stdbool.h>

struct demux_sink {
	unsigned char *buf;   /* "<stream byte><payload byte>" pairs */
	size_t len, cap;
	size_t stop_after;    /* 0: never stop */
	size_t seen;
};

static int
demux_out(void *arg, int stream, const void *p, size_t n)
{
	struct demux_sink *s = arg;
	const unsigned char *b = p;
	size_t i;

	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(stream >= 0 && stream <= 2);
	if (s->len + 2 * n > s->cap) {
		size_t cap = (s->len + 2 * n) * 2;
		unsigned char *nb = realloc(s->buf, cap);
		FUZZ_CHECK(nb != NULL);
		s->buf = nb;
		s->cap = cap;
	}
	for (i = 0; i < n; i++) {
		s->buf[s->len++] = (unsigned char)stream;
		s->buf[s->len++] = b[i];
	}
	s->seen += n;
	return s->stop_after > 0 && s->seen >= s->stop_after;
}

int
fuzz_demux(const uint8_t *data, size_t size)
{
	struct ig_docker_demux whole, pieces;
	struct demux_sink a = { 0 }, b = { 0 };
	struct ig_err ea = { 0 }, eb = { 0 };
	struct fuzz_split split;
	const uint8_t *p;
	size_t n, off, take;
	int ra, rb = 0;

	if (size < 1)
		return 0;
	fuzz_split_init(&split, data[0], (data[0] & 0x80) ? 4096 : 64);
	a.stop_after = b.stop_after = (data[0] & 0x40) ? 100 : 0;
	p = data + 1;
	n = size - 1;

	ig_docker_demux_init(&whole);
	ra = ig_docker_demux_feed(&whole, p, n, demux_out, &a, &ea);
	FUZZ_CHECK(ra == 0 || ra == -1);
	if (ra != 0)
		FUZZ_CHECK(ea.code == IG_EDOCKER || ea.code == IG_EINTERNAL);

	ig_docker_demux_init(&pieces);
	for (off = 0; off < n; off += take) {
		take = fuzz_split_next(&split);
		if (take > n - off)
			take = n - off;
		rb = ig_docker_demux_feed(&pieces, p + off, take, demux_out, &b, &eb);
		if (rb != 0)
			break;
	}
	FUZZ_CHECK(ra == rb);
	if (ra != 0)
		FUZZ_CHECK(ea.code == eb.code);
	if (a.stop_after == 0) {
		FUZZ_CHECK(a.len == b.len);
	} else {
		/* Stopping happens at the first delivery that reaches the
		 * threshold, and deliveries differ in size: compare what both
		 * saw. */
		size_t common = a.len < b.len ? a.len : b.len;
		FUZZ_CHECK(common >= 2 * 100 || a.len == b.len);
		a.len = b.len = common;
	}
	FUZZ_CHECK(a.len == 0 || memcmp(a.buf, b.buf, a.len) == 0);
	if (ra == 0)
		FUZZ_CHECK(ig_docker_demux_at_boundary(&whole) == ig_docker_demux_at_boundary(&pieces));
	if (ra != 0 && ea.code == IG_EDOCKER) {
		/* Broken stays broken. */
		FUZZ_CHECK(!ig_docker_demux_at_boundary(&whole));
		FUZZ_CHECK(ig_docker_demux_feed(&whole, "", 0, demux_out, &a, &ea) == -1);
	}
	free(a.buf);
	free(b.buf);
	return 0;
}

#ifndef IG_FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_demux(data, size);
}
#endif
