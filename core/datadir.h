/*
 * datadir.h — finding Ignite's data files (runtimes/, templates/, …).
 */
#ifndef IG_DATADIR_H
#define IG_DATADIR_H

#include <stddef.h>

/* Finds the data file rel (e.g. "runtimes/runtimes.json") and writes its path
 * into out. Looks, in order, in: override (if non-NULL), the source tree the
 * running binary was built in (up to three levels above <exe>'s directory), an installed tree
 * (<exe>/../share/ignite/), and the compiled-in IG_DATADIR. Returns 0, or -1
 * when none exists (out then holds the compiled-in candidate, for messages). */
int ig_datadir_locate(const char *override, const char *rel, char *out, size_t outlen);

#endif
