// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "links.h"

int links_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static enum sw_link_state state_of(unsigned int flags)
{
	/* IFF_RUNNING: the kernel's operational state is up (carrier and all) */
	return (flags & IFF_UP) && (flags & IFF_RUNNING) ? SW_LINK_UP : SW_LINK_DOWN;
}

int links_read(int fd, struct sw_link_event *events, int max, bool *lost)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	char name[IF_NAMESIZE];
	struct nlmsghdr *h;
	int found = 0;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == ENOBUFS) {
			*lost = true; /* the queue overflowed; keep reading what is left */
			continue;
		}
		if (n <= 0)
			break;
		int len = n;

		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len) && found < max; h = NLMSG_NEXT(h, len)) {
			struct ifinfomsg *ifi = NLMSG_DATA(h);

			/* AF_BRIDGE messages only say a port joined or left a bridge */
			if (ifi->ifi_family != AF_UNSPEC)
				continue;
			if (h->nlmsg_type == RTM_DELLINK) {
				/* and the name lookup confirms the link itself is gone */
				if (!if_indextoname(ifi->ifi_index, name))
					events[found++] = (struct sw_link_event){ ifi->ifi_index, SW_LINK_GONE };
			} else if (h->nlmsg_type == RTM_NEWLINK) {
				/* a link being deleted goes down first: if it is already
				 * gone, its DELLINK says so, once */
				if (if_indextoname(ifi->ifi_index, name))
					events[found++] = (struct sw_link_event){ ifi->ifi_index, state_of(ifi->ifi_flags) };
			}
		}
		if (found == max) {
			*lost = true; /* more than we can hold: ask again */
			break;
		}
	}
	return found;
}

enum sw_link_state links_state(int ifindex)
{
	char name[IF_NAMESIZE];
	struct ifreq ifr;
	int fd, err;

	if (!if_indextoname(ifindex, name))
		return SW_LINK_GONE;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return SW_LINK_UP; /* cannot tell: assume nothing changed for the worse */
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name)); /* if_indextoname ended it with a 0 */
	err = ioctl(fd, SIOCGIFFLAGS, &ifr) ? errno : 0;
	close(fd);
	if (err)
		return err == ENODEV ? SW_LINK_GONE : SW_LINK_UP;
	return state_of((unsigned short)ifr.ifr_flags);
}

const char *links_state_name(enum sw_link_state state)
{
	switch (state) {
	case SW_LINK_UP: return "up";
	case SW_LINK_DOWN: return "down";
	default: return "gone";
	}
}
