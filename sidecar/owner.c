// SPDX-License-Identifier: MIT
/* Attribution's switch, its cgroup hooks and its kernel-side process filter. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "sockwatch.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static void hook_programs(struct sockwatch_bpf *skel, struct bpf_program **p)
{
	int n = 0;

	p[n++] = skel->progs.sw_sock_create;
	p[n++] = skel->progs.sw_post_bind4;
	p[n++] = skel->progs.sw_post_bind6;
	p[n++] = skel->progs.sw_connect4;
	p[n++] = skel->progs.sw_connect6;
	p[n++] = skel->progs.sw_sendmsg4;
	p[n++] = skel->progs.sw_sendmsg6;
	p[n++] = skel->progs.sw_recvmsg4;
	p[n++] = skel->progs.sw_recvmsg6;
	p[n++] = skel->progs.sw_sock_release;
	p[n++] = skel->progs.sw_egress;
	p[n++] = NULL;
}

static bool has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

/* --pid, --comm, --cgroup, --container into the kernel's filter. */
static int proc_filter(struct engine *e, struct sw_proc_filter *f)
{
	const struct sw_opts *o = &e->opts;
	struct owners *ow = &e->owners;
	__u64 id;
	int err, n;

	f->n_pids = o->n_pids;
	memcpy(f->pids, o->pids, sizeof(f->pids));
	if (o->comm) {
		strncpy(f->comm, o->comm, sizeof(f->comm) - 1);
		f->has_comm = 1;
	}
	for (int i = 0; i < o->n_cgroups; i++) {
		err = cgroups_id_of(&ow->cg, o->cgroups[i], &id);
		if (err) {
			fprintf(stderr, "sockwatch-sidecar: --cgroup: no cgroup '%s' under the cgroup v2 mount %s (%s)\n",
				o->cgroups[i], ow->cg.root[0] ? ow->cg.root : "(none)", strerror(-err));
			return EXIT_USAGE;
		}
		f->cgroups[f->n_cgroups++] = id;
	}
	if (o->container) {
		n = cgroups_of_container(&ow->cg, o->container, &f->cgroups[f->n_cgroups],
					 SW_MAX_PROC_CGROUPS - f->n_cgroups);
		if (!n) {
			fprintf(stderr, "sockwatch-sidecar: --container: no cgroup under %s names a container '%s'\n",
				ow->cg.root[0] ? ow->cg.root : "(no cgroup v2 mount)", o->container);
			return EXIT_USAGE;
		}
		f->n_cgroups += n;
	}
	return 0;
}

static bool loopback_only(const struct sw_opts *o)
{
	if (o->any || !o->n_ifaces)
		return false;
	for (int i = 0; i < o->n_ifaces; i++)
		if (strcmp(o->ifnames[i], "lo"))
			return false;
	return true;
}

