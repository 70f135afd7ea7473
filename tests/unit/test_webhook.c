/* test_webhook.c — callbacks: CIDR parsing, the address policy (every denied
 * range, IPv6 forms embedding IPv4, the allow list), URL rules, resolution,
 * signatures against known vectors, the secret file, and real deliveries to
 * a receiver on loopback (headers, signature, no redirects, retries with
 * backoff, giving up, shutdown). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "timefmt.h"
#include "webhook.h"
#include "support.h"

/* ---- CIDRs and the address policy ---------------------------------------- */

static void
test_cidr_parse(void **state)
{
	struct ig_webhook_cidr c;
	struct ig_err err = { 0 };

	(void)state;
	assert_int_equal(ig_webhook_cidr_parse("10.0.0.0/8", 10, &c, &err), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix, 8);
	assert_int_equal(ig_webhook_cidr_parse("127.0.0.1", 9, &c, &err), 0);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(ig_webhook_cidr_parse("fd00::/8", 8, &c, &err), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(ig_webhook_cidr_parse("::1", 3, &c, &err), 0);
	assert_int_equal(c.prefix, 128);
	assert_int_equal(ig_webhook_cidr_parse("0.0.0.0/0", 9, &c, &err), 0);
	/* Only n bytes count. */
	assert_int_equal(ig_webhook_cidr_parse("10.0.0.0/8,junk", 10, &c, &err), 0);

	assert_int_equal(ig_webhook_cidr_parse("10.0.0.1/8", 10, &c, &err), -1);
	assert_non_null(strstr(err.msg, "host bits"));
	assert_int_equal(ig_webhook_cidr_parse("10.0.0.0/33", 11, &c, &err), -1);
	assert_int_equal(ig_webhook_cidr_parse("10.0.0.0/", 9, &c, &err), -1);
	assert_int_equal(ig_webhook_cidr_parse("10.0.0.0/08", 11, &c, &err), -1);
	assert_int_equal(ig_webhook_cidr_parse("10.0.0.0/-1", 11, &c, &err), -1);
	assert_int_equal(ig_webhook_cidr_parse("::/129", 6, &c, &err), -1);
	assert_int_equal(ig_webhook_cidr_parse("example.com", 11, &c, &err), -1);
	assert_int_equal(ig_webhook_cidr_parse("", 0, &c, &err), -1);
	assert_int_equal(ig_webhook_cidr_parse("10.0.0", 6, &c, &err), -1);
}

static void
test_policy_parse(void **state)
{
	struct ig_webhook_policy pol;
	struct ig_err err = { 0 };
	char big[64 * 20];
	size_t i, o = 0;

	(void)state;
	assert_int_equal(ig_webhook_policy_parse("127.0.0.0/8, ::1,10.1.0.0/16", &pol, &err), 0);
	assert_int_equal(pol.allow_n, 3);
	ig_webhook_policy_free(&pol);
	assert_int_equal(ig_webhook_policy_parse("", &pol, &err), 0);
	assert_int_equal(pol.allow_n, 0);
	ig_webhook_policy_free(&pol);
	assert_int_equal(ig_webhook_policy_parse(NULL, &pol, &err), 0);
	ig_webhook_policy_free(&pol);
	assert_int_equal(ig_webhook_policy_parse("127.0.0.0/8,nope", &pol, &err), -1);
	assert_non_null(strstr(err.msg, "nope"));
	for (i = 0; i < IG_WEBHOOK_CIDRS_MAX + 1; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "10.0.%zu.0/24,", i);
	assert_int_equal(ig_webhook_policy_parse(big, &pol, &err), -1);
	assert_non_null(strstr(err.msg, "more than"));
	ig_webhook_policy_free(NULL);
}

static int
allowed(const struct ig_webhook_policy *pol, const char *addr)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
		ss.ss_family = AF_INET6;
	}
	return ig_webhook_addr_allowed(pol, (struct sockaddr *)&ss);
}

