// SPDX-License-Identifier: MIT
/*
 * sockwatch-gen: a bounded UDP flood on loopback for `make bench`.
 *
 * Sends exactly COUNT datagrams of SIZE payload bytes to 127.0.0.1 (or ::1)
 * with sendmmsg batches, as fast as one thread can, and prints one JSON line:
 * {"sent":N,"seconds":S,"pps":P,...}. It binds its own sink socket on the
 * port first, so no ICMP "port unreachable" comes back; the sink is never
 * read (the kernel drops what does not fit its queue, after every tap has
 * seen the packet). Bounded in count and in time; loopback only.
 */
#define _GNU_SOURCE /* sendmmsg */
#include <argp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 1024 /* UIO_MAXIOV: sendmmsg's own limit */
#define MAX_PAYLOAD 65507 /* largest UDP payload over IPv4 */

static struct env {
	unsigned long long count;
	unsigned long size;
	unsigned long port;
	unsigned long batch;
	unsigned long flows;
	double max_seconds;
	bool ipv6;
} env = {
	.count = 1000000,
	.size = 64,
	.port = 0,
	.batch = 256,
	.flows = 1,
	.max_seconds = 30,
};

static volatile sig_atomic_t exiting;

const char *argp_program_version = "sockwatch-gen 0.1.0";
static const char doc[] =
	"Send exactly COUNT UDP datagrams to loopback as fast as possible (for make bench).\n"
	"\n"
	"USAGE: sockwatch-gen [-n COUNT] [-s SIZE] [-p PORT] [-6] [-b BATCH] [-t SECONDS] [-f FLOWS]\n"
	"\n"
	"EXAMPLES:\n"
	"    sockwatch-gen                   # 1M x 64 bytes to 127.0.0.1\n"
	"    sockwatch-gen -n 200000 -s 512  # 200k x 512 bytes\n"
	"    sockwatch-gen -6 -p 40000       # to [::1]:40000\n"
	"    sockwatch-gen -f 100000         # 100k flows: 127.1.0.0, 127.1.0.1, ...\n"
	"\n"
	"Prints one JSON line on stdout: sent, seconds, pps, the size, port, family and\n"
	"batch used, its own CPU seconds; \"complete\" is false when the time bound or a\n"
	"signal cut it short.\n"
	"Exit codes: 0 done (even if cut short), 1 a socket call failed, 2 bad flags.";

static const struct argp_option opts[] = {
	{ "count", 'n', "COUNT", 0, "Datagrams to send (default 1000000)" },
	{ "size", 's', "BYTES", 0, "UDP payload bytes per datagram, 0-65507 (default 64)" },
	{ "port", 'p', "PORT", 0, "Destination port (default 0: an ephemeral port, printed)" },
	{ "ipv6", '6', NULL, 0, "Send to ::1 instead of 127.0.0.1" },
	{ "batch", 'b', "N", 0, "Datagrams per sendmmsg call, 1-1024 (default 256)" },
	{ "max-seconds", 't', "SECONDS", 0, "Stop after SECONDS even if COUNT is not reached (default 30)" },
	{ "flows", 'f', "N", 0, "IPv4: spread the datagrams over N flows, to 127.1.0.0 onwards (default 1; at most 16M)" },
	{},
};

