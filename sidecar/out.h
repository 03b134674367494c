/* SPDX-License-Identifier: MIT */
/* A large output buffer with hand-rolled formatting (the per-packet path never
 * calls printf) and non-blocking flushes: a reader that stops reading makes
 * out_flush() return -EAGAIN, never blocks the engine. */
#ifndef SW_OUT_H
#define SW_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Kept free for control records (ready with 64 interfaces: ~9 KiB; a burst of
 * link records), which are written whenever they happen. */
#define OUT_RESERVE (32 << 10)

struct out {
	char *buf;
	size_t len;  /* bytes buffered */
	size_t done; /* of which already written */
	size_t cap;
	int fd;
	bool socket; /* send(MSG_DONTWAIT): O_NONBLOCK would leak to whoever shares it */
	int err;     /* errno of the first failed write (never EAGAIN); writes stop after it */
};

/* Takes over fd for writing: pipes and terminals are reopened non-blocking
 * (a new open file description, so nobody sharing the old one is affected),
 * sockets are written with MSG_DONTWAIT, files as they are. */
int out_init(struct out *o, int fd, size_t cap);
void out_free(struct out *o);
/* Writes what is buffered: 0 when all is out, -EAGAIN when the reader is
 * slow (the rest stays buffered), or -errno of a write error. */
int out_flush(struct out *o);
/* out_flush, waiting for a slow reader as a blocking write would (a pipe or a
 * FIFO out_init made non-blocking): 0, or -errno once a write failed. For
 * writers with nothing else to do meanwhile (the file reader, capture files);
 * the engine's loop polls instead. */
int out_flush_all(struct out *o);
/* Bytes that can still be appended. */
static inline size_t out_free_space(const struct out *o)
{
	return o->cap - o->len;
}

/* inline: a literal's length is then known when compiling (the per-packet
 * path writes some twenty a record) */
static inline void out_mem(struct out *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static inline void out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

void out_u64(struct out *o, uint64_t v);
/* A JSON string, quotes included: escaped, a byte that is not UTF-8 as U+FFFD,
 * at most `max` bytes between the quotes, never cutting a character in two. */
void out_jstr_n(struct out *o, const char *s, size_t max);
static inline void out_jstr(struct out *o, const char *s)
{
	out_jstr_n(o, s, 1024); /* messages and details: two fit in a record with room to spare */
}
/* Text as it is, each byte that is not UTF-8 as U+FFFD (what a JSON reader of
 * out_jstr_n's string gets back, for the text writer). */
void out_text(struct out *o, const char *s);
void out_ipv4(struct out *o, const uint8_t a[4]);
void out_ipv6(struct out *o, const uint8_t a[16]);

static inline void out_ch(struct out *o, char c)
{
	o->buf[o->len++] = c;
}

#endif
