/*
 * reaper.h — removes finished containers off the response path.
 *
 * A run's container has done its job once its output and exit status are
 * known; removing it (20–100 ms of engine time) need not delay the answer.
 * The daemon hands such containers to a reaper: a background thread with its
 * own engine client that removes them in order, and keeps retrying the ones
 * it could not remove (the engine was down, or busy) with a short backoff
 * until they are gone — so a container whose removal failed mid-outage goes
 * as soon as the engine is back, without waiting for the next start-up
 * sweep. ig_reaper_free removes what is still queued before it returns (up
 * to a deadline); whatever is left then carries this process's owner label
 * and the next start-up sweep takes it.
 */
#ifndef IG_REAPER_H
#define IG_REAPER_H

#include <stddef.h>

#include "err.h"

struct ig_docker_endpoint;
struct ig_reaper;

struct ig_reaper_config {
	const struct ig_docker_endpoint *endpoint;   /* for the thread's own client */
	size_t max_queue;             /* containers queued at most; 0: 4096 */
	long   retry_max_ms;          /* longest pause between retries; 0: 5 s */
};

/* Creates the reaper and starts its thread. Returns 0 with *out owned by
 * the caller (ig_reaper_free), or -1 with err. */
int ig_reaper_new(const struct ig_reaper_config *cfg, struct ig_reaper **out,
    struct ig_err *err);

/* Queues the container id for removal. Returns 0, or -1 when the queue is
 * full or id is not a container id: the caller then removes it itself. */
int ig_reaper_add(struct ig_reaper *r, const char *id);

/* Containers queued and not yet removed (for metrics and tests). */
size_t ig_reaper_pending(struct ig_reaper *r);

/* Removes what is still queued, waiting at most drain_ms for the engine,
 * then stops the thread and frees r. NULL-safe. */
void ig_reaper_free(struct ig_reaper *r, long drain_ms);

#endif
