/* exec.c — the lifecycle of one hardened, single-use container. */
#include "exec.h"
#include "audit.h"
#include "cgroup.h"
#include "channel.h"
#include "docker.h"
#include "fs.h"
#include "jsonin.h"
#include "bounds.h"
#include "policy.h"
#include "pool.h"
#include "reaper.h"
#include "runtime.h"
#include "service.h"
#include "timefmt.h"

#include <errno.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_INTERVAL_MS   20      /* cgroup sampling while the container runs */
#define KILL_GRACE_MS        5000    /* output still drained after a kill */
#define WAIT_EXIT_MS         10000   /* engine's wait after the stream ended */
#define STDIN_SEND_MS        10000   /* delivering the input */

static struct json_object *
jstr(const char *s)
{
	return json_object_new_string(s);
}

static struct json_object *
str_array(const char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_object_array_add(a, jstr(v[i]));
	return a;
}

static void
append_json_strings(struct json_object *dst, struct json_object *src)
{
	size_t i, n;

	if (src == NULL || !json_object_is_type(src, json_type_array))
		return;
	n = json_object_array_length(src);
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(src, i);
		if (json_object_is_type(v, json_type_string))
			json_object_array_add(dst, jstr(json_object_get_string(v)));
	}
}

/* Reads field 22 (start time in clock ticks since boot) of /proc/<pid>/stat.
 * Returns 0 or -1. */
static int
proc_start_time(long pid, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	FILE *fp;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip past the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return -1;
	errno = 0;
	*start = strtoull(p + 1, NULL, 10);
	return errno == 0 ? 0 : -1;
}

/* "<pid>.<start time>": identifies this process across pid reuse, so a
 * sweep can tell a crashed owner's containers from a live one's. */
static int
owner_token(char *buf, size_t len)
{
	unsigned long long st;
	long pid = (long)getpid();

	if (proc_start_time(pid, &st) != 0)
		return -1;
	snprintf(buf, len, "%ld.%llu", pid, st);
	return 0;
}

/* Returns 1 if the owner token names a process that is still alive. */
static int
owner_alive(const char *token)
{
	unsigned long long want, have;
	char *end;
	long pid;

	errno = 0;
	pid = strtol(token, &end, 10);
	if (errno != 0 || end == token || *end != '.' || pid <= 0)
		return 0;
	want = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	return proc_start_time(pid, &have) == 0 && have == want;
}

/* Looks key up in the version's fragment object `which` ("args" or
 * "launcherArgs") first, then the runtime's: a version overrides key by key. */
static struct json_object *
fragment(const struct ig_runtime_resolved *rt, const char *which, const char *key)
{
	struct json_object *obj, *v;

	if (rt->version_json != NULL && json_object_object_get_ex(rt->version_json, which, &obj) &&
	    json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, key, &v))
		return v;
	if (rt->runtime_json != NULL && json_object_object_get_ex(rt->runtime_json, which, &obj) &&
	    json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, key, &v))
		return v;
	return NULL;
}

/* Appends the strings of src, with "{commands}" replaced by commands. */
static int
append_fragment(struct json_object *dst, struct json_object *src, const char *commands)
{
	size_t i, n;

	if (src == NULL || !json_object_is_type(src, json_type_array))
		return 0;
	n = json_object_array_length(src);
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(src, i);
		const char *s, *at;
		char *joined = NULL;

		if (!json_object_is_type(v, json_type_string))
			continue;
		s = json_object_get_string(v);
		if (commands != NULL && (at = strstr(s, "{commands}")) != NULL) {
			if (asprintf(&joined, "%.*s%s%s", (int)(at - s), s, commands,
			    at + strlen("{commands}")) < 0)
				return -1;
			json_object_array_add(dst, jstr(joined));
			free(joined);
		} else {
			json_object_array_add(dst, jstr(s));
		}
	}
	return 0;
}

/* The policy-dependent argv fragment `which` (runtimes/README.md, "The
 * container Cmd"): base, then the network, filesystem and spawn selections.
 * Outside audit mode the permissive selections apply. */
static int
runtime_args(const struct ig_exec_spec *spec, const char *which, struct json_object *dst,
    struct ig_err *err)
{
	const struct ig_policy *p = spec->policy;
	const struct ig_runtime_resolved *rt = spec->rt;
	bool net = !spec->audit || p->network_enabled;
	bool ro = spec->audit && p->fs_read_only;
	bool spawn = !spec->audit || p->allow_spawn;
	bool listed = spawn && spec->audit && p->allowed_commands_n > 0;
	struct ig_buf cmds;
	size_t i;
	int rc = -1;

