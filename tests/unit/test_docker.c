/* test_docker.c — the pure parts of the Docker client: endpoint parsing,
 * API version negotiation, answer parsers, the HTTP head parser and the
 * attach stream demultiplexer. No engine needed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "docker.h"

/* ------------------------------------------------------------------ */
/* Endpoint (DOCKER_HOST).                                             */

static void
test_endpoint_default(void **state)
{
	struct ig_docker_endpoint ep;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_endpoint_parse(NULL, NULL, NULL, NULL, &ep, &err), 0);
	assert_int_equal(ep.transport, IG_DOCKER_UNIX);
	assert_string_equal(ep.socket_path, "/var/run/docker.sock");
	assert_string_equal(ep.display, "unix:///var/run/docker.sock");
	assert_string_equal(ep.base_url, "http://localhost");
	assert_false(ep.tls);
	assert_int_equal(ig_docker_endpoint_parse("", "1", NULL, NULL, &ep, &err), 0);
	assert_string_equal(ep.socket_path, "/var/run/docker.sock");
	assert_false(ep.tls);            /* TLS is for tcp:// only */
	assert_int_equal(ig_docker_endpoint_parse("unix://", NULL, NULL, NULL, &ep, &err), 0);
	assert_string_equal(ep.socket_path, "/var/run/docker.sock");
}

static void
test_endpoint_unix(void **state)
{
	struct ig_docker_endpoint ep;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_endpoint_parse("unix:///run/user/1000/docker.sock",
	    NULL, NULL, NULL, &ep, &err), 0);
	assert_string_equal(ep.socket_path, "/run/user/1000/docker.sock");
	assert_string_equal(ep.display, "unix:///run/user/1000/docker.sock");
}

static void
test_endpoint_unix_relative(void **state)
{
	struct ig_docker_endpoint ep;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_endpoint_parse("unix://docker.sock", NULL, NULL, NULL,
	    &ep, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_non_null(strstr(err.msg, "absolute"));
}

static void
test_endpoint_unix_too_long(void **state)
{
	struct ig_docker_endpoint ep;
	struct ig_err err;
	char host[300];

	(void)state;
	snprintf(host, sizeof(host), "unix:///%0200d", 0);
	assert_int_equal(ig_docker_endpoint_parse(host, NULL, NULL, NULL, &ep, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
}

static void
test_endpoint_tcp(void **state)
{
	struct ig_docker_endpoint ep;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_endpoint_parse("tcp://10.0.0.5:2375", NULL, NULL, NULL,
	    &ep, &err), 0);
	assert_int_equal(ep.transport, IG_DOCKER_TCP);
	assert_string_equal(ep.host, "10.0.0.5");
	assert_int_equal(ep.port, 2375);
	assert_false(ep.tls);
	assert_string_equal(ep.base_url, "http://10.0.0.5:2375");
	assert_string_equal(ep.display, "tcp://10.0.0.5:2375");

	assert_int_equal(ig_docker_endpoint_parse("tcp://docker.example:1234/", NULL, NULL,
	    NULL, &ep, &err), 0);
	assert_string_equal(ep.host, "docker.example");
	assert_int_equal(ep.port, 1234);

	/* No port: 2375, or 2376 with TLS, as the docker CLI. */
	assert_int_equal(ig_docker_endpoint_parse("tcp://engine", NULL, NULL, NULL, &ep, &err), 0);
	assert_int_equal(ep.port, 2375);
	assert_int_equal(ig_docker_endpoint_parse("tcp://engine", "1", "/certs", NULL, &ep,
	    &err), 0);
	assert_int_equal(ep.port, 2376);

	/* Empty host: localhost. */
	assert_int_equal(ig_docker_endpoint_parse("tcp://:2375", NULL, NULL, NULL, &ep, &err), 0);
	assert_string_equal(ep.host, "localhost");
}

static void
test_endpoint_tcp_ipv6(void **state)
{
	struct ig_docker_endpoint ep;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_endpoint_parse("tcp://[::1]:2375", NULL, NULL, NULL,
	    &ep, &err), 0);
	assert_string_equal(ep.host, "[::1]");
	assert_int_equal(ep.port, 2375);
	assert_string_equal(ep.base_url, "http://[::1]:2375");
	assert_int_equal(ig_docker_endpoint_parse("tcp://[fe80::1]", NULL, NULL, NULL,
	    &ep, &err), 0);
	assert_int_equal(ep.port, 2375);
	/* Without brackets an IPv6 address is ambiguous. */
	assert_int_equal(ig_docker_endpoint_parse("tcp://::1:2375", NULL, NULL, NULL,
	    &ep, &err), -1);
	assert_int_equal(ig_docker_endpoint_parse("tcp://[::1", NULL, NULL, NULL, &ep, &err), -1);
	assert_int_equal(ig_docker_endpoint_parse("tcp://[]:1", NULL, NULL, NULL, &ep, &err), -1);
	assert_int_equal(ig_docker_endpoint_parse("tcp://[::1]x", NULL, NULL, NULL, &ep, &err), -1);
	assert_int_equal(ig_docker_endpoint_parse("tcp://[::g]:1", NULL, NULL, NULL, &ep, &err), -1);
}

static void
test_endpoint_tcp_bad_port(void **state)
{
	static const char *bad[] = {
		"tcp://h:0", "tcp://h:65536", "tcp://h:", "tcp://h:12a", "tcp://h:-1",
		"tcp://h:123456", "tcp://h:80/api", "tcp://h_1:80", "tcp://user@h:80",
	};
	struct ig_docker_endpoint ep;
	struct ig_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ig_err_clear(&err);
		assert_int_equal(ig_docker_endpoint_parse(bad[i], NULL, NULL, NULL, &ep, &err), -1);
		assert_int_equal(err.code, IG_EINVAL);
	}
}