int owner_configure(struct engine *e)
{
	struct owners *ow = &e->owners;
	struct sw_proc_filter f = { 0 };
	struct bpf_program *progs[OWNER_HOOKS];
	const struct sw_opts *o = &e->opts;
	bool filtering = o->n_pids || o->comm || o->n_cgroups || o->container, cgroup_route;
	int err;

	ow->cgroup_fd = -1;
	ow->asked = !o->no_process;
	err = ow->cg_err; /* engine_load looked, before the object was opened */
	if (ow->asked) {
		if (!owner_route_choose(e, !err))
			; /* off_why says why */
		else if (ow->route == SW_ROUTE_CGROUP && !has_cap(CAP_NET_ADMIN))
			snprintf(ow->off_why, sizeof(ow->off_why),
				 "this process lacks CAP_NET_ADMIN, which attaching to cgroup socket hooks needs");
		else if (ow->route != SW_ROUTE_CGROUP && !has_cap(CAP_PERFMON) && !has_cap(CAP_SYS_ADMIN))
			snprintf(ow->off_why, sizeof(ow->off_why),
				 "this process lacks CAP_PERFMON, which the %s programs attribution takes without "
				 "a cgroup v2 mount need", sw_route_names[ow->route]);
		else if (!(ow->netns = owner_netns_cookie(-1)))
			snprintf(ow->off_why, sizeof(ow->off_why),
				 "this kernel has no network namespace cookies (SO_NETNS_COOKIE, Linux 5.14)");
	}
	ow->on = ow->asked && !ow->off_why[0];
	if (filtering && !ow->on)
		return engine_fail(e, EXIT_PERM, "permission", NULL,
				   "--pid, --comm, --cgroup and --container need process attribution, which is off: %s",
				   ow->asked ? ow->off_why : "--no-process");
	err = proc_filter(e, &f);
	if (err)
		return err;

	cgroup_route = ow->on && ow->route == SW_ROUTE_CGROUP;
	hook_programs(e->skel, progs);
	for (int i = 0; progs[i]; i++)
		bpf_program__set_autoload(progs[i], cgroup_route);
	owner_route_autoload(e); /* the fentry/kprobe route's programs */
	/* per-socket storage, made only for the hooks' use */
	bpf_map__set_autocreate(e->skel->maps.owner_socks, cgroup_route);
	e->skel->rodata->owner_on = ow->on;
	e->skel->rodata->tap_netns = ow->netns;
	e->skel->rodata->egress_netns =
		cgroup_route && libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SKB, BPF_FUNC_get_netns_cookie, NULL) == 1;
	/* peers in other local namespaces: every namespace's sockets are then
	 * recorded, so not for a capture of loopback alone, where none can be
	 * (the fentry/kprobe route reads a socket's namespace itself) */
	ow->far = (cgroup_route ? e->skel->rodata->egress_netns : ow->on) && !loopback_only(o);
	e->skel->rodata->far_peers = ow->far;
	memcpy((void *)&e->skel->rodata->proc_filter, &f, sizeof(f));
	err = bpf_map__set_max_entries(e->skel->maps.owner_cookies, ow->on ? o->owner_entries : 1);
	err = err ?: bpf_map__set_max_entries(e->skel->maps.owner_tuples, ow->on ? o->owner_entries : 1);
	err = err ?: bpf_map__set_max_entries(e->skel->maps.owner_ports, ow->on ? SW_OWNER_PORTS(o->owner_entries) : 1);
	if (err)
		return engine_fail(e, EXIT_RUNTIME, "runtime", NULL, "could not size the owner maps: %s", strerror(-err));
	return 0;
}

static void turn_off(struct engine *e, const char *fmt, const char *what, int err)
{
	struct owners *ow = &e->owners;

	snprintf(ow->off_why, sizeof(ow->off_why), fmt, what, strerror(err));
	for (int i = 0; i < ow->n_links; i++)
		bpf_link__destroy(ow->links[i]);
	ow->n_links = 0;
	ow->on = false;
}

int owner_attach(struct engine *e)
{
	struct owners *ow = &e->owners;
	struct bpf_program *progs[OWNER_HOOKS];
	struct bpf_link *link;
	long n;

	if (!ow->on)
		goto report;
	if (ow->route != SW_ROUTE_CGROUP) {
		if (owner_route_attach(e))
			goto report;
		goto seed;
	}
	ow->cgroup_fd = open(ow->cg.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ow->cgroup_fd < 0) {
		turn_off(e, "could not open the cgroup v2 root %s: %s", ow->cg.root, errno);
		goto report;
	}
	hook_programs(e->skel, progs);
	for (int i = 0; progs[i]; i++) {
		link = bpf_program__attach_cgroup(progs[i], ow->cgroup_fd);
		if (!link) {
			turn_off(e, "attaching to the cgroup hook %s failed: %s", bpf_program__section_name(progs[i]),
				 errno);
			goto report;
		}
		ow->links[ow->n_links++] = link;
	}
seed:
	n = owner_seed(e);
	if (n < 0)
		engine_log(e, "process attribution: could not list the sockets open before the start: %s",
			   strerror(-n));
	else
		ow->seeded = n;
	if (ow->route == SW_ROUTE_CGROUP)
		engine_log(e, "process attribution: %d cgroup hooks on %s; %lu sockets from before the start seeded",
			   ow->n_links, ow->cg.shown, ow->seeded);
	else
		engine_log(e, "process attribution: %d %s programs (no cgroup v2 hooks); %lu sockets from before the start seeded",
			   ow->n_route_links, sw_route_names[ow->route], ow->seeded);
report:
	if (ow->asked && !ow->on)
		fprintf(stderr, "sockwatch-sidecar: process attribution is off: %s; pid, comm, uid, cgroup and "
			"container are null (--no-process turns it off quietly)\n", ow->off_why);
	return 0;
}

