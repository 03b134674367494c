/* SPDX-License-Identifier: MIT */
/*
 * Whose traffic without cgroup v2 (docs/attribution.md, "Routes"). Included by
 * sockwatch.bpf.c after owner.bpf.h: the same owner maps, the same owner_version
 * (the filter's memo), the same filter lookups; only the writers differ.
 *
 * Where no cgroup v2 hierarchy is mounted there is nothing to attach the cgroup
 * socket hooks (nor the cgroup_skb/egress learner) to, so programs on kernel
 * functions write the owner in process context instead: fentry/fexit where the
 * kernel has BTF trampolines, else kprobe/kretprobe (the sidecar chooses at run
 * time and turns the others' autoload off, as libbpf-tools' tcpconnlat does).
 *
 * There is no learner: each hook writes what the filter looks up directly, from
 * the socket. A connected socket's full tuple at tcp_connect, on accept's return
 * and at a UDP connect or send; a bound port at bind, listen and each UDP send
 * (an unconnected UDP socket's datagrams, both ways, go by its port); release
 * starts the same grace period as cgroup/sock_release.
 *
 * Kernel types are declared here with CO-RE relocations (preserve_access_index,
 * matched by name against the running kernel's BTF) instead of a generated
 * vmlinux.h, which cannot be included beside the UAPI headers this object's
 * socket filter is written with; a second object could not share owner_version.
 */
#ifndef SW_OWNER_FENTRY_BPF_H
#define SW_OWNER_FENTRY_BPF_H

#include <asm/ptrace.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct net___sw {
	__u64 net_cookie;
} __attribute__((preserve_access_index));

struct possible_net_t___sw {
	struct net___sw *net;
} __attribute__((preserve_access_index));

struct sock_common___sw {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	struct possible_net_t___sw skc_net;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
	struct { __s64 counter; } skc_cookie;
} __attribute__((preserve_access_index));

struct sock___sw {
	struct sock_common___sw __sk_common;
	__u16 sk_protocol;
} __attribute__((preserve_access_index));

struct socket___sw {
	struct sock___sw *sk;
} __attribute__((preserve_access_index));

#define SW_AF_INET 2
#define SW_AF_INET6 10

/* kprobe route: the socket an entry probe saw, for its return probe (bind,
 * listen and datagram connect fill the socket in; their entry is too early). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);   /* thread id */
	__type(value, __u64); /* struct sock * */
} owner_pending SEC(".maps");

enum { CLAIM_CONNECTED = 1, CLAIM_BOUND = 2 };

/* A socket's identity in owner_cookies, the same at claim and at release.
 * fentry: its cookie (made on first use), as sock_diag's seeding and the cgroup
 * route key it. kprobe programs may not ask for it: the socket's address (a
 * cookie something else makes later, e.g. `ss`, would change the key between
 * claim and release). */
static __always_inline __u64 sock_id(struct sock___sw *sk, bool fentry)
{
	if (fentry)
		return bpf_get_socket_cookie(sk);
	return (__u64)(unsigned long)sk | 1ULL << 63;
}

/* The socket's entry, and *id the key it is under: a kprobe route's socket
 * seeded at the start is under its cookie (sock_diag's key). */
static __always_inline struct sw_owner_entry *sock_entry(struct sock___sw *sk, bool fentry, __u64 *id)
{
	struct sw_owner_entry *ent = bpf_map_lookup_elem(&owner_cookies, id);
	__u64 c;

	if (ent || fentry)
		return ent;
	c = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	if (!c)
		return NULL;
	ent = bpf_map_lookup_elem(&owner_cookies, &c);
	if (ent)
		*id = c;
	return ent;
}

static __always_inline __u64 sock_netns(struct sock___sw *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, net_cookie);
}

/* The connection's key from the local side; false when not connected. An IPv6
 * socket talking to a v4-mapped address sends IPv4: keyed as IPv4. */
