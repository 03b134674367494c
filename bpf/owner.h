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

/* What both owner maps hold. released_ns: when the socket was released
 * (bpf_ktime_get_ns), 0 while open; a released entry still answers for
 * SW_OWNER_GRACE_S, so FIN and TIME_WAIT packets resolve. */
struct sw_owner_entry {
	struct sw_owner o; /* a shared port's: what its holders have in common (pid 0) */
	__u64 cookie;      /* the socket's; a port's: its last holder's */
	__u64 released_ns;
	union {
		__u8 bound_addr[16]; /* cookie entries: the address its bind gave it (key_addr's form) */
		struct {             /* port entries */
			__u64 other;    /* another holder's cookie (of another process, when shared) */
			__u32 holders;  /* the open sockets that hold it; 0: an unbound socket's port */
			__u32 pad;
		} port;
	};
	__u16 bound_port;  /* cookie entries: with bound_addr and bound_family, the port to free at release */
	__u8 bound_proto;
	__u8 bound_family; /* 4 or 6: the port key's family */
	__u8 shared;       /* port entries: sockets of different processes hold this address and port
			    * (SO_REUSEPORT), and the kernel picks one per connection or datagram after
			    * the tap: it names nobody rather than the wrong one */
	__u8 pad[3];
};

/* A socket's storage (owner_socks; see bpf/owner.bpf.h): a listener's is
 * copied into the connections it accepts. */
struct sw_owner_sock {
	__u64 learnt;
	__u64 claimed;
	struct sw_owner o;
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
