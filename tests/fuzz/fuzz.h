/*
 * fuzz.h — shared pieces of Ignite's libFuzzer drivers (tests/fuzz/README.md).
 *
 * Each tests/fuzz/fuzz_<target>.c defines `int fuzz_<target>(data, size)`,
 * which runs one input through the parser(s) it covers and checks the
 * documented properties of the result (FUZZ_CHECK aborts, so a broken
 * property is reported like a crash). libFuzzer's entry point calls it;
 * tests/unit/test_fuzz_regress.c includes the drivers with IG_FUZZ_NO_MAIN
 * defined and replays the corpora and every saved crash through the same
 * functions. Everything else in a driver is static and prefixed with its
 * target name, so that all drivers fit in one translation unit.
 */
#ifndef IG_FUZZ_H
#define IG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The channel key the drivers (and the recorded launcher seeds) use:
 * 64 hex characters, taken as text like the real one. */
#define FUZZ_CHANNEL_KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* What a broken property does: abort, which libFuzzer reports as a crash
 * with the input. The unit test that replays the drivers defines it to
 * fail only the running test. */
#ifndef FUZZ_FAIL
#define FUZZ_FAIL(file, line, what) abort()
#endif

/* A property of a parser's result that must hold for every input. */
#define FUZZ_CHECK(cond) do {                                                   \
	if (!(cond)) {                                                          \
		fprintf(stderr, "%s:%d: fuzz property failed: %s\n",            \
		    __FILE__, __LINE__, #cond);                                 \
		FUZZ_FAIL(__FILE__, __LINE__, #cond);                           \
	}                                                                       \
} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int fuzz_service(const uint8_t *data, size_t size);
int fuzz_policy(const uint8_t *data, size_t size);
int fuzz_lock(const uint8_t *data, size_t size);
int fuzz_yamldoc(const uint8_t *data, size_t size);
int fuzz_config(const uint8_t *data, size_t size);
int fuzz_execute(const uint8_t *data, size_t size);
int fuzz_template(const uint8_t *data, size_t size);
int fuzz_docker(const uint8_t *data, size_t size);
int fuzz_demux(const uint8_t *data, size_t size);
int fuzz_channel(const uint8_t *data, size_t size);
int fuzz_keys(const uint8_t *data, size_t size);
int fuzz_runtime(const uint8_t *data, size_t size);
int fuzz_adhoc(const uint8_t *data, size_t size);

/* A NUL-terminated copy of n bytes (which may hold NULs themselves), or
 * NULL when memory runs out. free() it. */
static inline char *
fuzz_strndup(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		if (n > 0)
			memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* Deterministic piece sizes for feeding a stream in random-size pieces:
 * an xorshift generator seeded from the input's control byte, giving
 * sizes of 1..max. */
struct fuzz_split {
	uint32_t state;
	size_t max;
};

static inline void
fuzz_split_init(struct fuzz_split *s, uint8_t seed, size_t max)
{
	s->state = 0x9e3779b9u ^ ((uint32_t)seed * 0x01000193u);
	if (s->state == 0)
		s->state = 1;
	s->max = max > 0 ? max : 1;
}

static inline size_t
fuzz_split_next(struct fuzz_split *s)
{
	uint32_t x = s->state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	s->state = x;
	return 1 + (size_t)(x % s->max);
}

/* Finds the first NUL in p[0..n): returns its offset, or n. */
static inline size_t
fuzz_part_len(const uint8_t *p, size_t n)
{
	const uint8_t *z = n > 0 ? memchr(p, 0, n) : NULL;

	return z != NULL ? (size_t)(z - p) : n;
}

#endif