static void
test_endpoint_tls(void **state)
{
	struct ig_docker_endpoint ep;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_endpoint_parse("tcp://engine:2376", "1", "/etc/docker-certs",
	    "/root", &ep, &err), 0);
	assert_true(ep.tls);
	assert_string_equal(ep.base_url, "https://engine:2376");
	assert_string_equal(ep.ca_file, "/etc/docker-certs/ca.pem");
	assert_string_equal(ep.cert_file, "/etc/docker-certs/cert.pem");
	assert_string_equal(ep.key_file, "/etc/docker-certs/key.pem");

	/* Default directory ~/.docker; any non-empty value turns TLS on. */
	assert_int_equal(ig_docker_endpoint_parse("tcp://engine:2376", "0", NULL, "/home/u",
	    &ep, &err), 0);
	assert_true(ep.tls);
	assert_string_equal(ep.ca_file, "/home/u/.docker/ca.pem");

	/* Empty DOCKER_TLS_VERIFY: plain HTTP. */
	assert_int_equal(ig_docker_endpoint_parse("tcp://engine:2375", "", "/c", "/h",
	    &ep, &err), 0);
	assert_false(ep.tls);
	assert_string_equal(ep.base_url, "http://engine:2375");
}

static void
test_endpoint_tls_no_cert_dir(void **state)
{
	struct ig_docker_endpoint ep;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_endpoint_parse("tcp://engine:2376", "1", NULL, NULL,
	    &ep, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_non_null(strstr(err.msg, "DOCKER_CERT_PATH"));
}

static void
test_endpoint_bad_scheme(void **state)
{
	static const char *bad[] = {
		"ssh://user@host", "npipe:////./pipe/docker_engine", "fd://", "http://h:2375",
		"/var/run/docker.sock", "unix:///var/run/docker sock", "tcp://h:1\n",
	};
	struct ig_docker_endpoint ep;
	struct ig_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ig_err_clear(&err);
		assert_int_equal(ig_docker_endpoint_parse(bad[i], NULL, NULL, NULL, &ep, &err), -1);
		assert_int_equal(err.code, IG_EINVAL);
	}
}

static void
test_endpoint_from_env_override(void **state)
{
	struct ig_docker_endpoint ep;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_endpoint_from_env("unix:///tmp/x.sock", &ep, &err), 0);
	assert_string_equal(ep.socket_path, "/tmp/x.sock");
}

/* A client reads its endpoint when created; a bad one fails creation. */
static void
test_client_bad_host(void **state)
{
	struct ig_docker_config cfg = { .host = "ssh://nowhere" };
	struct ig_docker *c = (struct ig_docker *)1;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_new(&cfg, &c, &err), -1);
	assert_null(c);
	assert_int_equal(err.code, IG_EINVAL);
}

