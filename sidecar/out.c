// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "out.h"

/* A non-blocking descriptor for fd's pipe or terminal that does not change the
 * one others may share (the shell's terminal): reopened through /proc. */
static int reopen_nonblocking(int fd)
{
	char path[32];
	int nfd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (nfd < 0)
		return -errno;
	if (dup2(nfd, fd) < 0) {
		close(nfd);
		return -errno;
	}
	close(nfd);
	return 0;
}

int out_init(struct out *o, int fd, size_t cap)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	o->buf = malloc(cap);
	if (!o->buf)
		return -ENOMEM;
	o->cap = cap;
	o->fd = fd;
	if (fstat(fd, &st))
		return 0; /* closed: the first write says so */
	if (S_ISSOCK(st.st_mode))
		o->socket = true;
	else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))
		/* if /proc is not there, a blocking write still works, just blocks */
		reopen_nonblocking(fd);
	/* regular files never make a writer wait */
	return 0;
}

void out_free(struct out *o)
{
	free(o->buf);
	o->buf = NULL;
}

int out_flush_all(struct out *o)
{
	struct pollfd p = { .fd = o->fd, .events = POLLOUT };
	int err;

	while ((err = out_flush(o)) == -EAGAIN)
		poll(&p, 1, 1000);
	return err;
}

int out_flush(struct out *o)
{
	ssize_t n;

	while (!o->err && o->done < o->len) {
		if (o->socket)
			n = send(o->fd, o->buf + o->done, o->len - o->done, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(o->fd, o->buf + o->done, o->len - o->done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			o->err = errno;
			break;
		}
		o->done += n;
	}
	if (o->err)
		o->done = o->len; /* nothing more will go out */
	if (o->done == o->len) {
		o->len = o->done = 0;
	} else if (o->done > o->cap / 2) {
		/* keep the free room at the end */
		memmove(o->buf, o->buf + o->done, o->len - o->done);
		o->len -= o->done;
		o->done = 0;
	}
	if (o->err)
		return -o->err;
	return o->len ? -EAGAIN : 0;
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

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		/* no overlong forms, no UTF-16 surrogates */
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80 ||
		    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

void out_jstr_n(struct out *o, const char *str, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t used = 0, n, cost;

	out_ch(o, '"');
	while (*s) {
		n = utf8_len(s); /* stops at the terminating 0: a 0 is never a continuation */
		if (n == 0)
			cost = 6; /* a byte that is not UTF-8: \ufffd */
		else if (*s == '"' || *s == '\\')
			cost = 2;
		else if (*s < 0x20 || *s == 0x7f)
			cost = 6;
		else
			cost = n;
		if (used + cost > max)
			break; /* whole characters only */
		used += cost;
		if (n == 0) {
			out_mem(o, "\\ufffd", 6);
			s++;
			continue;
		}
		if (cost == 2) {
			out_ch(o, '\\');
			out_ch(o, *s);
		} else if (cost == 6) {
			out_mem(o, "\\u00", 4);
			out_ch(o, hex[*s >> 4]);
			out_ch(o, hex[*s & 15]);
		} else {
			out_mem(o, (const char *)s, n);
		}
		s += n;
	}
	out_ch(o, '"');
}

void out_text(struct out *o, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	while (*s) {
		n = utf8_len(s);
		if (n == 0) {
			out_mem(o, "\xef\xbf\xbd", 3);
			s++;
			continue;
		}
		out_mem(o, (const char *)s, n);
		s += n;
	}
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
