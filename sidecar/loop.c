// SPDX-License-Identifier: MIT
/*
 * The event loop. Nothing in it blocks: the ring is drained only as far as the
 * writers have room, stdout is written as the reader takes it (EPOLLOUT), and
 * signals, the deadline, link changes and reports are handled all the while.
 * A reader that stops reading makes the ring fill, and the kernel counts what
 * does not fit as dropped.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "sockwatch.skel.h"

/* Records a drain pass may take before the loop looks around again. */
#define DRAIN_BUDGET 8192

enum { TAG_RING, TAG_SIGNAL, TAG_LINKS, TAG_OUT, TAG_CTL, TAG_SOCK };

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Records every writer can take now. */
static size_t writers_room(const struct engine *e)
{
	size_t room = (size_t)-1, r;

	for (int i = 0; i < e->n_writers; i++) {
		r = e->writers[i].ops->room(e->writers[i].ctx);
		room = r < room ? r : room;
	}
	return room;
}

int engine_ring_record(void *ctx, void *data, size_t size)
{
	struct engine *e = ctx;
	/* a record is an event, then the bytes captured of the packet, if any */
	const __u8 *bytes = (const __u8 *)data + sizeof(struct sw_event);
	__u32 caplen;

	if (size < sizeof(struct sw_event))
		return 0;
	caplen = (__u32)(size - sizeof(struct sw_event));
	for (int i = 0; i < e->n_writers; i++)
		e->writers[i].ops->packet(e->writers[i].ctx, data, caplen ? bytes : NULL, caplen);
	if (++e->written == e->opts.count)
		return -ECANCELED;
	if (--e->budget == 0)
		return -EAGAIN; /* consumed; more may be waiting */
	return 0;
}

/* One bounded pass over the ring: 0 when it was emptied, -EAGAIN when the
 * budget ran out first, -ENOSPC when the writers have no room (the reader is
 * slow: the ring waits), or -ECANCELED at --count. */
static int drain_some(struct engine *e)
{
	size_t room = writers_room(e);
	int err;

	if (!e->opts.packets)
		return 0;
	if (room == 0)
		return -ENOSPC;
	e->budget = room < DRAIN_BUDGET ? room : DRAIN_BUDGET;
	err = ring_buffer__consume(e->rb);
	return err >= 0 ? 0 : err;
}

/* Writes what the last generation read still owes: its flows, then its stats.
 * Returns true once all of it is with the writers. */
static bool write_report(struct engine *e)
{
	struct gen_report *r = &e->report;
	size_t room = writers_room(e);

	while (r->pending && room) {
		if (r->next_flow < r->n_flows) {
			const struct sw_flow_key *k = &r->keys[r->next_flow];
			const struct sw_flow_val *v = &r->vals[r->next_flow++];
			struct sw_event_owner who;

			/* the owner maps still answer for a flow read within the grace period */
			owner_of_flow(e, k, &who);
			for (int i = 0; i < e->n_writers; i++)
				e->writers[i].ops->flow(e->writers[i].ctx, k, v, &who);
			e->flow_records++;
			e->flow_packets += v->packets;
		} else {
			/* stats after the flows they account for */
			const struct sw_stats stats = {
				.c = e->totals, .written = e->written, .flow_records = e->flow_records,
				.flow_packets = e->flow_packets, .flows = e->opts.flows, .final = r->final,
			};

			for (int i = 0; i < e->n_writers; i++)
				e->writers[i].ops->stats(e->writers[i].ctx, &stats);
			r->pending = false;
			if (r->final)
				engine_log(e, "final counts: seen %llu, matched %llu, emitted %llu, dropped %llu, "
					   "written %llu, overflow %llu", e->totals.seen, e->totals.matched,
					   e->totals.emitted, e->totals.dropped, (unsigned long long)e->written,
					   e->totals.overflow);
		}
		room--;
	}
	return !r->pending;
}

static int report(struct engine *e, bool final)
{
	int err;

	clock_anchor(&e->clock); /* re-anchored at every report: clock steps, suspend */
	err = generation_read(e, final);
	if (err)
		return engine_fail(e, EXIT_RUNTIME, "runtime", NULL, "reading the kernel's counters: %s",
				   strerror(-err));
	write_report(e);
	return 0;
}

