/* SPDX-License-Identifier: MIT */
/* Interface state from rtnetlink: a bound packet socket reports ENETDOWN
 * once, when its link goes down, and nothing when it comes back or is deleted. */
#ifndef SW_LINKS_H
#define SW_LINKS_H

#include <stdbool.h>

enum sw_link_state {
	SW_LINK_UP,   /* up with a carrier: packets flow */
	SW_LINK_DOWN, /* administratively down, or no carrier */
	SW_LINK_GONE, /* deleted */
};

struct sw_link_event {
	int ifindex;
	enum sw_link_state state;
};

/* A non-blocking rtnetlink socket subscribed to link events, or -errno. */
int links_open(void);
/* Reads what is waiting; stores up to max events, in order; returns how many.
 * *lost is set when the kernel dropped messages (the socket overflowed): the
 * caller should then ask each interface's state again (links_state). */
int links_read(int fd, struct sw_link_event *events, int max, bool *lost);
/* The state of an interface now. */
enum sw_link_state links_state(int ifindex);
/* "up", "down" or "gone". */
const char *links_state_name(enum sw_link_state state);

#endif
