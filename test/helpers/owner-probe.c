// SPDX-License-Identifier: MIT
/*
 * Runs the socket filter's owner lookup (bpf/owner.bpf.h) on crafted packets
 * with owner map entries written here, for test/integration/owner-probe.test.ts:
 * cases the real hooks produce only by chance (a socket released on another
 * CPU while the filter runs) or after a long wait (the end of the grace
 * period). Loads the real program (no hooks attached), fills owner_cookies and
 * owner_tuples, runs the filter with BPF_PROG_TEST_RUN (ifindex: this netns's
 * loopback, so the peer is looked up too) and prints one JSON line per case:
 * {"case":…,"pid":…,"peer_pid":…}; then runs the egress learner on a packet
 * of another namespace ({"case":…,"learnt":…}). Run it as root, in a network
 * namespace of its own (its loopback must be ifindex 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "sockwatch.h"
#include "sockwatch.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define SEC_NS 1000000000LL

struct probe_case {
	const char *name;
	long long released; /* the sender's socket: released this long before now (ns); 0: open */
};

/* released < 0: after the filter read its clock, as a release on another CPU can be */
static const struct probe_case cases[] = {
	{ "open", 0 },
	{ "released 1 s ago", SEC_NS },
	{ "released after the filter read its clock", -SEC_NS / 1000 },
	{ "released 61 s ago", 61 * SEC_NS },
};

static struct sw_event last;
static int got;

static int on_record(void *ctx, void *data, size_t size)
{
	if (size >= sizeof(last)) {
		memcpy(&last, data, sizeof(last));
		got++;
	}
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns's clock */
	return (long long)ts.tv_sec * SEC_NS + ts.tv_nsec;
}

static void put_owner(int tuples, int cookies, __u64 netns, __u16 lport, __u16 rport, __u32 pid, __u64 cookie,
		      long long released)
{
	struct sw_owner_key k = { .netns = netns, .proto = IPPROTO_TCP, .lport = lport, .rport = rport };
	struct sw_owner_entry ent = { .cookie = cookie };
	__u32 lo = htonl(INADDR_LOOPBACK);

	memcpy(k.laddr, &lo, 4);
	memcpy(k.raddr, &lo, 4);
	ent.o.pid = pid;
	snprintf(ent.o.comm, sizeof(ent.o.comm), "probe-%u", pid);
	bpf_map_update_elem(tuples, &k, &ent, BPF_ANY);
	ent.released_ns = released ? (__u64)(now_ns() - released) : 0;
	bpf_map_update_elem(cookies, &cookie, &ent, BPF_ANY);
}

/* One TCP packet 127.0.0.1:sport -> 127.0.0.1:dport through the filter; prints its owners. */
static int run_one(int prog_fd, struct ring_buffer *rb, const char *name, __u16 sport, __u16 dport)
{
	struct {
		struct iphdr ip;
		struct tcphdr tcp;
	} __attribute__((packed)) pkt = { 0 };
	/* the frame the test run starts from: an Ethernet header it pulls */
	__u8 frame[14 + sizeof(pkt)] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame, .data_size_in = sizeof(frame), .repeat = 1);

	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_TCP;
	pkt.ip.tot_len = htons(sizeof(pkt));
	pkt.ip.saddr = pkt.ip.daddr = htonl(INADDR_LOOPBACK);
	pkt.tcp.source = htons(sport);
	pkt.tcp.dest = htons(dport);
	pkt.tcp.doff = 5;
	pkt.tcp.ack = 1;
	frame[12] = 0x08; /* ETH_P_IP */
	memcpy(frame + 14, &pkt, sizeof(pkt));
	got = 0;
	if (bpf_prog_test_run_opts(prog_fd, &run)) {
		fprintf(stderr, "owner-probe: test run: %s\n", strerror(errno));
		return -1;
	}
	ring_buffer__consume(rb);
	if (got != 1) {
		fprintf(stderr, "owner-probe: case '%s': %d records, not 1\n", name, got);
		return -1;
	}
	printf("{\"case\":\"%s\",\"sport\":%u,\"dport\":%u,\"pid\":%u,\"peer_pid\":%u}\n", name, last.sport,
	       last.dport, last.who.owner.pid, last.who.peer.pid);
	return 0;
}

/* The egress learner on a packet of another namespace whose source port is
 * a listener's in ours: it must not teach the tuple map that connection. */