static void on_signal(struct engine *e)
{
	struct signalfd_siginfo si;

	while (read(e->sigfd, &si, sizeof(si)) == sizeof(si)) {
		/* Asked again a while after the first (a reader that never reads
		 * again): leave without the rest. Not at once: Ctrl-C on a terminal
		 * reaches the CLI and us together, and the CLI then asks too. */
		if (e->exiting && e->signal_ms && now_ms() - e->signal_ms >= 1000) {
			e->aborting = true;
			e->why = "a second signal";
		} else if (!e->exiting) {
			e->exiting = true;
			e->signal_ms = now_ms();
			e->why = strsignal(si.ssi_signo);
		}
	}
}

static void on_socket_error(struct engine *e, int idx)
{
	socklen_t len = sizeof(int);
	int soerr = 0;

	/* a bound socket says ENETDOWN when its link goes down; it resumes by
	 * itself when the link comes back up */
	if (idx < e->n_socks && !getsockopt(e->socks[idx], SOL_SOCKET, SO_ERROR, &soerr, &len) && soerr)
		engine_log(e, "interface '%s': its socket says %s", e->ifaces[idx].name, strerror(soerr));
}

/* Wakes the loop when an output can take more, only while output waits for it:
 * a wake-up each time the reader takes a little would drain the ring in crumbs. */
static void watch_out(struct engine *e, const struct out *o, uint32_t tag, bool *watched, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLOUT : 0, .data.u32 = tag };

	if (*watched == on)
		return;
	if (!epoll_ctl(e->epfd, EPOLL_CTL_MOD, o->fd, &ev))
		*watched = on;
}

static void reader_left(struct out *o, uint32_t events)
{
	if (events & (EPOLLERR | EPOLLHUP) && !o->err)
		o->err = EPIPE;
}

/* stdout failed. With --control the run ends as if asked (the ring is drained
 * into nothing, the final stats reach the CLI), and then an error record says
 * why, unless the reader just left (EPIPE: `| head`), which is no error. */
static bool stdout_failed(struct engine *e, int err)
{
	if (e->ctl.fd >= 0) {
		if (!e->out_errno) {
			e->out_errno = -err;
			/* a broken pipe stays readable for epoll: no more wake-ups from it */
			if (e->out_pollable && !epoll_ctl(e->epfd, EPOLL_CTL_DEL, e->out.fd, NULL))
				e->out_pollable = false;
			if (!e->exiting) {
				e->exiting = true;
				e->why = err == -EPIPE ? "the reader closed stdout" : "stdout failed";
			}
		}
		return true;
	}
	if (err == -EPIPE) {
		e->why = "the reader closed stdout";
		e->exit_code = EXIT_OK;
	} else {
		fprintf(stderr, "sockwatch-sidecar: cannot write to standard output: %s\n", strerror(-err));
		e->exit_code = EXIT_RUNTIME;
	}
	return false;
}

/* Flushes the writers' output; false when the run must end now (a write error
 * with nobody else to tell, or the CLI gone from --control). */
static bool flush(struct engine *e)
{
	char why[PATH_MAX + 128];
	bool failed;
	int err;

	/* a writer of its own file: written out; a failure ends the run, said once */
	for (int i = 0; i < e->n_writers && !e->writer_ended; i++) {
		const struct sw_writer *w = &e->writers[i];

		if (!w->ops->flush || w->ops->flush(w->ctx, why, sizeof(why), &failed))
			continue;
		e->writer_ended = true;
		if (failed)
			engine_fail(e, EXIT_RUNTIME, "output", NULL, "%s", why);
		if (!e->exiting) {
			e->exiting = true;
			e->why = failed ? "the capture file could not be written" : "-W files written";
		}
		if (!failed)
			engine_log(e, "%s", why);
	}
	err = out_flush(&e->out);
	if (e->out_pollable)
		watch_out(e, &e->out, TAG_OUT, &e->out_watched, err == -EAGAIN);
	if (err && err != -EAGAIN && !stdout_failed(e, err))
		return false;
	if (e->ctl.fd < 0)
		return true;
	err = out_flush(&e->ctl);
	if (e->ctl_pollable)
		watch_out(e, &e->ctl, TAG_CTL, &e->ctl_watched, err == -EAGAIN);
	if (err && err != -EAGAIN) {
		/* the CLI went away: nobody is left to report to */
		e->why = "the CLI closed its end";
		e->exit_code = EXIT_OK;
		return false;
	}
	return true;
}

