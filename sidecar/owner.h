/* SPDX-License-Identifier: MIT */
/* Whose traffic, user-space side: attribution on or off, the cgroup hooks,
 * seeding sockets that existed before the start (docs/attribution.md). */
#ifndef SW_OWNER_SIDECAR_H
#define SW_OWNER_SIDECAR_H

#include <stdbool.h>
#include <stdint.h>
#include "cgroups.h"

#define OWNER_HOOKS 12
#define OWNER_ROUTE_PROGS 24

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
	int route;           /* SW_ROUTE_CGROUP, _FENTRY or _KPROBE (options.h): what fills the maps */
	struct bpf_link *route_links[OWNER_ROUTE_PROGS]; /* fentry/kprobe programs attached */
	int n_route_links;
	int accept_args;     /* inet_csk_accept's parameters (6.10+: 2), for its fexit */
	uint64_t netns;      /* the capture's network namespace cookie */
	bool far;            /* peers in other local namespaces are looked up (far_peers) */
	unsigned long seeded; /* sockets from before the start given an owner */
	int cg_err;          /* cgroups_init's answer: 0 with a cgroup v2 mount to hook */
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
/* owner_route.c: without cgroup v2, fentry or kprobe programs fill the maps.
 * Before load: take the route (--owner-route, or cgroup with a cgroup v2 mount,
 * else fentry where the kernel can attach it, else kprobe); false with off_why
 * set when the route forced cannot run. */
bool owner_route_choose(struct engine *e, bool cgroup2);
/* Before open, after cgroups_init (cg_err): whether the fentry/kprobe route may
 * be taken, the only programs whose CO-RE relocations need the kernel's BTF. */
bool owner_route_may_fall_back(const struct engine *e);
/* Before load, once on/off is settled: only the route taken loads its programs. */
void owner_route_autoload(struct engine *e);
/* After load: attach the fentry/kprobe route's programs; -errno, off_why set. */
int owner_route_attach(struct engine *e);
void owner_route_close(struct owners *ow);
/* owner_seed.c: sockets open before the start, from sock_diag and /proc. */
long owner_seed(struct engine *e);
/* The cookie of the network namespace nsfd names (-1: ours); 0 when unknown. */
uint64_t owner_netns_cookie(int nsfd);

#endif
