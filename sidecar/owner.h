/* SPDX-License-Identifier: MIT */
/* Whose traffic, user-space side: attribution on or off, the cgroup hooks,
 * seeding sockets that existed before the start (docs/attribution.md). */
#ifndef SW_OWNER_SIDECAR_H
#define SW_OWNER_SIDECAR_H

#include <stdbool.h>
#include <stdint.h>
#include "cgroups.h"

#define OWNER_HOOKS 12

struct engine;
struct sw_flow_key;
struct bpf_link;

struct owners {
	bool asked;          /* not --no-process */
	bool on;             /* the hooks are attached: owners are looked up */
	char off_why[PATH_MAX + 256];   /* asked but off: why, one sentence */
	struct cgroups cg;
	int cgroup_fd;
	struct bpf_link *links[OWNER_HOOKS];
	int n_links;
	uint64_t netns;      /* the capture's network namespace cookie */
	bool far;            /* peers in other local namespaces are looked up (far_peers) */
	unsigned long seeded; /* sockets from before the start given an owner */
};

/* Before load: decide on or off, turn the hook programs' autoload off when
 * off, set the kernel's owner switch and process filter, size the maps. */
int owner_configure(struct engine *e);
/* After load, before the packet sockets: attach to the cgroup v2 root, then
 * seed the sockets that already exist. Off (with a reason) rather than fail. */
int owner_attach(struct engine *e);
void owner_close(struct owners *ow);
/* A flow's owner (and on loopback its peer), read from the kernel's owner
 * maps the way the socket filter reads them for a packet; zero when unknown. */
void owner_of_flow(const struct engine *e, const struct sw_flow_key *k, struct sw_event_owner *who);
/* owner_seed.c: sockets open before the start, from sock_diag and /proc. */
long owner_seed(struct engine *e);

#endif
