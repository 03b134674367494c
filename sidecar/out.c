// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "out.h"

int out_init(struct out *o, int fd, size_t cap)
{
	memset(o, 0, sizeof(*o));
	o->buf = malloc(cap);
	if (!o->buf)
		return -ENOMEM;
	o->cap = cap;
	o->fd = fd;
	return 0;
}

void out_free(struct out *o)
{
	free(o->buf);
	o->buf = NULL;
}

int out_flush(struct out *o)
{
	size_t done = 0;
	ssize_t n;

	while (!o->err && done < o->len) {
		n = write(o->fd, o->buf + done, o->len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			o->err = errno;
			break;
		}
		done += n;
	}
	o->len = 0;
	return o->err ? -o->err : 0;
}

int out_room(struct out *o)
{
	if (o->cap - o->len >= OUT_RESERVE)
		return 0;
	return out_flush(o);
}

void out_mem(struct out *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

void out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

void out_u64(struct out *o, uint64_t v)
{
	char tmp[20];
	int i = sizeof(tmp);

	do {
		tmp[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	out_mem(o, tmp + i, sizeof(tmp) - i);
}

void out_jstr(struct out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	/* bounded so one string can never overrun OUT_RESERVE */
	size_t room = OUT_RESERVE / 4 - 16; /* two of these fit in one record with room to spare */

	out_ch(o, '"');
	for (; *s && room > 6; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\') {
			out_ch(o, '\\');
			out_ch(o, c);
			room -= 2;
		} else if (c < 0x20) {
			out_mem(o, "\\u00", 4);
			out_ch(o, hex[c >> 4]);
			out_ch(o, hex[c & 15]);
			room -= 6;
		} else {
			out_ch(o, c);
			room--;
		}
	}
	out_ch(o, '"');
}

void out_ipv4(struct out *o, const uint8_t a[4])
{
	for (int i = 0; i < 4; i++) {
		if (i)
			out_ch(o, '.');
		out_u64(o, a[i]);
	}
}

void out_ipv6(struct out *o, const uint8_t a[16])
{
	char tmp[INET6_ADDRSTRLEN];

	/* rare enough next to IPv4 that libc's RFC 5952 formatting is fine */
	inet_ntop(AF_INET6, a, tmp, sizeof(tmp));
	out_str(o, tmp);
}
