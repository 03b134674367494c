// SPDX-License-Identifier: MIT
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "options.h"

const char *argp_program_version = "sockwatch-sidecar 0.1.0";
static const char doc[] =
	"Capture packets with an eBPF socket filter and write them as NDJSON.\n"
	"\n"
	"USAGE: sockwatch-sidecar [-i IFACE]... [-c COUNT] [-d SECONDS] [--filter EXPRESSION] [--explain] [-v [-v]]\n"
	"\n"
	"EXAMPLES:\n"
	"    sockwatch-sidecar                 # every interface until Ctrl-C\n"
	"    sockwatch-sidecar -i lo -c 10     # ten packets on loopback\n"
	"    sockwatch-sidecar -i lo -v        # and what it decided, on stderr\n"
	"    sockwatch-sidecar -d 5 | jq -c 'select(.type==\"packet\")'\n"
	"    sockwatch-sidecar --filter 'tcp port 443 or udp dst port 53'\n"
	"    sockwatch-sidecar --explain --filter 'tcp[tcpflags] & tcp-syn != 0'\n"
	"    sockwatch-sidecar -i eth0 -w web.pcapng --filter 'port 443'   # pcapng (docs/pcap.md)\n"
	"\n"
	"Records on stdout (one JSON object a line, see docs/events.md): ready, packet,\n"
	"flow, stats, link (an -i interface went down, up or away), error.\n"
	"Exit codes: 0 ok, 1 runtime failure, 2 usage, 3 missing privilege,\n"
	"4 no such interface, 5 the kernel refused the program.";

enum { OPT_RING = 256, OPT_STATS, OPT_POLL, OPT_FILTER, OPT_EXPLAIN, OPT_TEST_REJECT, OPT_MODE, OPT_INTERVAL, OPT_FLOW_ENTRIES,
       OPT_FLOWS, OPT_NO_PACKETS, OPT_MACS, OPT_NO_PROCESS, OPT_PID, OPT_COMM, OPT_CGROUP, OPT_CONTAINER, OPT_OWNER_ENTRIES,
       OPT_CONTROL, OPT_WRITE, OPT_PCAP, OPT_SNAPLEN, OPT_DATA, OPT_TEXT, OPT_STAMP, OPT_DUMP, OPT_OWNER_ROUTE };

