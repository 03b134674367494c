/* SPDX-License-Identifier: MIT */
/*
 * Whose traffic, kernel side (docs/attribution.md). Included by sockwatch.bpf.c.
 *
 * Programs on cgroup v2 socket hooks run in the process that makes, binds,
 * connects, sends on, receives on or releases an inet socket, and write its
 * owner (pid, comm, uid, cgroup) into two bounded LRU maps: by socket cookie,
 * and by (netns, proto, local/remote address and port). The socket filter reads
 * them: an outgoing packet by its socket's cookie (and teaches the tuple map
 * the connection it belongs to), an incoming one by its tuple, falling back to
 * the local port for listeners and unconnected UDP, as Inspektor Gadget's
 * sockets-map.h does. The sidecar turns the programs off (autoload) when it
 * cannot attach them; owner_on then drops every lookup from the filter.
 */
#ifndef SW_OWNER_BPF_H
#define SW_OWNER_BPF_H

#include "owner.h"

/* Set by the sidecar before load. */
const volatile bool owner_on = false;
/* The network namespace of the capture's packet sockets: every packet the
 * filter sees is on one of its interfaces. */
const volatile __u64 tap_netns = 0;
const volatile struct sw_proc_filter proc_filter = {};
/* cgroup_skb programs may call bpf_get_netns_cookie (probed by the sidecar) */
const volatile bool egress_netns = false;
/* Peers in other namespaces of this host (a veth between two of them): their
 * sockets are recorded too, their connections under netns 0, "another local
 * namespace", and a packet on an interface other than loopback is looked up
 * there for the other end. Needs egress_netns; off for a loopback-only capture. */
const volatile bool far_peers = false;
#define FAR_NETNS 0

struct owner_map_cookie {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384); /* resized by the sidecar (--owner-entries) */
	__type(key, __u64);
	__type(value, struct sw_owner_entry);
};
struct owner_map_cookie owner_cookies SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384); /* resized by the sidecar (--owner-entries) */
	__type(key, struct sw_owner_key);
	__type(value, struct sw_owner_entry);
} owner_tuples SEC(".maps");

/* Port numbers owner_ports once had no room for, a bit each (see port_claim;
 * in .bss: a map of its own cost the start-up 4 ms to create). */
__u64 owner_refused[65536 / 64] = {};

/* Bound ports: struct sw_owner_port (bpf/owner.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096); /* resized by the sidecar (--owner-entries / 4) */
	__type(key, struct sw_owner_key);
	__type(value, struct sw_owner_port);
} owner_ports SEC(".maps");

/* Per socket, with the socket (no hashing, freed with it), and copied into
 * the connections a listener accepts (BPF_F_CLONE): an accepted socket is owned
 * by its own listener's owner, which the port alone cannot tell when several
 * processes listen on it (SO_REUSEPORT). `learnt`:
 * owner_version + 1 when the egress learner last confirmed a connected
 * socket's tuple entry, 0 when never; its packets skip the learner's parse and
 * lookups until the owner maps change (a connected socket's tuple cannot
 * change without a connect, which clears it). `claimed` and `o`: the same for
 * the owner a connect/sendmsg/recvmsg hook last confirmed in owner_cookies, so
 * a sendto or recvfrom on an unconnected UDP socket (a hook run each) by the
 * same process costs a compare. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct sw_owner_sock);
} owner_socks SEC(".maps");

/* Bumped by every write to the owner maps that can change an answer, so a
 * filter run can tell whether its CPU's last answer (owner_memo) still holds. */
__u64 owner_version = 0;

/* Per CPU, a slot per tuple hash: the last tuple seen there and what the
 * maps said for it. A flood or a bulk transfer repeats its tuple, and each
 * packet then costs a compare instead of two to four hash lookups; several
 * interleaved flows (a server's clients, a sender to many peers) each keep
 * their slot. Trusted only while no map write happened since (owner_version)
 * and for OWNER_MEMO_NS at most (only the passing of the grace period changes
 * an answer without a write). */
#define OWNER_MEMO_BITS 8 /* 256 slots a CPU, 32 KiB */

struct owner_memo {
	__u64 version;
	__u64 at_ns;
	__u64 saddr[2];
	__u64 daddr[2];
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 dir;
	__u8 loopback;
	__u8 valid;
	struct sw_event_owner who;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1 << OWNER_MEMO_BITS);
	__type(key, __u32);
	__type(value, struct owner_memo);
} owner_memos SEC(".maps");

