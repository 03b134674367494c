// SPDX-License-Identifier: MIT
#include <string.h>
#include "pcapng.h"

enum {
	BT_SHB = 0x0A0D0D0A, BT_IDB = 1, BT_ISB = 5, BT_EPB = 6,
	OPT_END = 0, OPT_COMMENT = 1,
	SHB_USERAPPL = 4,
	IF_NAME = 2, IF_TSRESOL = 9,
	EPB_FLAGS = 2, EPB_DROPCOUNT = 4, EPB_PROCESSID_THREADID = 8,
	ISB_STARTTIME = 2, ISB_ENDTIME = 3, ISB_IFRECV = 4, ISB_IFDROP = 5, ISB_USRDELIV = 8,
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void put32(uint8_t *b, uint32_t v)
{
	memcpy(b, &v, 4);
}

static void put16(uint8_t *b, uint16_t v)
{
	memcpy(b, &v, 2);
}

/* An option: code, length, value, zero padding to 32 bits. */
static size_t opt(uint8_t *b, uint16_t code, const void *v, uint16_t len)
{
	put16(b, code);
	put16(b + 2, len);
	memcpy(b + 4, v, len);
	memset(b + 4 + len, 0, pad4(len) - len);
	return 4 + pad4(len);
}

/* pcapng timestamps: the high 32 bits, then the low 32. */
static size_t opt_ts(uint8_t *b, uint16_t code, uint64_t ts)
{
	uint32_t v[2] = { (uint32_t)(ts >> 32), (uint32_t)ts };

	return opt(b, code, v, sizeof(v));
}

static size_t opt_u64(uint8_t *b, uint16_t code, uint64_t v)
{
	return opt(b, code, &v, sizeof(v));
}

/* Closes a block: end of options, the trailing length, the length in front. */
static size_t finish(uint8_t *b, size_t n, bool options)
{
	if (options) {
		put32(b + n, OPT_END);
		n += 4;
	}
	put32(b + 4, (uint32_t)(n + 4));
	put32(b + n, (uint32_t)(n + 4));
	return n + 4;
}

static uint16_t text_len(const char *s)
{
	size_t n = strlen(s);

	return n > PCAPNG_COMMENT_MAX ? PCAPNG_COMMENT_MAX : (uint16_t)n;
}

size_t pcapng_shb_size(const char *app)
{
	return 28 + 4 + pad4(text_len(app)) + 4 + 4;
}

size_t pcapng_shb(uint8_t *b, const char *app)
{
	const uint64_t unknown = UINT64_MAX; /* the section's length: not known in advance */
	size_t n = 8;

	put32(b, BT_SHB);
	put32(b + n, 0x1A2B3C4D);
	put16(b + n + 4, 1);
	put16(b + n + 6, 0);
	memcpy(b + n + 8, &unknown, 8);
	n += 16;
	n += opt(b + n, SHB_USERAPPL, app, text_len(app));
	return finish(b, n, true);
}

size_t pcapng_idb_size(const char *name)
{
	return 16 + (name ? 4 + pad4(text_len(name)) : 0) + 8 + 4 + 4;
}

size_t pcapng_idb(uint8_t *b, uint16_t linktype, uint32_t snaplen, const char *name)
{
	const uint8_t nanoseconds = 9;
	size_t n = 8;

	put32(b, BT_IDB);
	put16(b + n, linktype);
	put16(b + n + 2, 0);
	put32(b + n + 4, snaplen);
	n += 8;
	if (name) /* a classic pcap file read back names no interface */
		n += opt(b + n, IF_NAME, name, text_len(name));
	n += opt(b + n, IF_TSRESOL, &nanoseconds, 1);
	return finish(b, n, true);
}

size_t pcapng_epb_size(const struct pcapng_epb *p)
{
	return 28 + pad4(p->head_len + p->caplen) + (p->flags ? 8 : 0) + (p->has_drops ? 12 : 0) +
	       (p->pid ? 12 : 0) + (p->comment ? 4 + pad4(text_len(p->comment)) : 0) + 4 + 4;
}

size_t pcapng_epb(uint8_t *b, const struct pcapng_epb *p)
{
	const uint32_t cap = p->head_len + p->caplen;
	bool options = p->flags || p->has_drops || p->pid || p->comment;
	size_t n = 8;

	put32(b, BT_EPB);
	put32(b + n, p->ifid);
	put32(b + n + 4, (uint32_t)(p->ts_ns >> 32));
	put32(b + n + 8, (uint32_t)p->ts_ns);
	put32(b + n + 12, cap);
	put32(b + n + 16, p->head_len + p->len);
	n += 20;
	if (p->head_len)
		memcpy(b + n, p->head, p->head_len);
	memcpy(b + n + p->head_len, p->data, p->caplen);
	memset(b + n + cap, 0, pad4(cap) - cap);
	n += pad4(cap);
	if (p->comment)
		n += opt(b + n, OPT_COMMENT, p->comment, text_len(p->comment));
	if (p->flags)
		n += opt(b + n, EPB_FLAGS, &p->flags, 4);
	if (p->has_drops)
		n += opt_u64(b + n, EPB_DROPCOUNT, p->drops);
	if (p->pid) {
		uint32_t ids[2] = { p->pid, p->tid };

		n += opt(b + n, EPB_PROCESSID_THREADID, ids, sizeof(ids));
	}
	return finish(b, n, options);
}

size_t pcapng_isb(uint8_t *b, const struct pcapng_isb *s)
{
	size_t n = 8;

	put32(b, BT_ISB);
	put32(b + n, s->ifid);
	put32(b + n + 4, (uint32_t)(s->ts_ns >> 32));
	put32(b + n + 8, (uint32_t)s->ts_ns);
	n += 12;
	n += opt_ts(b + n, ISB_STARTTIME, s->start_ns);
	n += opt_ts(b + n, ISB_ENDTIME, s->end_ns);
	n += opt_u64(b + n, ISB_IFRECV, s->recv);
	n += opt_u64(b + n, ISB_IFDROP, s->drop);
	n += opt_u64(b + n, ISB_USRDELIV, s->delivered);
	return finish(b, n, true);
}
