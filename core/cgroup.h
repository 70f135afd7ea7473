/*
 * cgroup.h — reading a running container's resource accounting from the
 * host's cgroup filesystem (v1 cgroupfs, v2 cgroupfs, v2 systemd layouts).
 *
 * These are kernel facts the service cannot influence: peak memory, OOM
 * kills and refused forks at the PIDs limit. A container's cgroup vanishes
 * when it stops, so the execution engine samples while the container runs and
 * keeps the last values it could read.
 */
#ifndef IG_CGROUP_H
#define IG_CGROUP_H

#include <stdint.h>

struct ig_cgroup;

struct ig_cgroup_sample {
	int64_t memory_peak;       /* bytes, -1 when unknown */
	int64_t memory_current;    /* bytes, -1 when unknown */
	long    oom_kills;         /* -1 when unknown */
	long    pids_max_hits;     /* forks refused at the limit, -1 when unknown */
};

/* Finds the cgroup of container id (full 64-hex id) under root (NULL:
 * "/sys/fs/cgroup"). Returns a handle (free with ig_cgroup_close), or NULL
 * when no layout matches (accounting then stays unknown). */
struct ig_cgroup *ig_cgroup_open(const char *root, const char *id);

/* Reads the current values into s, keeping in s what can no longer be read
 * (the cgroup may be gone). Peak values only grow. */
void ig_cgroup_sample(struct ig_cgroup *cg, struct ig_cgroup_sample *s);

/* Initialises s to "unknown". */
void ig_cgroup_sample_init(struct ig_cgroup_sample *s);

/* Closes the handle. NULL-safe. */
void ig_cgroup_close(struct ig_cgroup *cg);

#endif
