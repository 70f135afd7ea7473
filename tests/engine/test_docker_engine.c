/* test_docker_engine.c — the Docker client against the real, running engine.
 *
 * There is no registry, so the setup compiles a small static probe program
 * (cc -static), packs it into a tar in memory and imports it as an image
 * (POST /images/create?fromSrc=-). Every container carries the labels
 * ignite.managed=1 and ignite.test.run=<this run>, and is removed after each
 * test (and, by label, after the whole group) even when a test fails. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "docker.h"

extern char **environ;

#define PROBE_REPO "ignite-test/docker-probe"

/* The probe: what a container runs in these tests. */
static const char probe_src[] =
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "#include <unistd.h>\n"
    "#include <fcntl.h>\n"
    "#include <sys/stat.h>\n"
    "static void put(int fd, const char *p, size_t n) {\n"
    "  while (n > 0) { ssize_t w = write(fd, p, n); if (w <= 0) _exit(99); p += w; n -= (size_t)w; }\n"
    "}\n"
    "int main(int argc, char **argv) {\n"
    "  const char *m = argc > 1 ? argv[1] : \"\";\n"
    "  if (!strcmp(m, \"echo\")) {\n"
    "    static char buf[1 << 20]; size_t n = 0; ssize_t r; char line[64];\n"
    "    while ((r = read(0, buf + n, sizeof(buf) - n)) > 0) n += (size_t)r;\n"
    "    put(1, \"out:\", 4); put(1, buf, n);\n"
    "    int k = snprintf(line, sizeof(line), \"err:%zu\\n\", n); put(2, line, (size_t)k);\n"
    "    return 7;\n"
    "  }\n"
    "  if (!strcmp(m, \"greet\")) { put(1, \"hi\\n\", 3); put(2, \"there\\n\", 6); return 3; }\n"
    "  if (!strcmp(m, \"sleep\")) { for (;;) pause(); }\n"
    "  if (!strcmp(m, \"flood\") && argc > 2) {\n"
    "    static char chunk[70000]; long total = atol(argv[2]), done = 0; int i = 0;\n"
    "    while (done < total) {\n"
    "      long n = 1 + (i * 7919) % (long)sizeof(chunk); if (n > total - done) n = total - done;\n"
    "      for (long j = 0; j < n; j++) chunk[j] = (char)('a' + (done + j) % 26);\n"
    "      put(i % 3 == 2 ? 2 : 1, chunk, (size_t)n); done += n; i++;\n"
    "    }\n"
    "    return 0;\n"
    "  }\n"
    "  if (!strcmp(m, \"touch\")) {\n"
    "    if (mkdir(\"/made\", 0755) != 0) return 1;\n"
    "    int fd = open(\"/made/file\", O_WRONLY | O_CREAT, 0644); if (fd < 0) return 2;\n"
    "    put(fd, \"x\", 1); close(fd); return 0;\n"
    "  }\n"
    "  return 64;\n"
    "}\n";

static struct {
	struct ig_docker *c;
	char   tmpdir[64];
	char   image[96];           /* repo:tag, "" when the probe is not available */
	char   run_label[64];       /* ignite.test.run=<id> */
	char   run_value[32];
	char  *created[64];         /* containers to remove after the test */
	size_t ncreated;
	char   skip_why[320];
} g;

/* ------------------------------------------------------------------ */
/* Setup: the probe image.                                             */