static const struct argp_option opts[] = {
	{ "interface", 'i', "IFACE", 0, "Capture on IFACE (repeatable, each taken once; default or 'any': all)" },
	{ "count", 'c', "N", 0, "Stop after N packets" },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS, 0.001 to 2592000 (30 days; decimals allowed)" },
	{ "ring-size", OPT_RING, "BYTES", 0, "Ring buffer size, a power of two from 4K to 1G (default 8M; K/M/G suffixes)" },
	{ "stats-interval", OPT_STATS, "MS", 0, "Write a stats record every MS milliseconds (default 1000; 0: only at exit)" },
	{ "poll-ms", OPT_POLL, "MS", 0, "While packets come, drain the ring every MS milliseconds (default 10; at once past a quarter full; idle: no timer)" },
	{ "filter", OPT_FILTER, "EXPRESSION", 0, "Only packets matching this pcap-filter(7) expression, as tcpdump "
	  "judges them; compiled by libpcap and run in the kernel before any parsing (docs/filters.md)" },
	{ "explain", OPT_EXPLAIN, NULL, 0, "Print the compiled filter (as tcpdump -d) and where it runs, then exit" },
	{ "flows", OPT_FLOWS, NULL, 0, "Also count per flow in the kernel: flow records every --interval, then stats" },
	{ "no-packets", OPT_NO_PACKETS, NULL, 0, "No record a packet (with --flows: flow records only)" },
	{ "macs", OPT_MACS, NULL, 0, "Packet records carry the source and destination MAC (smac, dmac)" },
	{ "data", OPT_DATA, NULL, 0, "Packet records carry the bytes the kernel captured (data, hex; with --snaplen)" },
	{ "mode", OPT_MODE, "MODE", 0, "packets (default), or flows: --flows --no-packets" },
	{ "interval", OPT_INTERVAL, "MS", 0, "With --flows: read the flow table every MS milliseconds (default 1000)" },
	{ "flow-entries", OPT_FLOW_ENTRIES, "N", 0, "With --flows: entries in each of the kernel's two flow tables (default 65536); "
	  "flows past it are counted as overflow" },
	{ "no-process", OPT_NO_PROCESS, NULL, 0, "No process attribution: no pid, comm, uid, cgroup or container fields" },
	{ "pid", OPT_PID, "PID", 0, "Only packets of process PID, at either end (repeatable, at most 16)" },
	{ "comm", OPT_COMM, "NAME", 0, "Only packets of processes named NAME (as /proc/PID/comm, at most 15 bytes), at either end" },
	{ "cgroup", OPT_CGROUP, "PATH", 0, "Only packets of processes in the cgroup v2 PATH (from its root; repeatable), at either end" },
	{ "container", OPT_CONTAINER, "ID", 0, "Only packets of container ID (or an id prefix), at either end" },
	{ "owner-entries", OPT_OWNER_ENTRIES, "N", 0, "Entries in the kernel's owner maps of sockets and of connections (default 16384 each; least recently used go first), and a quarter of it for bound ports" },
	{ "control", OPT_CONTROL, "FD", 0, "Write the records a controlling program acts on (ready, stats, link, error) to "
	  "descriptor FD; stdout keeps packet, flow and link records and the stats that close a flow interval or the run" },
	{ "text", OPT_TEXT, NULL, 0, "Packets as tcpdump -n-like text lines on stdout instead of records (what "
	  "'sockwatch capture' prints in a pipe); other records only to --control" },
	{ "stamp", OPT_STAMP, "N", 0, "With --text: tcpdump's timestamp for N times -t: 0 local time of day (default), 1 none, "
	  "2 epoch seconds, 3 since the previous packet, 4 local date and time, 5 since the first" },
	{ "dump", OPT_DUMP, "hex|ascii", 0, "With --text --data: each packet's bytes after its line, as tcpdump -X (hex) or -A (ascii)" },
	{ "write", 'w', "FILE", 0, "Write the packets to FILE as pcapng (or classic pcap with --pcap), '-' for stdout, "
	  "instead of packet records (docs/pcap.md)" },
	{ "pcap", OPT_PCAP, NULL, 0, "With -w: classic pcap with nanosecond timestamps instead of pcapng" },
	{ "snaplen", OPT_SNAPLEN, "N", 0, "With -w or --data: keep at most N bytes of each packet, 1 to 262144 (default 262144, as tcpdump; 0: the default)" },
	{ "file-size", 'C', "N", 0, "With -w FILE: start a new file once one exceeds N million bytes (tcpdump's -C)" },
	{ "rotate-seconds", 'G', "N", 0, "With -w FILE: start a new file every N seconds, FILE as an strftime(3) pattern (tcpdump's -G)" },
	{ "file-count", 'W', "N", 0, "With -C: a ring of N files; with -G alone: stop after N files (tcpdump's -W)" },
	{ "verbose", 'v', NULL, 0, "On stderr: what it decided and libbpf's warnings; twice: libbpf's debug log too" },
	{ "test-reject", OPT_TEST_REJECT, NULL, OPTION_HIDDEN, "Load a variant the verifier refuses (for tests)" },
	{ "owner-route", OPT_OWNER_ROUTE, "ROUTE", OPTION_HIDDEN, "Fill the owner maps by cgroup, fentry or kprobe "
	  "programs instead of the best the machine has (for tests; docs/attribution.md)" },
	{},
};

const char *const sw_route_names[SW_ROUTES] = { "auto", "cgroup", "fentry", "kprobe" };

/* Digits with an optional K, M or G suffix (powers of 1024); -1 for anything
 * else, for a value past 2^64 and for one the suffix would push past it. */
