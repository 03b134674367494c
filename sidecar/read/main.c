// SPDX-License-Identifier: MIT
/*
 * sockwatch-read: a pcap or pcapng file (gzip'd too; "-" for stdin) to the
 * records a live capture writes, with no privilege at all. libpcap reads the
 * file and runs the filter on each packet's bytes (pcap_compile for the
 * file's link type, pcap_offline_filter: tcpdump -r's semantics), the shared
 * parser decodes it, and the NDJSON writer writes it; with -w, the packets
 * that pass go to a new capture file instead (save.c). Bad input: one
 * "sockwatch: ..." sentence with the byte offset, EXIT_BAD_FILE, and every
 * record before it kept.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include "sw_contract.h"
#include "../writer.h"
#include "decode.h"
#include "save.h"
#include "source.h"

#define READ_BUFFER (4 << 20)

struct read_opts {
	const char *path;
	const char *filter;
	const char *write; /* -w FILE|-: a capture file, not records */
	bool data, macs, pcap;
	bool text;                /* --text: tcpdump-like lines (text.c), as a live capture's */
	int stamp, dump;          /* --stamp N (how many -t), --dump hex|ascii (1, 2) */
	unsigned long long count; /* 0: every packet */
	int stats_fd;             /* the final stats record goes there (-1: nowhere) */
};

/* cgroups.c's clock (the writer links it; a file read resolves no owner). */
uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage_exit(const char *why)
{
	fprintf(stderr, "sockwatch: %s; usage: sockwatch-read [--filter EXPR] [--data] [--macs] [--count N] [--stats-fd FD] [--text [--stamp N] [--dump hex|ascii]] [-w OUT|- [--pcap]] FILE|-\n", why);
	exit(EXIT_USAGE);
}

static void parse_args(int argc, char **argv, struct read_opts *o)
{
	static const struct option longs[] = {
		{ "filter", required_argument, NULL, 'f' },
		{ "data", no_argument, NULL, 'X' },
		{ "macs", no_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'c' },
		{ "stats-fd", required_argument, NULL, 's' },
		{ "write", required_argument, NULL, 'w' },
		{ "pcap", no_argument, NULL, 'p' },
		{ "text", no_argument, NULL, 'T' },
		{ "stamp", required_argument, NULL, 'S' },
		{ "dump", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "w:", longs, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (!*optarg)
				usage_exit("-w takes a file name, or - for stdout");
			o->write = optarg;
			break;
		case 'p':
			o->pcap = true;
			break;
		case 'f':
			o->filter = optarg;
			break;
		case 'X':
			o->data = true;
			break;
		case 'm':
			o->macs = true;
			break;
		case 'T':
			o->text = true;
			break;
		case 'S':
			if (strlen(optarg) != 1 || optarg[0] < '0' || optarg[0] > '0' + SW_TEXT_STAMPS)
				usage_exit("--stamp takes how many -t, 0 to 5");
			o->stamp = optarg[0] - '0';
			break;
		case 'D':
			if (strcmp(optarg, "hex") && strcmp(optarg, "ascii"))
				usage_exit("--dump is hex or ascii");
			o->dump = strcmp(optarg, "hex") ? TEXT_DUMP_ASCII : TEXT_DUMP_HEX;
			break;
		case 'c':
		case 's': {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-' || (c == 's' && v > 1024) || (c == 'c' && !v))
				usage_exit(c == 'c' ? "--count takes a number of packets, 1 or more" : "--stats-fd takes a descriptor number");
			if (c == 'c')
				o->count = v;
			else
				o->stats_fd = (int)v;
			break;
		}
		case 'h':
			printf("usage: sockwatch-read [--filter EXPR] [--data] [--macs] [--count N] [--stats-fd FD] [--text [--stamp N] [--dump hex|ascii]] [-w OUT|- [--pcap]] FILE|-\n");
			exit(EXIT_OK);
		default:
			usage_exit("unknown option");
		}
	}
	if (optind != argc - 1)
		usage_exit("give one file, or - for stdin");
	if ((o->stamp || o->dump) && !o->text)
		usage_exit("--stamp and --dump shape --text's lines: give --text");
	if (o->text && o->write)
		usage_exit("--text prints packets, -w saves them: give one");
	if (o->dump)
		o->data = true;
	if (o->pcap && !o->write)
		usage_exit("--pcap shapes the file -w writes: give -w OUT");
	o->path = argv[optind];
}