static int learn_foreign(struct sockwatch_bpf *skel, __u64 netns)
{
	struct sw_owner_key k = { .netns = netns, .proto = IPPROTO_TCP, .lport = 8080 };
	struct sw_owner_entry ent = { .cookie = 4000 }, out;
	struct {
		struct iphdr ip;
		struct tcphdr tcp;
	} __attribute__((packed)) pkt = { 0 };
	__u8 frame[14 + sizeof(pkt)] = { 0 };
	__u32 lo = htonl(INADDR_LOOPBACK);
	int tuples = bpf_map__fd(skel->maps.owner_tuples);
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame, .data_size_in = sizeof(frame), .repeat = 1);

	ent.o.pid = 4000;
	bpf_map_update_elem(tuples, &k, &ent, BPF_ANY); /* our listener on 8080 */
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_TCP;
	pkt.ip.tot_len = htons(sizeof(pkt));
	pkt.ip.saddr = pkt.ip.daddr = lo;
	pkt.tcp.source = htons(8080);
	pkt.tcp.dest = htons(9090);
	pkt.tcp.doff = 5;
	pkt.tcp.ack = 1;
	frame[12] = 0x08;
	memcpy(frame + 14, &pkt, sizeof(pkt));
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.sw_egress), &run)) {
		fprintf(stderr, "owner-probe: egress test run: %s\n", strerror(errno));
		return -1;
	}
	memcpy(k.laddr, &lo, 4);
	memcpy(k.raddr, &lo, 4);
	k.rport = 9090;
	printf("{\"case\":\"egress: another namespace's packet\",\"learnt\":%s,\"netns_helper\":%s}\n",
	       bpf_map_lookup_elem(tuples, &k, &out) ? "false" : "true",
	       skel->rodata->egress_netns ? "true" : "false");
	return 0;
}

int main(void)
{
	struct sockwatch_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct bpf_program *prog;
	socklen_t len = sizeof(__u64);
	__u64 netns = 0;
	int fd, tuples, cookies, prog_fd, err = 1;
	cpu_set_t one;

	/* the filter's memo is per CPU: every test run on the same one */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		perror("owner-probe: sched_setaffinity");
		return 1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &netns, &len)) {
		perror("owner-probe: SO_NETNS_COOKIE");
		return 1;
	}
	skel = sockwatch_bpf__open();
	if (!skel) {
		perror("owner-probe: open");
		return 1;
	}
	/* the socket filter and the egress learner: the hooks stay unloaded,
	 * the maps are ours */
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == skel->progs.sockwatch || prog == skel->progs.sw_egress);
	/* The capture's namespace, as the programs see it, is not this one: the
	 * filter keys its lookups by it (entries below use it too), and to the
	 * egress learner this namespace's packets are another namespace's. */
	netns += 1000003;
	skel->rodata->owner_on = true;
	skel->rodata->tap_netns = netns;
	skel->rodata->egress_netns =
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SKB, BPF_FUNC_get_netns_cookie, NULL) == 1;
	skel->rodata->loopback_ifindex = 1;
	if (sockwatch_bpf__load(skel)) {
		perror("owner-probe: load");
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, NULL, NULL);
	if (!rb) {
		perror("owner-probe: ring buffer");
		goto cleanup;
	}
	tuples = bpf_map__fd(skel->maps.owner_tuples);
	cookies = bpf_map__fd(skel->maps.owner_cookies);
	prog_fd = bpf_program__fd(skel->progs.sockwatch);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		__u16 sport = 40000 + i, dport = 50000 + i;

		/* the receiver (owner, local port dport) is open; the sender (peer) per case */
		put_owner(tuples, cookies, netns, dport, sport, 2000 + i, 2000 + i, 0);
		put_owner(tuples, cookies, netns, sport, dport, 1000 + i, 1000 + i, cases[i].released);
		skel->bss->owner_version++; /* as owner_seed does after writing */
		if (run_one(prog_fd, rb, cases[i].name, sport, dport))
			goto cleanup;
	}
	/* The filter's memo: the same tuple again after its owner changed.
	 * Every write to the maps bumps owner_version (the hooks do it in the
	 * kernel), and the answer must follow at once, not 100 ms later. */
	put_owner(tuples, cookies, netns, 50100, 40100, 3000, 3000, 0);
	put_owner(tuples, cookies, netns, 40100, 50100, 3100, 3100, 0);
	skel->bss->owner_version++;
	if (run_one(prog_fd, rb, "memo: first packet", 40100, 50100))
		goto cleanup;
	put_owner(tuples, cookies, netns, 50100, 40100, 3001, 3001, 0);
	skel->bss->owner_version++;
	if (run_one(prog_fd, rb, "memo: after the owner changed", 40100, 50100))
		goto cleanup;
	/* Interleaved flows keep a memo slot each: A, then B, then A again
	 * answers from A's slot. A's entry is rewritten between without a
	 * version bump, which no real writer does, so the answer shows whether
	 * the slot held (the old owner, 5000) or B took it (5001). */
	put_owner(tuples, cookies, netns, 50200, 40200, 5000, 5000, 0);
	put_owner(tuples, cookies, netns, 40200, 50200, 5100, 5100, 0);
	put_owner(tuples, cookies, netns, 50300, 40300, 6000, 6000, 0);
	put_owner(tuples, cookies, netns, 40300, 50300, 6100, 6100, 0);
	skel->bss->owner_version++;
	if (run_one(prog_fd, rb, "memo: flow A", 40200, 50200) || run_one(prog_fd, rb, "memo: flow B", 40300, 50300))
		goto cleanup;
	put_owner(tuples, cookies, netns, 50200, 40200, 5001, 5000, 0);
	if (run_one(prog_fd, rb, "memo: flow A after B", 40200, 50200))
		goto cleanup;
	if (learn_foreign(skel, netns))
		goto cleanup;
	err = 0;
cleanup:
	ring_buffer__free(rb);
	sockwatch_bpf__destroy(skel);
	return err;
}