static void
test_default_denied(void **state)
{
	static const char *const denied[] = {
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254",
		"127.0.0.1", "127.1.2.3", "169.254.169.254", "172.16.0.1", "172.31.255.255",
		"192.0.0.8", "192.0.2.1", "192.88.99.1", "192.168.1.1", "198.18.0.1", "198.19.255.1",
		"198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1",
		"255.255.255.255",
		"::", "::1", "::127.0.0.1", "100::1", "2001::1", "2001:db8::1", "fc00::1", "fd12:3456::1",
		"fe80::1", "febf::1", "fec0::1", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
		"64:ff9b::10.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "2002:a9fe:a9fe::1",
	};
	static const char *const ok[] = {
		"8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "11.0.0.1",
		"2001:4860:4860::8888", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808",
		"2002:808:808::1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		if (allowed(NULL, denied[i]))
			fail_msg("%s is allowed by default", denied[i]);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!allowed(NULL, ok[i]))
			fail_msg("%s is denied by default", ok[i]);
	assert_false(ig_webhook_addr_allowed(NULL, NULL));
}

static void
test_allow_list(void **state)
{
	struct ig_webhook_policy pol;

	(void)state;
	assert_int_equal(ig_webhook_policy_parse("127.0.0.0/8,fd00:1::/32", &pol, NULL), 0);
	assert_true(allowed(&pol, "127.0.0.1"));
	assert_true(allowed(&pol, "::ffff:127.0.0.1"));
	assert_true(allowed(&pol, "fd00:1::5"));
	assert_false(allowed(&pol, "fd00:2::5"));
	assert_false(allowed(&pol, "10.0.0.1"));
	assert_false(allowed(&pol, "::1"));
	assert_true(allowed(&pol, "8.8.8.8"));
	ig_webhook_policy_free(&pol);
}

/* ---- URLs and resolution ---------------------------------------------------- */

static void
test_url_parse(void **state)
{
	struct ig_webhook_target t;
	struct ig_err err = { 0 };
	char long_url[IG_WEBHOOK_URL_MAX + 32];

	(void)state;
	assert_int_equal(ig_webhook_url_parse("http://example.com/hook?x=1", &t, &err), 0);
	assert_string_equal(t.host, "example.com");
	assert_int_equal(t.port, 80);
	assert_false(t.https);
	assert_false(t.literal);
	assert_int_equal(ig_webhook_url_parse("https://example.com:8443/", &t, &err), 0);
	assert_int_equal(t.port, 8443);
	assert_true(t.https);
	assert_int_equal(ig_webhook_url_parse("http://[::1]:9000/x", &t, &err), 0);
	assert_string_equal(t.host, "::1");
	assert_true(t.literal);
	assert_int_equal(ig_webhook_url_parse("http://10.1.2.3/", &t, &err), 0);
	assert_true(t.literal);

	assert_int_equal(ig_webhook_url_parse("ftp://example.com/", &t, &err), -1);
	assert_non_null(strstr(err.msg, "http or https"));
	assert_int_equal(ig_webhook_url_parse("file:///etc/passwd", &t, &err), -1);
	assert_int_equal(ig_webhook_url_parse("gopher://example.com/", &t, &err), -1);
	assert_int_equal(ig_webhook_url_parse("http://user:pw@example.com/", &t, &err), -1);
	assert_non_null(strstr(err.msg, "user name or password"));
	assert_int_equal(ig_webhook_url_parse("http://user@example.com/", &t, &err), -1);
	assert_int_equal(ig_webhook_url_parse("example.com/hook", &t, &err), -1);
	assert_int_equal(ig_webhook_url_parse("http:///x", &t, &err), -1);
	assert_int_equal(ig_webhook_url_parse("http://exa mple.com/", &t, &err), -1);
	assert_int_equal(ig_webhook_url_parse("http://example.com/\r\nX: y", &t, &err), -1);
	assert_int_equal(ig_webhook_url_parse("http://example.com:0/", &t, &err), -1);
	assert_int_equal(ig_webhook_url_parse("http://example.com:70000/", &t, &err), -1);
	assert_int_equal(ig_webhook_url_parse("http://[fe80::1%25eth0]/", &t, &err), -1);
	assert_int_equal(ig_webhook_url_parse(NULL, &t, &err), -1);
	memset(long_url, 'a', sizeof(long_url) - 1);
	memcpy(long_url, "http://", 7);
	long_url[sizeof(long_url) - 1] = '\0';
	assert_int_equal(ig_webhook_url_parse(long_url, &t, &err), -1);
}