static void
test_client_accessors(void **state)
{
	struct ig_docker_config cfg = { .host = "unix:///nonexistent/docker.sock" };
	struct ig_docker *c = NULL;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_new(&cfg, &c, &err), 0);
	assert_string_equal(ig_docker_endpoint_str(c), "unix:///nonexistent/docker.sock");
	assert_null(ig_docker_api_version(c));
	assert_int_equal(ig_docker_connections(c), 0);
	/* Arguments are checked before anything reaches the engine. */
	assert_int_equal(ig_docker_container_start(c, "../images", &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(ig_docker_container_kill(c, "abc", "KILL; rm", &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(ig_docker_container_wait(c, "abc", IG_DOCKER_WAIT_NOT_RUNNING, 0,
	    &(long){ 0 }, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	{
		struct ig_docker_image *img = NULL;
		assert_int_equal(ig_docker_image_inspect(c, "a/../../containers", &img, &err), -1);
		assert_int_equal(err.code, IG_EINVAL);
		assert_int_equal(ig_docker_image_inspect(c, "a?x=1", &img, &err), -1);
		assert_int_equal(err.code, IG_EINVAL);
	}
	{
		struct ig_docker_strv ids;
		assert_int_equal(ig_docker_container_list(c, "a b", &ids, &err), -1);
		assert_int_equal(err.code, IG_EINVAL);
	}
	ig_docker_free(c);
	ig_docker_free(NULL);
}

/* ------------------------------------------------------------------ */
/* API versions.                                                       */

static void
test_api_parse(void **state)
{
	struct ig_err err;
	int maj, min;

	(void)state;
	assert_int_equal(ig_docker_api_parse("1.41", &maj, &min, &err), 0);
	assert_int_equal(maj, 1);
	assert_int_equal(min, 41);
	assert_int_equal(ig_docker_api_parse("1.100", &maj, &min, &err), 0);
	assert_int_equal(min, 100);
	static const char *bad[] = { "", "1", "1.", ".41", "1.41.1", "v1.41", "1.4a",
		"1.1000", " 1.41", "1.41 ", "-1.41" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ig_docker_api_parse(bad[i], &maj, &min, &err), -1);
	assert_int_equal(ig_docker_api_parse(NULL, &maj, &min, &err), -1);
}

static void
test_api_negotiate(void **state)
{
	struct ig_err err;
	char v[16];

	(void)state;
	assert_int_equal(ig_docker_api_negotiate("1.41", "1.12", v, sizeof(v), &err), 0);
	assert_string_equal(v, "1.41");
	assert_int_equal(ig_docker_api_negotiate("1.43", NULL, v, sizeof(v), &err), 0);
	assert_string_equal(v, "1.43");
	/* Newer engines are spoken to at our newest version. */
	assert_int_equal(ig_docker_api_negotiate("1.51", "1.24", v, sizeof(v), &err), 0);
	assert_string_equal(v, IG_DOCKER_API_MAX);
	assert_int_equal(ig_docker_api_negotiate("2.0", "", v, sizeof(v), &err), 0);
	assert_string_equal(v, IG_DOCKER_API_MAX);
}

static void
test_api_negotiate_too_old(void **state)
{
	struct ig_err err;
	char v[16];

	(void)state;
	assert_int_equal(ig_docker_api_negotiate("1.40", "1.12", v, sizeof(v), &err), -1);
	assert_int_equal(err.code, IG_EDOCKER);
	assert_non_null(strstr(err.msg, "too old"));
	assert_non_null(strstr(err.msg, "1.40"));
}

static void
test_api_negotiate_engine_min_too_new(void **state)
{
	struct ig_err err;
	char v[16];

	(void)state;
	assert_int_equal(ig_docker_api_negotiate("1.60", "1.50", v, sizeof(v), &err), -1);
	assert_int_equal(err.code, IG_EDOCKER);
	assert_non_null(strstr(err.msg, "1.50"));
}

static void
test_api_negotiate_garbage(void **state)
{
	struct ig_err err;
	char v[16];

	(void)state;
	assert_int_equal(ig_docker_api_negotiate("latest", NULL, v, sizeof(v), &err), -1);
	assert_int_equal(err.code, IG_EDOCKER);
	assert_int_equal(ig_docker_api_negotiate("1.41", "x", v, sizeof(v), &err), -1);
	assert_int_equal(err.code, IG_EDOCKER);
}

/* ------------------------------------------------------------------ */
/* Error messages.                                                     */

static void
test_error_message_json(void **state)
{
	const char *b = "{\"message\":\"No such container: abc\"}\n";
	char out[64];

	(void)state;
	assert_int_equal(ig_docker_error_message(b, strlen(b), out, sizeof(out)),
	    strlen("No such container: abc"));
	assert_string_equal(out, "No such container: abc");
}

static void
test_error_message_controls(void **state)
{
	const char *b = "{\"message\":\"bad\\u001b[31m\\nname\"}";
	char out[64];

	(void)state;
	ig_docker_error_message(b, strlen(b), out, sizeof(out));
	assert_string_equal(out, "bad?[31m?name");
}

static void
test_error_message_not_json(void **state)
{
	const char *b = "  502 Bad Gateway\r\n<html>junk</html>";
	const char *bin = "ab\x01\xff" "cd";
	char out[64];

	(void)state;
	ig_docker_error_message(b, strlen(b), out, sizeof(out));
	assert_string_equal(out, "502 Bad Gateway");
	ig_docker_error_message(bin, 6, out, sizeof(out));
	assert_string_equal(out, "ab??cd");
	/* JSON without a string message: the raw first line. */
	ig_docker_error_message("{\"message\":5}", 13, out, sizeof(out));
	assert_string_equal(out, "{\"message\":5}");
	ig_docker_error_message(NULL, 0, out, sizeof(out));
	assert_string_equal(out, "");
	ig_docker_error_message("x", 1, out, 0);   /* no room: nothing written */
}

static void
test_error_message_truncated_utf8(void **state)
{
	/* "é" is two bytes; truncation must not leave half of it. */
	const char *b = "{\"message\":\"abcd\xc3\xa9\"}";
	char out[6];

	(void)state;
	ig_docker_error_message(b, strlen(b), out, sizeof(out));
	assert_string_equal(out, "abcd");
	{
		char big[8];
		ig_docker_error_message(b, strlen(b), big, sizeof(big));
		assert_string_equal(big, "abcd\xc3\xa9");
	}
}

/* ------------------------------------------------------------------ */
/* JSON answers.                                                       */

static void
test_parse_version(void **state)
{
	const char *b = "{\"Platform\":{\"Name\":\"\"},\"Version\":\"20.10.24+dfsg1\","
	    "\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"1.12\",\"Os\":\"linux\","
	    "\"Arch\":\"amd64\",\"KernelVersion\":\"6.1\",\"Components\":[]}\n";
	struct ig_docker_version v;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_parse_version(b, strlen(b), &v, &err), 0);
	assert_string_equal(v.version, "20.10.24+dfsg1");
	assert_string_equal(v.api_version, "1.41");
	assert_string_equal(v.min_api_version, "1.12");
	assert_string_equal(v.os, "linux");
	assert_string_equal(v.arch, "amd64");
	assert_string_equal(v.negotiated, "");
}

static void
test_parse_version_bad(void **state)
{
	static const char *bad[] = {
		"", "   ", "null", "[]", "{}", "{\"ApiVersion\":141}", "{\"ApiVersion\":\"x\"}",
		"{\"ApiVersion\":\"1.41\"} x", "{\"ApiVersion\":\"1.41\"", "{\"ApiVersion\":\"1.41\",}",
		"{'ApiVersion':'1.41'}", "{\"ApiVersion\":\"1.41\",\"Version\":7}",
		"{\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"abc\"}",
		"{\"ApiVersion\":\"1.41\\u0000\"}",
	};
	struct ig_docker_version v;
	struct ig_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ig_err_clear(&err);
		assert_int_equal(ig_docker_parse_version(bad[i], strlen(bad[i]), &v, &err), -1);
		assert_int_equal(err.code, IG_EDOCKER);
	}
	/* A NUL byte inside the text. */
	assert_int_equal(ig_docker_parse_version("{\"ApiVersion\":\"1.41\"}\0", 22, &v, &err), -1);
	assert_int_equal(ig_docker_parse_version(NULL, 0, &v, &err), -1);
}

static void
test_parse_json_depth(void **state)
{
	struct ig_buf b;
	struct ig_docker_version v;
	struct ig_err err;
	int i;

	(void)state;
	ig_buf_init(&b, 1 << 16);
	for (i = 0; i < 5000; i++)
		assert_int_equal(ig_buf_puts(&b, "["), 0);
	for (i = 0; i < 5000; i++)
		assert_int_equal(ig_buf_puts(&b, "]"), 0);
	assert_int_equal(ig_docker_parse_version(b.data, b.len, &v, &err), -1);
	assert_int_equal(err.code, IG_EDOCKER);
	ig_buf_free(&b);
}

static void
test_parse_image(void **state)
{
	const char *b = "{\"Id\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef\",\"RepoTags\":[\"ignite-runtime/node:24\"],\"Size\":123456789,"
	    "\"Config\":{\"User\":\"1000\",\"Labels\":{\"ignite.runtime\":\"node\","
	    "\"ignite.version\":\"24.1.0\"}}}";
	struct ig_docker_image *img = NULL;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_parse_image(b, strlen(b), &img, &err), 0);
	assert_non_null(img);
	assert_int_equal(img->size, 123456789);
	assert_string_equal(img->id, "sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef");
	assert_int_equal(img->nlabels, 2);
	assert_string_equal(ig_docker_image_label(img, "ignite.runtime"), "node");
	assert_string_equal(ig_docker_image_label(img, "ignite.version"), "24.1.0");
	assert_null(ig_docker_image_label(img, "missing"));
	ig_docker_image_free(img);
	ig_docker_image_free(NULL);
}

static void
test_parse_image_no_labels(void **state)
{
	const char *b1 = "{\"Id\":\"sha256:ab\",\"Size\":0,\"Config\":{\"Labels\":null}}";
	const char *b2 = "{\"Id\":\"sha256:ab\",\"Size\":10}";
	struct ig_docker_image *img = NULL;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_parse_image(b1, strlen(b1), &img, &err), 0);
	assert_int_equal(img->nlabels, 0);
	ig_docker_image_free(img);
	assert_int_equal(ig_docker_parse_image(b2, strlen(b2), &img, &err), 0);
	assert_int_equal(img->size, 10);
	ig_docker_image_free(img);
}

static void
test_parse_image_bad(void **state)
{
	static const char *bad[] = {
		"{\"Size\":1}", "{\"Id\":\"\",\"Size\":1}", "{\"Id\":\"x\",\"Size\":-1}",
		"{\"Id\":\"x\",\"Size\":1.5}", "{\"Id\":\"x\",\"Size\":\"1\"}", "{\"Id\":\"x\"}",
		"{\"Id\":\"x\",\"Size\":1,\"Config\":[]}",
		"{\"Id\":\"x\",\"Size\":1,\"Config\":{\"Labels\":[\"a\"]}}",
		"{\"Id\":\"x\",\"Size\":1,\"Config\":{\"Labels\":{\"a\":1}}}",
		"{\"Id\":\"x\",\"Size\":1,\"Config\":{\"Labels\":{\"a\":\"b\\u0000c\"}}}",
		"{\"Id\":\"x\",\"Size\":1,\"Config\":{\"Labels\":{\"\":\"b\"}}}",
		"{\"Id\":\"x\",\"Size\":99999999999999999999}",
	};
	struct ig_docker_image *img = (struct ig_docker_image *)1;
	struct ig_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ig_err_clear(&err);
		assert_int_equal(ig_docker_parse_image(bad[i], strlen(bad[i]), &img, &err), -1);
		assert_null(img);
		assert_int_equal(err.code, IG_EDOCKER);
	}
}

