// SPDX-License-Identifier: MIT
/*
 * Sockets opened before the start have passed their cgroup hooks already:
 * give them owners from the socket tables (sock_diag: cookie, tuple, inode)
 * and /proc (which process holds the inode). Entries the hooks wrote since
 * the attach are newer and kept (BPF_NOEXIST). With far peers on, the other
 * network namespaces' sockets too (a listener over there started before us
 * owns the connections it accepts), each namespace listed from a socket a
 * thread makes inside it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include "engine.h"
#include "sockwatch.skel.h"

#define MAX_SOCKETS 65536  /* sockets seeded at most */
#define MAX_PROCS 65536    /* /proc entries looked at */
#define MAX_NETNS 64       /* other network namespaces seeded at most */
#define MAX_NS_SEEN 1024   /* distinct namespace inodes looked at */
#define TCP_LISTEN 10

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

struct seed_sock {
	uint64_t cookie;
	uint64_t netns;
	uint32_t inode;
	uint32_t uid;
	uint8_t proto;
	uint8_t listen;
	uint8_t family; /* 4 or 6, as the owner keys have it (a v4-mapped address is IPv4) */
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16];
	uint32_t pid;
};

struct seed {
	struct seed_sock *s;
	size_t n;
};

struct ns_socket {
	int nsfd, domain, type, proto;
	int fd; /* or -errno */
};

static void *socket_there(void *arg)
{
	struct ns_socket *a = arg;

	if (setns(a->nsfd, CLONE_NEWNET))
		a->fd = -errno;
	else if ((a->fd = socket(a->domain, a->type | SOCK_CLOEXEC, a->proto)) < 0)
		a->fd = -errno;
	return NULL;
}

/* A socket in the namespace nsfd names (ours when -1): made by a thread that
 * enters it, since setns changes only the calling thread's namespace and a
 * socket stays in the one it was made in. An fd, or -errno. */
static int socket_in(int nsfd, int domain, int type, int proto)
{
	struct ns_socket a = { .nsfd = nsfd, .domain = domain, .type = type, .proto = proto, .fd = -EINVAL };
	pthread_t t;
	int err;

	if (nsfd < 0) {
		a.fd = socket(domain, type | SOCK_CLOEXEC, proto);
		return a.fd < 0 ? -errno : a.fd;
	}
	err = pthread_create(&t, NULL, socket_there, &a);
	if (err)
		return -err;
	pthread_join(t, NULL);
	return a.fd;
}

/* An address as the owner keys hold it (bpf/owner.bpf.h's key_addr): IPv4
 * in the first 4 bytes, an IPv6 socket's v4-mapped address too. */
static uint8_t key_addr(uint8_t *out, const __be32 *a, int family)
{
	bool mapped = family == AF_INET6 && !a[0] && !a[1] && a[2] == htonl(0xffff);

	memset(out, 0, 16);
	if (family == AF_INET || mapped)
		memcpy(out, &a[mapped ? 3 : 0], 4);
	else
		memcpy(out, a, 16);
	return family == AF_INET || mapped ? 4 : 6;
}

/* One dump of one family and protocol in one namespace, appended to seed. */
static int dump(struct seed *sd, int nsfd, uint64_t netns, int family, int proto)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = family, .sdiag_protocol = proto, .idiag_states = ~0U },
	};
	char buf[32768];
	int fd, err = 0;
	bool done = false;

	fd = socket_in(nsfd, AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return fd;
	if (send(fd, &msg, sizeof(msg), 0) < 0) {
		err = -errno;
		goto cleanup;
	}
	while (!done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (len < 0) {
			err = -errno;
			goto cleanup;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			struct seed_sock *s;

			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			if (!m->idiag_inode || sd->n >= MAX_SOCKETS)
				continue;
			s = &sd->s[sd->n++];
			memset(s, 0, sizeof(*s));
			s->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
			s->netns = netns;
			s->inode = m->idiag_inode;
			s->uid = m->idiag_uid;
			s->proto = proto;
			s->listen = proto == IPPROTO_TCP && m->idiag_state == TCP_LISTEN;
			s->lport = ntohs(m->id.idiag_sport);
			s->rport = ntohs(m->id.idiag_dport);
			s->family = key_addr(s->laddr, m->id.idiag_src, family);
			key_addr(s->raddr, m->id.idiag_dst, family);
		}
	}
cleanup:
	close(fd);
	return err;
}