/* "'x.pcap'" or "stdin" */
static const char *what(const struct read_opts *o, char *buf, size_t len)
{
	if (!strcmp(o->path, "-"))
		return "stdin";
	snprintf(buf, len, "'%s'", o->path);
	return buf;
}

/* The sentence for a file libpcap could not read on, at the tap's block. */
static void bad_file(const struct read_opts *o, const struct source *s, const char *why)
{
	char name[512];

	if (s->gz_failed)
		fprintf(stderr, "sockwatch: cannot read %s: %s, at byte %llu of its uncompressed data\n",
			what(o, name, sizeof(name)), s->gz_err, (unsigned long long)source_failed_at(s));
	else
		fprintf(stderr, "sockwatch: %s is malformed at byte %llu: %s; records before it were written\n",
			what(o, name, sizeof(name)), (unsigned long long)source_failed_at(s), why);
}

int main(int argc, char **argv)
{
	struct read_opts o = { .stats_fd = -1 };
	struct out ctl = { .fd = -1 };
	struct ndjson_writer ctl_nd;
	struct source src = {};
	struct ifnames names = {};
	struct out out = { .fd = -1 };
	struct sw_clock clock = { .offset_ns = 0 };
	struct ndjson_writer nd;
	struct text_writer tw;
	struct bpf_program prog = {};
	struct sw_stats stats = { .final = true };
	char errbuf[PCAP_ERRBUF_SIZE] = "", msg[512], name[512];
	struct read_save save = {};
	bool saving = false;
	struct pcap_pkthdr *h;
	const u_char *bytes;
	pcap_t *p = NULL;
	__u8 *scratch = malloc(DECODE_SCRATCH);
	bool compiled = false;
	int dlt, rc, err = EXIT_OK;

	signal(SIGPIPE, SIG_IGN);
	parse_args(argc, argv, &o);
	if (!scratch || out_init(&out, STDOUT_FILENO, READ_BUFFER) || ifnames_init(&names)) {
		fprintf(stderr, "sockwatch: out of memory\n");
		return EXIT_RUNTIME;
	}
	if (o.stats_fd >= 0 && out_init(&ctl, o.stats_fd, OUT_RESERVE * 2)) {
		fprintf(stderr, "sockwatch: out of memory\n");
		return EXIT_RUNTIME;
	}
	ctl_nd = (struct ndjson_writer){ .out = &ctl, .names = &names, .clock = &clock, .kinds = SW_W_CLOSING_STATS };
	nd = (struct ndjson_writer){ .out = &out, .names = &names, .clock = &clock, .macs = o.macs,
				     .data = o.data, .file = true, .kinds = SW_W_PACKET };
	tw = (struct text_writer){ .out = &out, .names = &names, .clock = &clock, .stamp = o.stamp, .link = o.macs,
				   .dump = (enum text_dump)o.dump };
	text_writer_init(&tw);

	if (source_open(&src, o.path, msg, sizeof(msg))) {
		fprintf(stderr, "sockwatch: %s\n", msg);
		err = EXIT_BAD_FILE;
		goto cleanup;
	}
	p = pcap_fopen_offline_with_tstamp_precision(src.file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		if (src.tap.kind == TAP_OTHER || src.tap.kind == TAP_UNKNOWN)
			fprintf(stderr, "sockwatch: %s is not a pcap or pcapng file (%s); give a file written by tcpdump -w, tshark -w or Wireshark, or a saved 'sockwatch capture --json'\n",
				what(&o, name, sizeof(name)), errbuf);
		else
			bad_file(&o, &src, errbuf);
		err = EXIT_BAD_FILE;
		goto cleanup;
	}
	src.file = NULL; /* pcap_close closes it */
	if (src.tap.kind == TAP_PCAP && src.tap.pcap_snaplen_zero) {
		fprintf(stderr, "sockwatch: %s is malformed at byte 16: the file header's snaplen is 0, so no packet could have a byte; records before it were written\n",
			what(&o, name, sizeof(name)));
		err = EXIT_BAD_FILE;
		goto cleanup;
	}
	dlt = pcap_datalink(p);
	if (!decode_link_supported(dlt)) {
		fprintf(stderr, "sockwatch: %s has link type %s (%d), which sockwatch cannot decode; it reads Ethernet, raw IP, Linux cooked (SLL, SLL2) and BSD loopback captures\n",
			what(&o, name, sizeof(name)), pcap_datalink_val_to_name(dlt) ?: "unknown", dlt);
		err = EXIT_BAD_FILE;
		goto cleanup;
	}
	if (o.filter && *o.filter) {
		if (pcap_compile(p, &prog, o.filter, 1, PCAP_NETMASK_UNKNOWN)) {
			fprintf(stderr, "sockwatch: the filter '%s' does not compile for this file's link type (%s): %s\n",
				o.filter, pcap_datalink_val_to_name(dlt) ?: "unknown", pcap_geterr(p));
			err = EXIT_USAGE;
			goto cleanup;
		}
		compiled = true;
	}
	if (o.write) {
		/* as tcpdump -r in -w out: the file's link type and snaplen */
		if (read_save_open(&save, o.write, o.pcap, (uint32_t)pcap_datalink(p), (uint32_t)pcap_snapshot(p), &out,
				   msg, sizeof(msg))) {
			fprintf(stderr, "sockwatch: %s\n", msg);
			err = EXIT_RUNTIME;
			goto cleanup;
		}
		saving = true;
	}

	/* bounded by the file: one packet a turn until its end or an error */
	while ((rc = pcap_next_ex(p, &h, &bytes)) == 1) {
		struct tap_block blk = {};
		struct sw_event e;
		__u8 dir = SW_DIR_UNKNOWN;
		__u32 skip;

		source_next_packet(&src, &blk);
		stats.c.seen++;
		if (compiled && !pcap_offline_filter(&prog, h, bytes))
			continue;
		if (blk.flags & 3)
			dir = (blk.flags & 3) == 1 ? SW_DIR_IN : SW_DIR_OUT;
		decode_packet(dlt, h, bytes, dir, &e, &skip, scratch);
		e.ts_ns = (uint64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec; /* tv_usec holds ns */
		nd.ifname = src.tap.kind == TAP_PCAPNG && blk.iface < src.tap.n_ifaces ? src.tap.names[blk.iface] : "";
		nd.data_skip = skip;
		tw.ifname = nd.ifname;
		tw.data_skip = skip;
		/* room for the longest record, and its bytes in hex (or as they are, -w -; -X: 69 bytes a 16) */
		if (out_free_space(&out) < OUT_RESERVE + 4096 + (o.data || saving ? 5 * (size_t)h->caplen : 0) &&
		    out_flush_all(&out))
			break;
		stats.c.matched++;
		stats.c.matched_bytes += e.len;
		stats.c.emitted++;
		if (saving) {
			if (read_save_packet(&save, src.tap.kind == TAP_PCAPNG ? blk.iface : TAP_MAX_IFACES, nd.ifname, e.ts_ns,
					     bytes, h->caplen, h->len, e.dir))
				break;
		} else if (o.text) {
			text_ops.packet(&tw, &e, o.data ? bytes : NULL, h->caplen);
		} else {
			ndjson_ops.packet(&nd, &e, bytes, h->caplen);
		}
		stats.written++;
		if (o.count && stats.written >= o.count)
			break;
	}
	if (rc == PCAP_ERROR) {
		bad_file(&o, &src, pcap_geterr(p));
		err = EXIT_BAD_FILE;
	}
	/* the count of what was written, for a caller that let us write to its stdout */
	if (ctl.fd >= 0)
		ndjson_ops.stats(&ctl_nd, &stats);
cleanup:
	if (saving && (rc = read_save_close(&save)) && rc != -EPIPE && !err) {
		fprintf(stderr, "sockwatch: cannot write to '%s': %s\n", o.write, strerror(-rc));
		err = EXIT_RUNTIME;
	}
	if (ctl.fd >= 0)
		out_flush_all(&ctl);
	if (out_flush_all(&out) && out.err != EPIPE && !err) {
		fprintf(stderr, "sockwatch: cannot write the records: %s\n", strerror(out.err));
		err = EXIT_RUNTIME;
	}
	if (compiled)
		pcap_freecode(&prog);
	if (p)
		pcap_close(p);
	source_close(&src);
	ifnames_free(&names);
	out_free(&out);
	if (ctl.fd >= 0)
		out_free(&ctl);
	free(scratch);
	return err;
}