#define ID64 "4a3d9f1c2b7e8a6d5c4b3a29180716253f4e5d6c7b8a99887766554433221100"

static void
test_parse_create(void **state)
{
	const char *b = "{\"Id\":\"" ID64 "\",\"Warnings\":[\"Your kernel does not support "
	    "swap limit capabilities\"]}";
	const char *b2 = "{\"Id\":\"" ID64 "\",\"Warnings\":null}";
	struct ig_docker_strv w;
	struct ig_err err;
	char id[IG_DOCKER_ID_LEN + 1];

	(void)state;
	assert_int_equal(ig_docker_parse_create(b, strlen(b), id, &w, &err), 0);
	assert_string_equal(id, ID64);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "swap limit"));
	ig_docker_strv_free(&w);
	assert_int_equal(w.n, 0);
	assert_int_equal(ig_docker_parse_create(b2, strlen(b2), id, &w, &err), 0);
	assert_int_equal(w.n, 0);
	assert_int_equal(ig_docker_parse_create(b, strlen(b), id, NULL, &err), 0);
}

static void
test_parse_create_bad(void **state)
{
	static const char *bad[] = {
		"{}", "{\"Id\":\"abc\"}", "{\"Id\":\"" ID64 "0\"}",
		"{\"Id\":\"4A3D9F1C2B7E8A6D5C4B3A29180716253F4E5D6C7B8A99887766554433221100\"}",
		"{\"Id\":\"../../../../../../../../../../../../../../../../../../../../../..\"}",
		"{\"Id\":\"" ID64 "\",\"Warnings\":\"x\"}", "{\"Id\":\"" ID64 "\",\"Warnings\":[1]}",
		"{\"Id\":{}}",
	};
	struct ig_docker_strv w;
	struct ig_err err;
	char id[IG_DOCKER_ID_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ig_err_clear(&err);
		assert_int_equal(ig_docker_parse_create(bad[i], strlen(bad[i]), id, &w, &err), -1);
		assert_int_equal(err.code, IG_EDOCKER);
		assert_int_equal(w.n, 0);
		assert_string_equal(id, "");
	}
}

static void
test_parse_wait(void **state)
{
	const char *b1 = "{\"Error\":null,\"StatusCode\":137}";
	const char *b2 = "{\"StatusCode\":0,\"Error\":{\"Message\":\"\"}}";
	const char *b3 = "{\"StatusCode\":0,\"Error\":{\"Message\":\"container removed\"}}";
	struct ig_err err;
	long st = -1;

	(void)state;
	assert_int_equal(ig_docker_parse_wait(b1, strlen(b1), &st, &err), 0);
	assert_int_equal(st, 137);
	assert_int_equal(ig_docker_parse_wait(b2, strlen(b2), &st, &err), 0);
	assert_int_equal(st, 0);
	assert_int_equal(ig_docker_parse_wait(b3, strlen(b3), &st, &err), -1);
	assert_int_equal(err.code, IG_EDOCKER);
	assert_non_null(strstr(err.msg, "container removed"));
	assert_int_equal(ig_docker_parse_wait("{}", 2, &st, &err), -1);
	assert_int_equal(ig_docker_parse_wait("{\"StatusCode\":\"0\"}", 18, &st, &err), -1);
	assert_int_equal(ig_docker_parse_wait("{\"StatusCode\":0,\"Error\":\"x\"}", 28, &st, &err), -1);
	assert_int_equal(ig_docker_parse_wait("{\"StatusCode\":0,\"Error\":{\"Message\":1}}", 38,
	    &st, &err), -1);
}

static const char *state_json =
    "{\"Id\":\"" ID64 "\",\"State\":{\"Status\":\"exited\",\"Running\":false,"
    "\"Paused\":false,\"Restarting\":false,\"OOMKilled\":true,\"Dead\":false,\"Pid\":0,"
    "\"ExitCode\":137,\"Error\":\"\",\"StartedAt\":\"2024-05-01T10:00:00.123456789Z\","
    "\"FinishedAt\":\"2024-05-01T10:00:02.5Z\"},\"Name\":\"/x\"}";

static void
test_parse_state(void **state)
{
	struct ig_docker_state st;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_parse_state(state_json, strlen(state_json), &st, &err), 0);
	assert_string_equal(st.status, "exited");
	assert_false(st.running);
	assert_true(st.oom_killed);
	assert_int_equal(st.exit_code, 137);
	assert_int_equal(st.pid, 0);
	assert_string_equal(st.error, "");
	assert_string_equal(st.started_at, "2024-05-01T10:00:00.123456789Z");
	assert_int_equal(st.started_ns, INT64_C(1714557600123456789));
	assert_int_equal(st.finished_ns - st.started_ns, INT64_C(2376543211));
}

