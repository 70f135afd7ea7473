/* channel.c — verifying launcher records in a container's stderr. */
#include "channel.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define PREFIX "IGNITE1 "

enum state {
	S_TEXT,         /* ordinary output */
	S_NEWLINE,      /* saw "\n", holding it: a record may follow */
	S_RECORD,       /* saw "\n\x1e", collecting up to the next "\n" */
};

struct ig_channel {
	char          key[IG_CHANNEL_KEY_LEN];
	enum state    st;
	char         *line;             /* record bytes after "\x1e" */
	size_t        len;
	uint64_t      next_seq;
	struct json_object *records;
	size_t        forged;
	size_t        dropped;
	bool          saw_exit;
};

struct ig_channel *
ig_channel_new(const char key[IG_CHANNEL_KEY_LEN])
{
	struct ig_channel *ch = calloc(1, sizeof(*ch));

	if (ch == NULL)
		return NULL;
	if ((ch->line = malloc(IG_CHANNEL_LINE_MAX)) == NULL ||
	    (ch->records = json_object_new_array()) == NULL) {
		free(ch->line);
		free(ch);
		return NULL;
	}
	memcpy(ch->key, key, IG_CHANNEL_KEY_LEN);
	return ch;
}

void
ig_channel_free(struct ig_channel *ch)
{
	if (ch == NULL)
		return;
	OPENSSL_cleanse(ch->key, sizeof(ch->key));
	free(ch->line);
	json_object_put(ch->records);
	free(ch);
}

static void
mac_hex(const char *key, const char *msg, size_t len, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	HMAC(EVP_sha256(), key, IG_CHANNEL_KEY_LEN, (const unsigned char *)msg, len, md, &mdlen);
	for (i = 0; i < 32 && i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

/* Verifies one collected record line (without "\x1e" and "\n"). Returns the
 * parsed JSON object on success (new reference), NULL if it is not a valid
 * record for this key and sequence. */
static struct json_object *
verify(struct ig_channel *ch, const char *line, size_t len)
{
	const char *body, *sp, *last;
	char want[65], seqbuf[24];
	struct json_object *obj, *t;
	struct json_tokener *tok;
	uint64_t seq = 0;
	size_t blen, i;

	if (len < sizeof(PREFIX) - 1 + 1 + 1 + 2 + 1 + 64 || memcmp(line, PREFIX, sizeof(PREFIX) - 1) != 0)
		return NULL;
	body = line + sizeof(PREFIX) - 1;
	blen = len - (sizeof(PREFIX) - 1);
	last = line + len - 64;
	if (last[-1] != ' ')
		return NULL;
	/* Signed text: "<seq> <json>" = body up to the space before the MAC. */
	mac_hex(ch->key, body, (size_t)(last - 1 - body), want);
	if (CRYPTO_memcmp(want, last, 64) != 0)
		return NULL;
	sp = memchr(body, ' ', blen);
	/* "<seq> <json>": the JSON must not be empty. */
	if (sp == NULL || sp == body || sp - body > 20 || sp + 1 >= last - 1)
		return NULL;
	for (i = 0; i < (size_t)(sp - body); i++) {
		if (body[i] < '0' || body[i] > '9')
			return NULL;
		seq = seq * 10 + (uint64_t)(body[i] - '0');
	}
	snprintf(seqbuf, sizeof(seqbuf), "%llu", (unsigned long long)seq);
	if (seq != ch->next_seq || strlen(seqbuf) != (size_t)(sp - body))
		return NULL;
	if ((tok = json_tokener_new_ex(16)) == NULL)
		return NULL;
	obj = json_tokener_parse_ex(tok, sp + 1, (int)(last - 1 - (sp + 1)));
	if (obj != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "t", &t) || !json_object_is_type(t, json_type_string))) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	if (obj != NULL)
		ch->next_seq++;
	return obj;
}

static bool
emit(struct ig_buf *out, const char *p, size_t n)
{
	return n == 0 || ig_buf_append_trunc(out, p, n);
}

/* Handles a complete candidate record (its terminating "\n" consumed).
 * A verified record is taken; anything else is output, and its "\n" may be
 * the start of the next record (a fake partial header written just before a
 * real record must not swallow it), so the caller resumes in S_NEWLINE.
 * Returns false if output was dropped. */
static bool
end_record(struct ig_channel *ch, struct ig_buf *out, bool *verified)
{
	struct json_object *rec = verify(ch, ch->line, ch->len), *t;
	bool ok = true;

	if (rec != NULL) {
		if (json_object_object_get_ex(rec, "t", &t) && strcmp(json_object_get_string(t), "exit") == 0)
			ch->saw_exit = true;
		if (json_object_array_length(ch->records) < IG_CHANNEL_RECORDS_MAX) {
			json_object_array_add(ch->records, rec);
		} else {
			ch->dropped++;
			json_object_put(rec);
		}
	} else {
		/* Not ours: it is output, shown as written. */
		if (ch->len >= sizeof(PREFIX) - 1 && memcmp(ch->line, PREFIX, sizeof(PREFIX) - 1) == 0)
			ch->forged++;
		ok = emit(out, "\n\x1e", 2);
		ok = emit(out, ch->line, ch->len) && ok;
	}
	*verified = rec != NULL;
	ch->len = 0;
	return ok;
}