#define OWNER_GRACE_NS ((__u64)SW_OWNER_GRACE_S * 1000000000ULL)
#define OWNER_MEMO_NS (100ULL * 1000000ULL)

static __always_inline void owner_changed(void)
{
	__sync_fetch_and_add(&owner_version, 1);
}

static __always_inline void owner_current(struct sw_owner_entry *ent, __u64 cookie)
{
	__builtin_memset(ent, 0, sizeof(*ent));
	ent->o.pid = bpf_get_current_pid_tgid() >> 32;
	ent->o.uid = (__u32)bpf_get_current_uid_gid();
	ent->o.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(ent->o.comm, sizeof(ent->o.comm));
	ent->cookie = cookie;
}

/* released_ns can be later than now: the socket was released on another CPU
 * after this run read its clock (a client closing while the kernel sends its
 * last ACK). Unsigned, that difference was huge, and the owner was lost. */
static __always_inline bool owner_live(const struct sw_owner_entry *ent, __u64 now)
{
	return !ent->released_ns || now <= ent->released_ns || now - ent->released_ns < OWNER_GRACE_NS;
}

/* A tuple entry is as live as its socket: a released socket's connections
 * answer for the grace period, then no more (an evicted socket entry leaves
 * the tuple's own word). */
static __always_inline bool owner_live_tuple(const struct sw_owner_entry *ent, __u64 now)
{
	struct sw_owner_entry *sock;
	__u64 cookie = ent->cookie;

	if (!owner_live(ent, now))
		return false;
	sock = bpf_map_lookup_elem(&owner_cookies, &cookie);
	return !sock || owner_live(sock, now);
}

/* The key of a socket's local port (listeners, unconnected UDP): the address
 * it is bound to (NULL or zero: any), its family (4 or 6), and the port. */
static __always_inline void port_key(struct sw_owner_key *k, __u64 netns, __u8 proto, const __u8 *laddr,
				     __u8 family, __u16 lport)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->netns = netns;
	k->proto = proto;
	k->family = family;
	k->lport = lport;
	if (laddr)
		__builtin_memcpy(k->laddr, laddr, 16);
}

static __always_inline void bound_key(struct sw_owner_key *k, __u64 netns, const struct sw_owner_bound *b)
{
	port_key(k, netns, b->proto, b->addr, b->family, b->port);
}

/* An address as the tuple keys hold it: IPv4 in the first 4 bytes, an IPv6
 * socket's v4-mapped address (::ffff:a.b.c.d, which sends IPv4) too. Its
 * family: 4 or 6. */
static __always_inline __u8 key_addr(__u8 *out, const __u32 *a6, __u32 a4, bool v6)
{
	__u32 *o = (__u32 *)out;

	o[0] = a4;
	o[1] = o[2] = o[3] = 0;
	if (!v6)
		return 4;
	if (a6[0] == 0 && a6[1] == 0 && a6[2] == bpf_htonl(0xffff)) {
		o[0] = a6[3];
		return 4;
	}
	o[0] = a6[0];
	o[1] = a6[1];
	o[2] = a6[2];
	o[3] = a6[3];
	return 6;
}

