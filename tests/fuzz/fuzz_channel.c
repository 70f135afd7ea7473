/*
 * fuzz_channel.c — the launcher record channel: ig_channel_feed and
 * ig_channel_finish on a container's stderr.
 *
 * Input: one control byte, then the stream. The control byte's low bits
 * seed the sizes of the pieces the stream is fed in (1..32 bytes, or
 * 1..2048 with bit 5 set); bit 6 gives the output buffer a maximum of 300
 * bytes instead of 1 MiB; with bit 7 set the stream is built line by line:
 * a line starting with 0x01 becomes a record whose MAC is correct under
 * FUZZ_CHANNEL_KEY for the signed text that follows (so the fuzzer reaches
 * what happens after MAC verification), a line starting with 0x02 becomes
 * ig_channel_format(key, next seq, rest of line), any other line is kept.
 *
 * Properties: feeding in pieces gives exactly the output, records, forged
 * and dropped counts of feeding everything at once (a service cannot change
 * what Ignite sees by how its writes are split); the output stays within
 * its maximum; every kept record is an object with a string "t".
 */
#include "fuzz.h"

#include "buf.h"
#include "channel.h"

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>

#define CHANNEL_OUT_MAX (1024 * 1024)

/* Appends "\n\x1eIGNITE1 <text> <hmac(text)>\n". */
static void
channel_sign(struct ig_buf *s, const uint8_t *text, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char hex[65];

	FUZZ_CHECK(HMAC(EVP_sha256(), FUZZ_CHANNEL_KEY, IG_CHANNEL_KEY_LEN, text, n, md, &mdlen) != NULL);
	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	FUZZ_CHECK(ig_buf_append(s, "\n\x1eIGNITE1 ", 10) == 0);
	FUZZ_CHECK(ig_buf_append(s, text, n) == 0);
	FUZZ_CHECK(ig_buf_printf(s, " %s\n", hex) == 0);
}

static void
channel_build(struct ig_buf *s, const uint8_t *p, size_t n)
{
	uint64_t seq = 0;
	size_t off = 0, l;
	const uint8_t *nl;

	while (off < n) {
		nl = memchr(p + off, '\n', n - off);
		l = nl != NULL ? (size_t)(nl - (p + off)) : n - off;
		if (l > 0 && p[off] == 0x01) {
			channel_sign(s, p + off + 1, l - 1);
		} else if (l > 0 && p[off] == 0x02) {
			char *json = fuzz_strndup(p + off + 1, l - 1);
			FUZZ_CHECK(json != NULL);
			FUZZ_CHECK(ig_channel_format(FUZZ_CHANNEL_KEY, seq++, json, s) == 0);
			free(json);
		} else {
			FUZZ_CHECK(ig_buf_append(s, p + off, nl != NULL ? l + 1 : l) == 0);
		}
		off += l + 1;
	}
}

static void
channel_records_ok(const struct ig_channel *ch)
{
	struct json_object *recs = ig_channel_records(ch), *r, *t;
	size_t i, n;

	FUZZ_CHECK(recs != NULL && json_object_is_type(recs, json_type_array));
	n = json_object_array_length(recs);
	FUZZ_CHECK(n <= IG_CHANNEL_RECORDS_MAX);
	for (i = 0; i < n; i++) {
		r = json_object_array_get_idx(recs, i);
		FUZZ_CHECK(json_object_is_type(r, json_type_object));
		FUZZ_CHECK(json_object_object_get_ex(r, "t", &t) && json_object_is_type(t, json_type_string));
	}
	FUZZ_CHECK(ig_channel_saw_exit(ch) == (ig_channel_find(ch, "exit") != NULL) ||
	    ig_channel_dropped(ch) > 0);
	FUZZ_CHECK((ig_channel_find(ch, "start") == NULL) == (ig_channel_find_last(ch, "start") == NULL));
}

int
fuzz_channel(const uint8_t *data, size_t size)
{
	struct ig_channel *whole, *pieces;
	struct ig_buf stream, oa, ob;
	struct fuzz_split split;
	const uint8_t *p;
	size_t n, off, take, max;
	bool ka, kb = true;

	if (size < 1)
		return 0;
	fuzz_split_init(&split, data[0], (data[0] & 0x20) ? 2048 : 32);
	max = (data[0] & 0x40) ? 300 : CHANNEL_OUT_MAX;
	/* A 1-byte line can become a 76-byte signed record. */
	ig_buf_init(&stream, 80 * size + 4096);
	if (data[0] & 0x80) {
		channel_build(&stream, data + 1, size - 1);
		p = (const uint8_t *)stream.data;
		n = stream.len;
	} else {
		p = data + 1;
		n = size - 1;
	}
	whole = ig_channel_new(FUZZ_CHANNEL_KEY);
	pieces = ig_channel_new(FUZZ_CHANNEL_KEY);
	FUZZ_CHECK(whole != NULL && pieces != NULL);
	ig_buf_init(&oa, max);
	ig_buf_init(&ob, max);

	ka = ig_channel_feed(whole, (const char *)p, n, &oa);
	ka = ig_channel_finish(whole, &oa) && ka;
	for (off = 0; off < n; off += take) {
		take = fuzz_split_next(&split);
		if (take > n - off)
			take = n - off;
		kb = ig_channel_feed(pieces, (const char *)p + off, take, &ob) && kb;
	}
	kb = ig_channel_finish(pieces, &ob) && kb;

	FUZZ_CHECK(oa.len <= max && ob.len <= max);
	FUZZ_CHECK(ka == kb);
	FUZZ_CHECK(oa.len == ob.len);
	FUZZ_CHECK(oa.len == 0 || memcmp(oa.data, ob.data, oa.len) == 0);
	FUZZ_CHECK(ig_channel_forged(whole) == ig_channel_forged(pieces));
	FUZZ_CHECK(ig_channel_dropped(whole) == ig_channel_dropped(pieces));
	FUZZ_CHECK(ig_channel_saw_exit(whole) == ig_channel_saw_exit(pieces));
	FUZZ_CHECK(json_object_equal(ig_channel_records(whole), ig_channel_records(pieces)));
	channel_records_ok(whole);
	/* Nothing was dropped: every byte is output or part of a record. */
	if (ka && max == CHANNEL_OUT_MAX && json_object_array_length(ig_channel_records(whole)) == 0)
		FUZZ_CHECK(oa.len == n);

	ig_channel_free(whole);
	ig_channel_free(pieces);
	ig_buf_free(&oa);
	ig_buf_free(&ob);
	ig_buf_free(&stream);
	return 0;
}

#ifndef IG_FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_channel(data, size);
}
#endif