int options_parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!isdigit((unsigned char)*s)) /* strtoull would take ' 5', '+5' and '-5' */
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || v > (ULLONG_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

/* Seconds as digits with an optional fraction ("2", "0.5", ".25"): no sign,
 * exponent, hex, inf or nan, which strtod would all take. */
static int parse_seconds(const char *s, double *out)
{
	char *end;

	if (!*s || strspn(s, "0123456789.") != strlen(s))
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	return errno || *end ? -1 : 0;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct sw_opts *o = state->input;
	unsigned long long v;

	switch (key) {
	case 'i':
		if (!*arg || strlen(arg) >= IF_NAMESIZE)
			argp_error(state, "'%s' is not an interface name", arg);
		if (!strcmp(arg, "any")) { /* as tcpdump: every interface */
			o->any = true;
			break;
		}
		for (int i = 0; i < o->n_ifaces; i++)
			if (!strcmp(o->ifnames[i], arg))
				return 0; /* named twice: captured once, not reported twice */
		if (o->n_ifaces == MAX_IFACES)
			argp_error(state, "at most %d interfaces", MAX_IFACES);
		o->ifnames[o->n_ifaces++] = arg;
		break;
	case 'c':
		if (options_parse_size(arg, &v) || strpbrk(arg, "kKmMgG") || v == 0)
			argp_error(state, "--count takes a whole number above 0, got '%s'", arg);
		o->count = v;
		break;
	case 'd':
		/* the deadline is kept in milliseconds: at least one, and no overflow */
		if (parse_seconds(arg, &o->duration) || !(o->duration >= 0.001) || o->duration > MAX_DURATION_S)
			argp_error(state, "--duration takes seconds from 0.001 to %d (30 days), got '%s'",
				   MAX_DURATION_S, arg);
		break;
	case OPT_RING:
		if (options_parse_size(arg, &v) || v < SW_RING_SIZE_MIN || (v & (v - 1)) || v > SW_RING_SIZE_MAX)
			argp_error(state, "--ring-size takes a power of two from 4K to 1G, got '%s'", arg);
		o->ring_size = v;
		break;
	case OPT_STATS:
	case OPT_POLL:
		if (options_parse_size(arg, &v) || strpbrk(arg, "kKmMgG") || v > 3600000 ||
		    (key == OPT_POLL && v == 0))
			argp_error(state, "'%s' is not a number of milliseconds this flag takes", arg);
		if (key == OPT_STATS)
			o->stats_ms = v;
		else
			o->poll_ms = v;
		break;
	case OPT_FILTER:
		if (o->filter)
			argp_error(state, "give --filter once (join expressions with 'and' or 'or')");
		o->filter = arg;
		break;
	case OPT_EXPLAIN:
		o->explain = true;
		break;
	case OPT_CONTROL:
		if (options_parse_size(arg, &v) || strpbrk(arg, "kKmMgG") || v < 3 || v > 1023 || fcntl((int)v, F_GETFD) < 0)
			argp_error(state, "--control takes an open descriptor above 2, got '%s'", arg);
		o->control_fd = (int)v;
		break;
	case 'w':
		if (!*arg)
			argp_error(state, "-w takes a file name, or '-' for stdout");
		o->write = arg;
		break;
	case OPT_PCAP:
		o->pcap = true;
		break;
	case OPT_SNAPLEN:
		/* tcpdump: 0 means the default */
		if (options_parse_size(arg, &v) || strpbrk(arg, "kKmMgG") || v > SW_SNAPLEN_MAX)
			argp_error(state, "--snaplen takes a number of bytes from 1 to %d (0: %d), got '%s'", SW_SNAPLEN_MAX,
				   SW_SNAPLEN_MAX, arg);
		o->snaplen = v ? v : SW_SNAPLEN_MAX;
		break;
	case 'C':
		if (options_parse_size(arg, &v) || strpbrk(arg, "kKmMgG") || v == 0 || v > 1000000)
			argp_error(state, "-C takes a file size in millions of bytes from 1 to 1000000, got '%s'", arg);
		o->rotate_bytes = v * 1000000;
		break;
	case 'G':
		if (options_parse_size(arg, &v) || strpbrk(arg, "kKmMgG") || v == 0 || v > MAX_DURATION_S)
			argp_error(state, "-G takes seconds from 1 to %d, got '%s'", MAX_DURATION_S, arg);
		o->rotate_s = v;
		break;
	case 'W':
		if (options_parse_size(arg, &v) || strpbrk(arg, "kKmMgG") || v == 0 || v > 100000)
			argp_error(state, "-W takes a file count from 1 to 100000, got '%s'", arg);
		o->max_files = v;
		break;
	case 'v':
		o->verbose++;
		break;
	case OPT_TEST_REJECT:
		o->test_reject = true;
		break;
	case OPT_MODE: /* the switches below, as one word */
		if (strcmp(arg, "packets") && strcmp(arg, "flows"))
			argp_error(state, "--mode is packets or flows, got '%s'", arg);
		o->flows = !strcmp(arg, "flows");
		o->packets = !o->flows;
		break;
	case OPT_MACS:
		o->macs = true;
		break;
	case OPT_DATA:
		o->data = true;
		break;
	case OPT_TEXT:
		o->text = true;
		break;
	case OPT_STAMP:
		if (options_parse_size(arg, &v) || strpbrk(arg, "kKmMgG") || v > SW_TEXT_STAMPS)
			argp_error(state, "--stamp takes how many -t, 0 to %d, got '%s'", SW_TEXT_STAMPS, arg);
		o->stamp = (int)v;
		break;
	case OPT_DUMP:
		if (strcmp(arg, "hex") && strcmp(arg, "ascii"))
			argp_error(state, "--dump is hex or ascii, got '%s'", arg);
		o->dump = strcmp(arg, "hex") ? 2 : 1;
		break;
	case OPT_FLOWS:
		o->flows = true;
		break;
	case OPT_NO_PACKETS:
		o->packets = false;
		break;
	case OPT_INTERVAL:
		if (options_parse_size(arg, &v) || strpbrk(arg, "kKmMgG") || v == 0 || v > 3600000)
			argp_error(state, "--interval takes milliseconds from 1 to 3600000, got '%s'", arg);
		o->interval_ms = v;
		break;
	case OPT_FLOW_ENTRIES:
		if (options_parse_size(arg, &v) || v < SW_FLOW_ENTRIES_MIN || v > SW_FLOW_ENTRIES_MAX)
			argp_error(state, "--flow-entries takes a number from 64 to 16M, got '%s'", arg);
		o->flow_entries = v;
		o->flow_entries_set = true;
		break;
	case OPT_NO_PROCESS:
		o->no_process = true;
		break;
	case OPT_PID:
		if (options_parse_size(arg, &v) || strpbrk(arg, "kKmMgG") || v == 0 || v > 4194304)
			argp_error(state, "--pid takes a process id from 1 to 4194304, got '%s'", arg);
		if (o->n_pids == SW_MAX_PROC_PIDS)
			argp_error(state, "at most %d --pid flags", SW_MAX_PROC_PIDS);
		o->pids[o->n_pids++] = v;
		break;
	case OPT_COMM:
		if (!*arg || strlen(arg) > 15)
			argp_error(state, "--comm takes a process name of 1 to 15 bytes (the kernel keeps no more), got '%s'", arg);
		o->comm = arg;
		break;
	case OPT_CGROUP:
		if (!*arg)
			argp_error(state, "--cgroup takes a cgroup v2 path such as /system.slice/ssh.service");
		if (o->n_cgroups == SW_MAX_PROC_CGROUPS)
			argp_error(state, "at most %d --cgroup flags", SW_MAX_PROC_CGROUPS);
		o->cgroups[o->n_cgroups++] = arg;
		break;
	case OPT_CONTAINER:
		if (strlen(arg) < 4 || strlen(arg) > 64)
			argp_error(state, "--container takes a container id or a prefix of at least 4 characters, got '%s'", arg);
		o->container = arg;
		break;
	case OPT_OWNER_ENTRIES:
		if (options_parse_size(arg, &v) || v < SW_OWNER_ENTRIES_MIN || v > SW_OWNER_ENTRIES_MAX)
			argp_error(state, "--owner-entries takes a number from %d to %d, got '%s'", SW_OWNER_ENTRIES_MIN,
				   SW_OWNER_ENTRIES_MAX, arg);
		o->owner_entries = v;
		break;
	case OPT_OWNER_ROUTE:
		for (v = 0; v < SW_ROUTES && strcmp(arg, sw_route_names[v]); v++)
			;
		if (v == SW_ROUTE_AUTO || v == SW_ROUTES)
			argp_error(state, "--owner-route takes cgroup, fentry or kprobe, got '%s'", arg);
		o->owner_route = v;
		break;
	case ARGP_KEY_END:
		if (o->no_process && (o->n_pids || o->comm || o->n_cgroups || o->container))
			argp_error(state, "--no-process turns off what --pid, --comm, --cgroup and --container filter on");
		if (o->any && o->n_ifaces)
			argp_error(state, "-i any already means every interface: give it alone, or name each interface with -i");
		if (!o->packets && !o->flows)
			argp_error(state, "--no-packets without --flows would write nothing");
		if ((o->pcap || o->rotate_bytes || o->rotate_s || o->max_files) && !o->write)
			argp_error(state, "--pcap, -C, -G and -W go with -w FILE");
		if (o->max_files && !o->rotate_bytes && !o->rotate_s)
			argp_error(state, "-W counts the files -C or -G starts: give one of them");
		if (o->write && !strcmp(o->write, "-") && (o->rotate_bytes || o->rotate_s))
			argp_error(state, "-C and -G start new files: give -w a file name, not '-'");
		if (o->write && !o->packets)
			argp_error(state, "-w writes packets, which --no-packets turns off");
		if ((o->stamp || o->dump) && !o->text)
			argp_error(state, "--stamp and --dump shape --text's lines: give --text");
		if (o->dump && !o->data)
			argp_error(state, "--dump prints the bytes --data captures: give --data");
		if (o->text && (o->flows || !o->packets))
			argp_error(state, "--text writes packets only: no --flows, --mode flows or --no-packets");
		if (o->text && o->write && !strcmp(o->write, "-"))
			argp_error(state, "--text and -w - would both write to stdout");
		if ((o->write || o->data) && !o->snaplen)
			o->snaplen = SW_SNAPLEN_MAX;
		if (!o->packets && o->count)
			argp_error(state, "--count counts packet records, which --no-packets does not write");
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

void options_parse(int argc, char **argv, struct sw_opts *o)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };

	*o = (struct sw_opts){
		.interval_ms = 1000,
		.flow_entries = 65536,
		.owner_entries = 16384,
		.ring_size = 8 << 20,
		.stats_ms = 1000,
		.poll_ms = 10,
		.packets = true,
		.control_fd = -1,
	};
	argp_err_exit_status = EXIT_USAGE;
	argp_parse(&argp, argc, argv, 0, NULL, o);
}