static void
test_check_resolves_and_checks_every_address(void **state)
{
	struct ig_webhook_policy pol;
	struct ig_webhook_target t;
	struct ig_err err = { 0 };
	size_t i;
	bool v4 = false;

	(void)state;
	assert_int_equal(ig_webhook_check(NULL, "http://127.0.0.1:9/", &t, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_non_null(strstr(err.msg, "127.0.0.1"));
	assert_int_equal(ig_webhook_check(NULL, "http://169.254.169.254/latest/meta-data/", &t, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	/* A name is judged by what it resolves to. */
	assert_int_equal(ig_webhook_check(NULL, "http://localhost:9/", &t, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_int_equal(ig_webhook_check(NULL, "http://no-such-host.invalid/", &t, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);

	assert_int_equal(ig_webhook_policy_parse("127.0.0.0/8,::1", &pol, NULL), 0);
	assert_int_equal(ig_webhook_check(&pol, "http://127.0.0.1:9/", &t, &err), 0);
	assert_int_equal(t.addrs_n, 1);
	assert_string_equal(t.addrs[0], "127.0.0.1");
	assert_int_equal(ig_webhook_check(&pol, "http://localhost:9/", &t, &err), 0);
	for (i = 0; i < t.addrs_n; i++)
		if (strcmp(t.addrs[i], "127.0.0.1") == 0)
			v4 = true;
	assert_true(v4);
	ig_webhook_policy_free(&pol);
}

/* ---- signatures and secrets --------------------------------------------------- */

static void
test_signature_vector(void **state)
{
	char sig[IG_WEBHOOK_SIG_MAX];

	(void)state;
	/* python3: hmac.new(b"s3cr3t", b'1700000000.{"a":1}', hashlib.sha256).hexdigest() */
	ig_webhook_signature("s3cr3t", 1700000000, "{\"a\":1}", 7, sig);
	assert_string_equal(sig, "t=1700000000,v1=8dbbbbf4523b10bbb793e74d854144c45acccc2d233667b1c06b805b6ded8a84");
}

static void
test_key_secret_vector(void **state)
{
	unsigned char server[IG_WEBHOOK_SECRET_BYTES];
	char a[IG_WEBHOOK_HEX_LEN + 1], b[IG_WEBHOOK_HEX_LEN + 1];
	int i;

	(void)state;
	for (i = 0; i < IG_WEBHOOK_SECRET_BYTES; i++)
		server[i] = (unsigned char)i;
	/* python3: hmac.new(bytes(range(32)), b"3f2a9c0b7d41", hashlib.sha256).hexdigest() */
	ig_webhook_key_secret(server, "3f2a9c0b7d41", a);
	assert_string_equal(a, "ac0dd96ae4ea1532ba7b2e8f5351aff452e3cad3973bcec339adec1e34538b6c");
	ig_webhook_key_secret(server, "3f2a9c0b7d42", b);
	assert_string_not_equal(a, b);
}

static void
test_verify(void **state)
{
	const char *body = "{\"runId\":\"x\",\"status\":\"success\"}";
	char sig[IG_WEBHOOK_SIG_MAX], bad[IG_WEBHOOK_SIG_MAX];
	time_t now = 1700000000;

	(void)state;
	ig_webhook_signature("key", now, body, strlen(body), sig);
	assert_true(ig_webhook_verify("key", sig, body, strlen(body), now + 10, 300));
	/* Tampered body, signature, timestamp, or the wrong secret. */
	assert_false(ig_webhook_verify("key", sig, "{\"runId\":\"x\",\"status\":\"failed\"}",
	    strlen(body), now, 300));
	assert_false(ig_webhook_verify("other", sig, body, strlen(body), now, 300));
	snprintf(bad, sizeof(bad), "%s", sig);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
	assert_false(ig_webhook_verify("key", bad, body, strlen(body), now, 300));
	snprintf(bad, sizeof(bad), "t=1700000001%s", strchr(sig, ','));
	assert_false(ig_webhook_verify("key", bad, body, strlen(body), now, 300));
	/* Too old or from the future. */
	assert_false(ig_webhook_verify("key", sig, body, strlen(body), now + 301, 300));
	assert_false(ig_webhook_verify("key", sig, body, strlen(body), now - 301, 300));
	/* Malformed headers. */
	assert_false(ig_webhook_verify("key", "", body, strlen(body), now, 300));
	assert_false(ig_webhook_verify("key", NULL, body, strlen(body), now, 300));
	assert_false(ig_webhook_verify("key", "v1=abc,t=1", body, strlen(body), now, 300));
	assert_false(ig_webhook_verify("key", "t=,v1=00", body, strlen(body), now, 300));
	assert_false(ig_webhook_verify("key", "t=1700000000,v1=short", body, strlen(body), now, 300));
}

static void
test_secret_file(void **state)
{
	static const char not_hex[] = "not a secret\n";
	static const char bad_last[] =
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeG";
	unsigned char a[IG_WEBHOOK_SECRET_BYTES], b[IG_WEBHOOK_SECRET_BYTES];
	struct ig_err err = { 0 };
	char path[128], other[128];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/webhook.secret", scratch_dir());
	assert_int_equal(ig_webhook_secret_load(path, a, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, IG_WEBHOOK_HEX_LEN + 1);
	assert_int_equal(ig_webhook_secret_load(path, b, &err), 0);
	assert_memory_equal(a, b, sizeof(a));

	/* Readable by others: refused. */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(ig_webhook_secret_load(path, b, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	/* Not hex, or the wrong length. */
	snprintf(other, sizeof(other), "%s/bad", scratch_dir());
	file_write(other, not_hex, sizeof(not_hex) - 1, 0600);
	assert_int_equal(ig_webhook_secret_load(other, b, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	file_write(other, bad_last, sizeof(bad_last) - 1, 0600);
	assert_int_equal(ig_webhook_secret_load(other, b, &err), -1);
	/* A symlink is not followed. */
	snprintf(other, sizeof(other), "%s/link", scratch_dir());
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(symlink(path, other), 0);
	assert_int_equal(ig_webhook_secret_load(other, b, &err), -1);
	/* A relative path has no directory to create it in. */
	assert_int_equal(ig_webhook_secret_load("webhook.secret", b, &err), -1);
}

/* ---- a receiver on loopback --------------------------------------------------- */

#define MAX_REQ 16

struct receiver {
	int fd;
	int port;
	pthread_t thread;
	pthread_mutex_t mu;
	int statuses[MAX_REQ];          /* answer for request i; 0 means 200 */
	int n;                          /* requests received */
	char head[MAX_REQ][2048];
	char body[MAX_REQ][1024];
	int stop;
};

static void *
receiver_loop(void *arg)
{
	struct receiver *rv = arg;

	for (;;) {
		char buf[4096], resp[256];
		size_t got = 0;
		char *end;
		long clen = 0;
		int c, status, idx;

		c = accept(rv->fd, NULL, NULL);
		if (c < 0)
			return NULL;
		pthread_mutex_lock(&rv->mu);
		if (rv->stop) {
			pthread_mutex_unlock(&rv->mu);
			close(c);
			return NULL;
		}
		pthread_mutex_unlock(&rv->mu);
		for (;;) {
			ssize_t r = read(c, buf + got, sizeof(buf) - 1 - got);
			if (r <= 0)
				break;
			got += (size_t)r;
			buf[got] = '\0';
			if ((end = strstr(buf, "\r\n\r\n")) != NULL) {
				char *cl = strcasestr(buf, "\r\nContent-Length:");
				clen = cl ? strtol(cl + 17, NULL, 10) : 0;
				if (got >= (size_t)(end + 4 - buf) + (size_t)clen)
					break;
			}
		}
		buf[got] = '\0';
		pthread_mutex_lock(&rv->mu);
		idx = rv->n < MAX_REQ ? rv->n : MAX_REQ - 1;
		end = strstr(buf, "\r\n\r\n");
		if (end != NULL) {
			snprintf(rv->head[idx], sizeof(rv->head[idx]), "%.*s", (int)(end - buf), buf);
			snprintf(rv->body[idx], sizeof(rv->body[idx]), "%s", end + 4);
		}
		status = rv->statuses[idx] ? rv->statuses[idx] : 200;
		rv->n++;
		pthread_mutex_unlock(&rv->mu);
		snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nContent-Length: 2\r\n%sConnection: close\r\n\r\nok",
		    status, status == 302 ? "Location: http://127.0.0.1:1/elsewhere\r\n" : "");
		if (write(c, resp, strlen(resp)) < 0) {
			/* the client may be gone */
		}
		close(c);
	}
}

static void
receiver_start(struct receiver *rv)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int one = 1;

	memset(rv, 0, sizeof(*rv));
	pthread_mutex_init(&rv->mu, NULL);
	rv->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(rv->fd >= 0);
	setsockopt(rv->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(rv->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(rv->fd, 16), 0);
	assert_int_equal(getsockname(rv->fd, (struct sockaddr *)&sa, &sl), 0);
	rv->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&rv->thread, NULL, receiver_loop, rv), 0);
}

static void
receiver_stop(struct receiver *rv)
{
	pthread_mutex_lock(&rv->mu);
	rv->stop = 1;
	pthread_mutex_unlock(&rv->mu);
	shutdown(rv->fd, SHUT_RDWR);
	close(rv->fd);
	pthread_join(rv->thread, NULL);
	pthread_mutex_destroy(&rv->mu);
}

static int
received(struct receiver *rv)
{
	int n;

	pthread_mutex_lock(&rv->mu);
	n = rv->n;
	pthread_mutex_unlock(&rv->mu);
	return n;
}

/* The value of header name in a received head, into out. */
static const char *
header(const char *head, const char *name, char *out, size_t len)
{
	char needle[64];
	const char *p, *e;

	snprintf(needle, sizeof(needle), "\r\n%s: ", name);
	if ((p = strcasestr(head, needle)) == NULL)
		return NULL;
	p += strlen(needle);
	e = strstr(p, "\r\n");
	snprintf(out, len, "%.*s", e ? (int)(e - p) : (int)strlen(p), p);
	return out;
}

static void
test_post_delivers_signed(void **state)
{
	struct ig_webhook_policy pol;
	struct receiver rv;
	struct ig_err err = { 0 };
	const char *body = "{\"runId\":\"0123456789abcdef0123456789abcdef\",\"status\":\"success\"}";
	char url[64], sig[160], run[64], ctype[64];
	long status = 0;

	(void)state;
	receiver_start(&rv);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rv.port);
	/* Loopback is refused by default: nothing is even sent. */
	assert_int_equal(ig_webhook_post(NULL, url, "key", "0123456789abcdef0123456789abcdef", body,
	    strlen(body), 2000, &status, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_int_equal(received(&rv), 0);

	assert_int_equal(ig_webhook_policy_parse("127.0.0.0/8", &pol, NULL), 0);
	assert_int_equal(ig_webhook_post(&pol, url, "key", "0123456789abcdef0123456789abcdef", body,
	    strlen(body), 2000, &status, &err), 0);
	assert_int_equal(status, 200);
	assert_int_equal(received(&rv), 1);
	assert_non_null(strstr(rv.head[0], "POST /hook HTTP/1.1"));
	assert_string_equal(rv.body[0], body);
	assert_non_null(header(rv.head[0], "X-Ignite-Signature", sig, sizeof(sig)));
	assert_true(ig_webhook_verify("key", sig, rv.body[0], strlen(rv.body[0]), time(NULL), 300));
	assert_false(ig_webhook_verify("other key", sig, rv.body[0], strlen(rv.body[0]), time(NULL), 300));
	assert_non_null(header(rv.head[0], "X-Ignite-Run", run, sizeof(run)));
	assert_string_equal(run, "0123456789abcdef0123456789abcdef");
	assert_non_null(header(rv.head[0], "Content-Type", ctype, sizeof(ctype)));
	assert_string_equal(ctype, "application/json");

	/* A non-2xx answer fails; a redirect is not followed. */
	rv.statuses[1] = 500;
	rv.statuses[2] = 302;
	assert_int_equal(ig_webhook_post(&pol, url, "key", "r", body, strlen(body), 2000, &status, &err), -1);
	assert_int_equal(status, 500);
	assert_int_equal(ig_webhook_post(&pol, url, "key", "r", body, strlen(body), 2000, &status, &err), -1);
	assert_int_equal(status, 302);
	assert_int_equal(received(&rv), 3);
	ig_webhook_policy_free(&pol);
	receiver_stop(&rv);
}

struct outcomes {
	pthread_mutex_t mu;
	int n;
	struct ig_webhook_outcome last;
	char run[40];
};

static void
on_done(void *arg, const char *run_id, const struct ig_webhook_outcome *o)
{
	struct outcomes *oc = arg;

	pthread_mutex_lock(&oc->mu);
	oc->n++;
	oc->last = *o;
	snprintf(oc->run, sizeof(oc->run), "%s", run_id);
	pthread_mutex_unlock(&oc->mu);
}

static int
outcomes_n(struct outcomes *oc)
{
	int n;

	pthread_mutex_lock(&oc->mu);
	n = oc->n;
	pthread_mutex_unlock(&oc->mu);
	return n;
}

static void
wait_outcomes(struct outcomes *oc, int n)
{
	int i;

	for (i = 0; i < 500 && outcomes_n(oc) < n; i++)
		usleep(10000);
	assert_int_equal(outcomes_n(oc), n);
}

static void
start_queue(struct ig_webhooks **wh, struct outcomes *oc, int retries)
{
	struct ig_webhooks_config cfg;
	struct ig_err err = { 0 };

	memset(oc, 0, sizeof(*oc));
	pthread_mutex_init(&oc->mu, NULL);
	memset(&cfg, 0, sizeof(cfg));
	cfg.allow = "127.0.0.0/8";
	memset(cfg.server_secret, 7, sizeof(cfg.server_secret));
	cfg.retries = retries;
	cfg.timeout_ms = 2000;
	cfg.backoff_ms = 20;
	cfg.on_done = on_done;
	cfg.arg = oc;
	assert_int_equal(ig_webhooks_start(&cfg, wh, &err), 0);
}

static void
test_queue_retries_then_delivers(void **state)
{
	struct ig_webhooks *wh;
	struct outcomes oc;
	struct receiver rv;
	char url[64], sig[160], secret[IG_WEBHOOK_HEX_LEN + 1];
	unsigned char server[IG_WEBHOOK_SECRET_BYTES];
	int64_t t0;

	(void)state;
	receiver_start(&rv);
	rv.statuses[0] = 503;
	rv.statuses[1] = 500;
	start_queue(&wh, &oc, 3);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/cb", rv.port);
	t0 = ig_time_mono_ms();
	assert_int_equal(ig_webhooks_enqueue(wh, "run1", "keyid1", url, "{}", 2, NULL), 0);
	wait_outcomes(&oc, 1);
	assert_true(oc.last.delivered);
	assert_int_equal(oc.last.attempts, 3);
	assert_int_equal(oc.last.http_status, 200);
	assert_string_equal(oc.run, "run1");
	/* Backoff: 20 ms, then 40 ms. */
	assert_true(ig_time_mono_ms() - t0 >= 60);
	assert_int_equal(received(&rv), 3);
	/* Signed with the key's secret, derived from the server secret. */
	memset(server, 7, sizeof(server));
	ig_webhook_key_secret(server, "keyid1", secret);
	assert_non_null(header(rv.head[2], "X-Ignite-Signature", sig, sizeof(sig)));
	assert_true(ig_webhook_verify(secret, sig, "{}", 2, time(NULL), 300));
	ig_webhooks_stop(wh, ig_time_mono_ms());
	receiver_stop(&rv);
	pthread_mutex_destroy(&oc.mu);
}

static void
test_queue_gives_up(void **state)
{
	struct ig_webhooks *wh;
	struct outcomes oc;
	struct receiver rv;
	char url[64];
	int i;

	(void)state;
	receiver_start(&rv);
	for (i = 0; i < MAX_REQ; i++)
		rv.statuses[i] = 500;
	start_queue(&wh, &oc, 2);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/cb", rv.port);
	assert_int_equal(ig_webhooks_enqueue(wh, "run2", "k", url, "{}", 2, NULL), 0);
	wait_outcomes(&oc, 1);
	assert_false(oc.last.delivered);
	assert_int_equal(oc.last.attempts, 3);
	assert_int_equal(oc.last.http_status, 500);
	assert_non_null(strstr(oc.last.error, "500"));
	assert_int_equal(received(&rv), 3);
	/* A refused target is not retried. */
	assert_int_equal(ig_webhooks_enqueue(wh, "run3", "k", "http://10.0.0.1/", "{}", 2, NULL), 0);
	wait_outcomes(&oc, 2);
	assert_false(oc.last.delivered);
	assert_int_equal(oc.last.attempts, 1);
	assert_non_null(strstr(oc.last.error, "not an allowed callback target"));
	ig_webhooks_stop(wh, ig_time_mono_ms());
	receiver_stop(&rv);
	pthread_mutex_destroy(&oc.mu);
}

static void
test_queue_stop_reports_pending(void **state)
{
	struct ig_webhooks *wh;
	struct outcomes oc;
	struct receiver rv;
	struct ig_err err = { 0 };
	char url[64];
	int i;

	(void)state;
	receiver_start(&rv);
	for (i = 0; i < MAX_REQ; i++)
		rv.statuses[i] = 500;
	start_queue(&wh, &oc, 10);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/cb", rv.port);
	assert_int_equal(ig_webhooks_enqueue(wh, "run4", "k", url, "{}", 2, NULL), 0);
	for (i = 0; i < 200 && received(&rv) < 1; i++)
		usleep(10000);
	/* The retry is not due before the deadline: reported as not delivered. */
	ig_webhooks_stop(wh, ig_time_mono_ms());
	assert_int_equal(oc.n, 1);
	assert_false(oc.last.delivered);
	assert_true(oc.last.attempts >= 1);
	receiver_stop(&rv);
	pthread_mutex_destroy(&oc.mu);

	/* A bad allow list is refused at start. */
	{
		struct ig_webhooks_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.allow = "10.0.0.0/8,bogus";
		assert_int_equal(ig_webhooks_start(&cfg, &wh, &err), -1);
		assert_non_null(strstr(err.msg, "bogus"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_policy_parse),
		cmocka_unit_test(test_default_denied),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_check_resolves_and_checks_every_address),
		cmocka_unit_test(test_signature_vector),
		cmocka_unit_test(test_key_secret_vector),
		cmocka_unit_test(test_verify),
		cmocka_unit_test_setup_teardown(test_secret_file, scratch_setup, scratch_teardown),
		cmocka_unit_test(test_post_delivers_signed),
		cmocka_unit_test(test_queue_retries_then_delivers),
		cmocka_unit_test(test_queue_gives_up),
		cmocka_unit_test(test_queue_stop_reports_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
