/* SPDX-License-Identifier: MIT */
/* A large stdout buffer with hand-rolled formatting: the per-packet path
 * appends bytes and never calls printf. */
#ifndef SW_OUT_H
#define SW_OUT_H

#include <stddef.h>
#include <stdint.h>

#define OUT_RESERVE 2048 /* room every record fits in (an error record with detail: ~1.1 KiB) */

struct out {
	char *buf;
	size_t len;
	size_t cap;
	int fd;
	int err; /* errno of the first failed write; writes stop after it */
};

int out_init(struct out *o, int fd, size_t cap);
void out_free(struct out *o);
/* Writes everything buffered; returns 0 or -errno. */
int out_flush(struct out *o);
/* Makes sure OUT_RESERVE bytes are free, flushing if needed. */
int out_room(struct out *o);

void out_str(struct out *o, const char *s);
void out_mem(struct out *o, const char *s, size_t n);
void out_u64(struct out *o, uint64_t v);
/* A JSON string with escaping, quotes included. */
void out_jstr(struct out *o, const char *s);
void out_ipv4(struct out *o, const uint8_t a[4]);
void out_ipv6(struct out *o, const uint8_t a[16]);

static inline void out_ch(struct out *o, char c)
{
	o->buf[o->len++] = c;
}

#endif