static __always_inline bool sock_tuple(struct sock___sw *sk, __u16 family, struct sw_owner_key *k)
{
	struct in6_addr d6;

	k->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (!k->rport)
		return false;
	if (family == SW_AF_INET6) {
		BPF_CORE_READ_INTO(&d6, sk, __sk_common.skc_v6_daddr);
		if (d6.in6_u.u6_addr32[0] || d6.in6_u.u6_addr32[1] || d6.in6_u.u6_addr32[2] != bpf_htonl(0xffff)) {
			__builtin_memcpy(k->raddr, &d6, 16);
			BPF_CORE_READ_INTO(&k->laddr, sk, __sk_common.skc_v6_rcv_saddr);
			return true;
		}
	}
	BPF_CORE_READ_INTO(&k->raddr, sk, __sk_common.skc_daddr);
	BPF_CORE_READ_INTO(&k->laddr, sk, __sk_common.skc_rcv_saddr);
	return true;
}

/* The address the socket is bound to, key_addr's form (zero: any); its
 * family, 4 or 6. */
static __always_inline __u8 sock_bound_addr(struct sock___sw *sk, __u16 family, __u8 *out)
{
	__u32 a6[4] = {}, a4 = 0;

	if (family == SW_AF_INET6)
		BPF_CORE_READ_INTO(&a6, sk, __sk_common.skc_v6_rcv_saddr);
	else
		a4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	return key_addr(out, a6, a4, family == SW_AF_INET6);
}

/* The calling process now owns the socket: its identity's entry, with
 * CLAIM_CONNECTED its connection's, with CLAIM_BOUND its port's. Writes only
 * what changes (an LRU rewrite takes a node), and says so (owner_version). */
static __always_inline void fallback_claim(struct sock___sw *sk, int how, bool fentry)
{
	struct sw_owner_entry ent, *old, *conn;
	struct sw_owner_key k;
	__u64 netns, id;
	__u16 family, proto, lport;
	bool wrote = false, newly;

	if (!sk)
		return;
	netns = sock_netns(sk);
	if (netns != tap_netns && !far_peers)
		return; /* its packets never reach our interfaces */
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	proto = BPF_CORE_READ(sk, sk_protocol);
	if ((family != SW_AF_INET && family != SW_AF_INET6) || !owned_proto(proto))
		return;
	lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	id = sock_id(sk, fentry);
	old = sock_entry(sk, fentry, &id);
	owner_current(&ent, id);
	if (old)
		ent.bound = old->bound;
	/* the port is taken once: its address as bound then (a UDP connect
	 * later gives the socket a local address of its own) */
	newly = how & CLAIM_BOUND && lport && !ent.bound.port;
	if (newly) {
		ent.bound.family = sock_bound_addr(sk, family, ent.bound.addr);
		ent.bound.port = lport;
		ent.bound.proto = proto;
	}
	if (!old || old->released_ns || !same_owner(&old->o, &ent.o) || old->bound.port != ent.bound.port) {
		bpf_map_update_elem(&owner_cookies, &id, &ent, BPF_ANY);
		wrote = true;
	}
	__builtin_memset(&k, 0, sizeof(k));
	k.proto = proto;
	k.lport = lport;
	/* another namespace's connection: under netns 0, for far peers */
	k.netns = netns == tap_netns ? tap_netns : FAR_NETNS;
	if (how & CLAIM_CONNECTED && lport && sock_tuple(sk, family, &k)) {
		conn = bpf_map_lookup_elem(&owner_tuples, &k);
		if (!conn || conn->cookie != id || conn->released_ns || !same_owner(&conn->o, &ent.o)) {
			bpf_map_update_elem(&owner_tuples, &k, &ent, BPF_ANY);
			wrote = true;
		}
	}
	if (newly) {
		bound_key(&k, netns, &ent.bound);
		wrote |= port_claim(&k, &ent);
	} else if (ent.bound.port && old && !same_owner(&old->o, &ent.o)) {
		bound_key(&k, netns, &ent.bound);
		wrote |= port_follow(&k, &ent);
	}
	if (wrote)
		owner_changed();
}

/* cgroup/sock_release's work: the port goes at once, the socket and its
 * connections answer for the grace period. */