static __always_inline bool owned_proto(__u32 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

static __always_inline bool same_owner(const struct sw_owner *a, const struct sw_owner *b)
{
	return a->pid == b->pid && a->uid == b->uid && a->cgroup_id == b->cgroup_id && sw_same_comm(a, b);
}

/* A socket takes its bound port, once (at its bind, or the first claim that
 * finds it bound). ent: its cookie entry. True when it wrote. */
static __always_inline bool port_claim(struct sw_owner_key *k, const struct sw_owner_entry *ent)
{
	struct sw_owner_port nw = { .o = ent->o, .cookie = ent->cookie, .holders = 1 }, *p;
	__u64 *refused = &owner_refused[(k->lport / 64) & (65536 / 64 - 1)], bit = 1ULL << (k->lport % 64);
	long err;

	/* a port number the full map once refused may have an uncounted holder:
	 * whoever takes it later shares it with that one, unknown */
	if (*refused & bit) {
		__builtin_memset(&nw.o, 0, sizeof(nw.o));
		nw.shared = 1;
	}
	err = bpf_map_update_elem(&owner_ports, k, &nw, BPF_NOEXIST);
	if (!err)
		return true;
	if (err != -17 /* EEXIST: the map is full */) {
		__sync_fetch_and_or(refused, bit);
		return false;
	}
	p = bpf_map_lookup_elem(&owner_ports, k);
	if (!p)
		return !bpf_map_update_elem(&owner_ports, k, &nw, BPF_NOEXIST); /* freed meanwhile */
	__sync_fetch_and_add(&p->holders, 1);
	sw_port_join(p, &ent->o, ent->cookie);
	return true;
}

/* A holder of a port is released; the last one frees it. When one holder
 * is left that the port remembers (the last or the one before) and it is
 * still open, the port names it again (a handover restart: the new server
 * binds, the old one leaves). A port whose last holder left while others of
 * its process stay names the one before, if open. True when it wrote. */
static __always_inline bool port_release(struct sw_owner_key *k, __u64 cookie)
{
	struct sw_owner_port *p = bpf_map_lookup_elem(&owner_ports, k);
	struct sw_owner_entry *c;
	__u64 next;
	__u32 left;

	if (!p)
		return false;
	/* an atomic add without a fetch (BPF before v3 has no fetch): whoever
	 * reads 0 after their own decrement frees it; two may, harmlessly */
	__sync_fetch_and_add(&p->holders, -1);
	left = *(volatile __u32 *)&p->holders;
	if (!left || left > 0x7fffffff) {
		bpf_map_delete_elem(&owner_ports, k);
		return true;
	}
	if (p->shared ? left > 1 : p->cookie != cookie)
		return false; /* shared still, as far as it can tell; or a holder it did not name */
	/* the one left: the first of the two it remembers that is still open */
	for (int i = 0; i < 2; i++) {
		next = i ? p->other : p->cookie;
		c = next && next != cookie ? bpf_map_lookup_elem(&owner_cookies, &next) : NULL;
		if (c && !c->released_ns) {
			p->o = c->o;
			p->cookie = next;
			p->other = 0;
			p->shared = 0;
			return true;
		}
	}
	return false;
}

/* A socket that holds a port has a new owner (a child it was handed to): the
 * port names it, when it is the port's only holder; else the port is shared
 * by the old and the new (a pre-forked server's workers). True when it wrote. */
static __always_inline bool port_follow(struct sw_owner_key *k, const struct sw_owner_entry *ent)
{
	struct sw_owner_port *p = bpf_map_lookup_elem(&owner_ports, k);

	if (!p || same_owner(&p->o, &ent->o))
		return false;
	if (p->holders <= 1 && !p->shared && p->cookie == ent->cookie) {
		p->o = ent->o;
		return true;
	}
	if (p->shared || sw_same_process(&p->o, &ent->o))
		return false;
	sw_port_share(p, &ent->o);
	return true;
}

/* The calling process now owns the socket: its cookie entry, and with a
 * bound address (baddr, key_addr's form, of family bfamily) its local
 * port's. Process context only. addr_hook: a connect/sendmsg/recvmsg hook;
 * connect: the socket's tuple may change. */
static __always_inline void owner_claim(void *ctx, struct bpf_sock *sk, bool addr_hook, bool connect,
					const __u8 *baddr, __u8 bfamily)
{
	bool bound = baddr != NULL;
	struct sw_owner_entry ent, *old;
	struct sw_owner_sock *st = NULL;
	struct sw_owner_key k;
	__u64 netns, cookie, version;

	if (!sk)
		return;
	netns = bpf_get_netns_cookie(ctx);
	if (netns != tap_netns && !far_peers)
		return; /* its packets never reach our interfaces */
	version = *(volatile __u64 *)&owner_version;
	owner_current(&ent, 0);
	/* a listener's owner, in its storage, is copied into its connections */
	if (addr_hook || bound)
		st = bpf_sk_storage_get(&owner_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (addr_hook) {
		if (st && connect)
			st->learnt = 0; /* a new tuple: the learner confirms it again */
		/* confirmed since the maps last changed (an eviction is a change) */
		if (st && st->claimed == version + 1 && same_owner(&st->o, &ent.o))
			return;
	}
	cookie = bpf_get_socket_cookie(ctx);
	ent.cookie = cookie;
	old = bpf_map_lookup_elem(&owner_cookies, &cookie);
	if (old && !bound && same_owner(&old->o, &ent.o) && !old->released_ns)
		goto confirmed; /* the same owner again: an LRU rewrite costs a node */
	if (old)
		ent.bound = old->bound;
	else if (st && st->bound.port && st->bound_cookie == cookie)
		ent.bound = st->bound; /* its entry was evicted: the storage remembers its port */
	if (st)
		st->learnt = 0; /* a new owner: its tuples too */
	if (bound && owned_proto(sk->protocol) && sk->src_port && !ent.bound.port) {
		__builtin_memcpy(ent.bound.addr, baddr, 16);
		ent.bound.port = sk->src_port;
		ent.bound.proto = sk->protocol;
		ent.bound.family = bfamily;
		bound_key(&k, netns, &ent.bound);
		port_claim(&k, &ent);
		if (st) {
			st->bound_cookie = cookie;
			st->bound = ent.bound;
		}
	} else if (ent.bound.port && old && !same_owner(&old->o, &ent.o)) {
		bound_key(&k, netns, &ent.bound);
		port_follow(&k, &ent);
	}
	bpf_map_update_elem(&owner_cookies, &cookie, &ent, BPF_ANY);
	owner_changed();
confirmed:
	if (st) {
		st->o = ent.o;
		st->claimed = version + 1; /* after our own write: checked once more */
	}
}

SEC("cgroup/sock_create")
int sw_sock_create(struct bpf_sock *sk)
{
	owner_claim(sk, sk, false, false, NULL, 0);
	return 1;
}

/* (each bind hook may read only its own family's address) */
SEC("cgroup/post_bind4")
int sw_post_bind4(struct bpf_sock *sk)
{
	__u32 none[4] = {};
	__u8 addr[16], family;

	family = key_addr(addr, none, sk->src_ip4, false);
	owner_claim(sk, sk, false, false, addr, family);
	return 1;
}

SEC("cgroup/post_bind6")
int sw_post_bind6(struct bpf_sock *sk)
{
	__u32 a6[4] = { sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2], sk->src_ip6[3] };
	__u8 addr[16], family;

	family = key_addr(addr, a6, 0, true);
	owner_claim(sk, sk, false, false, addr, family);
	return 1;
}

/* connect, sendmsg and recvmsg: whoever uses a socket now owns it (a socket
 * handed to a child, or shared, follows its last user). */
SEC("cgroup/connect4")
int sw_connect4(struct bpf_sock_addr *ctx)
{
	owner_claim(ctx, ctx->sk, true, true, NULL, 0);
	return 1;
}

SEC("cgroup/connect6")
int sw_connect6(struct bpf_sock_addr *ctx)
{
	owner_claim(ctx, ctx->sk, true, true, NULL, 0);
	return 1;
}

SEC("cgroup/sendmsg4")
int sw_sendmsg4(struct bpf_sock_addr *ctx)
{
	owner_claim(ctx, ctx->sk, true, false, NULL, 0);
	return 1;
}

SEC("cgroup/sendmsg6")
int sw_sendmsg6(struct bpf_sock_addr *ctx)
{
	owner_claim(ctx, ctx->sk, true, false, NULL, 0);
	return 1;
}

SEC("cgroup/recvmsg4")
int sw_recvmsg4(struct bpf_sock_addr *ctx)
{
	owner_claim(ctx, ctx->sk, true, false, NULL, 0);
	return 1;
}

SEC("cgroup/recvmsg6")
int sw_recvmsg6(struct bpf_sock_addr *ctx)
{
	owner_claim(ctx, ctx->sk, true, false, NULL, 0);
	return 1;
}

/* Released: the port is free at once (its entry goes), while the socket's
 * entry answers a while longer for FIN and TIME_WAIT; so do its connections'
 * (owner_live_tuple asks it). The context has no ports here: the cookie
 * entry remembers the bound one. */
SEC("cgroup/sock_release")
int sw_sock_release(struct bpf_sock *sk)
{
	struct sw_owner_sock *st;
	struct sw_owner_entry *ent;
	struct sw_owner_key k;
	__u64 cookie, netns;

	netns = bpf_get_netns_cookie(sk);
	if (netns != tap_netns && !far_peers)
		return 1;
	cookie = bpf_get_socket_cookie(sk);
	ent = bpf_map_lookup_elem(&owner_cookies, &cookie);
	if (ent)
		ent->released_ns = bpf_ktime_get_ns();
	/* its port: from its storage, which no eviction loses; else (a socket
	 * from before the start) its entry */
	st = bpf_sk_storage_get(&owner_socks, sk, 0, 0);
	if (st && st->bound.port && st->bound_cookie == cookie) {
		bound_key(&k, netns, &st->bound);
		st->bound.port = 0;
	} else if (ent && ent->bound.port) {
		bound_key(&k, netns, &ent->bound);
	} else {
		return 1;
	}
	if (port_release(&k, cookie))
		owner_changed();
	return 1;
}

/* ---- the socket filter's side: softirq or the sender's context, so nothing
 * here takes the current task; it only copies owners written above. */

static __always_inline void tuple_key(struct sw_owner_key *k, const struct sw_event *e, __u64 netns,
				      bool local_is_src)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->netns = netns;
	k->proto = e->proto;
	if (local_is_src) {
		__builtin_memcpy(k->laddr, e->saddr, 16);
		__builtin_memcpy(k->raddr, e->daddr, 16);
		k->lport = e->sport;
		k->rport = e->dport;
	} else {
		__builtin_memcpy(k->laddr, e->daddr, 16);
		__builtin_memcpy(k->raddr, e->saddr, 16);
		k->lport = e->dport;
		k->rport = e->sport;
	}
}