bool
ig_channel_feed(struct ig_channel *ch, const char *p, size_t n, struct ig_buf *out)
{
	size_t i = 0, start;
	bool ok = true;

	while (i < n) {
		switch (ch->st) {
		case S_TEXT:
			start = i;
			while (i < n && p[i] != '\n')
				i++;
			ok = emit(out, p + start, i - start) && ok;
			if (i < n) {
				ch->st = S_NEWLINE;
				i++;
			}
			break;
		case S_NEWLINE:
			if (p[i] == '\x1e') {
				ch->st = S_RECORD;
				ch->len = 0;
				i++;
			} else {
				ok = emit(out, "\n", 1) && ok;
				ch->st = S_TEXT;
			}
			break;
		case S_RECORD:
			start = i;
			while (i < n && p[i] != '\n')
				i++;
			if (ch->len + (i - start) > IG_CHANNEL_LINE_MAX) {
				/* Too long to be a record: it is output. */
				ok = emit(out, "\n\x1e", 2) && ok;
				ok = emit(out, ch->line, ch->len) && ok;
				ok = emit(out, p + start, i - start) && ok;
				ch->len = 0;
				ch->st = S_TEXT;
				break;
			}
			memcpy(ch->line + ch->len, p + start, i - start);
			ch->len += i - start;
			if (i < n) {
				bool verified;
				i++;
				ok = end_record(ch, out, &verified) && ok;
				ch->st = verified ? S_TEXT : S_NEWLINE;
			}
			break;
		}
	}
	return ok;
}

bool
ig_channel_finish(struct ig_channel *ch, struct ig_buf *out)
{
	bool ok = true;

	if (ch->st == S_NEWLINE) {
		ok = emit(out, "\n", 1);
	} else if (ch->st == S_RECORD) {
		ok = emit(out, "\n\x1e", 2);
		ok = emit(out, ch->line, ch->len) && ok;
		if (ch->len >= sizeof(PREFIX) - 1 && memcmp(ch->line, PREFIX, sizeof(PREFIX) - 1) == 0)
			ch->forged++;
	}
	ch->st = S_TEXT;
	ch->len = 0;
	return ok;
}

struct json_object *
ig_channel_records(const struct ig_channel *ch)
{
	return ch->records;
}

size_t
ig_channel_forged(const struct ig_channel *ch)
{
	return ch->forged;
}

size_t
ig_channel_dropped(const struct ig_channel *ch)
{
	return ch->dropped;
}

bool
ig_channel_saw_exit(const struct ig_channel *ch)
{
	return ch->saw_exit;
}

struct json_object *
ig_channel_find(const struct ig_channel *ch, const char *type)
{
	size_t i, n = json_object_array_length(ch->records);
	struct json_object *r, *t;

	for (i = 0; i < n; i++) {
		r = json_object_array_get_idx(ch->records, i);
		if (json_object_object_get_ex(r, "t", &t) && strcmp(json_object_get_string(t), type) == 0)
			return r;
	}
	return NULL;
}

struct json_object *
ig_channel_find_last(const struct ig_channel *ch, const char *type)
{
	size_t i = json_object_array_length(ch->records);
	struct json_object *r, *t;

	while (i-- > 0) {
		r = json_object_array_get_idx(ch->records, i);
		if (json_object_object_get_ex(r, "t", &t) && strcmp(json_object_get_string(t), type) == 0)
			return r;
	}
	return NULL;
}

int
ig_channel_keygen(char key[IG_CHANNEL_KEY_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char rnd[IG_CHANNEL_KEY_LEN / 2];
	size_t i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -1;
	for (i = 0; i < sizeof(rnd); i++) {
		key[2 * i] = digits[rnd[i] >> 4];
		key[2 * i + 1] = digits[rnd[i] & 15];
	}
	key[IG_CHANNEL_KEY_LEN] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0;
}

int
ig_channel_format(const char key[IG_CHANNEL_KEY_LEN], uint64_t seq,
    const char *json, struct ig_buf *out)
{
	struct ig_buf signed_text;
	char mac[65];
	int rc = -1;

	ig_buf_init(&signed_text, IG_CHANNEL_LINE_MAX);
	if (ig_buf_printf(&signed_text, "%llu %s", (unsigned long long)seq, json) != 0)
		goto out;
	mac_hex(key, signed_text.data, signed_text.len, mac);
	if (ig_buf_printf(out, "\n\x1e" PREFIX "%s %s\n", signed_text.data, mac) != 0)
		goto out;
	rc = 0;
out:
	ig_buf_free(&signed_text);
	return rc;
}
