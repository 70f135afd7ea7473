/* cgroup.c — container resource accounting from /sys/fs/cgroup. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ig_cgroup {
	int mem_dir;      /* memory controller directory (v1) or the unified one (v2) */
	int pids_dir;
	int v2;
};

static int
open_dir(const char *path)
{
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

struct ig_cgroup *
ig_cgroup_open(const char *root, const char *id)
{
	char p[512];
	struct ig_cgroup *cg;
	size_t i;

	if (root == NULL)
		root = "/sys/fs/cgroup";
	if (id == NULL || strlen(id) != 64)
		return NULL;
	for (i = 0; i < 64; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return NULL;
	if ((cg = calloc(1, sizeof(*cg))) == NULL)
		return NULL;
	cg->mem_dir = cg->pids_dir = -1;
	/* v1, cgroupfs driver. */
	snprintf(p, sizeof(p), "%s/memory/docker/%s", root, id);
	if ((cg->mem_dir = open_dir(p)) >= 0) {
		snprintf(p, sizeof(p), "%s/pids/docker/%s", root, id);
		cg->pids_dir = open_dir(p);
		return cg;
	}
	/* v1, systemd driver. */
	snprintf(p, sizeof(p), "%s/memory/system.slice/docker-%s.scope", root, id);
	if ((cg->mem_dir = open_dir(p)) >= 0) {
		snprintf(p, sizeof(p), "%s/pids/system.slice/docker-%s.scope", root, id);
		cg->pids_dir = open_dir(p);
		return cg;
	}
	/* v2, cgroupfs or systemd driver. */
	cg->v2 = 1;
	snprintf(p, sizeof(p), "%s/docker/%s", root, id);
	if ((cg->mem_dir = open_dir(p)) < 0) {
		snprintf(p, sizeof(p), "%s/system.slice/docker-%s.scope", root, id);
		cg->mem_dir = open_dir(p);
	}
	if (cg->mem_dir < 0) {
		free(cg);
		return NULL;
	}
	cg->pids_dir = dup(cg->mem_dir);
	return cg;
}

/* Reads a small file beneath dirfd into buf. Returns bytes read or -1. */
static ssize_t
read_small(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (dirfd < 0 || (fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static int
parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* Finds "key N" in a flat-keyed file's text. */
static int
keyed(const char *text, const char *key, int64_t *out)
{
	size_t kl = strlen(key);
	const char *p = text;

	while (p != NULL && *p) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return parse_i64(p + kl + 1, out);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

void
ig_cgroup_sample_init(struct ig_cgroup_sample *s)
{
	s->memory_peak = -1;
	s->memory_current = -1;
	s->oom_kills = -1;
	s->pids_max_hits = -1;
}

void
ig_cgroup_sample(struct ig_cgroup *cg, struct ig_cgroup_sample *s)
{
	char buf[4096];
	int64_t v;

	if (cg == NULL)
		return;
	if (read_small(cg->mem_dir, cg->v2 ? "memory.peak" : "memory.max_usage_in_bytes",
	    buf, sizeof(buf)) > 0 && parse_i64(buf, &v) == 0 && v > s->memory_peak)
		s->memory_peak = v;
	if (read_small(cg->mem_dir, cg->v2 ? "memory.current" : "memory.usage_in_bytes",
	    buf, sizeof(buf)) > 0 && parse_i64(buf, &v) == 0) {
		s->memory_current = v;
		if (v > s->memory_peak)
			s->memory_peak = v;
	}
	if (read_small(cg->mem_dir, cg->v2 ? "memory.events" : "memory.oom_control",
	    buf, sizeof(buf)) > 0 && keyed(buf, "oom_kill", &v) == 0 && v > s->oom_kills)
		s->oom_kills = (long)v;
	if (read_small(cg->pids_dir, "pids.events", buf, sizeof(buf)) > 0 &&
	    keyed(buf, "max", &v) == 0 && v > s->pids_max_hits)
		s->pids_max_hits = (long)v;
}

void
ig_cgroup_close(struct ig_cgroup *cg)
{
	if (cg == NULL)
		return;
	if (cg->mem_dir >= 0)
		close(cg->mem_dir);
	if (cg->pids_dir >= 0)
		close(cg->pids_dir);
	free(cg);
}
