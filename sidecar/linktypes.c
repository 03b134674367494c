// SPDX-License-Identifier: MIT
/*
 * A packet socket sees a frame from its link-layer header when the device has
 * one (Ethernet, and loopback on Linux) and from its IP header when it has
 * none (tun, ipip, sit, WireGuard): libpcap compiles a filter differently for
 * each (DLT_EN10MB, DLT_RAW), so the kernel program picks by device. Capturing
 * on every interface, it looks the packet's ifindex up in the linktypes map,
 * which holds only the devices that are not Ethernet.
 */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "linktypes.h"
#include "sockwatch.skel.h"

#ifndef ARPHRD_RAWIP
#define ARPHRD_RAWIP 519
#endif

unsigned int linktype_of_arphrd(unsigned short type)
{
	switch (type) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:
		return SW_LINKTYPE_ETHER;
	case ARPHRD_NONE:     /* tun, WireGuard */
	case ARPHRD_TUNNEL:   /* ipip */
	case ARPHRD_TUNNEL6:  /* ip6tnl */
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:    /* point-to-point gre */
	case ARPHRD_RAWIP:
	case ARPHRD_PPP:
		return SW_LINKTYPE_RAW;
	default:
		return SW_LINKTYPE_NONE;
	}
}

unsigned int linktype_of_ifindex(unsigned int ifindex)
{
	struct ifreq ifr = { 0 };
	unsigned int type = SW_LINKTYPE_NONE;
	int fd;

	if (!if_indextoname(ifindex, ifr.ifr_name))
		return type;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return type;
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr))
		type = linktype_of_arphrd(ifr.ifr_hwaddr.sa_family);
	close(fd);
	return type;
}

unsigned int linktypes_fixed(const struct engine *e)
{
	unsigned int type = 0;

	for (int i = 0; i < e->n_ifaces; i++) {
		unsigned int t = linktype_of_ifindex(e->ifaces[i].ifindex);

		if (i && t != type)
			return 0;
		type = t;
	}
	return type;
}

void linktypes_set(struct engine *e, unsigned int ifindex, unsigned short arphrd)
{
	unsigned int type = linktype_of_arphrd(arphrd);
	int fd;

	if (!e->skel || !e->opts.filter || e->skel->rodata->fixed_linktype)
		return;
	fd = bpf_map__fd(e->skel->maps.linktypes);
	if (type == SW_LINKTYPE_ETHER) {
		bpf_map_delete_elem(fd, &ifindex);
		return;
	}
	if (bpf_map_update_elem(fd, &ifindex, &type, BPF_ANY))
		engine_log(e, "could not note ifindex %u's link type (%s): the filter takes it for Ethernet",
			   ifindex, strerror(errno));
}

static void on_link_type(void *ctx, const struct sw_link_msg *m)
{
	if (m->state != SW_LINK_GONE)
		linktypes_set(ctx, m->ifindex, m->type);
}

void linktypes_fill(struct engine *e)
{
	/* the same rtnetlink dump that later keeps names and states, read once
	 * now: the map must be right before the first packet reaches the filter */
	int err = links_dump(on_link_type, e);

	if (err)
		engine_log(e, "listing links for their types: %s; the filter takes every device for Ethernet",
			   strerror(-err));
}