/* The bound port a packet to local address laddr (key k: its connection's,
 * rport and raddr cleared) reaches, as the kernel finds its socket: bound to
 * that address, else to any address of its family, else (IPv4) an IPv6
 * socket bound to any, which takes IPv4 too unless IPV6_V6ONLY (the hooks
 * cannot see that). k is left with laddr cleared. */
static __always_inline struct sw_owner_port *find_port(struct sw_owner_key *k, __u8 family)
{
	struct sw_owner_port *p;

	k->family = family;
	p = bpf_map_lookup_elem(&owner_ports, k);
	if (p)
		return p;
	__builtin_memset(k->laddr, 0, 16);
	p = bpf_map_lookup_elem(&owner_ports, k);
	if (p || family != 4)
		return p;
	k->family = 6;
	return bpf_map_lookup_elem(&owner_ports, k);
}

/* The owner of the local socket at one end of the packet: its connection;
 * else its bound port (a shared one names what its holders have in common,
 * pid 0); else an unbound socket's port (egress_port). A TCP packet a local
 * socket sent has its connection learnt before any tap sees it (the egress
 * learner): one without is the kernel's, speaking for no socket (a reset
 * for a port nobody listens on), and the port's holder did not send it. */
static __always_inline bool owner_by_tuple(const struct sw_event *e, bool local_is_src, __u64 now,
					   struct sw_owner_key *k, struct sw_owner *out)
{
	struct sw_owner_entry *ent;
	struct sw_owner_port *p;