static __always_inline void fallback_release(struct sock___sw *sk, bool fentry)
{
	struct sw_owner_entry *ent;
	struct sw_owner_key k;
	__u64 netns, id;

	if (!sk)
		return;
	netns = sock_netns(sk);
	if (netns != tap_netns && !far_peers)
		return;
	id = sock_id(sk, fentry);
	ent = sock_entry(sk, fentry, &id);
	if (!ent)
		return;
	ent->released_ns = bpf_ktime_get_ns();
	if (!ent->bound.port)
		return;
	bound_key(&k, netns, &ent->bound);
	if (port_release(&k, id))
		owner_changed();
}

/* A UDP send or receive: the port always (an unconnected socket's datagrams
 * go by it; inet_send_prepare bound it before udp_sendmsg), the connection
 * when connected. */
#define UDP_CLAIM (CLAIM_BOUND | CLAIM_CONNECTED)

/* ---- fentry/fexit (BTF trampolines) ---- */

SEC("fentry/tcp_connect")
int BPF_PROG(sw_fe_tcp_connect, struct sock___sw *sk)
{
	fallback_claim(sk, CLAIM_CONNECTED, true);
	return 0;
}

/* Linux 6.10+: inet_csk_accept(sk, arg); before: (sk, flags, err, kern). The
 * sidecar loads the one matching the kernel's BTF. */
SEC("fexit/inet_csk_accept")
int BPF_PROG(sw_fx_accept, struct sock___sw *sk, void *arg, struct sock___sw *child)
{
	fallback_claim(child, CLAIM_CONNECTED, true);
	return 0;
}

SEC("fexit/inet_csk_accept")
int BPF_PROG(sw_fx_accept_old, struct sock___sw *sk, int flags, int *err, bool kern, struct sock___sw *child)
{
	fallback_claim(child, CLAIM_CONNECTED, true);
	return 0;
}

/* Its return value is not read: before Linux 5.19 it took a backlog too, so
 * the value's place differs; a failed listen's port entry goes at release. */
SEC("fexit/inet_csk_listen_start")
int BPF_PROG(sw_fx_listen, struct sock___sw *sk)
{
	fallback_claim(sk, CLAIM_BOUND, true);
	return 0;
}

SEC("fexit/inet_bind")
int BPF_PROG(sw_fx_bind4, struct socket___sw *sock, void *addr, int len, int ret)
{
	if (!ret)
		fallback_claim(sock->sk, CLAIM_BOUND, true);
	return 0;
}

SEC("fexit/inet6_bind")
int BPF_PROG(sw_fx_bind6, struct socket___sw *sock, void *addr, int len, int ret)
{
	if (!ret)
		fallback_claim(sock->sk, CLAIM_BOUND, true);
	return 0;
}

SEC("fexit/ip4_datagram_connect")
int BPF_PROG(sw_fx_dgram_connect4, struct sock___sw *sk, void *addr, int len, int ret)
{
	if (!ret)
		fallback_claim(sk, UDP_CLAIM, true);
	return 0;
}

SEC("fexit/ip6_datagram_connect")
int BPF_PROG(sw_fx_dgram_connect6, struct sock___sw *sk, void *addr, int len, int ret)
{
	if (!ret)
		fallback_claim(sk, UDP_CLAIM, true);
	return 0;
}

SEC("fentry/udp_sendmsg")
int BPF_PROG(sw_fe_udp_sendmsg, struct sock___sw *sk)
{
	fallback_claim(sk, UDP_CLAIM, true);
	return 0;
}

SEC("fentry/udpv6_sendmsg")
int BPF_PROG(sw_fe_udpv6_sendmsg, struct sock___sw *sk)
{
	fallback_claim(sk, UDP_CLAIM, true);
	return 0;
}

SEC("fentry/udp_recvmsg")
int BPF_PROG(sw_fe_udp_recvmsg, struct sock___sw *sk)
{
	fallback_claim(sk, UDP_CLAIM, true);
	return 0;
}

SEC("fentry/udpv6_recvmsg")
int BPF_PROG(sw_fe_udpv6_recvmsg, struct sock___sw *sk)
{
	fallback_claim(sk, UDP_CLAIM, true);
	return 0;
}

/* inet6_release calls inet_release: one hook for both families. */
SEC("fentry/inet_release")
int BPF_PROG(sw_fe_release, struct socket___sw *sock)
{
	fallback_release(sock->sk, true);
	return 0;
}

/* ---- kprobe/kretprobe (no trampolines): arguments are gone at return, so
 * the entry probe remembers the socket for its thread ---- */

