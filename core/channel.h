/*
 * channel.h — the launcher's record channel, host side.
 *
 * The in-container launcher (trusted code that runs before the service)
 * reports start, init time, observed attempts and exit facts as records
 * interleaved in the container's stderr:
 *
 *     "\n" "\x1e" "IGNITE1 " <seq> " " <json> " " <hmac-hex> "\n"
 *
 * where hmac = HMAC-SHA256(key, "<seq> <json>") and key is the 64 lowercase
 * hex characters of a fresh 256-bit secret, used as text (not hex-decoded),
 * delivered to the launcher on stdin, never in the environment or argv. The parser is incremental (records may be split across reads at any
 * byte) and passes everything that is not a valid record through as the
 * service's stderr. A record whose MAC or sequence number is wrong — a
 * service trying to forge one — is kept as ordinary output and counted.
 */
#ifndef IG_CHANNEL_H
#define IG_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct json_object;

#define IG_CHANNEL_KEY_LEN   64          /* hex characters of 256 random bits */
#define IG_CHANNEL_LINE_MAX  (64 * 1024)   /* longest record accepted */
#define IG_CHANNEL_RECORDS_MAX 1000        /* records kept per run; the rest are counted */

struct ig_channel;

/* Creates a parser for key. Returns NULL on allocation failure. */
struct ig_channel *ig_channel_new(const char key[IG_CHANNEL_KEY_LEN]);

/* Frees ch. NULL-safe. */
void ig_channel_free(struct ig_channel *ch);

/* Feeds n bytes of the container's stderr. Bytes that are not part of a
 * valid record are appended to out with ig_buf_append_trunc; returns false
 * if any were dropped because out is full. */
bool ig_channel_feed(struct ig_channel *ch, const char *p, size_t n, struct ig_buf *out);

/* Flushes held bytes at the end of the stream into out; as ig_channel_feed. */
bool ig_channel_finish(struct ig_channel *ch, struct ig_buf *out);

/* The verified records in order, each a JSON object (borrowed; valid until
 * ig_channel_free). */
struct json_object *ig_channel_records(const struct ig_channel *ch);

/* Counts of lines that looked like records but failed verification, of
 * records beyond IG_CHANNEL_RECORDS_MAX, and whether an "exit" record
 * arrived. */
size_t ig_channel_forged(const struct ig_channel *ch);
size_t ig_channel_dropped(const struct ig_channel *ch);
bool   ig_channel_saw_exit(const struct ig_channel *ch);

/* Finds the first verified record with "t" == type (borrowed), or NULL. */
struct json_object *ig_channel_find(const struct ig_channel *ch, const char *type);

/* Finds the last verified record with "t" == type (borrowed), or NULL: when
 * several "exit" records verify, the last one counts. */
struct json_object *ig_channel_find_last(const struct ig_channel *ch, const char *type);

/* Fills key with a fresh key: IG_CHANNEL_KEY_LEN lowercase hex characters
 * of 256 random bits, NUL-terminated. Returns 0, or -1 if the kernel's
 * random source fails. */
int ig_channel_keygen(char key[IG_CHANNEL_KEY_LEN + 1]);

/* Formats a record exactly as the launcher does (for tests and tools):
 * appends it to out. Returns 0 or -1 when out is full. */
int ig_channel_format(const char key[IG_CHANNEL_KEY_LEN], uint64_t seq,
    const char *json, struct ig_buf *out);

#endif