	ig_buf_init(&cmds, 64 * 1024);
	if (listed) {
		for (i = 0; i < p->allowed_commands_n; i++) {
			if (strchr(p->allowed_commands[i], ',') != NULL ||
			    (i > 0 && ig_buf_puts(&cmds, ",") != 0) ||
			    ig_buf_puts(&cmds, p->allowed_commands[i]) != 0) {
				ig_err_set(err, IG_EINVAL, "policy: process.allowedCommands entries "
				    "must not contain ','");
				goto out;
			}
		}
	}
	if (append_fragment(dst, fragment(rt, which, "base"), NULL) != 0 ||
	    append_fragment(dst, fragment(rt, which, net ? "networkAllowed" : "networkDenied"), NULL) != 0 ||
	    append_fragment(dst, fragment(rt, which, ro ? "fsReadOnly" : "fsWritable"), NULL) != 0 ||
	    append_fragment(dst, fragment(rt, which, !spawn ? "spawnDenied" :
	    listed ? "spawnAllowedCommands" : "spawnAllowed"), listed ? cmds.data : NULL) != 0) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	ig_buf_free(&cmds);
	return rc;
}

/* Environment names a service may not set: they load code or change the
 * runtime before the launcher has taken the key (runtimes/README.md). */
static bool
env_name_reserved(const char *name)
{
	static const char *const exact[] = { "NODE_OPTIONS", "NODE_PATH", "NODE_EXTRA_CA_CERTS",
	    "HOME", "PATH" };
	static const char *const prefix[] = { "LD_", "BUN_", "DENO_", "IGNITE_", "NODE_REPL_" };
	size_t i;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(name, exact[i]) == 0)
			return true;
	for (i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (strncmp(name, prefix[i], strlen(prefix[i])) == 0)
			return true;
	return false;
}

int
ig_exec_container_config(const struct ig_exec_spec *spec, struct json_object **out,
    struct ig_err *err)
{
	struct json_object *c = NULL, *hc, *cmd, *env, *labels, *ul, *mounts, *m, *tmpfs, *v;
	const struct ig_exec_limits *lim = &spec->limits;
	bool ro = spec->audit && spec->policy->fs_read_only;
	bool no_net = spec->audit && !spec->policy->network_enabled;
	char buf[512], *entry_path = NULL;
	long tmpfs_mb, pids = lim->pids > 0 ? lim->pids : IG_PIDS_LIMIT_DEFAULT;
	size_t i;

