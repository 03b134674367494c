// SPDX-License-Identifier: MIT
/*
 * sockwatch-sidecar: load the socket filter, attach it to AF_PACKET sockets,
 * drain its ring buffer and write NDJSON records to stdout.
 */
#define _GNU_SOURCE /* vasprintf */
#include <argp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ctype.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "filter.h"
#include "flows.h"
#include "links.h"
#include "records.h"
#include "sockwatch.skel.h"

/* Exit codes (enum sw_exit: EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_PERM, EXIT_NOIF,
 * EXIT_KERNEL) and the limits come from sw_contract.h, generated from the contract. */
#define MAX_IFACES SW_MAX_INTERFACES
#define MAX_DURATION_S SW_MAX_DURATION_S /* 30 days: anything longer is a typo */
#define OUT_BUFFER (1 << 20)
#define LOG_TAIL 2048

_Static_assert(sizeof(struct sw_event) == 64, "sw_event layout changed: update docs and tests");
_Static_assert(sizeof(struct sw_counters) == 40, "sw_counters layout changed");
_Static_assert(sizeof(struct sw_flow_key) == 48, "sw_flow_key layout changed");

static struct env {
	const char *ifnames[MAX_IFACES];
	int n_ifaces;
	const char *clauses[SW_MAX_CLAUSES];
	int n_clauses;
	unsigned long long ring_size;
	unsigned long long count;
	unsigned long stats_ms;
	unsigned long poll_ms;
	double duration;
	int verbose; /* -v: our decisions and libbpf's warnings; -v -v: libbpf's debug log too */
	bool any;    /* -i any: every interface, as with no -i */
	bool test_reject;
	bool flows;
	unsigned long interval_ms;
	unsigned long long flow_entries;
} env = {
	.interval_ms = 1000,
	.flow_entries = 65536,
	.ring_size = 8 << 20,
	.stats_ms = 1000,
	.poll_ms = 10,
};

const char *argp_program_version = "sockwatch-sidecar 0.1.0";
static const char doc[] =
	"Capture packets with an eBPF socket filter and write them as NDJSON.\n"
	"\n"
	"USAGE: sockwatch-sidecar [-i IFACE]... [-c COUNT] [-d SECONDS] [--clause LITERALS]... [-v [-v]]\n"
	"\n"
	"EXAMPLES:\n"
	"    sockwatch-sidecar                 # every interface until Ctrl-C\n"
	"    sockwatch-sidecar -i lo -c 10     # ten packets on loopback\n"
	"    sockwatch-sidecar -i lo -v        # and what it decided, on stderr\n"
	"    sockwatch-sidecar -d 5 | jq -c 'select(.type==\"packet\")'\n"
	"    sockwatch-sidecar --clause proto=6,port=443-443 --clause proto=17,dport=53-53\n"
	"\n"
	"Records on stdout (one JSON object a line, see docs/events.md): ready, packet,\n"
	"flow, stats, link (an -i interface went down, up or away), error.\n"
	"Exit codes: 0 ok, 1 runtime failure, 2 usage, 3 missing privilege,\n"
	"4 no such interface, 5 the kernel refused the program.";

enum { OPT_RING = 256, OPT_STATS, OPT_POLL, OPT_CLAUSE, OPT_TEST_REJECT, OPT_MODE, OPT_INTERVAL, OPT_FLOW_ENTRIES };