static int
spawn_wait(char *const argv[])
{
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int
read_file(const char *path, struct ig_buf *b)
{
	char chunk[65536];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((r = read(fd, chunk, sizeof(chunk))) > 0) {
		if (ig_buf_append(b, chunk, (size_t)r) != 0) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	return r < 0 ? -1 : 0;
}

/* Appends a ustar entry for a regular file (mode 0755) to tar. */
static int
tar_add(struct ig_buf *tar, const char *name, const void *data, size_t n)
{
	unsigned char h[512];
	unsigned sum = 0;
	size_t i;
	static const char zeros[512];

	memset(h, 0, sizeof(h));
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", 0755);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011zo", n);
	snprintf((char *)h + 136, 12, "%011llo", (unsigned long long)time(NULL));
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (i = 0; i < sizeof(h); i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	if (ig_buf_append(tar, h, sizeof(h)) != 0 || ig_buf_append(tar, data, n) != 0)
		return -1;
	if (n % 512 != 0 && ig_buf_append(tar, zeros, 512 - n % 512) != 0)
		return -1;
	return 0;
}

static int
build_probe_image(void)
{
	char src[128], bin[128];
	char *argv[] = { "cc", "-static", "-O2", "-w", "-o", bin, src, NULL };
	struct ig_buf exe, tar;
	struct ig_err err;
	char id[80];
	static const char zeros[1024];
	FILE *f;
	int rc = -1;

	ig_buf_init(&exe, 64 * 1024 * 1024);
	ig_buf_init(&tar, 64 * 1024 * 1024);
	snprintf(src, sizeof(src), "%s/probe.c", g.tmpdir);
	snprintf(bin, sizeof(bin), "%s/probe", g.tmpdir);
	if ((f = fopen(src, "w")) == NULL)
		goto out;
	fputs(probe_src, f);
	if (fclose(f) != 0)
		goto out;
	if (spawn_wait(argv) != 0) {
		snprintf(g.skip_why, sizeof(g.skip_why),
		    "no probe image: `cc -static` failed (is libc6-dev's libc.a installed?)");
		goto out;
	}
	if (read_file(bin, &exe) != 0 || tar_add(&tar, "probe", exe.data, exe.len) != 0 ||
	    ig_buf_append(&tar, zeros, sizeof(zeros)) != 0)
		goto out;
	snprintf(g.image, sizeof(g.image), "%s:p%s", PROBE_REPO, g.run_value);
	if (ig_docker_image_import(g.c, tar.data, tar.len, PROBE_REPO, g.image +
	    strlen(PROBE_REPO) + 1, id, sizeof(id), &err) != 0) {
		snprintf(g.skip_why, sizeof(g.skip_why), "no probe image: import failed: %s", err.msg);
		g.image[0] = '\0';
		goto out;
	}
	if (strncmp(id, "sha256:", 7) != 0) {
		snprintf(g.skip_why, sizeof(g.skip_why), "no probe image: import gave no id");
		g.image[0] = '\0';
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		g.image[0] = '\0';
	unlink(src);
	unlink(bin);
	ig_buf_free(&exe);
	ig_buf_free(&tar);
	return rc;
}

static void
remove_run_containers(void)
{
	struct ig_docker_strv ids;
	size_t i;

	if (ig_docker_container_list(g.c, g.run_label, &ids, NULL) == 0) {
		for (i = 0; i < ids.n; i++)
			ig_docker_container_remove(g.c, ids.v[i], NULL);
		ig_docker_strv_free(&ids);
	}
}

static int
group_setup(void **state)
{
	struct ig_err err;

	(void)state;
	memset(&g, 0, sizeof(g));
	snprintf(g.run_value, sizeof(g.run_value), "%ld%ld", (long)getpid(), (long)time(NULL));
	snprintf(g.run_label, sizeof(g.run_label), "ignite.test.run=%s", g.run_value);
	snprintf(g.tmpdir, sizeof(g.tmpdir), "/tmp/ignite-docker-test.XXXXXX");
	if (mkdtemp(g.tmpdir) == NULL)
		return -1;
	if (ig_docker_new(NULL, &g.c, &err) != 0) {
		fprintf(stderr, "docker client: %s\n", err.msg);
		return -1;
	}
	if (ig_docker_ping(g.c, &err) != 0) {
		fprintf(stderr, "the engine tests need a running Docker engine: %s\n", err.msg);
		return -1;
	}
	if (build_probe_image() != 0)
		fprintf(stderr, "# %s\n", g.skip_why);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (g.c != NULL) {
		remove_run_containers();
		if (g.image[0] != '\0')
			ig_docker_image_remove(g.c, g.image, NULL);
	}
	ig_docker_free(g.c);
	g.c = NULL;
	rmdir(g.tmpdir);
	return 0;
}

/* After every test: remove what it created, whatever happened. */
static int
test_teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < g.ncreated; i++) {
		ig_docker_container_remove(g.c, g.created[i], NULL);
		free(g.created[i]);
	}
	g.ncreated = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Helpers.                                                            */

#define NEED_PROBE() do {                                                 \
	if (g.image[0] == '\0') {                                         \
		print_message("skipped: %s\n", g.skip_why);               \
		skip();                                                   \
	}                                                                 \
} while (0)

/* Creates a probe container running argv (NULL-terminated) with stdin
 * open for one attach, labelled for cleanup. extra_label may be NULL. */
static void
create_probe(const char *const *args, const char *name, const char *extra_label,
    char id[IG_DOCKER_ID_LEN + 1])
{
	struct json_object *cfg = json_object_new_object(), *cmd = json_object_new_array();
	struct json_object *labels = json_object_new_object(), *hc = json_object_new_object();
	struct ig_docker_strv warnings;
	struct ig_err err;
	size_t i;

	json_object_object_add(cfg, "Image", json_object_new_string(g.image));
	json_object_array_add(cmd, json_object_new_string("/probe"));
	for (i = 0; args[i] != NULL; i++)
		json_object_array_add(cmd, json_object_new_string(args[i]));
	json_object_object_add(cfg, "Cmd", cmd);
	json_object_object_add(cfg, "AttachStdin", json_object_new_boolean(1));
	json_object_object_add(cfg, "AttachStdout", json_object_new_boolean(1));
	json_object_object_add(cfg, "AttachStderr", json_object_new_boolean(1));
	json_object_object_add(cfg, "OpenStdin", json_object_new_boolean(1));
	json_object_object_add(cfg, "StdinOnce", json_object_new_boolean(1));
	json_object_object_add(cfg, "Tty", json_object_new_boolean(0));
	json_object_object_add(labels, "ignite.managed", json_object_new_string("1"));
	json_object_object_add(labels, "ignite.test.run", json_object_new_string(g.run_value));
	if (extra_label != NULL)
		json_object_object_add(labels, extra_label, json_object_new_string(g.run_value));
	json_object_object_add(cfg, "Labels", labels);
	json_object_object_add(hc, "NetworkMode", json_object_new_string("none"));
	json_object_object_add(cfg, "HostConfig", hc);

	if (ig_docker_container_create(g.c, name, cfg, id, &warnings, &err) != 0) {
		json_object_put(cfg);
		fail_msg("create: %s", err.msg);
	}
	json_object_put(cfg);
	ig_docker_strv_free(&warnings);
	assert_int_equal(strlen(id), IG_DOCKER_ID_LEN);
	assert_true(g.ncreated < sizeof(g.created) / sizeof(g.created[0]));
	g.created[g.ncreated++] = strdup(id);
}

struct collected {
	struct ig_buf out, err;
	size_t frames;
};

static int
collect(void *arg, int stream, const void *p, size_t n)
{
	struct collected *c = arg;

	c->frames++;
	return ig_buf_append(stream == IG_DOCKER_STDERR ? &c->err : &c->out, p, n);
}

static void
collected_init(struct collected *c)
{
	ig_buf_init(&c->out, 16 * 1024 * 1024);
	ig_buf_init(&c->err, 16 * 1024 * 1024);
	c->frames = 0;
}

static void
collected_free(struct collected *c)
{
	ig_buf_free(&c->out);
	ig_buf_free(&c->err);
}

/* Drives an attach session: sends in (then ends stdin when close_stdin),
 * and reads output until the stream ends. Returns the final recv result
 * (IG_DOCKER_IO_EOF) or fails the test at the deadline. */
static void
pump(struct ig_docker_attach *a, const char *in, size_t inlen, bool close_stdin,
    struct collected *col, long timeout_ms)
{
	struct ig_err err;
	size_t off = 0, sent;
	bool closed = false;
	struct timespec ts;
	long long start, now;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	start = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	for (;;) {
		struct pollfd pfd = { .fd = ig_docker_attach_fd(a), .events = POLLIN };

		while (off < inlen) {
			if (ig_docker_attach_send(a, in + off, inlen - off, &sent, &err) != 0)
				fail_msg("send: %s", err.msg);
			if (sent == 0)
				break;
			off += sent;
		}
		if (off == inlen && close_stdin && !closed) {
			if (ig_docker_attach_close_stdin(a, &err) != 0)
				fail_msg("close stdin: %s", err.msg);
			closed = true;
		}
		do {
			r = ig_docker_attach_recv(a, collect, col, &err);
		} while (r == IG_DOCKER_IO_MORE);
		if (r < 0)
			fail_msg("recv: %s", err.msg);
		if (r == IG_DOCKER_IO_EOF)
			return;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (now - start > timeout_ms)
			fail_msg("attach stream did not end within %ld ms", timeout_ms);
		if (off < inlen)
			pfd.events |= POLLOUT;
		poll(&pfd, 1, 100);
	}
}

/* ------------------------------------------------------------------ */
/* Tests.                                                              */

static void
test_ping_and_version(void **state)
{
	struct ig_docker *c = NULL;
	struct ig_docker_version v;
	struct ig_err err;
	int maj, min, i;

	(void)state;
	assert_int_equal(ig_docker_new(NULL, &c, &err), 0);
	assert_null(ig_docker_api_version(c));
	assert_int_equal(ig_docker_ping(c, &err), 0);
	if (ig_docker_negotiate(c, &v, &err) != 0)
		fail_msg("negotiate: %s", err.msg);
	assert_int_equal(ig_docker_api_parse(v.api_version, &maj, &min, &err), 0);
	assert_true(v.version[0] != '\0');
	assert_string_equal(v.negotiated, ig_docker_api_version(c));
	/* min(engine, 1.45), and at least 1.41. */
	{
		char want[16];
		assert_int_equal(ig_docker_api_negotiate(v.api_version, v.min_api_version, want,
		    sizeof(want), &err), 0);
		assert_string_equal(v.negotiated, want);
		assert_int_equal(ig_docker_api_parse(want, &maj, &min, &err), 0);
		assert_true(maj == 1 && min >= 41 && min <= 45);
	}
	/* One kept-alive connection serves many calls. */
	for (i = 0; i < 10; i++)
		assert_int_equal(ig_docker_ping(c, &err), 0);
	assert_int_equal(ig_docker_connections(c), 1);
	ig_docker_free(c);
}

/* The first versioned call negotiates by itself. */
static void
test_lazy_negotiation(void **state)
{
	struct ig_docker *c = NULL;
	struct ig_docker_strv ids;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_new(NULL, &c, &err), 0);
	if (ig_docker_container_list(c, g.run_label, &ids, &err) != 0)
		fail_msg("list: %s", err.msg);
	assert_non_null(ig_docker_api_version(c));
	ig_docker_strv_free(&ids);
	ig_docker_free(c);
}

