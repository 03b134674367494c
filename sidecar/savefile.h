/* SPDX-License-Identifier: MIT */
/*
 * Where a capture file's bytes go (-w): stdout, or files named and rotated as
 * tcpdump's -w, -C, -G and -W do (docs/pcap.md). Files are opened after the
 * capabilities are given up, as the user who ran us, so the first file and a
 * rotation an hour later open the same way.
 */
#ifndef SW_SAVEFILE_H
#define SW_SAVEFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "out.h"

enum savefile_due { SAVEFILE_SAME, SAVEFILE_NEXT, SAVEFILE_END };

struct savefile {
	const char *pattern;           /* -w */
	unsigned long long limit;      /* -C, in bytes; 0: none */
	unsigned long seconds;         /* -G; 0: none */
	unsigned long count;           /* -W; 0: none */
	int width;                     /* digits of the -C number (tcpdump: from -W) */
	unsigned long c_count, g_count;
	time_t g_time;                 /* when the current -G period began */
	char name[PATH_MAX + 1];       /* the current file */
	struct out file;               /* the current file's buffer (not with stdout) */
	struct out *out;               /* where bytes go: the file's, or the engine's stdout */
	uint64_t size;                 /* bytes in the current file, buffered ones too */
	unsigned long files;           /* files opened so far */
};

/* Sets f up and opens the first file (or takes stdout for '-'); -errno, with a
 * sentence in why. */
int savefile_open(struct savefile *f, const char *pattern, unsigned long long limit, unsigned long seconds,
		  unsigned long count, struct out *std_out, char *why, size_t size);
/* Before a record: whether it goes to a new file (tcpdump: -G, then -C), or
 * nowhere (-G -W without -C: the last file is done). */
enum savefile_due savefile_due(struct savefile *f);
/* Closes the current file and opens the next; -errno with a sentence. */
int savefile_next(struct savefile *f, char *why, size_t size);
/* Room for n more bytes in the buffer (a file is written out to make it);
 * returns where to put them, or NULL on a write error (f->out->err). */
uint8_t *savefile_reserve(struct savefile *f, size_t n);
/* The n bytes written at what savefile_reserve returned. */
static inline void savefile_commit(struct savefile *f, size_t n)
{
	f->out->len += n;
	f->size += n;
}
/* Writes out a file's buffer: 0, or -errno (stdout: the engine flushes it). */
int savefile_flush(struct savefile *f);
/* Flushes and closes the current file; -errno of the first failure. */
int savefile_close(struct savefile *f);

#endif