static const struct argp_option opts[] = {
	{ "interface", 'i', "IFACE", 0, "Capture on IFACE (repeatable, each taken once; default or 'any': all)" },
	{ "count", 'c', "N", 0, "Stop after N packets" },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS, 0.001 to 2592000 (30 days; decimals allowed)" },
	{ "ring-size", OPT_RING, "BYTES", 0, "Ring buffer size, a power of two from 4K to 1G (default 8M; K/M/G suffixes)" },
	{ "stats-interval", OPT_STATS, "MS", 0, "Write a stats record every MS milliseconds (default 1000; 0: only at exit)" },
	{ "poll-ms", OPT_POLL, "MS", 0, "Drain the ring at least every MS milliseconds (default 10)" },
	{ "clause", OPT_CLAUSE, "LITERALS", 0, "Only packets matching one of the clauses (repeatable, at most 8): "
	  "[!]kind=value,... with kinds dir, iface, family, proto, src, dst, host, sport, dport, port (docs/filters.md)" },
	{ "mode", OPT_MODE, "MODE", 0, "packets (default): a record a packet; flows: the kernel counts per flow and flow records come every --interval" },
	{ "interval", OPT_INTERVAL, "MS", 0, "Flows mode: read and clear the flow table every MS milliseconds (default 1000)" },
	{ "flow-entries", OPT_FLOW_ENTRIES, "N", 0, "Flows mode: size of the kernel's LRU flow table (default 65536)" },
	{ "verbose", 'v', NULL, 0, "On stderr: what it decided and libbpf's warnings; twice: libbpf's debug log too" },
	{ "test-reject", OPT_TEST_REJECT, NULL, OPTION_HIDDEN, "Load a variant the verifier refuses (for tests)" },
	{},
};

/* Digits with an optional K, M or G suffix (powers of 1024); -1 for anything
 * else, for a value past 2^64 and for one the suffix would push past it. */
static int parse_size(const char *s, unsigned long long *out)
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
	unsigned long long v;

	switch (key) {
	case 'i':
		if (!*arg || strlen(arg) >= IF_NAMESIZE)
			argp_error(state, "'%s' is not an interface name", arg);
		if (!strcmp(arg, "any")) { /* as tcpdump: every interface */
			env.any = true;
			break;
		}
		for (int i = 0; i < env.n_ifaces; i++)
			if (!strcmp(env.ifnames[i], arg))
				return 0; /* named twice: captured once, not reported twice */
		if (env.n_ifaces == MAX_IFACES)
			argp_error(state, "at most %d interfaces", MAX_IFACES);
		env.ifnames[env.n_ifaces++] = arg;
		break;
	case 'c':
		if (parse_size(arg, &v) || strpbrk(arg, "kKmMgG") || v == 0)
			argp_error(state, "--count takes a whole number above 0, got '%s'", arg);
		env.count = v;
		break;
	case 'd':
		/* the deadline is kept in milliseconds: at least one, and no overflow */
		if (parse_seconds(arg, &env.duration) || !(env.duration >= 0.001) || env.duration > MAX_DURATION_S)
			argp_error(state, "--duration takes seconds from 0.001 to %d (30 days), got '%s'",
				   MAX_DURATION_S, arg);
		break;
	case OPT_RING:
		if (parse_size(arg, &v) || v < SW_RING_SIZE_MIN || (v & (v - 1)) || v > SW_RING_SIZE_MAX)
			argp_error(state, "--ring-size takes a power of two from 4K to 1G, got '%s'", arg);
		env.ring_size = v;
		break;
	case OPT_STATS:
	case OPT_POLL:
		if (parse_size(arg, &v) || strpbrk(arg, "kKmMgG") || v > 3600000 ||
		    (key == OPT_POLL && v == 0))
			argp_error(state, "'%s' is not a number of milliseconds this flag takes", arg);
		if (key == OPT_STATS)
			env.stats_ms = v;
		else
			env.poll_ms = v;
		break;
	case OPT_CLAUSE:
		if (env.n_clauses == SW_MAX_CLAUSES)
			argp_error(state, "at most %d --clause flags", SW_MAX_CLAUSES);
		env.clauses[env.n_clauses++] = arg;
		break;
	case 'v':
		env.verbose++;
		break;
	case OPT_TEST_REJECT:
		env.test_reject = true;
		break;
	case OPT_MODE:
		if (strcmp(arg, "packets") && strcmp(arg, "flows"))
			argp_error(state, "--mode is packets or flows, got '%s'", arg);
		env.flows = !strcmp(arg, "flows");
		break;
	case OPT_INTERVAL:
		if (parse_size(arg, &v) || strpbrk(arg, "kKmMgG") || v == 0 || v > 3600000)
			argp_error(state, "--interval takes milliseconds from 1 to 3600000, got '%s'", arg);
		env.interval_ms = v;
		break;
	case OPT_FLOW_ENTRIES:
		if (parse_size(arg, &v) || v < SW_FLOW_ENTRIES_MIN || v > SW_FLOW_ENTRIES_MAX)
			argp_error(state, "--flow-entries takes a number from 64 to 16M, got '%s'", arg);
		env.flow_entries = v;
		break;
	case ARGP_KEY_END:
		if (env.any && env.n_ifaces)
			argp_error(state, "-i any already means every interface: give it alone, or name each interface with -i");
		if (env.flows && env.count)
			argp_error(state, "--count counts packet records, which flows mode does not write");
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* libbpf's log: warnings with -v, its debug log too with -v -v; and always the
 * tail of what is not debug chatter, for error records (the verifier's verdict
 * comes in one long call). */
static char log_tail[LOG_TAIL];
static size_t log_len;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char *text = NULL;
	size_t n, keep;
	int len;

	len = vasprintf(&text, fmt, args);
	if (len < 0)
		return len;
	if (env.verbose >= (level == LIBBPF_DEBUG ? 2 : 1))
		fputs(text, stderr);
	if (level != LIBBPF_DEBUG) {
		n = len;
		if (n >= LOG_TAIL) {
			memcpy(log_tail, text + n - (LOG_TAIL - 1), LOG_TAIL - 1);
			log_len = LOG_TAIL - 1;
		} else {
			keep = log_len + n >= LOG_TAIL ? LOG_TAIL - 1 - n : log_len;
			memmove(log_tail, log_tail + log_len - keep, keep);
			memcpy(log_tail + keep, text, n);
			log_len = keep + n;
		}
		log_tail[log_len] = 0;
	}
	free(text);
	return len;
}