/* Says once, with an error record, that stdout failed (not the reader leaving,
 * which is no error); true when it said so now. */
static bool say_stdout_failed(struct engine *e)
{
	if (!e->out_errno || e->out_errno == EPIPE || e->out_said)
		return false;
	e->out_said = true;
	engine_fail(e, EXIT_RUNTIME, "output", NULL, "cannot write to standard output: %s", strerror(e->out_errno));
	return true;
}

/* How long epoll may sleep: not at all while busy, else until the next drain,
 * deadline or report is due; with none due, until something happens (-1). */
static int timeout_ms(const struct engine *e, bool busy)
{
	uint64_t t = now_ms(), at[3] = { e->drain_due_ms, 0, 0 };
	int64_t wait = -1;

	/* asked to end since the last pass (stdout failed in flush()): detach now;
	 * a report cut short by full writers that the flush has since emptied goes
	 * on now (no wake-up would come: nothing waits on stdout any more) */
	if (busy || (e->exiting && !e->detached) || (e->report.pending && writers_room(e)))
		return 0;
	if (!e->exiting) {
		at[1] = e->deadline_ms;
		at[2] = e->next_report_ms;
	}
	for (int i = 0; i < 3; i++) {
		if (!at[i])
			continue;
		if (at[i] <= t)
			return 0;
		if (wait < 0 || (int64_t)(at[i] - t) < wait)
			wait = at[i] - t;
	}
	return wait > INT32_MAX ? INT32_MAX : (int)wait;
}

