/* SPDX-License-Identifier: MIT */
/*
 * Whose traffic: the layouts the owner maps, the process filter and a packet's
 * owner share between the kernel program and the sidecar (docs/attribution.md).
 */
#ifndef SW_OWNER_H
#define SW_OWNER_H

/* A socket's owner, taken in process context (never in softirq, where the
 * current task is whoever the packet interrupted). */
struct sw_owner {
	__u64 cgroup_id; /* cgroup v2 id (the inode of its directory); the sidecar resolves the path */
	__u32 pid;       /* tgid; 0: no owner */
	__u32 uid;       /* in the initial user namespace */
	char comm[16];
};

/* A packet's owner and, when the other end is a local socket, that one. */
struct sw_event_owner {
	struct sw_owner owner;
	struct sw_owner peer;
};

/* What the cookie and tuple maps hold. released_ns: when the socket was released
 * (bpf_ktime_get_ns), 0 while open; a released entry still answers for
 * SW_OWNER_GRACE_S, so FIN and TIME_WAIT packets resolve. */
/* The port a socket's bind gave it, as its owner_ports key has it (address in
 * key_addr's form, zero for any; family 4 or 6); port 0: none. */
struct sw_owner_bound {
	__u8 addr[16];
	__u16 port;
	__u8 proto;
	__u8 family;
};

struct sw_owner_entry {
	struct sw_owner o;
	__u64 cookie;
	__u64 released_ns;
	struct sw_owner_bound bound; /* cookie entries: to free the port at release */
	__u8 pad[4];
};

/* A bound port (owner_ports, a plain hash: a port's count must not be evicted
 * by connection churn, and a full map refuses a new port, which then names
 * nobody). holders: the open sockets holding it (SO_REUSEPORT), counted with
 * atomic adds. Holders of two processes make it shared: the kernel picks one
 * per connection or datagram after the tap, so it names nobody (pid 0) and
 * keeps what they have in common (cgroup, name; zero where they differ) for
 * the filters by name and cgroup. */
struct sw_owner_port {
	struct sw_owner o;
	__u64 cookie; /* the last holder's */
	__u64 other;  /* the one before (of another process, once shared) */
	__u32 holders;
	__u8 shared;
	__u8 pad[3];
};

/* Shared by the kernel's port_claim and the sidecar's seeding (plain C both
 * sides compile). */
#define SW_INLINE static inline __attribute__((always_inline))

SW_INLINE int sw_same_comm(const struct sw_owner *a, const struct sw_owner *b)
{
	const __u64 *ca = (const __u64 *)a->comm, *cb = (const __u64 *)b->comm;

	return ca[0] == cb[0] && ca[1] == cb[1];
}

/* One process (its threads may have names of their own). */
SW_INLINE int sw_same_process(const struct sw_owner *a, const struct sw_owner *b)
{
	return a->pid == b->pid && a->cgroup_id == b->cgroup_id;
}

/* The port's holders now include a process other than the one it named:
 * shared from here on, named by what they have in common (pid 0 first, so a
 * reader never pairs one's pid with another's name). */
SW_INLINE void sw_port_share(struct sw_owner_port *p, const struct sw_owner *o)
{
	p->o.pid = 0;
	p->shared = 1;
	if (p->o.cgroup_id != o->cgroup_id)
		p->o.cgroup_id = 0;
	if (!sw_same_comm(&p->o, o))
		__builtin_memset(p->o.comm, 0, sizeof(p->o.comm));
	p->o.uid = 0; /* not matched by any filter, not shown with pid 0 */
}

/* One more holder, of owner o and socket cookie, joins the port (its count
 * is the caller's: atomic in the kernel). Holders of two processes (pid and
 * cgroup: one process's threads have names of their own) share it. */
SW_INLINE void sw_port_join(struct sw_owner_port *p, const struct sw_owner *o, __u64 cookie)
{
	if (p->shared || !sw_same_process(&p->o, o)) {
		if (!p->shared)
			p->other = p->cookie; /* a holder of the other process */
		sw_port_share(p, o);
	} else {
		p->other = p->cookie;
	}
	p->cookie = cookie;
}

/* owner_ports holds --owner-entries / 4 ports, at least 64 */
#define SW_OWNER_PORTS(entries) ((entries) / 4 > 64 ? (entries) / 4 : 64)

/* A socket's storage (owner_socks; see bpf/owner.bpf.h): a listener's is
 * copied into the connections it accepts. */
struct sw_owner_sock {
	__u64 learnt;
	__u64 claimed;
	struct sw_owner o;
	/* the port its bind gave it, kept here too because the cookie entry may be
	 * evicted; with the cookie of the socket that bound it (a connection its
	 * listener accepts copies the storage, not the port) */
	__u64 bound_cookie;
	struct sw_owner_bound bound;
	__u32 pad;
};

/* The tuple map's key, from the local socket's side. A connected socket's
 * entry has every field; a bound listener's or unconnected UDP socket's has
 * proto, netns, lport, its family and the address it is bound to (zero: any; an IPv6
 * socket's v4-mapped address as IPv4), raddr and rport zero. */
struct sw_owner_key {
	__u64 netns;     /* network namespace cookie */
	__u8 laddr[16];  /* IPv4 in the first 4 bytes; network order */
	__u8 raddr[16];
	__u16 lport;     /* host order */
	__u16 rport;
	__u8 proto;
	__u8 family;     /* a port's: 4 or 6, the bound socket's (an IPv6 socket bound to any takes IPv4 too); 0 in a connection's */
	__u8 pad[2];
};

#define SW_OWNER_GRACE_S 60 /* TCP's TIME_WAIT */
#define SW_MAX_PROC_PIDS 16
#define SW_MAX_PROC_CGROUPS 16

/* --pid/--comm/--cgroup/--container, evaluated in the kernel: a packet passes
 * when its owner or its peer matches every kind given (pids: any of them). */
struct sw_proc_filter {
	__u32 n_pids;
	__u32 n_cgroups;
	__u32 pids[SW_MAX_PROC_PIDS];
	__u64 cgroups[SW_MAX_PROC_CGROUPS];
	char comm[16];
	__u32 has_comm;
	__u32 pad;
};

#endif /* SW_OWNER_H */