	if (spec->host_dir == NULL || spec->host_dir[0] != '/' || strchr(spec->host_dir, ',') != NULL) {
		ig_err_set(err, IG_EINVAL, "service directory must be an absolute path without ','");
		return -1;
	}
	if (spec->entry == NULL || !ig_fs_relpath_ok(spec->entry)) {
		ig_err_set(err, IG_EINVAL, "entry must be a relative path inside the service");
		return -1;
	}
	if (lim->memory_mb <= 0 || lim->memory_mb > IG_MEMORY_MB_MAX || lim->cpu <= 0 ||
	    lim->cpu > IG_CPU_LIMIT_MAX || lim->timeout_ms <= 0) {
		ig_err_set(err, IG_EINVAL, "limits out of range");
		return -1;
	}
	if (asprintf(&entry_path, "/app/%s", spec->entry) < 0) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	c = json_object_new_object();
	json_object_object_add(c, "Image", jstr(spec->rt->image));
	/* argv: command[0:argsAt] + runtime flags + command[argsAt:] +
	 * launcher options + the entry. */
	cmd = json_object_new_array();
	json_object_object_add(c, "Cmd", cmd);
	{
		size_t at = spec->rt->command_n > 1 ? 1 : spec->rt->command_n;

		if (spec->rt->runtime_json != NULL &&
		    json_object_object_get_ex(spec->rt->runtime_json, "argsAt", &v) &&
		    json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0 &&
		    (size_t)json_object_get_int64(v) <= spec->rt->command_n)
			at = (size_t)json_object_get_int64(v);
		for (i = 0; i < spec->rt->command_n; i++) {
			if (i == at && runtime_args(spec, "args", cmd, err) != 0)
				goto fail;
			json_object_array_add(cmd, jstr(spec->rt->command[i]));
		}
		if (at == spec->rt->command_n && runtime_args(spec, "args", cmd, err) != 0)
			goto fail;
		if (runtime_args(spec, "launcherArgs", cmd, err) != 0)
			goto fail;
	}
	json_object_array_add(cmd, jstr(entry_path));
	json_object_object_add(c, "Entrypoint", NULL);
	/* Environment: the service's own, plus what the runtime needs. The
	 * host's environment never reaches the container. */
	env = json_object_new_array();
	json_object_object_add(c, "Env", env);
	if (spec->rt->runtime_json != NULL && json_object_object_get_ex(spec->rt->runtime_json, "env", &v))
		append_json_strings(env, v);
	json_object_array_add(env, jstr("HOME=/tmp"));
	for (i = 0; i < spec->env_n; i++) {
		if (env_name_reserved(spec->env[i].name)) {
			ig_err_set(err, IG_EINVAL, "env %s: reserved; a service may not set it",
			    spec->env[i].name);
			goto fail;
		}
		snprintf(buf, sizeof(buf), "%s=", spec->env[i].name);
		{
			struct ig_buf b;
			ig_buf_init(&b, IG_ENV_VALUE_MAX + 256);
			if (ig_buf_puts(&b, buf) != 0 || ig_buf_puts(&b, spec->env[i].value) != 0) {
				ig_buf_free(&b);
				ig_err_set(err, IG_EINVAL, "env %s: value too long", spec->env[i].name);
				goto fail;
			}
			json_object_array_add(env, jstr(b.data));
			ig_buf_free(&b);
		}
	}
	json_object_object_add(c, "User", jstr(IG_CONTAINER_USER));
	json_object_object_add(c, "WorkingDir", jstr("/app"));
	json_object_object_add(c, "AttachStdin", json_object_new_boolean(1));
	json_object_object_add(c, "AttachStdout", json_object_new_boolean(1));
	json_object_object_add(c, "AttachStderr", json_object_new_boolean(1));
	json_object_object_add(c, "OpenStdin", json_object_new_boolean(1));
	json_object_object_add(c, "StdinOnce", json_object_new_boolean(1));
	json_object_object_add(c, "Tty", json_object_new_boolean(0));
	json_object_object_add(c, "NetworkDisabled", json_object_new_boolean(no_net));
	json_object_object_add(c, "StopTimeout", json_object_new_int(1));
	labels = json_object_new_object();
	json_object_object_add(labels, IG_LABEL_MANAGED, jstr("1"));
	json_object_object_add(labels, IG_LABEL_RUN, jstr(spec->run_id ? spec->run_id : "warm"));
	json_object_object_add(labels, IG_LABEL_SERVICE, jstr(spec->service_name ? spec->service_name : ""));
	if (owner_token(buf, sizeof(buf)) == 0)
		json_object_object_add(labels, IG_LABEL_OWNER, jstr(buf));
	json_object_object_add(c, "Labels", labels);