int engine_run(struct engine *e)
{
	struct epoll_event evs[MAX_IFACES + 4];
	bool busy = false, links_waiting = false, draining = true, ended = false, gone_said = false;
	bool ring_woken, out_woken, due;
	uint64_t t;
	int n, err;

	e->drain_due_ms = now_ms(); /* whatever came before the loop */
	while (!ended) {
		ring_woken = out_woken = false;
		n = epoll_wait(e->epfd, evs, MAX_IFACES + 4, timeout_ms(e, busy));
		if (n < 0 && errno != EINTR)
			return engine_fail(e, EXIT_RUNTIME, "runtime", NULL, "epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case TAG_SIGNAL: on_signal(e); break;
			case TAG_LINKS: links_waiting = true; break; /* read after the drain: packets before it come first */
			case TAG_RING: ring_woken = true; break;
			/* the reader closed its end: EPOLLERR comes whatever was asked,
			 * so it is noticed now, not at the next write (or never, idle) */
			case TAG_OUT: reader_left(&e->out, evs[i].events); out_woken = true; break;
			case TAG_CTL: reader_left(&e->ctl, evs[i].events); out_woken = true; break;
			default: on_socket_error(e, evs[i].data.u32 - TAG_SOCK);
			}
		}
		if (e->aborting)
			break;

		/* When to drain. Idle (no drain due), the kernel wakes us on the first
		 * record: drained at once if the last drain is a poll period old, else
		 * at that point, so records come in batches. Woken while a drain is
		 * due: the ring passed its fill level (only a forced wake-up comes
		 * then), drained now. The writers taking more, or the end: now. */
		t = now_ms();
		if (ring_woken) {
			if (e->drain_due_ms)
				e->drain_due_ms = t;
			else
				e->drain_due_ms = e->last_drain_ms + e->opts.poll_ms > t ? e->last_drain_ms + e->opts.poll_ms : t;
		}
		if (out_woken && e->drain_due_ms)
			e->drain_due_ms = t;
		/* exiting: the ring is drained to its end before the final report */
		due = busy || e->exiting || (e->drain_due_ms && t >= e->drain_due_ms);

		/* what the last report still owes goes first: the ring waits behind it */
		err = !write_report(e) ? -ENOSPC : draining && due ? drain_some(e) : 0;
		busy = err == -EAGAIN;
		if (draining && due && err != -ENOSPC && !busy) {
			e->last_drain_ms = t;
			e->drain_due_ms = 0; /* emptied: the next record wakes us */
		}
		if (err == -ENOSPC) /* the reader is slow: again when it takes more, or a poll period on */
			e->drain_due_ms = t + e->opts.poll_ms;
		if (err == -ECANCELED) {
			e->exiting = true;
			e->why = "--count reached";
			draining = false; /* the rest is not wanted */
			err = 0;
		} else if (err && err != -EAGAIN && err != -ENOSPC) {
			return engine_fail(e, EXIT_RUNTIME, "runtime", NULL, "reading the ring buffer: %s", strerror(-err));
		}
		if (links_waiting && !e->report.final) {
			links_waiting = false;
			engine_links(e, false);
		}

		t = now_ms();
		if (e->deadline_ms && t >= e->deadline_ms && !e->exiting) {
			e->exiting = true;
			e->why = "--duration reached";
		}
		if (e->exiting && !e->detached) {
			engine_log(e, "stopping: %s", e->why);
			/* no packet after this: what the ring holds is all there is */
			engine_detach(e);
		}
		if (!e->exiting && e->next_report_ms && t >= e->next_report_ms && !e->report.pending) {
			e->next_report_ms = t + (e->opts.flows ? e->opts.interval_ms : e->opts.stats_ms);
			if (report(e, false))
				return e->exit_code;
		}
		/* the end: the ring emptied (or cut at --count), then the last report */
		if (e->detached && err == 0 && !e->report.pending) {
			if (!e->report.final && report(e, true))
				return e->exit_code;
			ended = !e->report.pending;
			/* every interface went away: said after the final stats, which still count */
			if (ended && e->exit_code == EXIT_NOIF && !gone_said) {
				gone_said = true;
				engine_fail(e, EXIT_NOIF, "interface_gone", NULL, "every interface being captured was removed");
			}
			/* stdout's last records go out now, so that their failure is said below,
			 * not lost when the run ends right after this turn's flush */
			if (ended && e->out.len && !e->out_errno) {
				int ferr = out_flush(&e->out);

				if (ferr && ferr != -EAGAIN && !stdout_failed(e, ferr))
					return e->exit_code;
			}
			/* stdout failed (not the reader leaving): said after the final stats */
			if (ended)
				say_stdout_failed(e);
		}
		if (!flush(e))
			return e->exit_code;
		/* a failure only this flush met (a socket's stdout after EAGAIN): said, and sent */
		if (ended && say_stdout_failed(e) && !flush(e))
			return e->exit_code;
		if (ended && (e->out.len || e->ctl.len))
			ended = false; /* the readers have not taken it all yet */
	}
	if (e->aborting)
		engine_log(e, "leaving with output unwritten: %s", e->why);
	return e->exit_code;
}

int engine_poll_setup(struct engine *e)
{
	struct epoll_event ev;
	int err = 0;

	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epfd < 0)
		return -errno;
	/* Edge-triggered on the ring itself: the program wakes us on the first
	 * record after we emptied the ring, and past a fill level; in between we
	 * drain on a timer, which keeps the sender free of a wake-up per packet. */
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u32 = TAG_RING };
	if (e->opts.packets)
		err = epoll_ctl(e->epfd, EPOLL_CTL_ADD, bpf_map__fd(e->skel->maps.events), &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = TAG_SIGNAL };
	err = err ?: epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->sigfd, &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = TAG_LINKS };
	err = err ?: epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->linkfd, &ev);
	for (int i = 0; i < e->n_socks && !err; i++) {
		ev = (struct epoll_event){ .events = 0, .data.u32 = TAG_SOCK + i }; /* errors only */
		err = epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->socks[i], &ev);
	}
	if (err)
		return -errno;
	/* watched for EPOLLOUT only while output waits (watch_stdout); a file never
	 * makes us wait, and epoll refuses one (EPERM) */
	ev = (struct epoll_event){ .events = 0, .data.u32 = TAG_OUT };
	if (!epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->out.fd, &ev))
		e->out_pollable = true;
	else if (errno != EPERM)
		return -errno;
	ev = (struct epoll_event){ .events = 0, .data.u32 = TAG_CTL };
	if (e->ctl.fd >= 0 && !epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->ctl.fd, &ev))
		e->ctl_pollable = true;
	else if (e->ctl.fd >= 0 && errno != EPERM)
		return -errno;
	return 0;
}
