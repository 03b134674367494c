// SPDX-License-Identifier: MIT
#include <errno.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
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

int links_removed(int fd, int *ifindexes, int max)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	char name[IF_NAMESIZE];
	struct nlmsghdr *h;
	int found = 0;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		int len = n;

		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			struct ifinfomsg *ifi = NLMSG_DATA(h);

			/* AF_BRIDGE DELLINKs only say a port left a bridge; and
			 * the name lookup confirms the link itself is gone */
			if (h->nlmsg_type == RTM_DELLINK && ifi->ifi_family == AF_UNSPEC && found < max &&
			    !if_indextoname(ifi->ifi_index, name))
				ifindexes[found++] = ifi->ifi_index;
		}
	}
	return found;
}