	tuple_key(k, e, tap_netns, local_is_src);
	ent = bpf_map_lookup_elem(&owner_tuples, k);
	if (ent && owner_live_tuple(ent, now)) {
		*out = ent->o;
		return true;
	}
	/* (a SYN-ACK is a listener's, even sent with no socket: a SYN cookie's,
	 * or on a route without the learner) */
	if (local_is_src && e->proto == IPPROTO_TCP && (e->tcp_flags & 0x12) != 0x12)
		return false;
	__builtin_memset(k->raddr, 0, 16);
	k->rport = 0;
	p = find_port(k, e->family);
	if (p) {
		*out = p->o;
		return out->pid || out->cgroup_id;
	}
	k->family = 0; /* an unbound socket's port */
	ent = bpf_map_lookup_elem(&owner_tuples, k);
	if (!ent || !owner_live_tuple(ent, now))
		return false;
	*out = ent->o;
	return true;
}

/* The socket at one end, in another local namespace: its connection only (a
 * port alone could be any namespace's). */
static __always_inline bool owner_far(const struct sw_event *e, bool local_is_src, __u64 now,
				      struct sw_owner_key *k, struct sw_owner *out)
{
	struct sw_owner_entry *ent;

	tuple_key(k, e, FAR_NETNS, local_is_src);
	ent = bpf_map_lookup_elem(&owner_tuples, k);
	if (!ent || !owner_live_tuple(ent, now))
		return false;
	*out = ent->o;
	return true;
}