static void
test_parse_state_created(void **state)
{
	const char *b = "{\"State\":{\"Status\":\"created\",\"Running\":false,\"OOMKilled\":false,"
	    "\"Pid\":0,\"ExitCode\":0,\"Error\":\"\",\"StartedAt\":\"0001-01-01T00:00:00Z\","
	    "\"FinishedAt\":\"0001-01-01T00:00:00Z\"}}";
	struct ig_docker_state st;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_parse_state(b, strlen(b), &st, &err), 0);
	assert_string_equal(st.status, "created");
	assert_int_equal(st.started_ns, 0);
	assert_int_equal(st.finished_ns, 0);
}

static void
test_parse_state_bad(void **state)
{
	static const char *bad[] = {
		"{}", "{\"State\":null}", "{\"State\":{\"Status\":\"running\"}}",
		"{\"State\":{\"Status\":\"Running!\",\"ExitCode\":0}}",
		"{\"State\":{\"Status\":\"running\",\"ExitCode\":4294967296}}",
		"{\"State\":{\"Status\":\"running\",\"ExitCode\":0,\"Pid\":-1}}",
		"{\"State\":{\"Status\":\"running\",\"ExitCode\":0,\"Running\":\"yes\"}}",
		"{\"State\":{\"Status\":\"running\",\"ExitCode\":0,\"StartedAt\":\"yesterday\"}}",
		"{\"State\":{\"Status\":\"averyveryverylongstatus\",\"ExitCode\":0}}",
		"{\"State\":{\"Status\":\"\",\"ExitCode\":0}}",
	};
	struct ig_docker_state st;
	struct ig_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ig_err_clear(&err);
		assert_int_equal(ig_docker_parse_state(bad[i], strlen(bad[i]), &st, &err), -1);
		assert_int_equal(err.code, IG_EDOCKER);
	}
}

static void
test_parse_time(void **state)
{
	struct ig_err err;
	int64_t ns;

	(void)state;
	assert_int_equal(ig_docker_parse_time("1970-01-01T00:00:00Z", 20, &ns, &err), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(ig_docker_parse_time("1970-01-01T00:00:01.5Z", 22, &ns, &err), 0);
	assert_int_equal(ns, 1500000000);
	assert_int_equal(ig_docker_parse_time("2000-02-29T12:00:00+02:00", 25, &ns, &err), 0);
	assert_int_equal(ns, INT64_C(951818400) * 1000000000);
	assert_int_equal(ig_docker_parse_time("2000-02-29T12:00:00-01:30", 25, &ns, &err), 0);
	assert_int_equal(ns, (INT64_C(951825600) + 5400) * 1000000000);
	static const char *bad[] = {
		"2001-02-29T00:00:00Z", "2000-13-01T00:00:00Z", "2000-01-01T24:00:00Z",
		"2000-01-01 00:00:00Z", "2000-01-01T00:00:00", "2000-01-01T00:00:00.Z",
		"2000-01-01T00:00:00.1234567891Z", "2000-01-01T00:00:00Zx", "2000-01-01T00:00:00+0100",
		"3000-01-01T00:00:00Z", "2000-1-01T00:00:00Z", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ig_docker_parse_time(bad[i], strlen(bad[i]), &ns, &err), -1);
}

static void
test_parse_changes(void **state)
{
	const char *b = "[{\"Path\":\"/tmp\",\"Kind\":0},{\"Path\":\"/tmp/x\",\"Kind\":1},"
	    "{\"Path\":\"/etc/passwd\",\"Kind\":2}]";
	struct ig_docker_changes ch;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_parse_changes(b, strlen(b), &ch, &err), 0);
	assert_int_equal(ch.n, 3);
	assert_string_equal(ch.v[0].path, "/tmp");
	assert_int_equal(ch.v[0].kind, IG_DOCKER_CHANGE_MODIFIED);
	assert_int_equal(ch.v[1].kind, IG_DOCKER_CHANGE_ADDED);
	assert_string_equal(ch.v[2].path, "/etc/passwd");
	assert_int_equal(ch.v[2].kind, IG_DOCKER_CHANGE_DELETED);
	ig_docker_changes_free(&ch);
	assert_int_equal(ch.n, 0);
	assert_int_equal(ig_docker_parse_changes("null", 4, &ch, &err), 0);
	assert_int_equal(ch.n, 0);
	assert_int_equal(ig_docker_parse_changes("[]", 2, &ch, &err), 0);
	assert_int_equal(ch.n, 0);
}

static void
test_parse_changes_bad(void **state)
{
	static const char *bad[] = {
		"{}", "[1]", "[{\"Path\":\"/x\"}]", "[{\"Path\":\"/x\",\"Kind\":3}]",
		"[{\"Path\":\"/x\",\"Kind\":-1}]", "[{\"Path\":\"\",\"Kind\":1}]",
		"[{\"Path\":\"/a\\u0000b\",\"Kind\":1}]", "[{\"Path\":\"/x\",\"Kind\":1},null]",
		"\"x\"", "12",
	};
	struct ig_docker_changes ch;
	struct ig_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ig_err_clear(&err);
		assert_int_equal(ig_docker_parse_changes(bad[i], strlen(bad[i]), &ch, &err), -1);
		assert_int_equal(err.code, IG_EDOCKER);
		assert_int_equal(ch.n, 0);
		assert_null(ch.v);
	}
}

static void
test_parse_container_list(void **state)
{
	const char *b = "[{\"Id\":\"" ID64 "\",\"Names\":[\"/a\"],\"Labels\":{\"ignite.managed\":"
	    "\"1\"}},{\"Id\":\"" ID64 "\"}]";
	struct ig_docker_strv ids;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_parse_container_list(b, strlen(b), &ids, &err), 0);
	assert_int_equal(ids.n, 2);
	assert_string_equal(ids.v[1], ID64);
	ig_docker_strv_free(&ids);
	assert_int_equal(ig_docker_parse_container_list("[]", 2, &ids, &err), 0);
	assert_int_equal(ids.n, 0);
	assert_int_equal(ig_docker_parse_container_list("null", 4, &ids, &err), -1);
	assert_int_equal(ig_docker_parse_container_list("[{\"Id\":\"x\"}]", 12, &ids, &err), -1);
	assert_int_equal(ig_docker_parse_container_list("[{}]", 4, &ids, &err), -1);
	assert_int_equal(ids.n, 0);
}

