/*
 * webhook.h — signed result callbacks for async runs.
 *
 * When an async run finishes, Ignite POSTs its report (the JSON that
 * GET /api/runs/{id} returns) to the run's callbackUrl with:
 *
 *   Content-Type: application/json
 *   X-Ignite-Run: <runId>
 *   X-Ignite-Event: run.finished
 *   X-Ignite-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * The secret is per API key: hex(HMAC-SHA256(server secret, key id)), 64
 * lowercase hex characters, used as the HMAC key as those 64 ASCII bytes.
 * The key's holder reads it from GET /api/keys/me/webhook-secret. The
 * server secret is 32 random bytes kept in a 0600 file (created on first
 * start); replacing the file rotates every key's webhook secret.
 *
 * A receiver recomputes the HMAC over the exact bytes of the body, compares
 * in constant time, and refuses timestamps too far from its clock.
 *
 * SSRF protection: only http and https URLs without credentials; the host
 * is resolved once (getaddrinfo) and EVERY address is checked against the
 * policy; the connection is then pinned to those addresses
 * (CURLOPT_RESOLVE) and every socket curl opens is checked again, so a DNS
 * answer that changes between the check and the connection (rebinding)
 * cannot switch the target. No proxies, no redirects.
 *
 * Policy: an address in an allowed CIDR (async.callbackAllow) is accepted;
 * otherwise addresses in the built-in denied ranges are refused —
 * unspecified, loopback, private (RFC 1918), carrier-grade NAT, link-local,
 * multicast, unique-local, site-local, documentation, benchmarking and
 * reserved ranges, and IPv6 forms embedding such an IPv4 address (mapped,
 * NAT64, 6to4); Teredo is refused. Everything else (public addresses) is
 * accepted.
 *
 * Delivery: a bounded queue served by a few threads; a failed attempt
 * (no connection, timeout, any status but 2xx) is retried after
 * IG_WEBHOOK_BACKOFF_MS, doubling each time (capped), at most `retries`
 * times.
 */
#ifndef IG_WEBHOOK_H
#define IG_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"
#include "bounds.h"

struct sockaddr;

#define IG_WEBHOOK_SECRET_BYTES 32                 /* the server secret */
#define IG_WEBHOOK_HEX_LEN      64                 /* a hex HMAC-SHA256 / key secret */
#define IG_WEBHOOK_SIG_MAX      96                 /* "t=…,v1=<64 hex>" with its NUL */

struct ig_webhook_cidr {
	int           family;                      /* AF_INET or AF_INET6 */
	unsigned char addr[16];                    /* network byte order */
	int           prefix;
};

/* Allowed ranges that override the built-in denied ones. */
struct ig_webhook_policy {
	struct ig_webhook_cidr *allow;
	size_t allow_n;
};

/* Parses "a.b.c.d/n" or "v6::/n" (n bytes of s; a bare address is /32 or
 * /128). Host bits must be zero. Returns 0 or -1 with err (IG_EINVAL). */
int ig_webhook_cidr_parse(const char *s, size_t n, struct ig_webhook_cidr *out, struct ig_err *err);

/* Parses a comma-separated CIDR list ("" allows nothing beyond the
 * defaults) into out (free with ig_webhook_policy_free). Returns 0 or -1
 * with err naming the bad entry. */
int ig_webhook_policy_parse(const char *list, struct ig_webhook_policy *out, struct ig_err *err);

/* Frees the allow list. NULL-safe. */
void ig_webhook_policy_free(struct ig_webhook_policy *pol);

/* Returns 1 if sa (AF_INET or AF_INET6) may be called back, 0 otherwise.
 * pol may be NULL (defaults only). */
int ig_webhook_addr_allowed(const struct ig_webhook_policy *pol, const struct sockaddr *sa);

/* A callback target once checked. */
struct ig_webhook_target {
	char host[256];                            /* without brackets */
	int  port;
	bool https;
	bool literal;                              /* the host is an IP address */
	char addrs[IG_WEBHOOK_ADDRS_MAX][48];      /* resolved and allowed */
	size_t addrs_n;
};

/* Checks url's form: http or https, a host, no user:password, at most
 * IG_WEBHOOK_URL_MAX bytes, a port in 1..65535. Fills host, port, https
 * and literal. Returns 0 or -1 with err (IG_EINVAL). */
int ig_webhook_url_parse(const char *url, struct ig_webhook_target *t, struct ig_err *err);

