// SPDX-License-Identifier: MIT
/* The engine's life: start (interfaces, load, attach, ready), what every part
 * reports through (errors, -v, link changes), and the end. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "linktypes.h"
#include "sockwatch.skel.h"

_Static_assert(sizeof(struct sw_event) == 168, "sw_event layout changed: update docs and tests");
_Static_assert(sizeof(struct sw_counters) == 56, "sw_counters layout changed");
_Static_assert(sizeof(struct sw_flow_key) == 48, "sw_flow_key layout changed");
/* sidecar/budget.c charges round_up(sizeof, 8) a CPU, as the kernel does */
_Static_assert(sizeof(struct sw_flow_val) == 40, "sw_flow_val layout changed");

int engine_fail(struct engine *e, int exit_code, const char *code, const char *detail, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sockwatch-sidecar: %s\n", msg);
	if (detail && *detail && !e->opts.verbose)
		fprintf(stderr, "%s", detail);
	for (int i = 0; i < e->n_writers; i++)
		e->writers[i].ops->error(e->writers[i].ctx, code, msg, detail);
	e->exit_code = exit_code;
	return exit_code;
}

void engine_log(const struct engine *e, const char *fmt, ...)
{
	va_list ap;

	if (!e->opts.verbose)
		return;
	va_start(ap, fmt);
	fputs("sockwatch-sidecar: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* A captured interface's new state, once a change: a link record, a line on stderr. */
static void link_changed(struct engine *e, int k, enum sw_link_state now)
{
	const char *name = e->ifaces[k].name;

	if (e->link_state[k] == now || e->link_state[k] == SW_LINK_GONE)
		return;
	e->link_state[k] = now;
	for (int i = 0; i < e->n_writers; i++)
		e->writers[i].ops->link(e->writers[i].ctx, e->ifaces[k].ifindex, now);
	if (now == SW_LINK_GONE)
		fprintf(stderr, "sockwatch-sidecar: interface '%s' was removed\n", name);
	else
		fprintf(stderr, "sockwatch-sidecar: interface '%s' is %s\n", name, links_state_name(now));
	if (now == SW_LINK_GONE && --e->live_ifaces == 0 && !e->exiting) {
		e->exiting = true;
		e->why = "every interface was removed";
		e->exit_code = EXIT_NOIF;
	}
}

struct link_pass {
	struct engine *e;
	bool dump;               /* a full dump: what it does not list is gone */
	bool listed[MAX_IFACES];
};

static void on_link(void *ctx, const struct sw_link_msg *m)
{
	struct link_pass *p = ctx;
	struct engine *e = p->e;

	if (m->state == SW_LINK_GONE)
		ifnames_deleted(&e->names, m->ifindex);
	else if (m->name && ifnames_set(&e->names, m->ifindex, m->name))
		engine_log(e, "out of memory for interface names");
	if (m->state != SW_LINK_GONE)
		linktypes_set(e, m->ifindex, m->type);
	for (int k = 0; k < e->n_ifaces; k++) {
		if (e->ifaces[k].ifindex != m->ifindex)
			continue;
		p->listed[k] = m->state != SW_LINK_GONE;
		link_changed(e, k, m->state);
	}
}

void engine_links(struct engine *e, bool start)
{
	struct link_pass pass = { .e = e };
	bool lost = false;
	int err;

	if (!start) {
		err = links_read(e->linkfd, on_link, &pass, &lost);
		if (err)
			engine_log(e, "reading link changes: %s", strerror(-err));
		if (!lost)
			return;
		engine_log(e, "link messages were lost: asking the kernel for every link again");
	}
	pass = (struct link_pass){ .e = e, .dump = true };
	err = links_dump(on_link, &pass);
	if (err) {
		engine_log(e, "listing links: %s", strerror(-err));
		return;
	}
	for (int k = 0; k < e->n_ifaces; k++)
		if (!pass.listed[k])
			link_changed(e, k, SW_LINK_GONE);
}

/* Named interfaces to indexes: they must exist now. */
static int resolve_interfaces(struct engine *e)
{
	for (int i = 0; i < e->opts.n_ifaces; i++) {
		e->ifaces[i].name = e->opts.ifnames[i];
		e->ifaces[i].ifindex = if_nametoindex(e->opts.ifnames[i]);
		if (!e->ifaces[i].ifindex)
			return engine_fail(e, EXIT_NOIF, "no_such_interface", NULL,
					   "no interface named '%s': 'ip link' lists them", e->opts.ifnames[i]);
		e->link_state[i] = SW_LINK_UP;
	}
	e->n_ifaces = e->live_ifaces = e->opts.n_ifaces;
	return 0;
}

static void log_setup(const struct engine *e)
{
	const struct sw_opts *o = &e->opts;

	if (!o->verbose)
		return;
	for (int i = 0; i < e->n_ifaces; i++)
		engine_log(e, "capturing on %s (ifindex %u): a packet socket bound to it", e->ifaces[i].name,
			   e->ifaces[i].ifindex);
	if (!e->n_ifaces)
		engine_log(e, "capturing on every interface: one unbound packet socket");
	engine_log(e, "loopback is ifindex %u: its outgoing copy of each packet is skipped, so a loopback "
		   "packet is reported once, as incoming", e->loopback);
	engine_log(e, "timestamps: %s", e->clock.tai ? "CLOCK_TAI" : "CLOCK_BOOTTIME (no CLOCK_TAI before kernel 6.1)");
	if (!o->filter)
		engine_log(e, "filter: none, every packet passes");
	if (o->packets)
		engine_log(e, "packets: a %llu-byte ring buffer, drained at most every %lu ms unless %llu bytes "
			   "wait; idle, no timer: the first record wakes us", o->ring_size, o->poll_ms, o->ring_size / 4);
	if (o->flows)
		engine_log(e, "flows: two tables of %llu entries, read every %lu ms; flows past that are overflow",
			   o->flow_entries, o->interval_ms);
	engine_log(e, "stats every %lu ms%s", o->flows ? o->interval_ms : o->stats_ms,
		   o->flows || o->stats_ms ? "" : " (0: at exit only)");
	if (o->write)
		engine_log(e, "packets: written to %s as %s, at most %lu bytes of each%s", strcmp(o->write, "-") ? o->write : "stdout",
			   o->pcap ? "classic pcap (nanosecond timestamps)" : "pcapng", o->snaplen,
			   o->rotate_bytes || o->rotate_s ? ", rotated as tcpdump's -C/-G/-W" : "");
	if (o->count)
		engine_log(e, "stops after %llu packets", o->count);
	if (o->duration > 0)
		engine_log(e, "stops after %.3f s", o->duration);
}

int engine_start(struct engine *e)
{
	struct sw_ready ready;
	sigset_t sigs;
	uint64_t t;
	int err;

	e->sigfd = e->linkfd = e->epfd = -1;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	e->sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	/* subscribed before the dump, so no change falls between the two */
	e->linkfd = links_open();
	if (e->sigfd < 0 || e->linkfd < 0)
		return engine_fail(e, EXIT_RUNTIME, "runtime", NULL, "could not set up: %s",
				   strerror(e->linkfd < 0 ? -e->linkfd : errno));
	err = resolve_interfaces(e) ?: engine_check_budget(e) ?: engine_load(e);
	if (err)
		return err;
	if (generations_init(e))
		return engine_fail(e, EXIT_RUNTIME, "runtime", NULL, "out of memory for %llu flows",
				   e->opts.flow_entries);
	/* every attach before ready: after it the lead's capability drop may come */
	err = owner_attach(e) ?: engine_attach(e);
	if (err)
		return err;
	e->rb = ring_buffer__new(bpf_map__fd(e->skel->maps.events), engine_ring_record, e, NULL);
	if (!e->rb || (err = engine_poll_setup(e)))
		return engine_fail(e, EXIT_RUNTIME, "runtime", NULL, "could not set up polling: %s",
				   strerror(err ? -err : errno));
	/* everything that needed a capability is done: sockets, maps, programs */
	err = engine_drop_privileges(e);
	if (err)
		return err;
	/* -w: opened as the user who ran us, like every file a rotation opens later */
	if (e->opts.write) {
		char why[PATH_MAX + 128];

		if (cap_writer_open(&e->cap, &e->opts, linktypes_fixed(e), &e->out, why, sizeof(why)))
			return engine_fail(e, EXIT_RUNTIME, "output", NULL, "%s", why);
		e->cap.names = &e->names;
		e->cap.clock = &e->clock;
		e->cap.owners = e->opts.no_process || !e->owners.on ? NULL : &e->owners;
		e->writers[e->n_writers++] = (struct sw_writer){ .ops = &cap_ops, .ctx = &e->cap };
	}

	clock_anchor(&e->clock);
	ready = (struct sw_ready){
		.ifaces = e->ifaces, .n_ifaces = e->n_ifaces, .ring_size = e->opts.packets ? e->opts.ring_size : 4096, /* the ring's least size */
		.packets = e->opts.packets, .flows = e->opts.flows,
		.process_asked = e->owners.asked, .process_on = e->owners.on, .process_off = e->owners.off_why,
		.process_route = e->owners.on ? sw_route_names[e->owners.route] : NULL,
	};
	if (!e->n_ifaces) {
		static const struct sw_iface any = { 0, "any" };

		ready.ifaces = &any;
		ready.n_ifaces = 1;
	}
	for (int i = 0; i < e->n_writers; i++)
		e->writers[i].ops->ready(e->writers[i].ctx, &ready);
	log_setup(e);
	/* names for every index, and the state of the captured interfaces: one
	 * that starts down (or went away since) is said at once */
	engine_links(e, true);

	t = now_ms();
	if (e->opts.duration > 0)
		e->deadline_ms = t + (uint64_t)(e->opts.duration * 1000);
	if (e->opts.flows || e->opts.stats_ms)
		e->next_report_ms = t + (e->opts.flows ? e->opts.interval_ms : e->opts.stats_ms);
	return 0;
}

void engine_close(struct engine *e)
{
	engine_detach(e);
	ring_buffer__free(e->rb);
	owner_close(&e->owners);
	sockwatch_bpf__destroy(e->skel);
	free(e->verifier_log);
	free(e->report.keys);
	free(e->report.vals);
	if (e->epfd >= 0)
		close(e->epfd);
	if (e->sigfd >= 0)
		close(e->sigfd);
	if (e->linkfd >= 0)
		close(e->linkfd);
	ifnames_free(&e->names);
	out_free(&e->out);
	out_free(&e->ctl);
}