static void
test_parse_progress(void **state)
{
	const char *ok = "{\"status\":\"sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef\"}\r\n";
	const char *two = "{\"status\":\"Downloading\",\"progressDetail\":{}}\r\n"
	    "{\"status\":\"sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef\"}";
	const char *bad = "{\"status\":\"x\"}\r\n{\"errorDetail\":{\"message\":\"bad tar\"},"
	    "\"error\":\"bad tar\"}";
	struct ig_err err;
	char id[80];

	(void)state;
	assert_int_equal(ig_docker_parse_progress(ok, strlen(ok), id, sizeof(id), &err), 0);
	assert_string_equal(id, "sha256:0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef");
	assert_int_equal(ig_docker_parse_progress(two, strlen(two), id, sizeof(id), &err), 0);
	assert_int_equal(strncmp(id, "sha256:", 7), 0);
	assert_int_equal(ig_docker_parse_progress(bad, strlen(bad), id, sizeof(id), &err), -1);
	assert_int_equal(err.code, IG_EDOCKER);
	assert_non_null(strstr(err.msg, "bad tar"));
	assert_int_equal(ig_docker_parse_progress("", 0, id, sizeof(id), &err), 0);
	assert_string_equal(id, "");
	assert_int_equal(ig_docker_parse_progress("{\"a\":1", 6, id, sizeof(id), &err), -1);
	assert_int_equal(ig_docker_parse_progress("[1]", 3, id, sizeof(id), &err), -1);
	assert_int_equal(ig_docker_parse_progress("{} 5", 4, id, sizeof(id), &err), -1);
	assert_int_equal(ig_docker_parse_progress("{}{}", 4, id, sizeof(id), &err), -1);
	assert_int_equal(ig_docker_parse_progress("\r\n{}\n\n{}\r\n", 10, id, sizeof(id), &err), 0);
}

/* ------------------------------------------------------------------ */
/* HTTP response head.                                                 */

static void
test_http_head(void **state)
{
	const char *h = "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream"
	    "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
	char buf[256];
	struct ig_err err;
	long long cl;
	size_t hl, n = strlen(h) + 2, i;
	int status;

	(void)state;
	/* Stream bytes right behind the head are not part of it. */
	memcpy(buf, h, strlen(h));
	memcpy(buf + strlen(h), "\x01\x00", 2);
	assert_int_equal(ig_docker_parse_http_head(buf, n, &status, &hl, &cl, &err), 1);
	assert_int_equal(status, 101);
	assert_int_equal(hl, strlen(h));
	assert_int_equal(cl, -1);
	/* Every prefix short of the blank line asks for more. */
	for (i = 0; i < strlen(h); i++)
		assert_int_equal(ig_docker_parse_http_head(h, i, &status, &hl, &cl, &err), 0);
}

static void
test_http_head_error(void **state)
{
	const char *h = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
	    "content-length:  42 \r\nDate: x\r\n\r\n{\"message\":";
	struct ig_err err;
	long long cl;
	size_t hl;
	int status;

	(void)state;
	assert_int_equal(ig_docker_parse_http_head(h, strlen(h), &status, &hl, &cl, &err), 1);
	assert_int_equal(status, 404);
	assert_int_equal(cl, 42);
	assert_string_equal(h + hl, "{\"message\":");
}

static void
test_http_head_bad(void **state)
{
	static const char *bad[] = {
		"HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
		"HTTP/1.1 200 OK\r\n: empty\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\x01" "b\r\n\r\n", "HTTP/1.1 099 X\r\n\r\n",
		"SSH-2.0-OpenSSH\r\n\r\n", "X",
	};
	struct ig_err err;
	long long cl;
	size_t hl, i;
	int status;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ig_err_clear(&err);
		assert_int_equal(ig_docker_parse_http_head(bad[i], strlen(bad[i]), &status, &hl,
		    &cl, &err), -1);
		assert_int_equal(err.code, IG_EDOCKER);
	}
}

static void
test_http_head_too_long(void **state)
{
	struct ig_buf b;
	struct ig_err err;
	long long cl;
	size_t hl;
	int status;

	(void)state;
	ig_buf_init(&b, IG_DOCKER_HEAD_MAX * 2);
	assert_int_equal(ig_buf_puts(&b, "HTTP/1.1 101 UPGRADED\r\n"), 0);
	while (b.len < IG_DOCKER_HEAD_MAX)
		assert_int_equal(ig_buf_puts(&b, "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"), 0);
	assert_int_equal(ig_docker_parse_http_head(b.data, b.len, &status, &hl, &cl, &err), -1);
	assert_int_equal(err.code, IG_EDOCKER);
	ig_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Demultiplexer.                                                      */

struct sink {
	struct ig_buf out[3];
	char order[64];          /* stream of each delivery, collapsed */
	size_t norder;
	size_t calls;
	size_t stop_after;       /* 0: never stop */
};

static void
sink_init(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 3; i++)
		ig_buf_init(&s->out[i], 1 << 20);
}

static void
sink_free(struct sink *s)
{
	for (int i = 0; i < 3; i++)
		ig_buf_free(&s->out[i]);
}

static int
sink_fn(void *arg, int stream, const void *p, size_t n)
{
	struct sink *s = arg;

	assert_true(stream >= 0 && stream <= 2);
	assert_true(n > 0);
	assert_int_equal(ig_buf_append(&s->out[stream], p, n), 0);
	if (s->norder == 0 || s->order[s->norder - 1] != '0' + stream) {
		if (s->norder + 1 < sizeof(s->order))
			s->order[s->norder++] = (char)('0' + stream);
	}
	s->calls++;
	if (s->stop_after != 0 && s->calls >= s->stop_after)
		return 1;
	return 0;
}

/* Appends a frame to b. */
static void
frame(struct ig_buf *b, int stream, const char *payload, size_t n)
{
	unsigned char h[8] = { (unsigned char)stream, 0, 0, 0,
		(unsigned char)(n >> 24), (unsigned char)(n >> 16),
		(unsigned char)(n >> 8), (unsigned char)n };

	assert_int_equal(ig_buf_append(b, h, 8), 0);
	assert_int_equal(ig_buf_append(b, payload, n), 0);
}

/* A stream of several frames on all three streams, an empty frame, and a
 * payload holding bytes that look like a header. */