/* The last few lines of libbpf's log: the verifier's verdict is at the end. */
static const char *log_last_lines(int lines)
{
	const char *p = log_tail + log_len;

	while (p > log_tail && lines >= 0) {
		p--;
		if (*p == '\n' && p + 1 != log_tail + log_len)
			lines--;
	}
	return p == log_tail ? p : p + 1;
}

static struct out out;
static unsigned long long written;
static struct sw_filter filter;

/* An error record on stdout and one sentence on stderr; returns exit_code. */
static int fail(int exit_code, const char *code, const char *detail, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sockwatch-sidecar: %s\n", msg);
	if (detail && *detail && !env.verbose)
		fprintf(stderr, "%s", detail);
	out_room(&out);
	rec_error(&out, code, msg, detail);
	out_flush(&out);
	return exit_code;
}

static const char *self_path(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n <= 0)
		return "sockwatch-sidecar";
	path[n] = 0;
	return path;
}

/* Which of the two capabilities this process lacks, as "CAP_BPF and CAP_NET_RAW",
 * "CAP_NET_RAW", or "" when it has both (EPERM then came from elsewhere, e.g. an LSM). */
static const char *missing_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	bool bpf, raw;

	if (syscall(SYS_capget, &hdr, data))
		return "CAP_BPF or CAP_NET_RAW";
	bpf = data[CAP_TO_INDEX(CAP_BPF)].effective & CAP_TO_MASK(CAP_BPF);
	raw = data[CAP_TO_INDEX(CAP_NET_RAW)].effective & CAP_TO_MASK(CAP_NET_RAW);
	if (!bpf && !raw)
		return "CAP_BPF and CAP_NET_RAW";
	return !bpf ? "CAP_BPF" : !raw ? "CAP_NET_RAW" : "";
}

static int fail_perm(const char *what, int err)
{
	const char *missing = missing_caps();

	if (!*missing)
		return fail(EXIT_PERM, "permission", NULL,
			    "%s: %s, though this process has CAP_BPF and CAP_NET_RAW: a security "
			    "module (SELinux, AppArmor) or kernel.unprivileged_bpf_disabled may forbid it",
			    what, strerror(err));
	return fail(EXIT_PERM, "permission", NULL,
		    "%s: %s; this process lacks %s (it needs CAP_BPF and CAP_NET_RAW): run as root, "
		    "or grant them once with 'sudo setcap cap_bpf,cap_net_raw+ep %s'",
		    what, strerror(err), missing, self_path());
}