	hc = json_object_new_object();
	json_object_object_add(hc, "Memory", json_object_new_int64((int64_t)lim->memory_mb * 1024 * 1024));
	json_object_object_add(hc, "MemorySwap", json_object_new_int64((int64_t)lim->memory_mb * 1024 * 1024));
	json_object_object_add(hc, "NanoCpus", json_object_new_int64((int64_t)(lim->cpu * 1e9)));
	json_object_object_add(hc, "PidsLimit", json_object_new_int64(pids));
	ul = json_object_new_array();
	{
		static const struct { const char *name; long v; } u[] = {
			{ "nofile", IG_NOFILE_LIMIT },
			{ "nproc", IG_NPROC_LIMIT },
			{ "core", 0 },
		};
		for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "Name", jstr(u[i].name));
			json_object_object_add(o, "Soft", json_object_new_int64(u[i].v));
			json_object_object_add(o, "Hard", json_object_new_int64(u[i].v));
			json_object_array_add(ul, o);
		}
	}
	json_object_object_add(hc, "Ulimits", ul);
	mounts = json_object_new_array();
	m = json_object_new_object();
	json_object_object_add(m, "Type", jstr("bind"));
	json_object_object_add(m, "Source", jstr(spec->host_dir));
	json_object_object_add(m, "Target", jstr("/app"));
	json_object_object_add(m, "ReadOnly", json_object_new_boolean(1));
	json_object_array_add(mounts, m);
	json_object_object_add(hc, "Mounts", mounts);
	json_object_object_add(hc, "NetworkMode", jstr(no_net ? "none" : "bridge"));
	json_object_object_add(hc, "ReadonlyRootfs", json_object_new_boolean(ro));
	/* Capabilities and privilege gain are off in every mode: the service
	 * never needs them, and non-audit runs still carry untrusted code. */
	json_object_object_add(hc, "CapDrop", str_array((const char *const[]){ "ALL" }, 1));
	json_object_object_add(hc, "SecurityOpt",
	    str_array((const char *const[]){ "no-new-privileges" }, 1));
	/* /tmp: small, and (in audit mode) nothing written there can be run. */
	tmpfs_mb = lim->memory_mb / 4;
	if (tmpfs_mb > IG_TMPFS_MAX_MB)
		tmpfs_mb = IG_TMPFS_MAX_MB;
	if (tmpfs_mb < 1)
		tmpfs_mb = 1;
	snprintf(buf, sizeof(buf), "rw,%snosuid,nodev,size=%ldm,nr_inodes=%d,mode=1777",
	    spec->audit ? "noexec," : "", tmpfs_mb, IG_TMPFS_INODES);
	tmpfs = json_object_new_object();
	json_object_object_add(tmpfs, "/tmp", jstr(buf));
	json_object_object_add(hc, "Tmpfs", tmpfs);
	json_object_object_add(hc, "IpcMode", jstr("none"));
	json_object_object_add(hc, "Init", json_object_new_boolean(1));
	json_object_object_add(hc, "Privileged", json_object_new_boolean(0));
	json_object_object_add(hc, "AutoRemove", json_object_new_boolean(0));
	{
		struct json_object *lc = json_object_new_object();
		json_object_object_add(lc, "Type", jstr("none"));
		json_object_object_add(lc, "Config", json_object_new_object());
		json_object_object_add(hc, "LogConfig", lc);
	}
	json_object_object_add(c, "HostConfig", hc);
	free(entry_path);
	*out = c;
	return 0;
fail:
	free(entry_path);
	json_object_put(c);
	return -1;
}

/* Set once at shutdown: every run in progress stops. */
static volatile int cancel_all;

void
ig_exec_cancel_all(void)
{
	cancel_all = 1;
}

/* State of one run while the attach stream is open. */
struct run_io {
	const struct ig_exec_spec *spec;
	struct ig_exec_result *res;
	struct ig_channel *ch;
	size_t max;
	int64_t t0;                 /* input delivered (monotonic ms) */
	int64_t loaded_ms;          /* when the launcher's "loaded" record arrived, or -1 */
};

/* Demultiplexer output: stdout to its buffer, stderr through the launcher
 * channel (records out, text on), both streamed to the caller. */
static int
on_frame(void *arg, int stream, const void *p, size_t n)
{
	struct run_io *io = arg;
	struct ig_exec_result *res = io->res;
	size_t before;

	if (stream == IG_DOCKER_STDERR) {
		before = res->err.len;
		if (!ig_channel_feed(io->ch, p, n, &res->err))
			res->err_truncated = true;
		/* Init time as the host sees it: input delivered → service loaded.
		 * (The launcher's own figure starts at process start, which for a
		 * warm container includes its time waiting in the pool.) */
		if (io->loaded_ms < 0 && io->t0 > 0 && ig_channel_find(io->ch, "loaded") != NULL)
			io->loaded_ms = ig_time_mono_ms() - io->t0;
		if (io->spec->on_output != NULL && res->err.len > before)
			io->spec->on_output(io->spec->output_arg, 2, res->err.data + before,
			    res->err.len - before);
	} else {
		before = res->out.len;
		if (!ig_buf_append_trunc(&res->out, p, n))
			res->out_truncated = true;
		if (io->spec->on_output != NULL && res->out.len > before)
			io->spec->on_output(io->spec->output_arg, 1, res->out.data + before,
			    res->out.len - before);
	}
	return 0;
}

/* The single line the launcher reads from stdin (protocol v1, see
 * runtimes/README.md): key, input, optional stdin text. */
static int
stdin_line(const struct ig_exec_spec *spec, const char *key_hex, struct ig_buf *line,
    struct ig_err *err)
{
	struct json_object *o = json_object_new_object(), *input = NULL;
	const char *text;
	int rc = -1;

