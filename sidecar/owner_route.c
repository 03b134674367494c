// SPDX-License-Identifier: MIT
/*
 * Attribution without cgroup v2 (docs/attribution.md, "Routes"): which programs
 * fill the owner maps, chosen at run time as libbpf-tools' tcpconnlat does.
 * With a cgroup v2 mount, its socket hooks (owner.c); without, fentry/fexit
 * programs on the kernel's socket functions (bpf/owner_fentry.bpf.h) when the
 * kernel can attach them, else kprobes on the same functions. The programs of
 * the routes not taken are never loaded (autoload off).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "sockwatch.skel.h"

#define ROUTE_PROBE_FUNC "tcp_connect"

/* Each route's programs, NULL-terminated; inet_csk_accept's fexit takes the
 * variant matching the kernel's signature (accept_args: its parameter count). */
static void route_programs(struct sockwatch_bpf *skel, int route, int accept_args, struct bpf_program **p)
{
	int n = 0;

	if (route == SW_ROUTE_FENTRY) {
		p[n++] = skel->progs.sw_fe_tcp_connect;
		p[n++] = accept_args == 2 ? skel->progs.sw_fx_accept : skel->progs.sw_fx_accept_old;
		p[n++] = skel->progs.sw_fx_listen;
		p[n++] = skel->progs.sw_fx_bind4;
		p[n++] = skel->progs.sw_fx_bind6;
		p[n++] = skel->progs.sw_fx_dgram_connect4;
		p[n++] = skel->progs.sw_fx_dgram_connect6;
		p[n++] = skel->progs.sw_fe_udp_sendmsg;
		p[n++] = skel->progs.sw_fe_udpv6_sendmsg;
		p[n++] = skel->progs.sw_fe_udp_recvmsg;
		p[n++] = skel->progs.sw_fe_udpv6_recvmsg;
		p[n++] = skel->progs.sw_fe_release;
	} else if (route == SW_ROUTE_KPROBE) {
		p[n++] = skel->progs.sw_kp_tcp_connect;
		p[n++] = skel->progs.sw_kr_accept;
		p[n++] = skel->progs.sw_kp_listen;
		p[n++] = skel->progs.sw_kr_listen;
		p[n++] = skel->progs.sw_kp_bind4;
		p[n++] = skel->progs.sw_kr_bind4;
		p[n++] = skel->progs.sw_kp_bind6;
		p[n++] = skel->progs.sw_kr_bind6;
		p[n++] = skel->progs.sw_kp_dgram_connect4;
		p[n++] = skel->progs.sw_kr_dgram_connect4;
		p[n++] = skel->progs.sw_kp_dgram_connect6;
		p[n++] = skel->progs.sw_kr_dgram_connect6;
		p[n++] = skel->progs.sw_kp_udp_sendmsg;
		p[n++] = skel->progs.sw_kp_udpv6_sendmsg;
		p[n++] = skel->progs.sw_kp_udp_recvmsg;
		p[n++] = skel->progs.sw_kp_udpv6_recvmsg;
		p[n++] = skel->progs.sw_kp_release;
	}
	p[n] = NULL;
}

/* How many parameters a kernel function has, from the vmlinux BTF; -1 when it
 * has none there (no BTF, or not a function this kernel has). */
static int func_args(const struct btf *btf, const char *name)
{
	const struct btf_type *t;
	int id;

	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (id <= 0)
		return -1;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	return t ? btf_vlen(t) : -1;
}

/* libbpf-tools' fentry_can_attach: the function is in the kernel's BTF, and
 * a trivial fentry program loads and attaches to it (BTF trampolines exist on
 * this kernel and architecture). */
static bool fentry_can_attach(const struct btf *btf, const char *name)
{
	static const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	int id, prog = -1, link = -1;
	bool ok = false;

	id = btf ? btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) : -1;
	if (id <= 0)
		return false;
	opts.attach_btf_id = id;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "sw_fentry_probe", "GPL", ret0, 2, &opts);
	if (prog < 0)
		return false;
	link = bpf_raw_tracepoint_open(NULL, prog);
	ok = link >= 0;
	if (link >= 0)
		close(link);
	close(prog);
	return ok;
}

/* kprobes as libbpf attaches them: the perf PMU, else tracefs's kprobe_events. */
static bool kprobes_exist(void)
{
	return !access("/sys/bus/event_source/devices/kprobe/type", F_OK) ||
	       !access("/sys/kernel/tracing/kprobe_events", F_OK) ||
	       !access("/sys/kernel/debug/tracing/kprobe_events", F_OK);
}

