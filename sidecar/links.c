// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
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

static enum sw_link_state state_of(unsigned int flags)
{
	/* IFF_RUNNING: the kernel's operational state is up (carrier and all) */
	return (flags & IFF_UP) && (flags & IFF_RUNNING) ? SW_LINK_UP : SW_LINK_DOWN;
}

/* One link message to cb; false for NLMSG_DONE or an error (end of a dump). */
static bool one_message(const struct nlmsghdr *h, links_cb cb, void *ctx)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct sw_link_msg m = { 0 };
	const struct rtattr *a;
	int alen;

	if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
		return false;
	if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK)
		return true;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return true; /* too short to be what it says */
	/* AF_BRIDGE messages only say a port joined or left a bridge */
	if (ifi->ifi_family != AF_UNSPEC || ifi->ifi_index <= 0)
		return true;
	m.ifindex = ifi->ifi_index;
	m.type = ifi->ifi_type;
	m.state = h->nlmsg_type == RTM_DELLINK ? SW_LINK_GONE : state_of(ifi->ifi_flags);
	alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	for (a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		const char *name = RTA_DATA(a);
		size_t n = RTA_PAYLOAD(a);

		/* a name must end inside its attribute */
		if (a->rta_type == IFLA_IFNAME && n > 0 && n <= IF_NAMESIZE && memchr(name, 0, n))
			m.name = name;
	}
	cb(ctx, &m);
	return true;
}

/* Reads what fd has: from the kernel only (nl_pid 0). Returns 1 when a dump
 * ended, 0 when nothing is left to read, or -errno. */
static int read_messages(int fd, links_cb cb, void *ctx, bool *lost, int flags)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl from;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1 };
	struct nlmsghdr *h;
	ssize_t n;

	for (;;) {
		n = recvmsg(fd, &msg, flags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			*lost = true; /* the queue overflowed; read on, then ask again */
			continue;
		}
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (n == 0)
			return 0;
		if (msg.msg_namelen != sizeof(from) || from.nl_pid != 0 || (msg.msg_flags & MSG_TRUNC))
			continue; /* not the kernel, or cut short: believe none of it */
		int len = n;

		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
			if (!one_message(h, cb, ctx))
				return 1;
	}
}

int links_read(int fd, links_cb cb, void *ctx, bool *lost)
{
	int err = read_messages(fd, cb, ctx, lost, MSG_DONTWAIT);

	return err < 0 ? err : 0;
}

int links_dump(links_cb cb, void *ctx)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	bool lost = false;
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		err = -errno;
	else
		err = read_messages(fd, cb, ctx, &lost, 0); /* blocking: until NLMSG_DONE */
	close(fd);
	if (err >= 0 && lost)
		err = -ENOBUFS;
	return err < 0 ? err : 0;
}

const char *links_state_name(enum sw_link_state state)
{
	switch (state) {
	case SW_LINK_UP: return "up";
	case SW_LINK_DOWN: return "down";
	default: return "gone";
	}
}
