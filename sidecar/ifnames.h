/* SPDX-License-Identifier: MIT */
/* ifindex → interface name, kept by the loop from rtnetlink (a dump at start,
 * then every RTM_NEWLINK and RTM_DELLINK): no syscall per packet, a rename
 * shows at once, and a deleted interface keeps the last name it had. */
#ifndef SW_IFNAMES_H
#define SW_IFNAMES_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

struct ifname_slot {
	unsigned int ifindex; /* 0: empty */
	bool deleted;
	char name[IF_NAMESIZE];
};

struct ifnames {
	struct ifname_slot *slots;
	size_t cap; /* a power of two */
	size_t used;
	unsigned long changes; /* bumped by every ifnames_set: a writer's memo of a name is stale */
};

int ifnames_init(struct ifnames *n);
void ifnames_free(struct ifnames *n);
/* Records a link's name (new, or renamed); -ENOMEM when it cannot grow. */
int ifnames_set(struct ifnames *n, unsigned int ifindex, const char *name);
void ifnames_deleted(struct ifnames *n, unsigned int ifindex);
/* The name, or NULL for an ifindex never seen. */
const char *ifnames_get(const struct ifnames *n, unsigned int ifindex);

#endif