/* One line of -v on stderr: what the sidecar decided or saw. */
static void __attribute__((format(printf, 1, 2))) vlog(const char *fmt, ...)
{
	va_list ap;

	if (!env.verbose)
		return;
	va_start(ap, fmt);
	fputs("sockwatch-sidecar: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Reports a captured interface's new state, once a change: a link record on
 * stdout, a line on stderr. Returns true when the interface was deleted. */
static bool link_changed(enum sw_link_state *known, const struct sw_iface *iface, enum sw_link_state now)
{
	if (*known == now || *known == SW_LINK_GONE)
		return false;
	*known = now;
	out_room(&out);
	rec_link(&out, iface->ifindex, iface->name, links_state_name(now));
	if (now == SW_LINK_GONE)
		fprintf(stderr, "sockwatch-sidecar: interface '%s' was removed\n", iface->name);
	else
		fprintf(stderr, "sockwatch-sidecar: interface '%s' is %s\n", iface->name, links_state_name(now));
	return now == SW_LINK_GONE;
}

/* What -v says about the capture once it is set up. */
static void log_setup(const struct sw_iface *ifaces, int n_ifaces, unsigned int loopback)
{
	char list[MAX_IFACES * (IF_NAMESIZE + 20)] = "";
	bool bound_lo = false;
	size_t len = 0;

	if (!env.verbose)
		return;
	for (int i = 0; i < n_ifaces && len < sizeof(list); i++) {
		len += snprintf(list + len, sizeof(list) - len, "%s%s (ifindex %u)", i ? ", " : "",
				ifaces[i].name, ifaces[i].ifindex);
		bound_lo |= ifaces[i].ifindex == loopback;
	}
	if (n_ifaces)
		vlog("capturing on %s: a packet socket bound to each", list);
	else
		vlog("capturing on every interface: one unbound packet socket");
	vlog("loopback is ifindex %u: its outgoing copy of each packet is skipped, so a loopback packet "
	     "is reported once, as in (%s)", loopback,
	     bound_lo ? "by the kernel, PACKET_IGNORE_OUTGOING on its socket" : "by the filter");
	if (!env.n_clauses)
		vlog("filter: none, every packet passes");
	for (int i = 0; i < env.n_clauses; i++)
		vlog("filter clause %d of %d (a packet passes if it matches any): %s", i + 1, env.n_clauses,
		     env.clauses[i]);
	if (env.flows)
		vlog("flows mode: the kernel counts per flow in an LRU table of %llu entries; read and cleared "
		     "every %lu ms", env.flow_entries, env.interval_ms);
	else
		vlog("ring buffer: %llu bytes, a wake-up once %llu bytes wait; drained at least every %lu ms; "
		     "stats every %lu ms%s", env.ring_size, env.ring_size / 4, env.poll_ms, env.stats_ms,
		     env.stats_ms ? "" : " (0: at exit only)");
	if (env.count)
		vlog("stops after %llu packets", env.count);
	if (env.duration > 0)
		vlog("stops after %.3f s", env.duration);
}

/* libbpf 1.1's ring_buffer__consume() returns only once the ring is empty,
 * which a steady flood (or a blocked stdout) may never allow: stop each pass
 * after this many records so signals, -d and stats are checked in between. */
#define DRAIN_BUDGET 8192
static unsigned int budget;

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct sw_event *e = data;

	if (size < sizeof(*e))
		return 0;
	if (out_room(&out))
		return -EPIPE;
	rec_packet(&out, e);
	if (++written == env.count)
		return -ECANCELED;
	if (--budget == 0)
		return -EAGAIN; /* the record is consumed; more may be waiting */
	return 0;
}

/* One bounded pass over the ring: 0 when it was emptied, -EAGAIN when the
 * budget ran out first, or the callback's error. */
static int drain_some(struct ring_buffer *rb)
{
	int err;

	budget = DRAIN_BUDGET;
	err = ring_buffer__consume(rb);
	return err > 0 ? 0 : err;
}

static int read_counters(int map_fd, struct sw_counters *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sw_counters *vals;
	__u32 key = 0;
	int err = 0;

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, vals)) {
		err = -errno;
		goto cleanup;
	}
	for (int i = 0; i < ncpu; i++) {
		sum->seen += vals[i].seen;
		sum->matched += vals[i].matched;
		sum->emitted += vals[i].emitted;
		sum->dropped += vals[i].dropped;
		sum->matched_bytes += vals[i].matched_bytes;
	}
