/* audit.c — collecting security events and summarising them. */
#include "audit.h"
#include "policy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct counts {
	long net, net_blocked, fs_reads, fs_writes, fs_blocked, spawns, spawn_blocked;
};

struct ig_audit {
	struct json_object *policy;
	struct json_object *events;
	size_t dropped;
	long by_engine, by_launcher, by_output;
	struct counts c;            /* engine + launcher evidence only */
	bool limit_killed;          /* OOM, timeout or signal from a limit */
	bool channel_lost;
	bool forged;
	bool audit_mode;
};

struct ig_audit *
ig_audit_new(const struct ig_policy *policy)
{
	struct ig_audit *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->policy = policy ? ig_policy_to_json(policy) : json_object_new_object();
	a->events = json_object_new_array();
	if (a->policy == NULL || a->events == NULL) {
		ig_audit_free(a);
		return NULL;
	}
	a->audit_mode = true;
	return a;
}

void
ig_audit_free(struct ig_audit *a)
{
	if (a == NULL)
		return;
	json_object_put(a->policy);
	json_object_put(a->events);
	free(a);
}

static bool
is_write(const char *action)
{
	return strcmp(action, "read") != 0 && strcmp(action, "stat") != 0 &&
	    strcmp(action, "list") != 0;
}

void
ig_audit_add(struct ig_audit *a, const char *source, const char *type,
    const char *action, const char *target, bool allowed, const char *details)
{
	struct json_object *ev;
	bool evidence = strcmp(source, "output") != 0;

	if (strcmp(source, "engine") == 0)
		a->by_engine++;
	else if (strcmp(source, "launcher") == 0)
		a->by_launcher++;
	else
		a->by_output++;
	if (evidence) {
		if (strcmp(type, "network") == 0) {
			a->c.net++;
			a->c.net_blocked += !allowed;
		} else if (strcmp(type, "filesystem") == 0) {
			if (is_write(action))
				a->c.fs_writes++;
			else
				a->c.fs_reads++;
			a->c.fs_blocked += !allowed;
		} else if (strcmp(type, "process") == 0 && strcmp(action, "spawn") == 0) {
			a->c.spawns++;
			a->c.spawn_blocked += !allowed;
		}
	}
	if (json_object_array_length(a->events) >= IG_AUDIT_EVENTS_MAX) {
		a->dropped++;
		return;
	}
	if ((ev = json_object_new_object()) == NULL) {
		a->dropped++;
		return;
	}
	json_object_object_add(ev, "type", json_object_new_string(type));
	json_object_object_add(ev, "action", json_object_new_string(action));
	if (target != NULL)
		json_object_object_add(ev, "target", json_object_new_string(target));
	json_object_object_add(ev, "allowed", json_object_new_boolean(allowed));
	if (details != NULL)
		json_object_object_add(ev, "details", json_object_new_string(details));
	json_object_object_add(ev, "source", json_object_new_string(source));
	json_object_array_add(a->events, ev);
}

static const char *
str_field(struct json_object *o, const char *key, size_t max)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	return strlen(s) <= max ? s : NULL;
}

void
ig_audit_add_launcher_records(struct ig_audit *a, struct json_object *records)
{
	static const char *const types[] = { "network", "filesystem", "process" };
	size_t i, j, n = json_object_array_length(records);

	for (i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(records, i), *allowed;
		const char *t = str_field(r, "t", 16), *type = str_field(r, "type", 32);
		const char *action = str_field(r, "action", 64);
		bool known = false;

		if (t == NULL || strcmp(t, "event") != 0 || type == NULL || action == NULL)
			continue;
		for (j = 0; j < sizeof(types) / sizeof(types[0]); j++)
			known = known || strcmp(type, types[j]) == 0;
		if (!known)
			continue;
		ig_audit_add(a, "launcher", type, action, str_field(r, "target", 1024),
		    json_object_object_get_ex(r, "allowed", &allowed) && json_object_get_boolean(allowed),
		    str_field(r, "details", 1024));
	}
}

void
ig_audit_add_facts(struct ig_audit *a, const struct ig_audit_facts *f)
{
	char msg[160];

	a->audit_mode = f->audit_mode;
	if (f->oom_killed) {
		ig_audit_add(a, "engine", "resource", "oom-kill", "memory", false,
		    "the kernel killed the service for exceeding its memory limit");
		a->limit_killed = true;
	}
	if (f->timed_out) {
		ig_audit_add(a, "engine", "resource", "timeout-kill", "time", false,
		    "the service was killed at its time limit");
		a->limit_killed = true;
	}
	if (f->signal > 0 && !f->oom_killed && !f->timed_out) {
		snprintf(msg, sizeof(msg), "the main process ended by signal %d", f->signal);
		ig_audit_add(a, "engine", "process", "signal", NULL, true, msg);
	}
	if (f->pids_limit_hits > 0) {
		snprintf(msg, sizeof(msg), "process creation refused %ld times at the limit of %ld",
		    f->pids_limit_hits, f->pids_limit);
		ig_audit_add(a, "engine", "resource", "pids-limit", "pids", false, msg);
		a->limit_killed = true;
	}
	if (f->stdout_truncated)
		ig_audit_add(a, "engine", "output", "truncate", "stdout", false,
		    "stdout exceeded the output limit; the rest was dropped");
	if (f->stderr_truncated)
		ig_audit_add(a, "engine", "output", "truncate", "stderr", false,
		    "stderr exceeded the output limit; the rest was dropped");
	if (f->launcher_forged > 0) {
		snprintf(msg, sizeof(msg), "%zu launcher-like record(s) failed verification",
		    f->launcher_forged);
		ig_audit_add(a, "engine", "integrity", "forged-record", "launcher-channel", false, msg);
		a->forged = true;
	}
	/* A run killed by a limit may not reach its exit hook; that is not a
	 * lost channel. Otherwise a missing exit record means the service
	 * disturbed the launcher. */
	if (f->launcher_expected && !f->launcher_exit_seen && !f->oom_killed && !f->timed_out) {
		ig_audit_add(a, "engine", "integrity", "channel-lost", "launcher-channel", false,
		    "the launcher's exit record never arrived; events may be missing");
		a->channel_lost = true;
	}
}