bool owner_route_may_fall_back(const struct engine *e)
{
	int route = e->opts.owner_route;

	if (e->opts.no_process)
		return false;
	return route == SW_ROUTE_FENTRY || route == SW_ROUTE_KPROBE || (route == SW_ROUTE_AUTO && e->owners.cg_err);
}

bool owner_route_choose(struct engine *e, bool cgroup2)
{
	struct owners *ow = &e->owners;
	struct btf *btf = NULL;
	int route = e->opts.owner_route;
	bool ok = true;

	ow->accept_args = 2;
	if (route != SW_ROUTE_CGROUP && (route != SW_ROUTE_AUTO || !cgroup2)) {
		btf = btf__load_vmlinux_btf();
		if (libbpf_get_error(btf))
			btf = NULL;
		ow->accept_args = func_args(btf, "inet_csk_accept");
	}
	if (route == SW_ROUTE_AUTO && !cgroup2) {
		route = fentry_can_attach(btf, ROUTE_PROBE_FUNC) ? SW_ROUTE_FENTRY : SW_ROUTE_KPROBE;
		if (route == SW_ROUTE_KPROBE && !kprobes_exist()) {
			snprintf(ow->off_why, sizeof(ow->off_why),
				 "there is no cgroup v2 mount (in this or another mount namespace) for its socket hooks, "
				 "and this kernel attaches neither fentry programs (BTF trampolines) nor kprobes");
			ok = false;
		}
	} else if (route == SW_ROUTE_AUTO) {
		route = SW_ROUTE_CGROUP;
	} else if (route == SW_ROUTE_FENTRY && !fentry_can_attach(btf, ROUTE_PROBE_FUNC)) {
		snprintf(ow->off_why, sizeof(ow->off_why),
			 "this kernel cannot attach fentry programs to %s (no BTF, or no BPF trampolines)", ROUTE_PROBE_FUNC);
		ok = false;
	}
	if (route == SW_ROUTE_CGROUP && !cgroup2) {
		snprintf(ow->off_why, sizeof(ow->off_why),
			 "there is no cgroup v2 mount (in this or another mount namespace) to attach its socket hooks to");
		ok = false;
	}
	ow->route = route;
	btf__free(btf);
	return ok;
}

void owner_route_autoload(struct engine *e)
{
	struct owners *ow = &e->owners;
	struct bpf_program *progs[OWNER_ROUTE_PROGS];
	bool fallback = ow->on && ow->route != SW_ROUTE_CGROUP;

	/* every route program off, then the chosen route's on */
	for (int r = SW_ROUTE_FENTRY; r <= SW_ROUTE_KPROBE; r++)
		for (int a = 2; a <= 4; a += 2) {
			route_programs(e->skel, r, a, progs);
			for (int i = 0; progs[i]; i++)
				bpf_program__set_autoload(progs[i], false);
		}
	bpf_map__set_autocreate(e->skel->maps.owner_pending, fallback && ow->route == SW_ROUTE_KPROBE);
	if (!fallback)
		return;
	route_programs(e->skel, ow->route, ow->accept_args, progs);
	for (int i = 0; progs[i]; i++)
		bpf_program__set_autoload(progs[i], true);
}

int owner_route_attach(struct engine *e)
{
	struct owners *ow = &e->owners;
	struct bpf_program *progs[OWNER_ROUTE_PROGS];
	struct bpf_link *link;
	int err;

	route_programs(e->skel, ow->route, ow->accept_args, progs);
	for (int i = 0; progs[i]; i++) {
		link = bpf_program__attach(progs[i]);
		if (!link) {
			err = errno;
			snprintf(ow->off_why, sizeof(ow->off_why), "attaching the %s program failed: %s%s",
				 bpf_program__section_name(progs[i]), strerror(err),
				 ow->route == SW_ROUTE_KPROBE && !kprobes_exist() ? " (this kernel has no kprobes)" : "");
			owner_route_close(ow);
			ow->on = false;
			return -err;
		}
		ow->route_links[ow->n_route_links++] = link;
	}
	return 0;
}

void owner_route_close(struct owners *ow)
{
	for (int i = 0; i < ow->n_route_links; i++)
		bpf_link__destroy(ow->route_links[i]);
	ow->n_route_links = 0;
}
