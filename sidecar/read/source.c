// SPDX-License-Identifier: MIT
/* Input for the file reader: zlib, a stdio cookie for libpcap, and the tap
 * (source.h says why). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "source.h"

#define PCAPNG_SHB 0x0A0D0D0A
#define PCAPNG_IDB 1
#define PCAPNG_PB  2 /* obsolete Packet Block */
#define PCAPNG_SPB 3
#define PCAPNG_EPB 6
#define PCAPNG_BOM 0x1A2B3C4D

static uint32_t u32(const struct tap *t, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return t->swapped ? __builtin_bswap32(v) : v;
}

static uint16_t u16(const struct tap *t, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return t->swapped ? __builtin_bswap16(v) : v;
}

/* The options of a pcapng block, from at to end: calls back for each. */
static void pcapng_options(struct tap *t, const uint8_t *at, const uint8_t *end,
			   void (*each)(struct tap *t, uint16_t code, const uint8_t *v, uint16_t len))
{
	while (at + 4 <= end) {
		uint16_t code = u16(t, at), len = u16(t, at + 2);

		if (code == 0 || at + 4 + len > end)
			return;
		each(t, code, at + 4, len);
		at += 4 + ((len + 3u) & ~3u);
	}
}

/* Queues a block; false when out of memory (then the tap stops). */
static bool tap_push(struct tap *t, struct tap_block b)
{
	if (t->q_len == t->q_cap) {
		size_t cap = t->q_cap ? t->q_cap * 2 : 1024;
		struct tap_block *q = malloc(cap * sizeof(*q));

		if (!q)
			return false;
		for (size_t i = 0; i < t->q_len; i++)
			q[i] = t->q[(t->q_head + i) & (t->q_cap - 1)];
		free(t->q);
		t->q = q;
		t->q_cap = cap;
		t->q_head = 0;
	}
	t->q[(t->q_head + t->q_len++) & (t->q_cap - 1)] = b;
	return true;
}

static void epb_option(struct tap *t, uint16_t code, const uint8_t *v, uint16_t len)
{
	if (code == 2 && len == 4) /* epb_flags */
		t->q[(t->q_head + t->q_len - 1) & (t->q_cap - 1)].flags = u32(t, v);
}

static void idb_option(struct tap *t, uint16_t code, const uint8_t *v, uint16_t len)
{
	char *name = t->names[t->n_ifaces];
	size_t n = len < sizeof(t->names[0]) - 1 ? len : sizeof(t->names[0]) - 1;

	if (code != 2) /* if_name */
		return;
	memcpy(name, v, n);
	name[n] = 0;
	name[strnlen(name, n)] = 0;
}

static void pcapng_block(struct tap *t)
{
	const uint8_t *b = t->buf, *end = t->buf + t->total - 4;
	uint32_t type = u32(t, b);
	struct tap_block q = { .start = t->block_start,
			       .packet = type == PCAPNG_EPB || type == PCAPNG_SPB || type == PCAPNG_PB };

	if (type == PCAPNG_EPB && t->total >= 32)
		q.iface = u32(t, b + 8);
	else if (type == PCAPNG_PB && t->total >= 32)
		q.iface = u16(t, b + 8);
	if (!tap_push(t, q)) {
		t->kind = TAP_OTHER;
		return;
	}
	if (type == PCAPNG_EPB && t->total >= 32) {
		uint32_t caplen = u32(t, b + 20);

		if (caplen <= t->total - 32)
			pcapng_options(t, b + 28 + ((caplen + 3u) & ~3u), end, epb_option);
	} else if (type == PCAPNG_IDB && t->total >= 20 && t->n_ifaces < TAP_MAX_IFACES) {
		t->names[t->n_ifaces][0] = 0;
		pcapng_options(t, b + 16, end, idb_option);
		t->n_ifaces++;
	}
}

/* The next block's (or record's) first bytes are in t->buf: how long is it? */
static void tap_header(struct tap *t)
{
	uint32_t magic;

	if (t->kind == TAP_UNKNOWN) {
		memcpy(&magic, t->buf, 4);
		if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d || magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
			t->kind = TAP_PCAP;
			t->swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
			t->need = 24; /* the file header */
		} else if (magic == PCAPNG_SHB) {
			t->kind = TAP_PCAPNG;
			t->need = 12;
		} else {
			t->kind = TAP_OTHER; /* libpcap says what it is not */
			t->total = UINT64_MAX;
		}
		return;
	}
	if (t->kind == TAP_PCAP) {
		if (t->block_start == 0) {
			t->pcap_snaplen_zero = u32(t, t->buf + 16) == 0;
			t->total = 24;
			return;
		}
		t->total = 16 + (uint64_t)u32(t, t->buf + 8);
		return;
	}
	/* pcapng: a section header says its byte order */
	if (u32(t, t->buf) == PCAPNG_SHB || __builtin_bswap32(u32(t, t->buf)) == PCAPNG_SHB) {
		uint32_t bom;

		memcpy(&bom, t->buf + 8, 4);
		t->swapped = bom != PCAPNG_BOM;
		t->n_ifaces = 0;
	}
	t->total = u32(t, t->buf + 4);
	if (t->total < 12)
		t->total = UINT64_MAX; /* malformed: libpcap will say so, at block_start */
}