static int parse_ulong(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	unsigned long long v;
	char *end;

	switch (key) {
	case 'n':
		if (parse_ulong(arg, 1000000000ULL, &v) || v == 0)
			argp_error(state, "--count takes a whole number from 1 to 1000000000, got '%s'", arg);
		env.count = v;
		break;
	case 's':
		if (parse_ulong(arg, MAX_PAYLOAD, &v))
			argp_error(state, "--size takes bytes from 0 to %d, got '%s'", MAX_PAYLOAD, arg);
		env.size = v;
		break;
	case 'p':
		if (parse_ulong(arg, 65535, &v))
			argp_error(state, "--port takes 0 to 65535, got '%s'", arg);
		env.port = v;
		break;
	case '6':
		env.ipv6 = true;
		break;
	case 'b':
		if (parse_ulong(arg, MAX_BATCH, &v) || v == 0)
			argp_error(state, "--batch takes 1 to %d, got '%s'", MAX_BATCH, arg);
		env.batch = v;
		break;
	case 't':
		errno = 0;
		env.max_seconds = strtod(arg, &end);
		if (errno || end == arg || *end || !(env.max_seconds > 0) || env.max_seconds > 3600)
			argp_error(state, "--max-seconds takes seconds above 0 and at most 3600, got '%s'", arg);
		break;
	case 'f':
		if (parse_ulong(arg, 1 << 24, &v) || v == 0)
			argp_error(state, "--flows takes 1 to 16777216, got '%s'", arg);
		env.flows = v;
		break;
	case ARGP_KEY_END:
		if (env.flows > 1 && env.ipv6)
			argp_error(state, "--flows spreads over IPv4 loopback addresses: not with -6");
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void sig_handler(int sig)
{
	exiting = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The loopback address for the family, on port (network order). */
static socklen_t loopback_addr(struct sockaddr_storage *ss, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (env.ipv6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = port;
		return sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = port;
		return sizeof(*a);
	}
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	static struct mmsghdr msgs[MAX_BATCH];
	static struct sockaddr_in dests[MAX_BATCH];
	struct sockaddr_storage addr;
	struct iovec iov;
	socklen_t alen;
	unsigned long long sent = 0;
	double start, deadline, t, seconds, cpu;
	struct rusage ru;
	char *payload = NULL;
	int family, sink = -1, fd = -1, err = 0;
	unsigned int ebusy = 0;

	argp_err_exit_status = 2;
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 2;

	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);
	family = env.ipv6 ? AF_INET6 : AF_INET;

	/* The sink first: with a socket on the port, nothing answers with ICMP. */
	sink = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sink < 0) {
		fprintf(stderr, "sockwatch-gen: creating the sink socket failed: %s\n", strerror(errno));
		err = 1;
		goto cleanup;
	}
	alen = loopback_addr(&addr, htons(env.port));
	/* many flows go to many loopback addresses: the sink takes them all */
	if (env.flows > 1)
		((struct sockaddr_in *)&addr)->sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(sink, (struct sockaddr *)&addr, alen)) {
		fprintf(stderr, "sockwatch-gen: binding the sink to port %lu failed: %s; pick another with -p\n",
			env.port, strerror(errno));
		err = 1;
		goto cleanup;
	}
	if (getsockname(sink, (struct sockaddr *)&addr, &alen)) {
		fprintf(stderr, "sockwatch-gen: reading the sink's port failed: %s\n", strerror(errno));
		err = 1;
		goto cleanup;
	}
	env.port = ntohs(env.ipv6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
				  : ((struct sockaddr_in *)&addr)->sin_port);

	/* A connected sender: no address per message, and a fixed route. */
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "sockwatch-gen: creating the sending socket failed: %s\n", strerror(errno));
		err = 1;
		goto cleanup;
	}
	if (env.flows == 1 && connect(fd, (struct sockaddr *)&addr, alen)) {
		fprintf(stderr, "sockwatch-gen: connecting to port %lu failed: %s\n", env.port, strerror(errno));
		err = 1;
		goto cleanup;
	}

	payload = calloc(1, env.size ? env.size : 1);
	if (!payload) {
		fprintf(stderr, "sockwatch-gen: allocating %lu bytes failed: %s\n", env.size, strerror(errno));
		err = 1;
		goto cleanup;
	}
	memset(payload, 'a', env.size);
	iov.iov_base = payload;
	iov.iov_len = env.size;
	for (unsigned long i = 0; i < env.batch; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	start = now_s();
	deadline = start + env.max_seconds;
	t = start;
	while (sent < env.count && !exiting && t < deadline) {
		unsigned long long left = env.count - sent;
		unsigned int n = left < env.batch ? left : env.batch;
		int r;

		/* flow k goes to 127.1.0.0 + k: one destination a message */
		for (unsigned int i = 0; env.flows > 1 && i < n; i++) {
			dests[i] = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(env.port),
				.sin_addr.s_addr = htonl(0x7f010000 + (sent + i) % env.flows) };
			msgs[i].msg_hdr.msg_name = &dests[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(dests[i]);
		}
		r = sendmmsg(fd, msgs, n, 0);

		if (r < 0) {
			/* a full socket or device queue: try again, within the time bound */
			if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS) {
				ebusy++;
				t = now_s();
				continue;
			}
			fprintf(stderr, "sockwatch-gen: sendmmsg failed after %llu datagrams: %s\n",
				sent, strerror(errno));
			err = 1;
			break;
		}
		sent += r;
		t = now_s();
	}
	seconds = t - start;
	/* our CPU (user+sys), the loopback receive path included: it runs in our context */
	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;

	printf("{\"sent\":%llu,\"seconds\":%.6f,\"pps\":%.0f,\"size\":%lu,\"port\":%lu,"
	       "\"family\":%d,\"batch\":%lu,\"retries\":%u,\"cpu\":%.3f,\"complete\":%s}\n",
	       sent, seconds, seconds > 0 ? sent / seconds : 0.0, env.size, env.port,
	       env.ipv6 ? 6 : 4, env.batch, ebusy, cpu, sent == env.count ? "true" : "false");
	fflush(stdout);

cleanup:
	free(payload);
	if (fd >= 0)
		close(fd);
	if (sink >= 0)
		close(sink);
	return err;
}
