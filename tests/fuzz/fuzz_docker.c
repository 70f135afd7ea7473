/*
 * fuzz_docker.c — what the Docker engine sends back, through every pure
 * parser of core/docker.h: the ig_docker_parse_* family (version, image,
 * create, wait, state, label, changes, container list, progress, time),
 * ig_docker_parse_http_head, ig_docker_error_message, and the API version
 * parsing and negotiation. Every parser gets the whole input.
 *
 * Properties: results are NUL-terminated within their fields; ids are what
 * the header says; a complete HTTP head is reported complete, with the same
 * values, for exactly the bytes up to its end and for nothing shorter.
 */
#include "fuzz.h"

#include "docker.h"
#include "err.h"

#include <stdbool.h>

#define DOCKER_FIELD_OK(f) FUZZ_CHECK(strnlen((f), sizeof(f)) < sizeof(f))

static bool
docker_lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void
docker_http_head(const char *p, size_t n)
{
	struct ig_err err = { 0 };
	size_t head_len = 0, hl2 = 0;
	long long cl = -2, cl2 = -2;
	int status = 0, st2 = 0, rc;

	rc = ig_docker_parse_http_head(p, n, &status, &head_len, &cl, &err);
	FUZZ_CHECK(rc == 1 || rc == 0 || rc == -1);
	if (rc == 0)
		FUZZ_CHECK(n < IG_DOCKER_HEAD_MAX);
	if (rc != 1)
		return;
	FUZZ_CHECK(status >= 100 && status <= 999);
	FUZZ_CHECK(head_len >= 4 && head_len <= n && head_len <= IG_DOCKER_HEAD_MAX);
	FUZZ_CHECK(memcmp(p + head_len - 4, "\r\n\r\n", 4) == 0);
	FUZZ_CHECK(cl >= -1);
	/* The same head alone: complete, same values. */
	FUZZ_CHECK(ig_docker_parse_http_head(p, head_len, &st2, &hl2, &cl2, &err) == 1);
	FUZZ_CHECK(st2 == status && hl2 == head_len && cl2 == cl);
	/* One byte short: never complete. */
	FUZZ_CHECK(ig_docker_parse_http_head(p, head_len - 1, &st2, &hl2, &cl2, &err) != 1);
}

static void
docker_api(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size < 64 ? size : 64), *nl;
	char neg[16];
	struct ig_err err = { 0 };
	int major = -1, minor = -1;

	FUZZ_CHECK(s != NULL);
	if (ig_docker_api_parse(s, &major, &minor, &err) == 0)
		FUZZ_CHECK(major >= 0 && major <= 999 && minor >= 0 && minor <= 999);
	if (ig_docker_api_negotiate(s, NULL, neg, sizeof(neg), &err) == 0)
		DOCKER_FIELD_OK(neg);
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		if (ig_docker_api_negotiate(s, nl + 1, neg, sizeof(neg), &err) == 0)
			DOCKER_FIELD_OK(neg);
	}
	free(s);
}

int
fuzz_docker(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct ig_err err = { 0 };
	struct ig_docker_version ver;
	struct ig_docker_image *img = NULL;
	struct ig_docker_strv sv = { 0 };
	struct ig_docker_state st;
	struct ig_docker_changes ch = { 0 };
	char id[IG_DOCKER_ID_LEN + 1], label[128], msg[256], small[8], pid[80];
	long status;
	int64_t ns;
	size_t i, n;

	memset(&ver, 0, sizeof(ver));
	if (ig_docker_parse_version(body, size, &ver, &err) == 0) {
		DOCKER_FIELD_OK(ver.version);
		DOCKER_FIELD_OK(ver.api_version);
		DOCKER_FIELD_OK(ver.min_api_version);
		DOCKER_FIELD_OK(ver.os);
		DOCKER_FIELD_OK(ver.arch);
	} else {
		FUZZ_CHECK(err.code != IG_OK);
	}

	if (ig_docker_parse_image(body, size, &img, &err) == 0) {
		FUZZ_CHECK(img != NULL && img->id != NULL);
		FUZZ_CHECK(img->nlabels == 0 || img->labels != NULL);
		for (i = 0; i < img->nlabels; i++)
			FUZZ_CHECK(img->labels[i].key != NULL && img->labels[i].value != NULL);
		ig_docker_image_free(img);
	}

	memset(id, 'X', sizeof(id));
	if (ig_docker_parse_create(body, size, id, &sv, &err) == 0) {
		FUZZ_CHECK(strlen(id) == IG_DOCKER_ID_LEN && docker_lower_hex(id, IG_DOCKER_ID_LEN));
		for (i = 0; i < sv.n; i++)
			FUZZ_CHECK(sv.v[i] != NULL);
	}
	ig_docker_strv_free(&sv);
	if (ig_docker_parse_create(body, size, id, NULL, &err) == 0)
		FUZZ_CHECK(strlen(id) == IG_DOCKER_ID_LEN);

	err.code = IG_OK;
	if (ig_docker_parse_wait(body, size, &status, &err) != 0)
		FUZZ_CHECK(err.code != IG_OK);

	if (ig_docker_parse_state(body, size, &st, &err) == 0) {
		DOCKER_FIELD_OK(st.status);
		DOCKER_FIELD_OK(st.error);
		DOCKER_FIELD_OK(st.started_at);
		DOCKER_FIELD_OK(st.finished_at);
		FUZZ_CHECK(st.started_ns >= 0 && st.finished_ns >= 0);
	}

	if (ig_docker_parse_label(body, size, "ignite.owner", label, sizeof(label), &err) == 0)
		DOCKER_FIELD_OK(label);
	if (ig_docker_parse_label(body, size, "ignite.managed", small, sizeof(small), &err) == 0)
		DOCKER_FIELD_OK(small);

	if (ig_docker_parse_changes(body, size, &ch, &err) == 0) {
		for (i = 0; i < ch.n; i++) {
			FUZZ_CHECK(ch.v[i].path != NULL);
			FUZZ_CHECK(ch.v[i].kind >= 0 && ch.v[i].kind <= 2);
		}
	}
	ig_docker_changes_free(&ch);
	FUZZ_CHECK(ch.v == NULL && ch.n == 0);

	if (ig_docker_parse_container_list(body, size, &sv, &err) == 0)
		for (i = 0; i < sv.n; i++)
			FUZZ_CHECK(sv.v[i] != NULL);
	ig_docker_strv_free(&sv);

	if (ig_docker_parse_progress(body, size, pid, sizeof(pid), &err) == 0)
		DOCKER_FIELD_OK(pid);
	if (ig_docker_parse_progress(body, size, small, sizeof(small), &err) == 0)
		DOCKER_FIELD_OK(small);

	if (ig_docker_parse_time(body, size, &ns, &err) == 0)
		FUZZ_CHECK(ns >= 0);

	n = ig_docker_error_message(body, size, msg, sizeof(msg));
	FUZZ_CHECK(n < sizeof(msg) && strlen(msg) == n);
	n = ig_docker_error_message(body, size, small, sizeof(small));
	FUZZ_CHECK(n < sizeof(small) && strlen(small) == n);
	n = ig_docker_error_message(body, size, small, 1);
	FUZZ_CHECK(n == 0 && small[0] == '\0');
	for (i = 0; i < strlen(msg); i++)
		FUZZ_CHECK((unsigned char)msg[i] >= 0x20 && msg[i] != 0x7f);

	docker_http_head(body, size);
	docker_api(data, size);
	return 0;
}

#ifndef IG_FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_docker(data, size);
}
#endif