static __always_inline void pending_put(struct sock___sw *sk)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 p = (__u64)(unsigned long)sk;

	bpf_map_update_elem(&owner_pending, &tid, &p, BPF_ANY);
}

static __always_inline void pending_claim(long ret, int how)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *p = bpf_map_lookup_elem(&owner_pending, &tid);

	if (!p)
		return;
	if (!ret)
		fallback_claim((struct sock___sw *)(unsigned long)*p, how, false);
	bpf_map_delete_elem(&owner_pending, &tid);
}

SEC("kprobe/tcp_connect")
int BPF_KPROBE(sw_kp_tcp_connect, struct sock___sw *sk)
{
	fallback_claim(sk, CLAIM_CONNECTED, false);
	return 0;
}

SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(sw_kr_accept, struct sock___sw *child)
{
	fallback_claim(child, CLAIM_CONNECTED, false);
	return 0;
}

SEC("kprobe/inet_csk_listen_start")
int BPF_KPROBE(sw_kp_listen, struct sock___sw *sk)
{
	pending_put(sk);
	return 0;
}

SEC("kretprobe/inet_csk_listen_start")
int BPF_KRETPROBE(sw_kr_listen, long ret)
{
	pending_claim(ret, CLAIM_BOUND);
	return 0;
}

SEC("kprobe/inet_bind")
int BPF_KPROBE(sw_kp_bind4, struct socket___sw *sock)
{
	pending_put(BPF_CORE_READ(sock, sk));
	return 0;
}

SEC("kretprobe/inet_bind")
int BPF_KRETPROBE(sw_kr_bind4, long ret)
{
	pending_claim((int)ret, CLAIM_BOUND);
	return 0;
}

SEC("kprobe/inet6_bind")
int BPF_KPROBE(sw_kp_bind6, struct socket___sw *sock)
{
	pending_put(BPF_CORE_READ(sock, sk));
	return 0;
}

SEC("kretprobe/inet6_bind")
int BPF_KRETPROBE(sw_kr_bind6, long ret)
{
	pending_claim((int)ret, CLAIM_BOUND);
	return 0;
}

SEC("kprobe/ip4_datagram_connect")
int BPF_KPROBE(sw_kp_dgram_connect4, struct sock___sw *sk)
{
	pending_put(sk);
	return 0;
}

SEC("kretprobe/ip4_datagram_connect")
int BPF_KRETPROBE(sw_kr_dgram_connect4, long ret)
{
	pending_claim((int)ret, UDP_CLAIM);
	return 0;
}

SEC("kprobe/ip6_datagram_connect")
int BPF_KPROBE(sw_kp_dgram_connect6, struct sock___sw *sk)
{
	pending_put(sk);
	return 0;
}

SEC("kretprobe/ip6_datagram_connect")
int BPF_KRETPROBE(sw_kr_dgram_connect6, long ret)
{
	pending_claim((int)ret, UDP_CLAIM);
	return 0;
}

SEC("kprobe/udp_sendmsg")
int BPF_KPROBE(sw_kp_udp_sendmsg, struct sock___sw *sk)
{
	fallback_claim(sk, UDP_CLAIM, false);
	return 0;
}

SEC("kprobe/udpv6_sendmsg")
int BPF_KPROBE(sw_kp_udpv6_sendmsg, struct sock___sw *sk)
{
	fallback_claim(sk, UDP_CLAIM, false);
	return 0;
}

SEC("kprobe/udp_recvmsg")
int BPF_KPROBE(sw_kp_udp_recvmsg, struct sock___sw *sk)
{
	fallback_claim(sk, UDP_CLAIM, false);
	return 0;
}

SEC("kprobe/udpv6_recvmsg")
int BPF_KPROBE(sw_kp_udpv6_recvmsg, struct sock___sw *sk)
{
	fallback_claim(sk, UDP_CLAIM, false);
	return 0;
}

SEC("kprobe/inet_release")
int BPF_KPROBE(sw_kp_release, struct socket___sw *sock)
{
	fallback_release(BPF_CORE_READ(sock, sk), false);
	return 0;
}

#endif /* SW_OWNER_FENTRY_BPF_H */