static __always_inline bool has_tuple(const struct sw_event *e)
{
	return (e->flags & SW_EV_PORTS) && owned_proto(e->proto);
}

/* Fills e->who.owner (and on loopback, where both ends are ours, e->who.peer):
 * pid 0 where no socket is known. The tap's copy of a packet has no socket
 * (a clone loses skb->sk), so both directions go by tuple. */
static __always_inline bool memo_holds(const struct owner_memo *m, const struct sw_event *e, bool loopback,
				       __u64 version, __u64 now)
{
	const __u64 *s = (const __u64 *)e->saddr, *d = (const __u64 *)e->daddr;

	return m->valid && m->version == version && now - m->at_ns < OWNER_MEMO_NS && m->sport == e->sport &&
	       m->dport == e->dport && m->proto == e->proto && m->dir == e->dir && m->loopback == loopback &&
	       m->saddr[0] == s[0] && m->saddr[1] == s[1] && m->daddr[0] == d[0] && m->daddr[1] == d[1];
}

/* A tuple's memo slot: a multiplicative hash of addresses, ports, protocol
 * and direction. */
static __always_inline __u32 memo_slot(const struct sw_event *e)
{
	const __u32 *s = (const __u32 *)e->saddr, *d = (const __u32 *)e->daddr;
	__u32 h = s[0] ^ s[1] ^ s[2] ^ s[3] ^ d[0] ^ d[1] ^ d[2] ^ d[3];

	h ^= ((__u32)e->sport << 16 | e->dport) ^ ((__u32)e->proto << 8 | e->dir);
	return (h * 2654435761u) >> (32 - OWNER_MEMO_BITS);
}

/* A subprogram with a frame of its own: the filter's (the event, the parse)
 * has no room left for its lookups. Returns the owner's pid (a subprogram
 * must return a scalar, and one the compiler cannot drop). */
static __noinline __u32 owner_resolve(struct sw_event *e, bool loopback)
{
	struct owner_memo *m;
	struct sw_owner_key k;
	__u64 now, version;
	__u32 slot;

	if (!owner_on || !has_tuple(e))
		return 0;
	/* read before the lookups: a write during them makes the memo stale */
	version = *(volatile __u64 *)&owner_version;
	now = bpf_ktime_get_ns();
	slot = memo_slot(e);
	m = bpf_map_lookup_elem(&owner_memos, &slot);
	if (m && memo_holds(m, e, loopback, version, now)) {
		e->who = m->who;
		return e->who.owner.pid;
	}
	owner_by_tuple(e, e->dir == SW_DIR_OUT, now, &k, &e->who.owner);
	if (loopback)
		owner_by_tuple(e, true, now, &k, &e->who.peer);
	else if (far_peers)
		owner_far(e, e->dir == SW_DIR_IN, now, &k, &e->who.peer); /* in: the sender's */
	if (!m)
		return e->who.owner.pid;
	m->valid = 0; /* a run nested on this CPU (PREEMPT_RT) then ignores it */
	m->version = version;
	m->at_ns = now;
	__builtin_memcpy(m->saddr, e->saddr, 16);
	__builtin_memcpy(m->daddr, e->daddr, 16);
	m->sport = e->sport;
	m->dport = e->dport;
	m->proto = e->proto;
	m->dir = e->dir;
	m->loopback = loopback;
	m->who = e->who;
	m->valid = 1;
	return e->who.owner.pid;
}

/* ---- cgroup_skb/egress: every packet a local socket sends, with its socket
 * (skb->sk), before any tap sees it. It teaches the tuple map the connection
 * the packet belongs to, copying the owner its socket's cookie entry holds:
 * the first packet of a flow (a SYN, a UDP datagram) is learnt before the tap
 * sees it, and so are the replies, which come back with no socket at all. A
 * socket with no cookie entry is an accepted one (or the kernel's request
 * socket sending a SYN-ACK): its listener's port entry owns it. */