void
ig_audit_add_change(struct ig_audit *a, const char *path, int kind)
{
	static const char *const kinds[] = { "modify", "create", "delete" };

	ig_audit_add(a, "engine", "filesystem", kind >= 0 && kind <= 2 ? kinds[kind] : "modify",
	    path, true, "changed in the container's writable root filesystem");
}

/* Weak hints: what a blocked attempt usually prints. */
static const struct {
	const char *needle, *type, *action, *details;
} hints[] = {
	{ "EAI_AGAIN",              "network",    "dns",     "output mentions a failed DNS lookup" },
	{ "ENOTFOUND",              "network",    "dns",     "output mentions a failed DNS lookup" },
	{ "ENETUNREACH",            "network",    "connect", "output mentions an unreachable network" },
	{ "ECONNREFUSED",           "network",    "connect", "output mentions a refused connection" },
	{ "EROFS",                  "filesystem", "write",   "output mentions a read-only filesystem" },
	{ "read-only file system",  "filesystem", "write",   "output mentions a read-only filesystem" },
	{ "Read-only file system",  "filesystem", "write",   "output mentions a read-only filesystem" },
	{ "ERR_ACCESS_DENIED",      "process",    "permission-denied", "output mentions a permission-model denial (file or process)" },
	{ "NotCapable",             "process",    "permission-denied", "output mentions a permission denial" },
	{ "PermissionDenied",       "process",    "permission-denied", "output mentions a permission denial" },
};

void
ig_audit_scan_output(struct ig_audit *a, const char *text, size_t len)
{
	size_t i;

	if (text == NULL || len == 0)
		return;
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (memmem(text, len, hints[i].needle, strlen(hints[i].needle)) != NULL)
			ig_audit_add(a, "output", hints[i].type, hints[i].action, hints[i].needle,
			    false, hints[i].details);
}

struct json_object *
ig_audit_to_json(const struct ig_audit *a)
{
	struct json_object *o = json_object_new_object(), *s = json_object_new_object();
	struct json_object *src = json_object_new_object();
	const char *status;
	bool blocked = a->c.net_blocked || a->c.fs_blocked || a->c.spawn_blocked;

	if (o == NULL || s == NULL || src == NULL) {
		json_object_put(o);
		json_object_put(s);
		json_object_put(src);
		return NULL;
	}
	if (a->channel_lost || a->forged)
		status = "unknown";
	else if (blocked || a->limit_killed)
		status = "violations";
	else
		status = "clean";
	json_object_object_add(o, "policy", json_object_get(a->policy));
	json_object_object_add(o, "auditMode", json_object_new_boolean(a->audit_mode));
	json_object_object_add(o, "events", json_object_get(a->events));
	json_object_object_add(s, "networkAttempts", json_object_new_int64(a->c.net));
	json_object_object_add(s, "networkBlocked", json_object_new_int64(a->c.net_blocked));
	json_object_object_add(s, "filesystemReads", json_object_new_int64(a->c.fs_reads));
	json_object_object_add(s, "filesystemWrites", json_object_new_int64(a->c.fs_writes));
	json_object_object_add(s, "filesystemBlocked", json_object_new_int64(a->c.fs_blocked));
	json_object_object_add(s, "processSpawns", json_object_new_int64(a->c.spawns));
	json_object_object_add(s, "processBlocked", json_object_new_int64(a->c.spawn_blocked));
	json_object_object_add(s, "overallStatus", json_object_new_string(status));
	json_object_object_add(src, "engine", json_object_new_int64(a->by_engine));
	json_object_object_add(src, "launcher", json_object_new_int64(a->by_launcher));
	json_object_object_add(src, "output", json_object_new_int64(a->by_output));
	json_object_object_add(s, "bySource", src);
	json_object_object_add(s, "launcherChannel", json_object_new_string(
	    a->forged ? "forged" : a->channel_lost ? "lost" : "ok"));
	json_object_object_add(s, "eventsDropped", json_object_new_int64((int64_t)a->dropped));
	json_object_object_add(o, "summary", s);
	return o;
}