static void
sample_stream(struct ig_buf *b)
{
	ig_buf_init(b, 4096);
	frame(b, 1, "hello ", 6);
	frame(b, 2, "oops\n", 5);
	frame(b, 1, "", 0);
	frame(b, 1, "world\n", 6);
	frame(b, 0, "echo", 4);
	frame(b, 2, "\x01\x00\x00\x00\x00\x00\x00\x05", 8);
	frame(b, 1, "!", 1);
}

static void
check_sample(const struct sink *s)
{
	assert_int_equal(s->out[1].len, 13);
	assert_memory_equal(s->out[1].data, "hello world\n!", 13);
	assert_int_equal(s->out[2].len, 13);
	assert_memory_equal(s->out[2].data, "oops\n\x01\x00\x00\x00\x00\x00\x00\x05", 13);
	assert_int_equal(s->out[0].len, 4);
	assert_memory_equal(s->out[0].data, "echo", 4);
	assert_int_equal(s->norder, 6);
	assert_memory_equal(s->order, "121021", 6);
}

static void
test_demux_whole(void **state)
{
	struct ig_docker_demux d;
	struct ig_buf b;
	struct sink s;
	struct ig_err err;

	(void)state;
	sample_stream(&b);
	sink_init(&s);
	ig_docker_demux_init(&d);
	assert_true(ig_docker_demux_at_boundary(&d));
	assert_int_equal(ig_docker_demux_feed(&d, b.data, b.len, sink_fn, &s, &err), 0);
	assert_true(ig_docker_demux_at_boundary(&d));
	check_sample(&s);
	sink_free(&s);
	ig_buf_free(&b);
}

/* Every split into two pieces and into three pieces. */
static void
test_demux_every_split(void **state)
{
	struct ig_docker_demux d;
	struct ig_buf b;
	struct sink s;
	struct ig_err err;
	size_t i, j;

	(void)state;
	sample_stream(&b);
	for (i = 0; i <= b.len; i++) {
		for (j = i; j <= b.len; j++) {
			sink_init(&s);
			ig_docker_demux_init(&d);
			assert_int_equal(ig_docker_demux_feed(&d, b.data, i, sink_fn, &s, &err), 0);
			assert_int_equal(ig_docker_demux_feed(&d, b.data + i, j - i, sink_fn, &s,
			    &err), 0);
			assert_int_equal(ig_docker_demux_feed(&d, b.data + j, b.len - j, sink_fn, &s,
			    &err), 0);
			assert_true(ig_docker_demux_at_boundary(&d));
			check_sample(&s);
			sink_free(&s);
		}
	}
	ig_buf_free(&b);
}

static void
test_demux_byte_at_a_time(void **state)
{
	struct ig_docker_demux d;
	struct ig_buf b;
	struct sink s;
	struct ig_err err;
	size_t i;

	(void)state;
	sample_stream(&b);
	sink_init(&s);
	ig_docker_demux_init(&d);
	for (i = 0; i < b.len; i++) {
		assert_int_equal(ig_docker_demux_feed(&d, b.data + i, 1, sink_fn, &s, &err), 0);
		/* Mid-header and mid-payload positions are not boundaries. */
		if (i == 3 || i == 9)
			assert_false(ig_docker_demux_at_boundary(&d));
	}
	check_sample(&s);
	sink_free(&s);
	ig_buf_free(&b);
}

static void
test_demux_empty_frames_only(void **state)
{
	struct ig_docker_demux d;
	struct ig_buf b;
	struct sink s;
	struct ig_err err;

	(void)state;
	ig_buf_init(&b, 256);
	frame(&b, 1, "", 0);
	frame(&b, 2, "", 0);
	sink_init(&s);
	ig_docker_demux_init(&d);
	assert_int_equal(ig_docker_demux_feed(&d, b.data, b.len, sink_fn, &s, &err), 0);
	assert_int_equal(ig_docker_demux_feed(&d, NULL, 0, sink_fn, &s, &err), 0);
	assert_int_equal(s.calls, 0);
	assert_true(ig_docker_demux_at_boundary(&d));
	sink_free(&s);
	ig_buf_free(&b);
}

static void
test_demux_bad_stream_type(void **state)
{
	static const unsigned char types[] = { 3, 4, 0x7f, 0xff };
	struct ig_docker_demux d;
	struct sink s;
	struct ig_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types); i++) {
		unsigned char h[12] = { types[i], 0, 0, 0, 0, 0, 0, 4, 'a', 'b', 'c', 'd' };
		sink_init(&s);
		ig_docker_demux_init(&d);
		assert_int_equal(ig_docker_demux_feed(&d, h, sizeof(h), sink_fn, &s, &err), -1);
		assert_int_equal(err.code, IG_EDOCKER);
		assert_non_null(strstr(err.msg, "corrupt"));
		assert_int_equal(s.calls, 0);
		/* It stays failed: later bytes are not trusted. */
		h[0] = 1;
		assert_int_equal(ig_docker_demux_feed(&d, h, sizeof(h), sink_fn, &s, &err), -1);
		assert_false(ig_docker_demux_at_boundary(&d));
		sink_free(&s);
	}
}

static void
test_demux_bad_stream_after_good(void **state)
{
	struct ig_docker_demux d;
	struct ig_buf b;
	struct sink s;
	struct ig_err err;

	(void)state;
	ig_buf_init(&b, 256);
	frame(&b, 1, "ok", 2);
	frame(&b, 3, "no", 2);
	sink_init(&s);
	ig_docker_demux_init(&d);
	assert_int_equal(ig_docker_demux_feed(&d, b.data, b.len, sink_fn, &s, &err), -1);
	assert_int_equal(s.out[1].len, 2);
	sink_free(&s);
	ig_buf_free(&b);
}

static void
test_demux_nonzero_padding(void **state)
{
	struct ig_docker_demux d;
	struct ig_err err;
	unsigned char h[8] = { 1, 0, 1, 0, 0, 0, 0, 1 };

	(void)state;
	ig_docker_demux_init(&d);
	assert_int_equal(ig_docker_demux_feed(&d, h, sizeof(h), NULL, NULL, &err), -1);
	assert_int_equal(err.code, IG_EDOCKER);
}