static void tap_feed(struct tap *t, const uint8_t *p, size_t n)
{
	while (n) {
		uint64_t want = t->total ? t->total : t->need;
		size_t take = want - t->got < n ? want - t->got : n;
		bool keep = t->got < t->need || (t->kind == TAP_PCAPNG && t->total <= TAP_MAX_BLOCK);

		if (keep && t->got + take > t->cap) {
			size_t cap = t->cap ? t->cap : 4096;
			uint8_t *buf;

			while (cap < t->got + take)
				cap *= 2;
			buf = realloc(t->buf, cap);
			if (!buf) {
				keep = false;
			} else {
				t->buf = buf;
				t->cap = cap;
			}
		}
		if (keep)
			memcpy(t->buf + t->got, p, take);
		t->got += take;
		t->pos += take;
		p += take;
		n -= take;
		if (!t->total && t->got == t->need)
			tap_header(t);
		if (!t->total || t->total == UINT64_MAX || t->got < t->total)
			continue;
		if (t->kind == TAP_PCAPNG && t->total <= TAP_MAX_BLOCK && t->cap >= t->total)
			pcapng_block(t);
		else if (t->kind == TAP_PCAP && t->block_start && !tap_push(t, (struct tap_block){ .start = t->block_start, .packet = true }))
			t->kind = TAP_OTHER;
		t->block_start += t->total;
		t->got = 0;
		t->total = 0;
		t->need = t->kind == TAP_PCAP ? 16 : 12;
	}
}

static ssize_t cookie_read(void *cookie, char *buf, size_t size)
{
	struct source *s = cookie;
	int n, errnum;

	if (size > INT32_MAX)
		size = INT32_MAX;
	n = gzread(s->gz, buf, (unsigned int)size);
	if (n < 0 || (n == 0 && !gzeof(s->gz))) {
		const char *why = gzerror(s->gz, &errnum);

		s->gz_failed = true;
		snprintf(s->gz_err, sizeof(s->gz_err), "%s", errnum == Z_ERRNO ? strerror(errno) : why);
		return n < 0 ? -1 : 0;
	}
	/* a gzip stream cut short: zlib says so only when asked */
	if (n == 0 && gzeof(s->gz)) {
		const char *why = gzerror(s->gz, &errnum);

		if (errnum == Z_BUF_ERROR) {
			s->gz_failed = true;
			snprintf(s->gz_err, sizeof(s->gz_err), "its gzip data ends early (%s)", why);
		}
	}
	tap_feed(&s->tap, (const uint8_t *)buf, n);
	return n;
}

int source_open(struct source *s, const char *path, char *msg, size_t len)
{
	cookie_io_functions_t io = { .read = cookie_read };
	int fd, err;

	memset(s, 0, sizeof(*s));
	s->name = path;
	s->tap.need = 4;
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(STDIN_FILENO);
	if (fd < 0) {
		err = -errno;
		snprintf(msg, len, "cannot read '%s': %s", path, strerror(errno));
		return err;
	}
	s->gz = gzdopen(fd, "rb");
	if (!s->gz) {
		close(fd);
		snprintf(msg, len, "cannot read '%s': out of memory", path);
		return -ENOMEM;
	}
	gzbuffer(s->gz, 256 << 10);
	s->file = fopencookie(s, "r", io);
	if (!s->file) {
		err = -errno;
		gzclose(s->gz);
		snprintf(msg, len, "cannot read '%s': %s", path, strerror(-err));
		return err;
	}
	setvbuf(s->file, NULL, _IOFBF, 256 << 10);
	return 0;
}

bool source_next_packet(struct source *s, struct tap_block *b)
{
	struct tap *t = &s->tap;

	/* bounded by the queue: what libpcap read past on the way (a section
	 * or interface block) leaves with the packet */
	while (t->q_len) {
		*b = t->q[t->q_head];
		t->q_head = (t->q_head + 1) & (t->q_cap - 1);
		t->q_len--;
		if (b->packet)
			return true;
	}
	return false;
}

uint64_t source_failed_at(const struct source *s)
{
	const struct tap *t = &s->tap;

	/* the next packet libpcap would have returned; none seen whole: the
	 * block the tap is in (cut short, or of a length that cannot be) */
	for (size_t i = 0; i < t->q_len; i++) {
		const struct tap_block *b = &t->q[(t->q_head + i) & (t->q_cap - 1)];

		if (b->packet)
			return b->start;
	}
	return t->block_start;
}

void source_close(struct source *s)
{
	if (s->file)
		fclose(s->file);
	if (s->gz)
		gzclose(s->gz);
	free(s->tap.buf);
	free(s->tap.q);
}