static void
test_image_inspect_missing(void **state)
{
	struct ig_docker_image *img = (struct ig_docker_image *)1;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_image_inspect(g.c, "ignite-test/no-such-image:never", &img,
	    &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_null(img);
	assert_non_null(strstr(err.msg, "ignite-test/no-such-image:never"));
}

static void
test_image_inspect_probe(void **state)
{
	struct ig_docker_image *img = NULL;
	struct ig_err err;

	(void)state;
	NEED_PROBE();
	if (ig_docker_image_inspect(g.c, g.image, &img, &err) != 0)
		fail_msg("inspect: %s", err.msg);
	assert_true(img->size > 100 * 1024);        /* a static binary */
	assert_int_equal(strncmp(img->id, "sha256:", 7), 0);
	assert_int_equal(img->nlabels, 0);
	ig_docker_image_free(img);
}

static void
test_run_stdin_stdout_stderr(void **state)
{
	static const char *const args[] = { "echo", NULL };
	static const char input[] = "hello, container\nsecond line\n";
	struct ig_docker_attach *a = NULL;
	struct ig_docker_state st;
	struct collected col;
	struct ig_err err;
	char id[IG_DOCKER_ID_LEN + 1], expect_err[32];
	long status = -1;

	(void)state;
	NEED_PROBE();
	collected_init(&col);
	create_probe(args, NULL, NULL, id);
	if (ig_docker_container_inspect(g.c, id, &st, &err) != 0)
		fail_msg("inspect: %s", err.msg);
	assert_string_equal(st.status, "created");
	assert_int_equal(st.started_ns, 0);
	/* Attach before start so nothing is missed. */
	if (ig_docker_attach_open(g.c, id, &a, &err) != 0)
		fail_msg("attach: %s", err.msg);
	assert_true(ig_docker_attach_fd(a) >= 0);
	if (ig_docker_container_start(g.c, id, &err) != 0)
		fail_msg("start: %s", err.msg);
	/* The JSON calls keep working while the attach is open. */
	assert_int_equal(ig_docker_ping(g.c, &err), 0);
	pump(a, input, sizeof(input) - 1, true, &col, 20000);
	/* EOF is sticky. */
	assert_int_equal(ig_docker_attach_recv(a, collect, &col, &err), IG_DOCKER_IO_EOF);
	ig_docker_attach_free(a);

	assert_int_equal(col.out.len, 4 + sizeof(input) - 1);
	assert_memory_equal(col.out.data, "out:", 4);
	assert_memory_equal(col.out.data + 4, input, sizeof(input) - 1);
	snprintf(expect_err, sizeof(expect_err), "err:%zu\n", sizeof(input) - 1);
	assert_int_equal(col.err.len, strlen(expect_err));
	assert_memory_equal(col.err.data, expect_err, strlen(expect_err));

	if (ig_docker_container_wait(g.c, id, IG_DOCKER_WAIT_NOT_RUNNING, 10000, &status,
	    &err) != 0)
		fail_msg("wait: %s", err.msg);
	assert_int_equal(status, 7);
	if (ig_docker_container_inspect(g.c, id, &st, &err) != 0)
		fail_msg("inspect: %s", err.msg);
	assert_string_equal(st.status, "exited");
	assert_false(st.running);
	assert_false(st.oom_killed);
	assert_int_equal(st.exit_code, 7);
	assert_int_equal(st.pid, 0);
	assert_true(st.started_ns > 0);
	assert_true(st.finished_ns >= st.started_ns);

	/* Remove is idempotent; afterwards the container is gone. */
	if (ig_docker_container_remove(g.c, id, &err) != 0)
		fail_msg("remove: %s", err.msg);
	assert_int_equal(ig_docker_container_remove(g.c, id, &err), 0);
	assert_int_equal(ig_docker_container_inspect(g.c, id, &st, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	collected_free(&col);
}

/* Output written at once after start, with stdin never closed. */
static void
test_run_output_without_stdin(void **state)
{
	static const char *const args[] = { "greet", NULL };
	struct ig_docker_attach *a = NULL;
	struct collected col;
	struct ig_err err;
	char id[IG_DOCKER_ID_LEN + 1];
	long status = -1;

	(void)state;
	NEED_PROBE();
	collected_init(&col);
	create_probe(args, NULL, NULL, id);
	if (ig_docker_attach_open(g.c, id, &a, &err) != 0)
		fail_msg("attach: %s", err.msg);
	if (ig_docker_container_start(g.c, id, &err) != 0)
		fail_msg("start: %s", err.msg);
	/* Starting again is not an error. */
	assert_int_equal(ig_docker_container_start(g.c, id, &err), 0);
	pump(a, NULL, 0, false, &col, 20000);
	ig_docker_attach_free(a);
	assert_int_equal(col.out.len, 3);
	assert_memory_equal(col.out.data, "hi\n", 3);
	assert_int_equal(col.err.len, 6);
	assert_memory_equal(col.err.data, "there\n", 6);
	if (ig_docker_container_wait(g.c, id, IG_DOCKER_WAIT_NOT_RUNNING, 10000, &status,
	    &err) != 0)
		fail_msg("wait: %s", err.msg);
	assert_int_equal(status, 3);
	collected_free(&col);
}

/* Megabytes of interleaved stdout/stderr come through byte-exact. */
static void
test_run_large_output(void **state)
{
	static const char *const args[] = { "flood", "3000000", NULL };
	struct ig_docker_attach *a = NULL;
	struct collected col;
	struct ig_err err;
	char id[IG_DOCKER_ID_LEN + 1];
	size_t i, oi = 0, ei = 0;
	long done = 0, total = 3000000;
	int k = 0;

	(void)state;
	NEED_PROBE();
	collected_init(&col);
	create_probe(args, NULL, NULL, id);
	if (ig_docker_attach_open(g.c, id, &a, &err) != 0)
		fail_msg("attach: %s", err.msg);
	if (ig_docker_container_start(g.c, id, &err) != 0)
		fail_msg("start: %s", err.msg);
	pump(a, NULL, 0, true, &col, 60000);
	ig_docker_attach_free(a);
	assert_int_equal(col.out.len + col.err.len, (size_t)total);
	/* Replay the probe's chunking to check every byte and its stream. */
	while (done < total) {
		long n = 1 + (k * 7919) % 70000;
		if (n > total - done)
			n = total - done;
		struct ig_buf *b = k % 3 == 2 ? &col.err : &col.out;
		size_t *pos = k % 3 == 2 ? &ei : &oi;
		for (i = 0; i < (size_t)n; i++) {
			if (b->data[*pos + i] != (char)('a' + (done + (long)i) % 26))
				fail_msg("byte %ld of the output is wrong", done + (long)i);
		}
		*pos += (size_t)n;
		done += n;
		k++;
	}
	assert_true(col.frames > 10);
	collected_free(&col);
}

static void
test_kill(void **state)
{
	static const char *const args[] = { "sleep", NULL };
	struct ig_docker_attach *a = NULL;
	struct ig_docker_state st;
	struct collected col;
	struct ig_err err;
	char id[IG_DOCKER_ID_LEN + 1];
	long status = -1;

	(void)state;
	NEED_PROBE();
	collected_init(&col);
	create_probe(args, NULL, NULL, id);
	if (ig_docker_attach_open(g.c, id, &a, &err) != 0)
		fail_msg("attach: %s", err.msg);
	if (ig_docker_container_start(g.c, id, &err) != 0)
		fail_msg("start: %s", err.msg);
	if (ig_docker_container_inspect(g.c, id, &st, &err) != 0)
		fail_msg("inspect: %s", err.msg);
	assert_string_equal(st.status, "running");
	assert_true(st.running);
	assert_true(st.pid > 0);
	assert_int_equal(ig_docker_container_kill(g.c, id, "SIGKILL", &err), 0);
	pump(a, NULL, 0, false, &col, 20000);        /* the stream ends with the process */
	ig_docker_attach_free(a);
	if (ig_docker_container_wait(g.c, id, IG_DOCKER_WAIT_NOT_RUNNING, 10000, &status,
	    &err) != 0)
		fail_msg("wait: %s", err.msg);
	assert_int_equal(status, 137);
	/* Killing a stopped container is not an error. */
	assert_int_equal(ig_docker_container_kill(g.c, id, NULL, &err), 0);
	if (ig_docker_container_inspect(g.c, id, &st, &err) != 0)
		fail_msg("inspect: %s", err.msg);
	assert_int_equal(st.exit_code, 137);
	assert_false(st.oom_killed);
	collected_free(&col);
}

static void
test_wait_timeout(void **state)
{
	static const char *const args[] = { "sleep", NULL };
	struct ig_err err;
	char id[IG_DOCKER_ID_LEN + 1];
	long status = -1;

	(void)state;
	NEED_PROBE();
	create_probe(args, NULL, NULL, id);
	if (ig_docker_container_start(g.c, id, &err) != 0)
		fail_msg("start: %s", err.msg);
	assert_int_equal(ig_docker_container_wait(g.c, id, IG_DOCKER_WAIT_NOT_RUNNING, 300,
	    &status, &err), -1);
	assert_int_equal(err.code, IG_ETIMEOUT);
	/* The client recovers on a new connection. */
	assert_int_equal(ig_docker_ping(g.c, &err), 0);
	/* Remove kills a running container. */
	if (ig_docker_container_remove(g.c, id, &err) != 0)
		fail_msg("remove: %s", err.msg);
}

static void
test_changes(void **state)
{
	static const char *const args[] = { "touch", NULL };
	struct ig_docker_changes ch;
	struct ig_err err;
	char id[IG_DOCKER_ID_LEN + 1];
	long status = -1;
	bool dir = false, file = false;
	size_t i;

	(void)state;
	NEED_PROBE();
	create_probe(args, NULL, NULL, id);
	if (ig_docker_container_start(g.c, id, &err) != 0)
		fail_msg("start: %s", err.msg);
	if (ig_docker_container_wait(g.c, id, IG_DOCKER_WAIT_NOT_RUNNING, 10000, &status,
	    &err) != 0)
		fail_msg("wait: %s", err.msg);
	assert_int_equal(status, 0);
	if (ig_docker_container_changes(g.c, id, &ch, &err) != 0)
		fail_msg("changes: %s", err.msg);
	for (i = 0; i < ch.n; i++) {
		if (strcmp(ch.v[i].path, "/made") == 0 && ch.v[i].kind == IG_DOCKER_CHANGE_ADDED)
			dir = true;
		if (strcmp(ch.v[i].path, "/made/file") == 0 &&
		    ch.v[i].kind == IG_DOCKER_CHANGE_ADDED)
			file = true;
	}
	ig_docker_changes_free(&ch);
	assert_true(dir);
	assert_true(file);
}

static void
test_named_container(void **state)
{
	static const char *const args[] = { "greet", NULL };
	struct ig_docker_state st;
	struct ig_err err;
	char id[IG_DOCKER_ID_LEN + 1], name[64];

	(void)state;
	NEED_PROBE();
	snprintf(name, sizeof(name), "ignite-test-%s", g.run_value);
	create_probe(args, name, NULL, id);
	/* A name works wherever an id does. */
	if (ig_docker_container_inspect(g.c, name, &st, &err) != 0)
		fail_msg("inspect by name: %s", err.msg);
	assert_string_equal(st.status, "created");
	/* The same name again is refused by the engine. */
	{
		struct json_object *cfg = json_object_new_object();
		char id2[IG_DOCKER_ID_LEN + 1];
		struct json_object *cmd = json_object_new_array();
		json_object_array_add(cmd, json_object_new_string("/probe"));
		json_object_object_add(cfg, "Image", json_object_new_string(g.image));
		json_object_object_add(cfg, "Cmd", cmd);
		assert_int_equal(ig_docker_container_create(g.c, name, cfg, id2, NULL, &err), -1);
		json_object_put(cfg);
		assert_int_equal(err.code, IG_EDOCKER);
		if (strstr(err.msg, "HTTP 409") == NULL)
			fail_msg("unexpected: %s", err.msg);
	}
	/* Renamed (what a warm container taken by a run gets): the new name
	 * finds it, the old one no longer does; bad names never reach the engine. */
	{
		char renamed[80];
		snprintf(renamed, sizeof(renamed), "%s-renamed", name);
		if (ig_docker_container_rename(g.c, id, renamed, &err) != 0)
			fail_msg("rename: %s", err.msg);
		if (ig_docker_container_inspect(g.c, renamed, &st, &err) != 0)
			fail_msg("inspect by the new name: %s", err.msg);
		assert_int_equal(ig_docker_container_inspect(g.c, name, &st, &err), -1);
		assert_int_equal(err.code, IG_ENOENT);
		assert_int_equal(ig_docker_container_rename(g.c, id, "../x", &err), -1);
		assert_int_equal(err.code, IG_EINVAL);
		assert_int_equal(ig_docker_container_rename(g.c, id, "a&b=c", &err), -1);
		assert_int_equal(err.code, IG_EINVAL);
	}
}

static void
test_create_missing_image(void **state)
{
	struct json_object *cfg = json_object_new_object();
	struct ig_err err;
	char id[IG_DOCKER_ID_LEN + 1];

	(void)state;
	json_object_object_add(cfg, "Image", json_object_new_string("ignite-test/no-such-image:x"));
	assert_int_equal(ig_docker_container_create(g.c, NULL, cfg, id, NULL, &err), -1);
	json_object_put(cfg);
	assert_int_equal(err.code, IG_ENOENT);
	assert_string_equal(id, "");
}

static void
test_missing_container(void **state)
{
	const char *id = "ignite-test-no-such-container";
	struct ig_docker_attach *a = NULL;
	struct ig_docker_changes ch;
	struct ig_docker_state st;
	struct ig_err err;
	long status;

	(void)state;
	assert_int_equal(ig_docker_container_inspect(g.c, id, &st, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_non_null(strstr(err.msg, id));
	assert_int_equal(ig_docker_container_start(g.c, id, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_int_equal(ig_docker_container_kill(g.c, id, "SIGTERM", &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_int_equal(ig_docker_container_wait(g.c, id, IG_DOCKER_WAIT_NOT_RUNNING, 5000,
	    &status, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_int_equal(ig_docker_container_changes(g.c, id, &ch, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_int_equal(ig_docker_attach_open(g.c, id, &a, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_null(a);
	assert_int_equal(ig_docker_container_remove(g.c, id, &err), 0);
	/* The client is still fine after all those errors. */
	assert_int_equal(ig_docker_ping(g.c, &err), 0);
}

static void
test_list_by_label(void **state)
{
	static const char *const args[] = { "greet", NULL };
	struct ig_docker_strv ids;
	struct ig_err err;
	char id1[IG_DOCKER_ID_LEN + 1], id2[IG_DOCKER_ID_LEN + 1], label[80];
	bool f1 = false, f2 = false;
	size_t i;

	(void)state;
	NEED_PROBE();
	snprintf(label, sizeof(label), "ignite.test.list=%s", g.run_value);
	if (ig_docker_container_list(g.c, label, &ids, &err) != 0)
		fail_msg("list: %s", err.msg);
	assert_int_equal(ids.n, 0);
	create_probe(args, NULL, "ignite.test.list", id1);
	create_probe(args, NULL, "ignite.test.list", id2);
	if (ig_docker_container_start(g.c, id2, &err) != 0)     /* running and stopped alike */
		fail_msg("start: %s", err.msg);
	if (ig_docker_container_list(g.c, label, &ids, &err) != 0)
		fail_msg("list: %s", err.msg);
	assert_int_equal(ids.n, 2);
	for (i = 0; i < ids.n; i++) {
		f1 |= strcmp(ids.v[i], id1) == 0;
		f2 |= strcmp(ids.v[i], id2) == 0;
	}
	ig_docker_strv_free(&ids);
	assert_true(f1 && f2);
	/* The managed label finds them too (among any others'). */
	if (ig_docker_container_list(g.c, "ignite.managed=1", &ids, &err) != 0)
		fail_msg("list: %s", err.msg);
	f1 = false;
	for (i = 0; i < ids.n; i++)
		f1 |= strcmp(ids.v[i], id1) == 0;
	ig_docker_strv_free(&ids);
	assert_true(f1);
	assert_int_equal(ig_docker_container_remove(g.c, id1, &err), 0);
	assert_int_equal(ig_docker_container_remove(g.c, id2, &err), 0);
	if (ig_docker_container_list(g.c, label, &ids, &err) != 0)
		fail_msg("list: %s", err.msg);
	assert_int_equal(ids.n, 0);
	ig_docker_strv_free(&ids);
}

static void
test_engine_down_unix(void **state)
{
	struct ig_docker_config cfg = { .host = "unix:///nonexistent/ignite/docker.sock" };
	struct ig_docker_image *img = NULL;
	struct ig_docker_attach *a = NULL;
	struct ig_docker *c = NULL;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_new(&cfg, &c, &err), 0);
	assert_int_equal(ig_docker_ping(c, &err), -1);
	assert_int_equal(err.code, IG_EDOCKER_DOWN);
	assert_non_null(strstr(err.msg,
	    "Docker engine not reachable at unix:///nonexistent/ignite/docker.sock"));
	assert_int_equal(ig_docker_image_inspect(c, "x:y", &img, &err), -1);
	assert_int_equal(err.code, IG_EDOCKER_DOWN);
	assert_int_equal(ig_docker_attach_open(c, "abc", &a, &err), -1);
	assert_int_equal(err.code, IG_EDOCKER_DOWN);
	ig_docker_free(c);
}

/* A socket path that exists but nobody listens on: connection refused. */
static void
test_engine_down_refused(void **state)
{
	struct ig_docker_config cfg = { 0 };
	struct ig_docker_endpoint ep;
	struct ig_docker *c = NULL;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_endpoint_parse("tcp://127.0.0.1:1", NULL, NULL, NULL, &ep,
	    &err), 0);
	cfg.endpoint = &ep;
	assert_int_equal(ig_docker_new(&cfg, &c, &err), 0);
	assert_int_equal(ig_docker_ping(c, &err), -1);
	assert_int_equal(err.code, IG_EDOCKER_DOWN);
	assert_non_null(strstr(err.msg, "Docker engine not reachable at tcp://127.0.0.1:1"));
	ig_docker_free(c);
}

static void
test_response_cap(void **state)
{
	struct ig_docker_config cfg = { .response_max = 16 };
	struct ig_docker *c = NULL;
	struct ig_err err;

	(void)state;
	assert_int_equal(ig_docker_new(&cfg, &c, &err), 0);
	assert_int_equal(ig_docker_ping(c, &err), 0);          /* "OK" fits */
	assert_int_equal(ig_docker_negotiate(c, NULL, &err), -1);
	assert_int_equal(err.code, IG_ETOOBIG);
	ig_docker_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ping_and_version, test_teardown),
		cmocka_unit_test_teardown(test_lazy_negotiation, test_teardown),
		cmocka_unit_test_teardown(test_image_inspect_missing, test_teardown),
		cmocka_unit_test_teardown(test_image_inspect_probe, test_teardown),
		cmocka_unit_test_teardown(test_run_stdin_stdout_stderr, test_teardown),
		cmocka_unit_test_teardown(test_run_output_without_stdin, test_teardown),
		cmocka_unit_test_teardown(test_run_large_output, test_teardown),
		cmocka_unit_test_teardown(test_kill, test_teardown),
		cmocka_unit_test_teardown(test_wait_timeout, test_teardown),
		cmocka_unit_test_teardown(test_changes, test_teardown),
		cmocka_unit_test_teardown(test_named_container, test_teardown),
		cmocka_unit_test_teardown(test_create_missing_image, test_teardown),
		cmocka_unit_test_teardown(test_missing_container, test_teardown),
		cmocka_unit_test_teardown(test_list_by_label, test_teardown),
		cmocka_unit_test_teardown(test_engine_down_unix, test_teardown),
		cmocka_unit_test_teardown(test_engine_down_refused, test_teardown),
		cmocka_unit_test_teardown(test_response_cap, test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