static __always_inline int egress_tuple(struct __sk_buff *skb, struct sw_event *e)
{
	__u8 first, ports[4];
	__u32 l4;

	if (bpf_skb_load_bytes(skb, 0, &first, 1) < 0)
		return -1;
	if (first >> 4 == 4) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0 || ip.frag_off & bpf_htons(0x1fff))
			return -1;
		e->family = 4;
		e->proto = ip.protocol;
		__builtin_memcpy(e->saddr, &ip.saddr, 4);
		__builtin_memcpy(e->daddr, &ip.daddr, 4);
		l4 = ip.ihl * 4;
	} else if (first >> 4 == 6) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) < 0)
			return -1;
		e->family = 6;
		e->proto = ip6.nexthdr; /* extension headers: not learnt */
		__builtin_memcpy(e->saddr, &ip6.saddr, 16);
		__builtin_memcpy(e->daddr, &ip6.daddr, 16);
		l4 = sizeof(ip6);
	} else {
		return -1;
	}
	if (!owned_proto(e->proto) || bpf_skb_load_bytes(skb, l4, ports, 4) < 0)
		return -1;
	e->sport = (__u16)ports[0] << 8 | ports[1];
	e->dport = (__u16)ports[2] << 8 | ports[3];
	e->flags = SW_EV_PORTS;
	return 0;
}

/* An unconnected UDP socket of ours (a sendto per datagram, to any number of
 * peers): its local port's entry answers for all its datagrams and their
 * replies (the filter falls back to it), so the learner writes that one
 * entry, not a tuple per peer, and marks the socket as it marks a connected
 * one; its next datagrams return at once. Only for a port the kernel chose
 * (no bind): that entry outlives the socket by the grace period, as its
 * tuples would have, while a bound port's goes at the release (a server's
 * replies keep their tuples). Nor when another live socket holds the port.
 * True when done. */
static __always_inline bool egress_port(struct __sk_buff *skb, struct bpf_sock *full, struct sw_owner_sock *st,
					__u64 netns, __u64 version)
{
	struct sw_owner_entry *ent, *known;
	struct sw_owner_key k;
	__u64 cookie;

	if (!st)
		return false;
	cookie = bpf_get_socket_cookie(skb);
	ent = bpf_map_lookup_elem(&owner_cookies, &cookie);
	/* a bound port's entry goes at the release: its peers keep tuples */
	if (!ent || ent->bound.port || (st->bound.port && st->bound_cookie == cookie))
		return false;
	/* unbound: any address, either family (family 0) */
	port_key(&k, netns, IPPROTO_UDP, NULL, 0, full->src_port);
	known = bpf_map_lookup_elem(&owner_tuples, &k);
	if (known && known->cookie != cookie && owner_live_tuple(known, bpf_ktime_get_ns()))
		return false;
	if (!known || known->cookie != cookie || !same_owner(&known->o, &ent->o) || known->released_ns) {
		if (bpf_map_update_elem(&owner_tuples, &k, ent, BPF_ANY))
			return false;
		owner_changed();
	}
	st->learnt = version + 1;
	return true;
}

