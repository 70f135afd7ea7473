/* support.h — what Ignite's unit tests share: scratch directories under
 * /tmp that are removed with everything in them, and whole-file writes and
 * reads that fail the running test on any error.
 *
 * Include after <cmocka.h>. The Makefile links this file's support.c into
 * every unit and engine test, as it does every file in tests/unit whose
 * name does not start with test_. */
#ifndef IG_TESTS_SUPPORT_H
#define IG_TESTS_SUPPORT_H

#include <stddef.h>
#include <sys/types.h>

/* Makes a fresh directory /tmp/ig-<tag>-XXXXXX and writes its path into
 * dir (size bytes). Returns 0, or -1 with errno set (ENAMETOOLONG when the
 * path does not fit). */
int scratch_make(char *dir, size_t size, const char *tag);

/* Removes path and everything under it, without following symbolic links.
 * Returns 0, or -1 when anything could not be removed. */
int scratch_remove(const char *path);

/* The test program's own scratch directory, as cmocka group fixtures:
 * scratch_setup makes /tmp/ig-<program>-XXXXXX, scratch_teardown removes it
 * with everything in it. Both return 0 or -1; state is not used. */
int scratch_setup(void **state);
int scratch_teardown(void **state);

/* The path of the directory made by scratch_setup ("" before it). */
const char *scratch_dir(void);

/* Makes an empty directory <scratch_dir>/case<N> (N counts up) with mode
 * and returns its path, which stays valid until the next call. Fails the
 * test when it cannot be made. */
const char *scratch_case_dir(mode_t mode);

/* Writes len bytes of data to path (created, or truncated), then sets its
 * mode to exactly mode (the umask does not apply). Fails the test on any
 * error. */
void file_write(const char *path, const void *data, size_t len, mode_t mode);

/* Writes the NUL-terminated text to dir/name with mode 0644; name may hold
 * slashes (its directories must exist). Fails the test on any error. */
void file_write_in(const char *dir, const char *name, const char *text);

/* Reads the whole file at path. Returns its bytes followed by a NUL, owned
 * by the caller (free it); *len, if len is not NULL, gets the size without
 * the NUL. Fails the test when path cannot be read. */
char *file_read(const char *path, size_t *len);

/* As file_read, but returns NULL when path does not exist. */
char *file_read_optional(const char *path, size_t *len);

#endif