/* Parses url (as ig_webhook_url_parse), resolves its host and checks every
 * address against pol; fills t->addrs. Returns 0, or -1 with err: IG_EPERM
 * when an address is not allowed (the message names it), IG_EINVAL for a
 * bad URL, IG_ENOENT when the host does not resolve. */
int ig_webhook_check(const struct ig_webhook_policy *pol, const char *url,
    struct ig_webhook_target *t, struct ig_err *err);

/* Reads the server secret from path, creating it (32 random bytes as 64
 * hex characters, mode 0600, never replacing a file) when it does not
 * exist. Refuses a file that group or others can access (IG_EPERM) or that
 * is not 64 hex characters (IG_EINVAL). Returns 0 with out filled, or -1. */
int ig_webhook_secret_load(const char *path, unsigned char out[IG_WEBHOOK_SECRET_BYTES],
    struct ig_err *err);

/* The webhook secret of API key key_id: hex(HMAC-SHA256(server, key_id))
 * into out (65 bytes with the NUL). */
void ig_webhook_key_secret(const unsigned char server[IG_WEBHOOK_SECRET_BYTES],
    const char *key_id, char out[IG_WEBHOOK_HEX_LEN + 1]);

/* The X-Ignite-Signature value for body (len bytes) sent at unix time t,
 * signed with secret (the key secret's ASCII text): "t=<t>,v1=<hex>". */
void ig_webhook_signature(const char *secret, time_t t, const char *body, size_t len,
    char out[IG_WEBHOOK_SIG_MAX]);

/* Returns 1 if header is a valid signature of body for secret within
 * tolerance_s seconds of now (constant-time comparison), else 0. For
 * receivers written in C and for tests. */
int ig_webhook_verify(const char *secret, const char *header, const char *body, size_t len,
    time_t now, long tolerance_s);

/* One delivery attempt: checks and pins the target (ig_webhook_check),
 * then POSTs body with the headers above, no proxy, no redirect, within
 * timeout_ms. Returns 0 when the receiver answered 2xx, else -1 with err
 * (IG_EPERM refused target, IG_ETIMEOUT, IG_EIO …); *http_status receives
 * the status (0 without an answer). */
int ig_webhook_post(const struct ig_webhook_policy *pol, const char *url, const char *secret,
    const char *run_id, const char *body, size_t len, long timeout_ms, long *http_status,
    struct ig_err *err);

/* ---- delivery queue ---- */

struct ig_webhook_outcome {
	bool delivered;
	int  attempts;
	long http_status;                          /* of the last attempt, 0 without an answer */
	char error[256];                           /* why the last attempt failed, "" on success */
};

struct ig_webhooks_config {
	const char *allow;                         /* comma-separated CIDRs (copied) */
	unsigned char server_secret[IG_WEBHOOK_SECRET_BYTES];
	unsigned threads;                          /* 0: 2 */
	int      retries;                          /* attempts after the first */
	long     timeout_ms;                       /* per attempt */
	long     backoff_ms;                       /* 0: IG_WEBHOOK_BACKOFF_MS */
	size_t   queue_max;                        /* 0: IG_WEBHOOK_QUEUE_MAX */
	/* Called (from a delivery thread) once per delivery when it is done:
	 * delivered, out of retries, or dropped at shutdown. */
	void   (*on_done)(void *arg, const char *run_id, const struct ig_webhook_outcome *o);
	void    *arg;
};

struct ig_webhooks;

/* Starts the delivery threads. Returns 0 with *out (stop with
 * ig_webhooks_stop), or -1 with err (IG_EINVAL for a bad allow list). */
int ig_webhooks_start(const struct ig_webhooks_config *cfg, struct ig_webhooks **out,
    struct ig_err *err);

/* Queues the delivery of body (copied) to url for run_id, signed with the
 * secret of key_id. Returns 0, or -1 with err (IG_ETOOBIG when the queue is
 * full, IG_EINVAL after stop began). */
int ig_webhooks_enqueue(struct ig_webhooks *wh, const char *run_id, const char *key_id,
    const char *url, const char *body, size_t len, struct ig_err *err);

/* The allow policy in use (borrowed). */
const struct ig_webhook_policy *ig_webhooks_policy(const struct ig_webhooks *wh);

/* Stops: deliveries (and retries) due before deadline_ms (CLOCK_MONOTONIC
 * ms, ig_time_mono_ms) are still attempted; the rest are reported to
 * on_done as not delivered. Joins the threads and frees wh. NULL-safe. */
void ig_webhooks_stop(struct ig_webhooks *wh, int64_t deadline_ms);

#endif