SEC("cgroup_skb/egress")
int sw_egress(struct __sk_buff *skb)
{
	struct sw_owner_entry *ent, *known, child;
	struct bpf_sock *sk, *full = NULL;
	struct sw_owner_key k;
	struct sw_event e;
	struct sw_owner_sock *st = NULL, *lst = NULL;
	struct sw_owner_port *port;
	__u64 cookie, version, netns;

	/* The fast path: a connected socket whose tuple entry was confirmed
	 * since the owner maps last changed (a flood from one socket pays this,
	 * not a parse and two lookups). Read before the lookups below: a write
	 * during them leaves the mark stale. An LRU eviction comes with an
	 * insert, which changes the version, so an evicted entry is learnt again. */
	version = *(volatile __u64 *)&owner_version;
	/* another namespace's packet: unless far_peers records its sockets,
	 * they have no entries, and the port fallback below would find a
	 * listener of ours with the same number (the helper is Linux 6.18's
	 * here; without it, every packet is taken for ours) */
	netns = egress_netns ? bpf_get_netns_cookie(skb) : tap_netns;
	if (netns != tap_netns && !far_peers)
		return 1;
	sk = skb->sk;
	if (sk)
		full = bpf_sk_fullsock(sk);
	if (full && full->dst_port) {
		st = bpf_sk_storage_get(&owner_socks, full, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (st && st->learnt == version + 1)
			return 1;
	} else if (full && full->protocol == IPPROTO_UDP && full->src_port && netns == tap_netns) {
		st = bpf_sk_storage_get(&owner_socks, full, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (st && st->learnt == version + 1)
			return 1;
		if (egress_port(skb, full, st, netns, version))
			return 1;
	}
	__builtin_memset(&e, 0, sizeof(e));
	if (egress_tuple(skb, &e))
		return 1;
	cookie = bpf_get_socket_cookie(skb);
	ent = cookie ? bpf_map_lookup_elem(&owner_cookies, &cookie) : NULL;
	if (full && full->state == 10 /* TCP_LISTEN */ && ent) {
		/* a SYN-ACK: the kernel hands this hook the listener, not its
		 * request socket. Its owner goes into its storage, which the
		 * connection it accepts next copies (a listener from before the
		 * start has none yet; one whose owner changed, a stale one). */
		lst = bpf_sk_storage_get(&owner_socks, full, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (lst && !same_owner(&lst->o, &ent->o))
			lst->o = ent->o;
	}
	if (!ent) {
		/* an accepted connection: its own listener's owner, from the
		 * storage it copied from the listener; else its bound port's,
		 * unless shared. Only a socket on that port: the kernel's control
		 * socket (resets for closed ports) is on none, and has no owner. */
		if (!full || full->src_port != e.sport)
			return 1;
		lst = st ?: bpf_sk_storage_get(&owner_socks, full, 0, 0);
		__builtin_memset(&child, 0, sizeof(child));
		if (lst && lst->o.pid) {
			child.o = lst->o;
		} else if (!egress_netns) {
			/* it may be another namespace's socket, and the port ours */
			return 1;
		} else {
			port_key(&k, netns, e.proto, e.saddr, 0, e.sport);
			port = find_port(&k, e.family);
			if (!port || !port->o.pid)
				return 1;
			child.o = port->o;
		}
		child.cookie = cookie;
		ent = &child;
		/* an accepted connection's own socket: an entry of its own, so
		 * its release ends it (not a request socket's, which never has one) */
		if (full && cookie && full->state != 12 /* TCP_NEW_SYN_RECV */) {
			if (!bpf_map_update_elem(&owner_cookies, &cookie, &child, BPF_NOEXIST))
				owner_changed();
			ent = bpf_map_lookup_elem(&owner_cookies, &cookie);
			if (!ent)
				return 1;
		}
	}
	tuple_key(&k, &e, netns == tap_netns ? tap_netns : FAR_NETNS, true);
	known = bpf_map_lookup_elem(&owner_tuples, &k);
	if (!known || known->cookie != ent->cookie || known->o.pid != ent->o.pid) {
		if (bpf_map_update_elem(&owner_tuples, &k, ent, BPF_ANY))
			return 1;
		owner_changed();
	}
	if (st)
		st->learnt = version + 1;
	return 1;
}

static __always_inline bool proc_one(const struct sw_owner *o)
{
	bool pid = proc_filter.n_pids == 0, cgroup = proc_filter.n_cgroups == 0;

	/* pid 0 with a cgroup: a shared port's holders, who agree on all but
	 * the pid (a --pid never matches it) */
	if (!o->pid && !o->cgroup_id)
		return false;
#pragma unroll
	for (int i = 0; i < SW_MAX_PROC_PIDS; i++)
		if (i < proc_filter.n_pids && proc_filter.pids[i] == o->pid)
			pid = true;
#pragma unroll
	for (int i = 0; i < SW_MAX_PROC_CGROUPS; i++)
		if (i < proc_filter.n_cgroups && proc_filter.cgroups[i] == o->cgroup_id)
			cgroup = true;
	if (proc_filter.has_comm) {
		const __u64 *a = (const __u64 *)o->comm;
		const volatile __u64 *b = (const volatile __u64 *)proc_filter.comm;

		if (a[0] != b[0] || a[1] != b[1])
			return false;
	}
	return pid && cgroup;
}

/* The process filter: true without one; else the owner or the peer matches. */
static __always_inline bool proc_match(const struct sw_event *e)
{
	if (!proc_filter.n_pids && !proc_filter.n_cgroups && !proc_filter.has_comm)
		return true;
	return proc_one(&e->who.owner) || proc_one(&e->who.peer);
}

#endif /* SW_OWNER_BPF_H */