static int by_inode(const void *a, const void *b)
{
	const struct seed_sock *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* Which process holds each socket: /proc/<pid>/fd entries link to "socket:[inode]". */
static void find_pids(struct seed *sd)
{
	DIR *proc = opendir("/proc"), *fds;
	struct dirent *p, *f;
	int procs = 0;
	char path[320], link[64];

	if (!proc)
		return;
	qsort(sd->s, sd->n, sizeof(*sd->s), by_inode);
	while ((p = readdir(proc)) && procs++ < MAX_PROCS) {
		unsigned long pid = strtoul(p->d_name, NULL, 10);

		if (!pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%lu/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue; /* gone, or not ours to read */
		while ((f = readdir(fds))) {
			struct seed_sock key, *s;
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/%lu/fd/%s", pid, f->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = 0;
			if (sscanf(link, "socket:[%u]", &key.inode) != 1)
				continue;
			s = bsearch(&key, sd->s, sd->n, sizeof(*sd->s), by_inode);
			if (s && !s->pid)
				s->pid = pid;
		}
		closedir(fds);
	}
	closedir(proc);
}

uint64_t owner_netns_cookie(int nsfd)
{
	socklen_t len = sizeof(uint64_t);
	uint64_t cookie = 0;
	int fd = socket_in(nsfd, AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		cookie = 0;
	close(fd);
	return cookie;
}

struct far_ns {
	int fd[MAX_NETNS];
	uint64_t cookie[MAX_NETNS];
	int n;
};

/* One candidate namespace file: kept when it is a namespace not seen yet and not ours. */
static void far_candidate(struct far_ns *far, ino_t *seen, int *n_seen, const char *path, uint64_t ours)
{
	struct stat st;
	uint64_t cookie;
	int fd;

	if (far->n >= MAX_NETNS || *n_seen >= MAX_NS_SEEN || stat(path, &st))
		return;
	for (int i = 0; i < *n_seen; i++)
		if (seen[i] == st.st_ino)
			return;
	seen[(*n_seen)++] = st.st_ino;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	cookie = owner_netns_cookie(fd);
	if (!cookie || cookie == ours) {
		close(fd);
		return;
	}
	far->fd[far->n] = fd;
	far->cookie[far->n++] = cookie;
}

/* Every other network namespace a process is in, or /run/netns names (ip netns), bounded. */
static void far_namespaces(struct far_ns *far, uint64_t ours)
{
	ino_t *seen = calloc(MAX_NS_SEEN, sizeof(*seen));
	const char *dirs[] = { "/proc", "/run/netns" };
	char path[320];
	int n_seen = 0, looked = 0;
	struct dirent *d;
	DIR *dir;

	if (!seen)
		return;
	for (int i = 0; i < 2; i++) {
		dir = opendir(dirs[i]);
		if (!dir)
			continue;
		while ((d = readdir(dir)) && looked++ < MAX_PROCS) {
			if (d->d_name[0] == '.' || (i == 0 && !strtoul(d->d_name, NULL, 10)))
				continue;
			snprintf(path, sizeof(path), i == 0 ? "/proc/%s/ns/net" : "/run/netns/%s", d->d_name);
			far_candidate(far, seen, &n_seen, path, ours);
		}
		closedir(dir);
	}
	free(seen);
}

/* A process's comm and cgroup v2 id; false when it is gone. */
static bool process_owner(const struct cgroups *cg, uint32_t pid, struct sw_owner *o)
{
	char path[64], line[4096];
	bool found = false;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(o->comm, 1, sizeof(o->comm) - 1, f);
	fclose(f);
	if (n && o->comm[n - 1] == '\n')
		o->comm[n - 1] = 0;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		found = !cgroups_id_of(cg, line + 3, &o->cgroup_id);
	}
	fclose(f);
	o->pid = pid;
	return true;
}

/* A port number the full ports map had no room for (bpf/owner.bpf.h's owner_refused). */
static void refuse(struct engine *e, uint16_t port)
{
	__atomic_fetch_or(&e->skel->bss->owner_refused[port / 64], 1ULL << (port % 64), __ATOMIC_SEQ_CST);
}

/* bpf/owner.bpf.h's port_claim, for a socket from before the start: one more
 * holder of the port; holders of two processes make it shared (pid 0, what
 * they have in common). The hooks may count a holder meanwhile: this one's
 * read and write are not atomic with theirs (at the start only). */
static void port_seed(struct engine *e, int ports, const struct sw_owner_key *k, const struct sw_owner_entry *ent)
{
	struct sw_owner_port p, nw = { .o = ent->o, .cookie = ent->cookie, .holders = 1 };

	if (bpf_map_lookup_elem(ports, k, &p)) {
		if (bpf_map_update_elem(ports, k, &nw, BPF_NOEXIST) && errno == E2BIG)
			refuse(e, k->lport);
		return;
	}
	p.holders++;
	sw_port_join(&p, &ent->o, ent->cookie);
	bpf_map_update_elem(ports, k, &p, BPF_EXIST);
}

long owner_seed(struct engine *e)
{
	struct owners *ow = &e->owners;
	static const int families[] = { AF_INET, AF_INET6 }, protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	int cookies = bpf_map__fd(e->skel->maps.owner_cookies);
	int tuples = bpf_map__fd(e->skel->maps.owner_tuples);
	int ports = bpf_map__fd(e->skel->maps.owner_ports);
	struct seed sd = { 0 };
	struct far_ns far = { .n = 0 };
	long seeded = 0;
	int err = 0;

	sd.s = calloc(MAX_SOCKETS, sizeof(*sd.s));
	if (!sd.s)
		return -ENOMEM;
	for (int f = 0; f < 2 && !err; f++)
		for (int p = 0; p < 2 && !err; p++)
			err = dump(&sd, -1, ow->netns, families[f], protos[p]);
	if (err)
		goto cleanup;
	if (ow->far)
		far_namespaces(&far, ow->netns);
	/* a namespace that went meanwhile, or refuses us, is skipped */
	for (int i = 0; i < far.n; i++)
		for (int f = 0; f < 2; f++)
			for (int p = 0; p < 2; p++)
				dump(&sd, far.fd[i], far.cookie[i], families[f], protos[p]);
	find_pids(&sd);
	for (size_t i = 0; i < sd.n; i++) {
		struct seed_sock *s = &sd.s[i];
		struct sw_owner_entry ent = { .cookie = s->cookie }, known;
		bool hooked;
		/* a port by its own namespace; another namespace's connection
		 * under 0, "another local namespace" (bpf/owner.bpf.h's FAR_NETNS) */
		struct sw_owner_key k = { .netns = s->netns, .proto = s->proto, .lport = s->lport };

		if (!s->pid || !process_owner(&ow->cg, s->pid, &ent.o))
			continue;
		ent.o.uid = s->uid;
		/* a socket a hook saw meanwhile (a send or receive since the
		 * attach) is newer: its owner is the hook's, and it holds its port
		 * if the hook counted it (a bind); else it is counted here */
		hooked = !bpf_map_lookup_elem(cookies, &s->cookie, &known);
		if (hooked && (known.bound.port || known.released_ns))
			continue;
		if (hooked)
			ent.o = known.o;
		if (s->lport && (s->listen || (s->proto == IPPROTO_UDP && !s->rport))) {
			memcpy(ent.bound.addr, s->laddr, 16);
			ent.bound.port = s->lport;
			ent.bound.proto = s->proto;
			ent.bound.family = s->family;
			memcpy(k.laddr, s->laddr, 16);
			k.family = s->family;
			/* the cookie entry says it holds the port first: its release then frees it */
			if (!bpf_map_update_elem(cookies, &s->cookie, &ent, hooked ? BPF_EXIST : BPF_NOEXIST))
				port_seed(e, ports, &k, &ent);
			k.family = 0;
		} else if (hooked) {
			continue;
		}
		bpf_map_update_elem(cookies, &s->cookie, &ent, BPF_NOEXIST);
		if (s->rport) {
			k.netns = s->netns == ow->netns ? ow->netns : 0;
			memcpy(k.laddr, s->laddr, 16);
			memcpy(k.raddr, s->raddr, 16);
			k.rport = s->rport;
			bpf_map_update_elem(tuples, &k, &ent, BPF_NOEXIST);
		}
		seeded++;
	}
	/* the filter's memo of recent answers (owner_memos) holds only while
	 * the maps are unchanged: say they changed */
	if (seeded)
		__atomic_fetch_add(&e->skel->bss->owner_version, 1, __ATOMIC_SEQ_CST);
cleanup:
	for (int i = 0; i < far.n; i++)
		close(far.fd[i]);
	free(sd.s);
	return err ? err : seeded;
}