static void
test_demux_oversized(void **state)
{
	struct ig_docker_demux d;
	struct sink s;
	struct ig_err err;
	uint32_t over = (uint32_t)IG_DOCKER_FRAME_MAX + 1;
	unsigned char h[8] = { 1, 0, 0, 0, (unsigned char)(over >> 24),
		(unsigned char)(over >> 16), (unsigned char)(over >> 8), (unsigned char)over };
	unsigned char hmax[8] = { 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
	uint32_t max = IG_DOCKER_FRAME_MAX;
	unsigned char hok[8] = { 1, 0, 0, 0, (unsigned char)(max >> 24),
		(unsigned char)(max >> 16), (unsigned char)(max >> 8), (unsigned char)max };
	static char chunk[65536];
	size_t fed = 0;

	(void)state;
	ig_docker_demux_init(&d);
	assert_int_equal(ig_docker_demux_feed(&d, h, sizeof(h), NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "frame of"));
	ig_docker_demux_init(&d);
	assert_int_equal(ig_docker_demux_feed(&d, hmax, sizeof(hmax), NULL, NULL, &err), -1);

	/* A frame of exactly the maximum is streamed through in pieces
	 * without being held anywhere. */
	sink_init(&s);
	ig_buf_free(&s.out[1]);
	ig_buf_init(&s.out[1], IG_DOCKER_FRAME_MAX);
	ig_docker_demux_init(&d);
	assert_int_equal(ig_docker_demux_feed(&d, hok, sizeof(hok), sink_fn, &s, &err), 0);
	memset(chunk, 'x', sizeof(chunk));
	while (fed < max) {
		size_t n = max - fed < sizeof(chunk) ? max - fed : sizeof(chunk);
		assert_false(ig_docker_demux_at_boundary(&d));
		assert_int_equal(ig_docker_demux_feed(&d, chunk, n, sink_fn, &s, &err), 0);
		fed += n;
	}
	assert_true(ig_docker_demux_at_boundary(&d));
	assert_int_equal(s.out[1].len, max);
	sink_free(&s);
}

static void
test_demux_consumer_stops(void **state)
{
	struct ig_docker_demux d;
	struct ig_buf b;
	struct sink s;
	struct ig_err err;

	(void)state;
	sample_stream(&b);
	sink_init(&s);
	s.stop_after = 2;
	ig_docker_demux_init(&d);
	assert_int_equal(ig_docker_demux_feed(&d, b.data, b.len, sink_fn, &s, &err), -1);
	assert_int_equal(err.code, IG_EINTERNAL);
	assert_int_equal(s.calls, 2);
	sink_free(&s);
	ig_buf_free(&b);
}

/* Random bytes in random pieces never crash and never deliver an invalid
 * stream number (a smoke run of what the fuzz target does). */
static void
test_demux_random(void **state)
{
	struct ig_docker_demux d;
	unsigned char buf[512];
	struct sink s;
	struct ig_err err;
	unsigned seed = 12345;
	int round;
	size_t i, off;

	(void)state;
	for (round = 0; round < 2000; round++) {
		for (i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (unsigned char)(seed >> 16);
			/* Bias toward plausible headers. */
			if (i % 8 >= 1 && i % 8 <= 4 && (seed & 0x300))
				buf[i] = 0;
			if (i % 8 == 0 && (seed & 0x400))
				buf[i] = (unsigned char)(seed % 3);
		}
		sink_init(&s);
		ig_docker_demux_init(&d);
		for (off = 0; off < sizeof(buf);) {
			seed = seed * 1103515245u + 12345u;
			size_t n = 1 + (seed >> 16) % 40;
			if (n > sizeof(buf) - off)
				n = sizeof(buf) - off;
			if (ig_docker_demux_feed(&d, buf + off, n, sink_fn, &s, &err) != 0)
				break;
			off += n;
		}
		sink_free(&s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_default),
		cmocka_unit_test(test_endpoint_unix),
		cmocka_unit_test(test_endpoint_unix_relative),
		cmocka_unit_test(test_endpoint_unix_too_long),
		cmocka_unit_test(test_endpoint_tcp),
		cmocka_unit_test(test_endpoint_tcp_ipv6),
		cmocka_unit_test(test_endpoint_tcp_bad_port),
		cmocka_unit_test(test_endpoint_tls),
		cmocka_unit_test(test_endpoint_tls_no_cert_dir),
		cmocka_unit_test(test_endpoint_bad_scheme),
		cmocka_unit_test(test_endpoint_from_env_override),
		cmocka_unit_test(test_client_bad_host),
		cmocka_unit_test(test_client_accessors),
		cmocka_unit_test(test_api_parse),
		cmocka_unit_test(test_api_negotiate),
		cmocka_unit_test(test_api_negotiate_too_old),
		cmocka_unit_test(test_api_negotiate_engine_min_too_new),
		cmocka_unit_test(test_api_negotiate_garbage),
		cmocka_unit_test(test_error_message_json),
		cmocka_unit_test(test_error_message_controls),
		cmocka_unit_test(test_error_message_not_json),
		cmocka_unit_test(test_error_message_truncated_utf8),
		cmocka_unit_test(test_parse_version),
		cmocka_unit_test(test_parse_version_bad),
		cmocka_unit_test(test_parse_json_depth),
		cmocka_unit_test(test_parse_image),
		cmocka_unit_test(test_parse_image_no_labels),
		cmocka_unit_test(test_parse_image_bad),
		cmocka_unit_test(test_parse_create),
		cmocka_unit_test(test_parse_create_bad),
		cmocka_unit_test(test_parse_wait),
		cmocka_unit_test(test_parse_state),
		cmocka_unit_test(test_parse_state_created),
		cmocka_unit_test(test_parse_state_bad),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_parse_changes),
		cmocka_unit_test(test_parse_changes_bad),
		cmocka_unit_test(test_parse_container_list),
		cmocka_unit_test(test_parse_progress),
		cmocka_unit_test(test_http_head),
		cmocka_unit_test(test_http_head_error),
		cmocka_unit_test(test_http_head_bad),
		cmocka_unit_test(test_http_head_too_long),
		cmocka_unit_test(test_demux_whole),
		cmocka_unit_test(test_demux_every_split),
		cmocka_unit_test(test_demux_byte_at_a_time),
		cmocka_unit_test(test_demux_empty_frames_only),
		cmocka_unit_test(test_demux_bad_stream_type),
		cmocka_unit_test(test_demux_bad_stream_after_good),
		cmocka_unit_test(test_demux_nonzero_padding),
		cmocka_unit_test(test_demux_oversized),
		cmocka_unit_test(test_demux_consumer_stops),
		cmocka_unit_test(test_demux_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
