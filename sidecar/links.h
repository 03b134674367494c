/* SPDX-License-Identifier: MIT */
/* Interface removal, from rtnetlink: a bound packet socket reports ENETDOWN
 * once, when its link goes down, and nothing when the link is then deleted. */
#ifndef SW_LINKS_H
#define SW_LINKS_H

/* A non-blocking rtnetlink socket subscribed to link events, or -errno. */
int links_open(void);
/* Reads what is waiting; stores up to max deleted ifindexes; returns how many. */
int links_removed(int fd, int *ifindexes, int max);

#endif