	if (o == NULL)
		goto nomem;
	if (spec->input_json != NULL && spec->input_len > 0) {
		if (spec->input_len > IG_INPUT_MAX) {
			ig_err_set(err, IG_ETOOBIG, "input exceeds %d bytes", IG_INPUT_MAX);
			goto out;
		}
		/* Any JSON value, bare scalars included (null, 5, "x"). */
		if (ig_jsonin_parse(spec->input_json, spec->input_len, IG_JSON_MAX_DEPTH, &input, err) != 0) {
			ig_err_prefix(err, "input");
			goto out;
		}
	}
	json_object_object_add(o, "v", json_object_new_int(1));
	json_object_object_add(o, "key", jstr(key_hex));
	json_object_object_add(o, "input", input);
	input = NULL;
	if (spec->stdin_data != NULL && spec->stdin_len > IG_STDIN_MAX) {
		ig_err_set(err, IG_ETOOBIG, "stdin exceeds %d bytes", IG_STDIN_MAX);
		goto out;
	}
	if (spec->stdin_data != NULL)
		json_object_object_add(o, "stdin",
		    json_object_new_string_len(spec->stdin_data, (int)spec->stdin_len));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL)
		goto nomem;
	/* JSON escaping can grow the input: the launcher's own cap is the limit. */
	if (strlen(text) + 1 > IG_LAUNCHER_REQUEST_MAX) {
		ig_err_set(err, IG_ETOOBIG, "input and stdin exceed %d bytes once encoded",
		    IG_LAUNCHER_REQUEST_MAX);
		goto out;
	}
	if (ig_buf_puts(line, text) != 0 || ig_buf_puts(line, "\n") != 0)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	ig_err_set(err, IG_ENOMEM, "out of memory building the input");
out:
	json_object_put(input);
	json_object_put(o);
	return rc;
}

/* Sends all of line on the attach session within STDIN_SEND_MS, then ends
 * stdin. Output that arrives meanwhile is read so the engine never blocks. */
static int
deliver_stdin(struct ig_docker_attach *at, const struct ig_buf *line, struct run_io *io,
    struct ig_err *err)
{
	int64_t deadline = ig_time_mono_ms() + STDIN_SEND_MS;
	size_t off = 0, sent;
	struct pollfd pfd;
	int r;

	while (off < line->len) {
		if (ig_docker_attach_send(at, line->data + off, line->len - off, &sent, err) != 0)
			return -1;
		off += sent;
		if (off == line->len)
			break;
		if (ig_time_mono_ms() >= deadline) {
			ig_err_set(err, IG_ETIMEOUT, "the container did not read its input in time");
			return -1;
		}
		pfd.fd = ig_docker_attach_fd(at);
		pfd.events = POLLOUT | POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 50) < 0 && errno != EINTR) {
			ig_err_sys(err, IG_EIO, "poll");
			return -1;
		}
		if (pfd.revents & POLLIN) {
			do {
				r = ig_docker_attach_recv(at, on_frame, io, err);
			} while (r == IG_DOCKER_IO_MORE);
			if (r < 0)
				return -1;
		}
	}
	return ig_docker_attach_close_stdin(at, err);
}

static void
sample(struct ig_cgroup *cg, struct ig_cgroup_sample *s, int64_t *last)
{
	int64_t now = ig_time_mono_ms();

	if (now - *last < SAMPLE_INTERVAL_MS)
		return;
	*last = now;
	ig_cgroup_sample(cg, s);
}

static int64_t
int_field(struct json_object *o, const char *key, int64_t dflt)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return dflt;
	return json_object_get_int64(v);
}

/* Paths the engine itself creates or mounts in every container (init,
 * name resolution, mount points): not the service's doing. */
static bool
engine_path(const char *path)
{
	static const char *const paths[] = { "/sbin", "/sbin/docker-init", "/etc", "/etc/hosts",
	    "/etc/hostname", "/etc/resolv.conf", "/etc/mtab", "/dev", "/dev/console", "/dev/pts",
	    "/dev/shm", "/dev/mqueue", "/proc", "/sys", "/app", "/tmp", "/.dockerenv" };
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (strcmp(path, paths[i]) == 0)
			return true;
	return false;
}

