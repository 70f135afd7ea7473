/*
 * pool.h — the warm pool: single-use containers created and started ahead of
 * time, each with its runtime booted and its launcher waiting for input.
 *
 * A run asks for a container matching its exact configuration (the pool key,
 * ig_exec_pool_key: image, argv, environment, limits, mounts, hardening). A
 * hit skips container creation and runtime start; a miss takes the cold path
 * at once and tells the pool there is demand for that key, and a background
 * thread refills; keys can also be declared ahead of any request (the
 * daemon declares each service it serves). Containers are never reused: each serves one run and is
 * removed. Entries expire after idle_ms; entries whose image changed (a
 * rebuilt runtime) are dropped; a changed service configuration changes the
 * key, so old entries simply expire. The pool is bounded in total entries.
 * ig_pool_free removes every warm container.
 */
#ifndef IG_POOL_H
#define IG_POOL_H

#include <stddef.h>

#include "err.h"

struct ig_docker;
struct ig_docker_endpoint;
struct ig_exec_warm;
struct ig_pool;

struct ig_pool_config {
	size_t per_key;                 /* warm containers kept per key (> 0) */
	size_t max_total;               /* across keys; 0: per_key × 8 */
	long   idle_ms;                 /* an unused entry or key expires after this; 0: 5 min */
	const struct ig_docker_endpoint *endpoint;   /* for the refill thread's own client */
};

/* Creates the pool and starts its refill thread. Returns 0 with *out owned
 * by the caller (ig_pool_free), or -1 with err. */
int ig_pool_new(const struct ig_pool_config *cfg, struct ig_pool **out, struct ig_err *err);

/* Takes a warm container for key, or returns NULL (and records the demand
 * so the pool fills up for next time). dk (the caller's client) is used to
 * check the container is still alive. The caller owns the result. */
struct ig_exec_warm *ig_pool_take(struct ig_pool *p, struct ig_docker *dk, const char *key);

/* Declares demand for key ahead of any request (a service the daemon
 * serves, at start-up or reload): the pool keeps it filled and the key does
 * not expire for lack of requests until ig_pool_unpin_all. Returns 0, or -1
 * when the pool already tracks as many keys as it can. */
int ig_pool_declare(struct ig_pool *p, const char *key);

/* Lets every declared key expire like any other once unused (before a
 * reload declares the current set again). */
void ig_pool_unpin_all(struct ig_pool *p);

/* Tells the pool the run of a container it handed out has ended: refilling,
 * held back while that run needs the CPU (at most a second), may go on.
 * NULL-safe. */
void ig_pool_done(struct ig_pool *p);

/* Number of warm containers ready now (for metrics and tests). */
size_t ig_pool_ready(struct ig_pool *p);

/* Stops the refill thread and removes every warm container. NULL-safe. */
void ig_pool_free(struct ig_pool *p);

#endif
