// SPDX-License-Identifier: MIT
/*
 * sockwatch-sidecar: load the socket filter, attach it to AF_PACKET sockets,
 * and hand what it sees (packets, flows, stats) to the writers: NDJSON on
 * stdout. engine.h says which file does what.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "engine.h"
#include "filter.h"

int main(int argc, char **argv)
{
	struct engine e = { .exit_code = EXIT_OK, .owners.cgroup_fd = -1 };
	pid_t parent = getppid();
	sigset_t sigs;
	int err;

	/* Signals arrive on a descriptor (signalfd), so the loop never races
	 * them; blocked first, so a Ctrl-C at start-up cannot kill us mid-setup. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	/* a write to a closed stdout returns EPIPE instead of killing us */
	signal(SIGPIPE, SIG_IGN);
	/* our parent (the CLI) dying must end the capture, not orphan it */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return EXIT_OK;

	options_parse(argc, argv, &e.opts);
	if (e.opts.explain) {
		char msg[768];

		/* no kernel, no privilege: what libpcap compiles and where it would run */
		if (!e.opts.filter) {
			printf("filter: none: every packet passes, and the program has no filter code\n");
			return EXIT_OK;
		}
		err = filter_explain(e.opts.filter, stdout, msg, sizeof(msg));
		if (err)
			fprintf(stderr, "sockwatch-sidecar: %s\n", msg);
		return err == -1 ? EXIT_USAGE : err ? EXIT_RUNTIME : EXIT_OK;
	}
	engine_set_libbpf_log(e.opts.verbose);
	e.ctl.fd = -1;
	/* -w -: the capture file on stdout, records of up to --snaplen bytes */
	if (out_init(&e.out, STDOUT_FILENO, e.opts.write && !strcmp(e.opts.write, "-") ? 8 * OUT_BUFFER : OUT_BUFFER) || ifnames_init(&e.names) ||
	    (e.opts.control_fd >= 0 && out_init(&e.ctl, e.opts.control_fd, CTL_BUFFER))) {
		fprintf(stderr, "sockwatch-sidecar: out of memory\n");
		return EXIT_RUNTIME;
	}
	/* one writer, two outputs: the user's stream on stdout, the CLI's records
	 * on --control (writer.h says which go where) */
	e.ndjson = (struct ndjson_writer){ .out = &e.out, .names = &e.names, .clock = &e.clock, .macs = e.opts.macs, .data = e.opts.data, .data_max = e.opts.data ? (uint32_t)e.opts.snaplen : 0,
					   .owners = e.opts.no_process ? NULL : &e.owners,
					   .kinds = e.ctl.fd >= 0 ? SW_W_DATA : SW_W_ALL };
	/* -w: packets go to the capture file, never as records; stdout keeps the
	 * other records only when it is not the file and nothing else takes them */
	if (e.opts.write)
		e.ndjson.kinds &= ~SW_W_PACKET;
	if (e.opts.text) {
		/* text lines, packets only: a live capture's `capture > file` without Node in the path */
		e.text = (struct text_writer){ .out = &e.out, .names = &e.names, .clock = &e.clock, .stamp = e.opts.stamp,
					       .link = e.opts.macs, .owners = !e.opts.no_process, .dump = (enum text_dump)e.opts.dump,
					       .data_max = e.opts.data ? (uint32_t)e.opts.snaplen : 0 };
		text_writer_init(&e.text);
		e.writers[e.n_writers++] = (struct sw_writer){ .ops = &text_ops, .ctx = &e.text };
	} else if (!e.opts.write || (strcmp(e.opts.write, "-") && e.ctl.fd < 0)) {
		e.writers[e.n_writers++] = (struct sw_writer){ .ops = &ndjson_ops, .ctx = &e.ndjson };
	}
	if (e.ctl.fd >= 0) {
		e.ctl_ndjson = (struct ndjson_writer){ .out = &e.ctl, .names = &e.names, .clock = &e.clock,
						       .kinds = SW_W_CONTROL };
		e.writers[e.n_writers++] = (struct sw_writer){ .ops = &ndjson_ops, .ctx = &e.ctl_ndjson };
	}

	err = engine_start(&e);
	if (!err)
		err = engine_run(&e);
	if (e.opts.write && e.cap.file.out) {
		int cerr = cap_writer_close(&e.cap);

		if (cerr && !e.writer_ended)
			fprintf(stderr, "sockwatch-sidecar: cannot write the capture file: %s\n", strerror(-cerr));
		if (cerr && err == EXIT_OK)
			err = EXIT_RUNTIME;
	}
	/* a failure at start-up: its error record still goes out */
	out_flush(&e.out);
	if (e.ctl.fd >= 0)
		out_flush(&e.ctl);
	engine_close(&e);
	return err;
}