void owner_close(struct owners *ow)
{
	owner_route_close(ow);
	for (int i = 0; i < ow->n_links; i++)
		bpf_link__destroy(ow->links[i]);
	ow->n_links = 0;
	if (ow->cgroup_fd >= 0)
		close(ow->cgroup_fd);
	ow->cgroup_fd = -1;
	cgroups_free(&ow->cg);
}

static bool live(const struct sw_owner_entry *ent, uint64_t now)
{
	/* a release after the clock read is not one past its grace (bpf/owner.bpf.h) */
	return !ent->released_ns || now <= ent->released_ns ||
	       now - ent->released_ns < (uint64_t)SW_OWNER_GRACE_S * 1000000000ULL;
}

static bool socket_live(int cookies, uint64_t cookie, uint64_t now)
{
	struct sw_owner_entry sock;

	return bpf_map_lookup_elem(cookies, &cookie, &sock) || live(&sock, now);
}

/* bpf/owner.bpf.h's owner_by_tuple (far: owner_far), from user space: the
 * connection; the bound port (this address, any of its family, and for IPv4
 * any IPv6); an unbound socket's port. A shared port's pid is 0: no owner here. */
static bool by_tuple(const struct engine *e, const struct sw_flow_key *f, bool local_is_src, bool far, uint64_t now,
		     struct sw_owner *out)
{
	int tuples = bpf_map__fd(e->skel->maps.owner_tuples), cookies = bpf_map__fd(e->skel->maps.owner_cookies);
	int ports = bpf_map__fd(e->skel->maps.owner_ports);
	struct sw_owner_key k = { .netns = far ? 0 : e->owners.netns, .proto = f->proto };
	struct sw_owner_entry ent;
	struct sw_owner_port port;

	memcpy(k.laddr, local_is_src ? f->saddr : f->daddr, 16);
	memcpy(k.raddr, local_is_src ? f->daddr : f->saddr, 16);
	k.lport = local_is_src ? f->sport : f->dport;
	k.rport = local_is_src ? f->dport : f->sport;
	if (!bpf_map_lookup_elem(tuples, &k, &ent) && live(&ent, now) && socket_live(cookies, ent.cookie, now)) {
		*out = ent.o;
		return true;
	}
	/* a TCP sender without its connection learnt is the kernel (bpf/owner.bpf.h) */
	if (far || (local_is_src && f->proto == IPPROTO_TCP))
		return false;
	memset(k.raddr, 0, sizeof(k.raddr));
	k.rport = 0;
	for (int pass = 0; pass < 3; pass++) {
		if (pass == 1)
			memset(k.laddr, 0, sizeof(k.laddr));
		k.family = pass == 2 ? 6 : f->family;
		if (pass == 2 && f->family != 4)
			break;
		if (!bpf_map_lookup_elem(ports, &k, &port)) {
			*out = port.o;
			return port.o.pid != 0;
		}
	}
	memset(k.laddr, 0, sizeof(k.laddr));
	k.family = 0; /* an unbound socket's port */
	if (!bpf_map_lookup_elem(tuples, &k, &ent) && live(&ent, now) && socket_live(cookies, ent.cookie, now)) {
		*out = ent.o;
		return true;
	}
	return false;
}

void owner_of_flow(const struct engine *e, const struct sw_flow_key *k, struct sw_event_owner *who)
{
	struct timespec ts;
	uint64_t now;

	memset(who, 0, sizeof(*who));
	if (!e->owners.on || (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP) || !(k->sport || k->dport))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns's clock */
	now = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	by_tuple(e, k, k->dir == SW_DIR_OUT, false, now, &who->owner);
	if (k->ifindex == e->loopback)
		by_tuple(e, k, true, false, now, &who->peer);
	else if (e->owners.far)
		by_tuple(e, k, k->dir == SW_DIR_IN, true, now, &who->peer);
}
