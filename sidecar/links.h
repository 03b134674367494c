/* SPDX-License-Identifier: MIT */
/* Interfaces from rtnetlink: a dump of every link, then each change as it
 * happens. Only messages from the kernel, of a sane length, are believed. A
 * bound packet socket reports ENETDOWN once, when its link goes down, and
 * nothing when it comes back or is deleted: this is how the engine knows. */
#ifndef SW_LINKS_H
#define SW_LINKS_H

#include <stdbool.h>

enum sw_link_state {
	SW_LINK_UP,   /* up with a carrier: packets flow */
	SW_LINK_DOWN, /* administratively down, or no carrier */
	SW_LINK_GONE, /* deleted */
};

struct sw_link_msg {
	unsigned int ifindex;
	const char *name; /* NULL when the message carried none */
	enum sw_link_state state;
	unsigned short type; /* ARPHRD_* */
};

typedef void (*links_cb)(void *ctx, const struct sw_link_msg *m);

/* A non-blocking rtnetlink socket subscribed to link changes, or -errno. */
int links_open(void);
/* Hands every link change waiting on fd to cb, in order. Sets *lost when the
 * kernel dropped messages (ENOBUFS): the caller should dump again. */
int links_read(int fd, links_cb cb, void *ctx, bool *lost);
/* Every link there is now, through cb (a request on a socket of its own). */
int links_dump(links_cb cb, void *ctx);
/* "up", "down" or "gone". */
const char *links_state_name(enum sw_link_state state);

#endif