cleanup:
	free(vals);
	return err;
}

/* In flows mode, moves the flow table out as flow records; then a stats
 * record. Returns 0, or -errno (-EPIPE: the reader left). */
static int report(struct sockwatch_bpf *skel, long long *flow_records, bool final)
{
	struct sw_counters cnt;
	long n;
	int err;

	if (env.flows) {
		n = flows_drain(bpf_map__fd(skel->maps.flows), &out);
		if (n < 0)
			return n;
		*flow_records += n;
	}
	err = read_counters(bpf_map__fd(skel->maps.counters), &cnt);
	if (err)
		return err;
	out_room(&out);
	rec_stats(&out, &cnt, written, env.flows ? *flow_records : -1, final);
	if (final)
		vlog("final counts: seen %llu, matched %llu, emitted %llu, dropped %llu, written %llu",
		     cnt.seen, cnt.matched, cnt.emitted, cnt.dropped, (unsigned long long)written);
	return 0;
}

static unsigned int find_loopback(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	unsigned int lo = 1; /* the kernel gives lo index 1 in every namespace */
	struct ifreq ifr;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (i = ifs; fd >= 0 && i && i->if_index; i++) {
		memset(&ifr, 0, sizeof(ifr));
		strncpy(ifr.ifr_name, i->if_name, IF_NAMESIZE - 1);
		if (!ioctl(fd, SIOCGIFFLAGS, &ifr) && (ifr.ifr_flags & IFF_LOOPBACK)) {
			lo = i->if_index;
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	if (ifs)
		if_freenameindex(ifs);
	return lo;
}

/* A packet socket that receives nothing until the filter is on, then binds. */
static int open_packet_socket(int prog_fd, unsigned int ifindex, unsigned int loopback)
{
	int one = 1;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifindex,
	};
	int fd, err;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Bound to loopback, the outgoing copy of each packet is never wanted:
	 * have the kernel skip it before it clones and filters it (sender keeps
	 * 93% of its rate instead of 85%). The program still skips it for the
	 * unbound socket, which wants outgoing packets of other interfaces. */
	if (ifindex && ifindex == loopback &&
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) && errno != ENOPROTOOPT) {
		err = -errno;
		close(fd);
		return err;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t clock_offset(void)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return ((int64_t)real.tv_sec - mono.tv_sec) * 1000000000 + (real.tv_nsec - mono.tv_nsec);
}

/* epoll tags */
enum { TAG_RING = 0, TAG_SIGNAL = 1, TAG_LINKS = 2, TAG_SOCK = 3 };

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct sw_iface ifaces[MAX_IFACES];
	int socks[MAX_IFACES];
	int n_socks = 0, live_socks;
	struct sockwatch_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct epoll_event ev, evs[MAX_IFACES + 3];
	uint64_t deadline = 0, next_stats = 0, period, t;
	long long flow_records = 0;
	pid_t parent = getppid();
	int epfd = -1, sigfd = -1, linkfd = -1, prog_fd;
	unsigned int loopback;
	enum sw_link_state link_state[MAX_IFACES];
	int err, exit_code = EXIT_OK;
	bool exiting = false, draining = true, more = false, links_waiting = false;
	const char *why = "the reader closed stdout";
	sigset_t sigs;

	/* Signals arrive on a descriptor (signalfd below), so the loop never races
	 * them; blocked first, so a Ctrl-C at start-up cannot kill us mid-setup. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	argp_err_exit_status = EXIT_USAGE;
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return EXIT_USAGE;
	if (out_init(&out, STDOUT_FILENO, OUT_BUFFER)) {
		fprintf(stderr, "sockwatch-sidecar: out of memory\n");
		return EXIT_RUNTIME;
	}

	/* a write to a closed stdout returns EPIPE instead of killing us */
	signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	/* Our parent (the CLI) dying must end the capture, not orphan it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		goto cleanup;

	libbpf_set_print(libbpf_print);
	for (int i = 0; i < env.n_ifaces; i++) {
		ifaces[i].name = env.ifnames[i];
		ifaces[i].ifindex = if_nametoindex(env.ifnames[i]);
		if (!ifaces[i].ifindex) {
			exit_code = fail(EXIT_NOIF, "no_such_interface", NULL,
					 "no interface named '%s': 'ip link' lists them",
					 env.ifnames[i]);
			goto cleanup;
		}
	}

	for (int i = 0; i < env.n_clauses; i++) {
		char msg[512];

		err = filter_add_clause(&filter, env.clauses[i], msg, sizeof(msg));
		if (err == -2) {
			exit_code = fail(EXIT_NOIF, "no_such_interface", NULL, "%s", msg);
			goto cleanup;
		} else if (err) {
			fprintf(stderr, "sockwatch-sidecar: %s\n", msg);
			exit_code = EXIT_USAGE;
			goto cleanup;
		}
	}

	skel = sockwatch_bpf__open();
	if (!skel) {
		exit_code = fail(EXIT_RUNTIME, "open_failed", log_last_lines(4),
				 "could not open the eBPF object: %s", strerror(errno));
		goto cleanup;
	}
	skel->rodata->loopback_ifindex = loopback = find_loopback();
	skel->rodata->wakeup_bytes = env.ring_size / 4;
	skel->rodata->test_reject = env.test_reject;
	skel->rodata->flows_mode = env.flows;
	if (env.flows)
		env.ring_size = 4096; /* unused: no events in flows mode */
	err = bpf_map__set_max_entries(skel->maps.flows, env.flows ? env.flow_entries : 64);
	if (err) {
		exit_code = fail(EXIT_RUNTIME, "flow_table", NULL, "could not size the flow table: %s",
				 strerror(-err));
		goto cleanup;
	}
	memcpy((void *)&skel->rodata->filter, &filter, sizeof(filter));
	err = bpf_map__set_max_entries(skel->maps.events, env.ring_size);
	if (err) {
		exit_code = fail(EXIT_RUNTIME, "ring_size", NULL,
				 "could not size the ring buffer: %s", strerror(-err));
		goto cleanup;
	}

	err = sockwatch_bpf__load(skel);
	if (err) {
		/* EACCES also means the verifier said no: its log tells them apart */
		if ((err == -EPERM || err == -EACCES) && !strstr(log_tail, "END PROG LOAD LOG")) {
			exit_code = fail_perm("loading the eBPF program failed", -err);
			goto cleanup;
		}
		if (strstr(log_tail, "END PROG LOAD LOG"))
			exit_code = fail(EXIT_KERNEL, "load_failed", log_last_lines(6),
					 "the kernel's verifier refused the eBPF program; its last lines follow "
					 "(run with -v for the whole log)");
		else
			exit_code = fail(EXIT_KERNEL, "load_failed", log_last_lines(6),
					 "the kernel refused the eBPF program or one of its maps (%s); "
					 "run with -v for libbpf's log", strerror(-err));
		goto cleanup;
	}

	prog_fd = bpf_program__fd(skel->progs.sockwatch);
	if (!env.n_ifaces) {
		ifaces[0].ifindex = 0;
		ifaces[0].name = "any";
	}
	for (int i = 0; i < (env.n_ifaces ? env.n_ifaces : 1); i++) {
		err = open_packet_socket(prog_fd, env.n_ifaces ? ifaces[i].ifindex : 0, loopback);
		if (err < 0) {
			if (err == -EPERM || err == -EACCES)
				exit_code = fail_perm("opening a packet socket failed", -err);
			else if (err == -ENODEV || err == -ENXIO)
				exit_code = fail(EXIT_NOIF, "no_such_interface", NULL,
						 "interface '%s' went away: 'ip link' lists them",
						 ifaces[i].name);
			else
				exit_code = fail(EXIT_RUNTIME, "attach_failed", NULL,
						 "could not attach to a packet socket: %s", strerror(-err));
			goto cleanup;
		}
		socks[n_socks++] = err;
	}
	live_socks = n_socks;

	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, NULL, NULL);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!rb || epfd < 0 || sigfd < 0) {
		exit_code = fail(EXIT_RUNTIME, "runtime", NULL, "could not set up polling: %s",
				 strerror(errno));
		goto cleanup;
	}
	/* Edge-triggered on the ring itself: only the program's forced wake-ups
	 * (past a fill level) wake us early; otherwise we drain on a timer, which
	 * keeps the sender free of a wake-up per packet. */
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u32 = TAG_RING;
	err = epoll_ctl(epfd, EPOLL_CTL_ADD, bpf_map__fd(skel->maps.events), &ev);
	ev.events = EPOLLIN;
	ev.data.u32 = TAG_SIGNAL;
	err = err ?: epoll_ctl(epfd, EPOLL_CTL_ADD, sigfd, &ev);
	if (env.n_ifaces) {
		linkfd = links_open();
		ev.events = EPOLLIN;
		ev.data.u32 = TAG_LINKS;
		err = err ?: linkfd < 0 ? (errno = -linkfd, -1) : epoll_ctl(epfd, EPOLL_CTL_ADD, linkfd, &ev);
	}
	for (int i = 0; i < n_socks && !err; i++) {
		ev.events = 0; /* errors only: the socket queues nothing */
		ev.data.u32 = TAG_SOCK + i;
		err = epoll_ctl(epfd, EPOLL_CTL_ADD, socks[i], &ev);
	}
	if (err) {
		exit_code = fail(EXIT_RUNTIME, "runtime", NULL, "could not set up polling: %s",
				 strerror(errno));
		goto cleanup;
	}

	rec_set_clock_offset(clock_offset());
	rec_ready(&out, ifaces, env.n_ifaces ? env.n_ifaces : 1, env.ring_size);
	log_setup(ifaces, env.n_ifaces, loopback);
	/* one that starts down (or went away since) is said at once; the
	 * rtnetlink socket, open already, reports what changes after this */
	for (int k = 0; k < env.n_ifaces; k++) {
		link_state[k] = SW_LINK_UP;
		if (link_changed(&link_state[k], &ifaces[k], links_state(ifaces[k].ifindex)) && --live_socks == 0) {
			exit_code = EXIT_NOIF;
			exiting = true;
		}
	}
	if (out_flush(&out))
		goto cleanup;

	t = now_ms();
	if (env.duration > 0)
		deadline = t + (uint64_t)(env.duration * 1000);
	/* flows mode reports every --interval; packets mode every --stats-interval */
	period = env.flows ? env.interval_ms : env.stats_ms;
	if (period)
		next_stats = t + period;

	while (!exiting) {
		int timeout = more ? 0 : env.poll_ms, n;

		t = now_ms();
		if (deadline && deadline - t < (uint64_t)timeout)
			timeout = deadline > t ? deadline - t : 0;
		n = epoll_wait(epfd, evs, MAX_IFACES + 3, timeout);
		if (n < 0 && errno != EINTR) {
			exit_code = fail(EXIT_RUNTIME, "runtime", NULL, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct signalfd_siginfo si;
			int idx = evs[i].data.u32 - TAG_SOCK, soerr = 0;
			socklen_t len = sizeof(soerr);

			if (evs[i].data.u32 == TAG_SIGNAL) {
				if (read(sigfd, &si, sizeof(si)) > 0) {
					exiting = true;
					why = strsignal(si.ssi_signo);
				}
				continue;
			}
			if (evs[i].data.u32 == TAG_LINKS) {
				links_waiting = true; /* read after the drain: packets before it come first */
				continue;
			}
			if (evs[i].data.u32 < TAG_SOCK)
				continue; /* the ring: drained below, woken or not */
			/* a bound socket says ENETDOWN when its link goes down; it
			 * resumes by itself when the link comes back up */
			getsockopt(socks[idx], SOL_SOCKET, SO_ERROR, &soerr, &len);
			if (soerr)
				vlog("interface '%s': its socket says %s", ifaces[idx].name, strerror(soerr));
		}

		err = drain_some(rb);
		more = err == -EAGAIN;
		if (more)
			err = 0;
		if (links_waiting) {
			struct sw_link_event lev[MAX_IFACES * 4];
			bool lost = false;
			int n_ev = links_read(linkfd, lev, MAX_IFACES * 4, &lost), removed = 0;

			links_waiting = false;
			for (int e = 0; e < n_ev; e++)
				for (int k = 0; k < env.n_ifaces; k++)
					if ((int)ifaces[k].ifindex == lev[e].ifindex)
						removed += link_changed(&link_state[k], &ifaces[k], lev[e].state);
			/* messages were lost: ask each interface instead */
			for (int k = 0; lost && k < env.n_ifaces; k++)
				removed += link_changed(&link_state[k], &ifaces[k], links_state(ifaces[k].ifindex));
			if (removed && (live_socks -= removed) == 0) {
				exit_code = EXIT_NOIF;
				exiting = true;
				why = "every interface was removed";
			}
		}
		if (err == -ECANCELED) {
			exiting = true;
			draining = false; /* --count reached: the rest is not wanted */
			why = "--count reached";
		} else if (err == -EPIPE || out_flush(&out)) {
			goto cleanup; /* the reader left: nothing more to say */
		} else if (err < 0) {
			exit_code = fail(EXIT_RUNTIME, "runtime", NULL, "reading the ring buffer: %s",
					 strerror(-err));
			break;
		}

		t = now_ms();
		if (deadline && t >= deadline && !exiting) {
			exiting = true;
			why = "--duration reached";
		}
		if (next_stats && t >= next_stats && !exiting) {
			next_stats = t + period;
			err = report(skel, &flow_records, false);
			if (err == -EPIPE || out_flush(&out))
				goto cleanup;
			if (err) {
				exit_code = fail(EXIT_RUNTIME, "runtime", NULL, "reading the kernel's tables: %s",
						 strerror(-err));
				break;
			}
		}
	}

	vlog("stopping: %s", why);
	/* Detach first so the counters stop moving, then drain what is left:
	 * the final record's emitted equals what we wrote, unless --count cut it. */
	for (int i = 0; i < n_socks; i++)
		close(socks[i]);
	n_socks = 0;
	/* no producers now: the ring only empties, so this ends */
	while (draining && (err = drain_some(rb)) == -EAGAIN)
		if (out_flush(&out))
			goto cleanup;
	if (err == -EPIPE || out_flush(&out))
		goto cleanup;
	err = report(skel, &flow_records, true);
	if (err == -EPIPE)
		goto cleanup;
	if (err) {
		exit_code = fail(EXIT_RUNTIME, "runtime", NULL, "reading the kernel's tables: %s", strerror(-err));
		goto cleanup;
	}
	if (exit_code == EXIT_NOIF)
		fail(EXIT_NOIF, "interface_gone", NULL, "every interface being captured was removed");
	out_flush(&out);

cleanup:
	for (int i = 0; i < n_socks; i++)
		close(socks[i]);
	ring_buffer__free(rb);
	sockwatch_bpf__destroy(skel);
	if (epfd >= 0)
		close(epfd);
	if (sigfd >= 0)
		close(sigfd);
	if (linkfd >= 0)
		close(linkfd);
	out_free(&out);
	return exit_code;
}