static bool
launcher_expected(const struct ig_runtime_resolved *rt)
{
	struct json_object *v;

	if (rt->runtime_json != NULL && json_object_object_get_ex(rt->runtime_json, "launcher", &v) &&
	    json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	return true;
}

struct ig_exec_warm {
	char id[IG_DOCKER_ID_LEN + 1];
	struct ig_docker_attach *at;
	struct timespec started;     /* when the container was started */
};

int
ig_exec_start(struct ig_docker *dk, struct json_object *config, const char *name,
    struct ig_exec_warm **out, struct ig_err *err)
{
	struct ig_exec_warm *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	if (ig_docker_container_create(dk, name, config, w->id, NULL, err) != 0) {
		free(w);
		return -1;
	}
	/* Attach before start so no output is missed. */
	if (ig_docker_attach_open(dk, w->id, &w->at, err) != 0)
		goto fail;
	clock_gettime(CLOCK_REALTIME, &w->started);
	if (ig_docker_container_start(dk, w->id, err) != 0)
		goto fail;
	*out = w;
	return 0;
fail:
	ig_exec_warm_discard(dk, w);
	return -1;
}

void
ig_exec_warm_discard(struct ig_docker *dk, struct ig_exec_warm *w)
{
	if (w == NULL)
		return;
	ig_docker_attach_free(w->at);
	ig_docker_container_remove(dk, w->id, NULL);
	free(w);
}

bool
ig_exec_warm_quiet(const struct ig_exec_warm *w)
{
	struct pollfd pfd = { .fd = ig_docker_attach_fd(w->at), .events = POLLIN };

	return poll(&pfd, 1, 0) == 0;
}

const char *
ig_exec_warm_id(const struct ig_exec_warm *w)
{
	return w->id;
}

int
ig_exec_pool_key(const struct ig_exec_spec *spec, char **out, struct ig_err *err)
{
	struct ig_exec_spec s = *spec;
	struct json_object *config = NULL;
	const char *text;

	s.run_id = NULL;
	if (ig_exec_container_config(&s, &config, err) != 0)
		return -1;
	text = json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN);
	*out = text ? strdup(text) : NULL;
	json_object_put(config);
	if (*out == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	return 0;
}

int
ig_exec_run(struct ig_docker *dk, const struct ig_exec_spec *spec,
    struct ig_exec_result *res, struct ig_err *err)
{
	char key_hex[IG_CHANNEL_KEY_LEN + 1], name[80];
	struct json_object *config = NULL, *rec;
	struct ig_exec_warm *w = NULL;
	struct ig_docker_attach *at = NULL;
	struct ig_cgroup *cg = NULL;
	struct ig_cgroup_sample cs;
	struct ig_docker_state state;
	struct ig_audit_facts facts;
	struct ig_buf line;
	struct run_io io;
	struct timespec t_start, t_end;
	int64_t t0 = 0, deadline, last_sample = 0, now;
	bool created = false, eof = false, killed = false;
	long status = -1;
	int rc = -1, r;

	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	res->init_ms = -1;
	res->memory_mb = -1;
	res->cold_start = true;
	ig_buf_init(&res->out, spec->limits.output_max ? spec->limits.output_max : IG_OUTPUT_MAX_DEFAULT);
	ig_buf_init(&res->err, spec->limits.output_max ? spec->limits.output_max : IG_OUTPUT_MAX_DEFAULT);
	ig_buf_init(&line, IG_LAUNCHER_REQUEST_MAX);
	ig_cgroup_sample_init(&cs);
	memset(&io, 0, sizeof(io));
	io.loaded_ms = -1;
	if ((res->audit = ig_audit_new(spec->policy)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	if (ig_channel_keygen(key_hex) != 0) {
		ig_err_sys(err, IG_EIO, "getrandom");
		goto out;
	}
	if ((io.ch = ig_channel_new(key_hex)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	io.spec = spec;
	io.res = res;
	if (stdin_line(spec, key_hex, &line, err) != 0)
		goto out;
	/* A warm container (created and started ahead, its launcher waiting
	 * for input) when the pool has one for exactly this configuration;
	 * otherwise a fresh one. Either way it is used once and removed. */
	if (spec->pool != NULL) {
		char *key = NULL;
		if (ig_exec_pool_key(spec, &key, NULL) == 0)
			w = ig_pool_take(spec->pool, dk, key);
		free(key);
	}
	if (w != NULL) {
		res->cold_start = false;
	} else {
		if (ig_exec_container_config(spec, &config, err) != 0)
			goto out;
		snprintf(name, sizeof(name), "ignite-%s", spec->run_id ? spec->run_id : "run");
		if (ig_exec_start(dk, config, spec->run_id ? name : NULL, &w, err) != 0) {
			if (err != NULL && err->code == IG_ENOENT)
				ig_err_set(err, IG_ENOENT, "runtime image %s is not available (run `make runtimes`)",
				    spec->rt->image);
			goto out;
		}
	}
	memcpy(res->container_id, w->id, sizeof(res->container_id));
	at = w->at;
	t_start = w->started;
	created = true;
	cg = ig_cgroup_open(NULL, res->container_id);
	/* The time limit counts from input delivery. */
	t0 = ig_time_mono_ms();
	io.t0 = t0;
	if (deliver_stdin(at, &line, &io, err) != 0)
		goto out;
	OPENSSL_cleanse(line.data, line.len);
	/* A warm container was made before its run had an id: it takes the
	 * run's name now, while the service loads, so `docker ps` and a sweep
	 * tell whose it is. */
	if (!res->cold_start && spec->run_id != NULL) {
		snprintf(name, sizeof(name), "ignite-%s", spec->run_id);
		ig_docker_container_rename(dk, res->container_id, name, NULL);
	}
	deadline = t0 + spec->limits.timeout_ms;

	while (!eof) {
		struct pollfd pfd = { .fd = ig_docker_attach_fd(at), .events = POLLIN };
		int wait_ms;

		now = ig_time_mono_ms();
		if (!killed && ((spec->cancel != NULL && *spec->cancel) || cancel_all)) {
			res->cancelled = true;
			killed = true;
			ig_docker_container_kill(dk, res->container_id, "SIGKILL", NULL);
			deadline = now + KILL_GRACE_MS;
		}
		if (now >= deadline) {
			if (killed)
				break;      /* the stream did not end after the kill */
			res->timed_out = true;
			killed = true;
			sample(cg, &cs, &last_sample);
			if (ig_docker_container_kill(dk, res->container_id, "SIGKILL", err) != 0 &&
			    err != NULL && err->code == IG_EDOCKER_DOWN)
				goto out;
			deadline = now + KILL_GRACE_MS;
			continue;
		}
		wait_ms = (int)(deadline - now);
		if (wait_ms > SAMPLE_INTERVAL_MS)
			wait_ms = SAMPLE_INTERVAL_MS;
		if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR) {
			ig_err_sys(err, IG_EIO, "poll");
			goto out;
		}
		sample(cg, &cs, &last_sample);
		do {
			r = ig_docker_attach_recv(at, on_frame, &io, err);
		} while (r == IG_DOCKER_IO_MORE);
		if (r < 0)
			goto out;
		if (r == IG_DOCKER_IO_EOF)
			eof = true;
	}
	now = ig_time_mono_ms();
	res->duration_ms = now - t0;
	ig_cgroup_sample(cg, &cs);
	ig_channel_finish(io.ch, &res->err);

	/* The engine ends the attach stream once it has handled the exit, so
	 * the state is usually final already: one inspect. Only a container
	 * still running (the stream broke off, or was cut at the deadline) is
	 * waited for, and killed if it will not stop. */
	if (ig_docker_container_inspect(dk, res->container_id, &state, err) != 0)
		goto out;
	if (state.running) {
		if (ig_docker_container_wait(dk, res->container_id, IG_DOCKER_WAIT_NOT_RUNNING,
		    WAIT_EXIT_MS, &status, err) != 0) {
			if (err != NULL && err->code != IG_ETIMEOUT)
				goto out;
			ig_docker_container_kill(dk, res->container_id, "SIGKILL", NULL);
			ig_docker_container_wait(dk, res->container_id, IG_DOCKER_WAIT_NOT_RUNNING,
			    WAIT_EXIT_MS, &status, NULL);
		}
		if (ig_docker_container_inspect(dk, res->container_id, &state, err) != 0)
			goto out;
	}
	clock_gettime(CLOCK_REALTIME, &t_end);
	res->exit_code = state.exit_code;
	res->oom_killed = state.oom_killed || (cs.oom_kills > 0 && state.exit_code == 137);
	if (state.exit_code > 128 && state.exit_code < 128 + 65)
		res->signal = state.exit_code - 128;
	if (cs.memory_peak >= 0)
		res->memory_mb = (double)cs.memory_peak / (1024.0 * 1024.0);
	/* Killed for memory: the peak was the limit, even if the cgroup
	 * vanished before the last sample saw it. */
	if (res->oom_killed && res->memory_mb < (double)spec->limits.memory_mb)
		res->memory_mb = (double)spec->limits.memory_mb;
	ig_time_iso(&t_start, res->started_at, sizeof(res->started_at));
	ig_time_iso(&t_end, res->finished_at, sizeof(res->finished_at));

	/* Launcher facts: init time, and its own memory figure as a fallback. */
	if (io.loaded_ms >= 0)
		res->init_ms = io.loaded_ms;
	else if (res->cold_start && (rec = ig_channel_find(io.ch, "loaded")) != NULL)
		res->init_ms = int_field(rec, "initMs", -1);
	if (res->memory_mb < 0 && (rec = ig_channel_find_last(io.ch, "exit")) != NULL) {
		struct json_object *mem;
		if (json_object_object_get_ex(rec, "memory", &mem))
			res->memory_mb = (double)int_field(mem, "rss", -1) / (1024.0 * 1024.0);
	}

	/* A writable root filesystem: every change is an engine fact. */
	if (!(spec->audit && spec->policy->fs_read_only)) {
		struct ig_docker_changes chg = { 0 };
		size_t i;
		if (ig_docker_container_changes(dk, res->container_id, &chg, NULL) == 0) {
			for (i = 0; i < chg.n; i++)
				if (!engine_path(chg.v[i].path))
					ig_audit_add_change(res->audit, chg.v[i].path, chg.v[i].kind);
			ig_docker_changes_free(&chg);
		}
	}
	memset(&facts, 0, sizeof(facts));
	facts.audit_mode = spec->audit;
	facts.oom_killed = res->oom_killed;
	facts.timed_out = res->timed_out;
	facts.exit_code = res->exit_code;
	facts.signal = res->cancelled ? 0 : res->signal;
	facts.stdout_truncated = res->out_truncated;
	facts.stderr_truncated = res->err_truncated;
	facts.pids_limit_hits = cs.pids_max_hits;
	facts.pids_limit = spec->limits.pids > 0 ? spec->limits.pids : IG_PIDS_LIMIT_DEFAULT;
	facts.launcher_expected = launcher_expected(spec->rt) && !res->cancelled;
	facts.launcher_exit_seen = ig_channel_saw_exit(io.ch);
	facts.launcher_forged = ig_channel_forged(io.ch);
	ig_audit_add_facts(res->audit, &facts);
	ig_audit_add_launcher_records(res->audit, ig_channel_records(io.ch));
	ig_audit_scan_output(res->audit, res->out.data, res->out.len);
	ig_audit_scan_output(res->audit, res->err.data, res->err.len);
	rc = 0;
out:
	if (rc != 0 && t0 != 0 && res->duration_ms == 0)
		res->duration_ms = ig_time_mono_ms() - t0;
	if (line.data != NULL)
		OPENSSL_cleanse(line.data, line.len);
	ig_buf_free(&line);
	OPENSSL_cleanse(key_hex, sizeof(key_hex));
	ig_cgroup_close(cg);
	if (created) {
		struct ig_err rerr;
		/* Always: whatever happened above, the container goes. */
		ig_docker_attach_free(w->at);
		w->at = NULL;
		/* With a reaper (the daemon) removal happens after the answer and
		 * is retried until it succeeds; otherwise here and now. */
		if (ig_reaper_add(spec->reaper, res->container_id) != 0 &&
		    ig_docker_container_remove(dk, res->container_id, &rerr) != 0 && res->audit != NULL)
			ig_audit_add(res->audit, "engine", "integrity", "remove-failed", res->container_id,
			    false, "the container could not be removed; a sweep will remove it");
		free(w);
		if (!res->cold_start)
			ig_pool_done(spec->pool);
	}
	ig_channel_free(io.ch);
	json_object_put(config);
	return rc;
}

void
ig_exec_result_free(struct ig_exec_result *res)
{
	if (res == NULL)
		return;
	ig_buf_free(&res->out);
	ig_buf_free(&res->err);
	ig_audit_free(res->audit);
	res->audit = NULL;
}

int
ig_exec_sweep(struct ig_docker *dk, bool all, struct ig_err *err)
{
	struct ig_docker_strv ids = { 0 };
	size_t i;
	int removed = 0;

	if (ig_docker_container_list(dk, IG_LABEL_MANAGED "=1", &ids, err) != 0)
		return -1;
	for (i = 0; i < ids.n; i++) {
		char owner[64];

		if (!all && ig_docker_container_label(dk, ids.v[i], IG_LABEL_OWNER, owner,
		    sizeof(owner), NULL) == 0 && owner_alive(owner))
			continue;   /* a live process's run */
		if (ig_docker_container_remove(dk, ids.v[i], NULL) == 0)
			removed++;
	}
	ig_docker_strv_free(&ids);
	return removed;
}
