/* SPDX-License-Identifier: MIT */
/*
 * A capture file as libpcap reads it: from a path or stdin, gzip'd or not
 * (zlib reads both), through a stdio cookie that watches the blocks go by.
 * libpcap keeps to itself what sockwatch needs of a pcapng file (each packet's
 * direction flags, interface names) and where in the file it failed; the tap
 * follows the block structure of the bytes libpcap asks for, so it knows both.
 */
#ifndef SW_READ_SOURCE_H
#define SW_READ_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>
#include <zlib.h>

#define TAP_MAX_IFACES 256
/* Blocks buffered whole (pcapng, for their options); libpcap refuses larger ones. */
#define TAP_MAX_BLOCK (16u << 20)

enum tap_kind { TAP_UNKNOWN, TAP_PCAP, TAP_PCAPNG, TAP_OTHER };

struct tap_block {
	uint64_t start;  /* its offset in the (uncompressed) file */
	uint32_t flags;  /* pcapng epb_flags, 0 when none */
	uint32_t iface;  /* pcapng interface id */
	bool packet;     /* a packet libpcap hands out (pcap record; pcapng EPB, SPB, PB) */
};

struct tap {
	enum tap_kind kind;
	bool swapped;          /* the file (pcap) or section (pcapng) is in the other byte order */
	uint64_t pos;          /* bytes libpcap has taken */
	uint64_t block_start;  /* the block (pcapng), record or header (pcap) being read */
	uint32_t need;         /* header bytes that say how long the block is */
	uint64_t total;        /* its length, once known */
	uint64_t got;
	uint8_t *buf;          /* pcapng: the block so far */
	size_t cap;
	/* Every block (record) seen, in order, until the reader takes it: the
	 * tap is ahead of libpcap by what stdio has buffered. A ring, grown
	 * as needed. */
	struct tap_block *q;
	size_t q_cap, q_head, q_len; /* q_cap: a power of two */
	unsigned int n_ifaces;
	char names[TAP_MAX_IFACES][IF_NAMESIZE * 4];
	/* pcap: the header's snaplen (0 is malformed), at byte 16 */
	bool pcap_snaplen_zero;
};

struct source {
	gzFile gz;
	FILE *file; /* what libpcap reads */
	const char *name;
	struct tap tap;
	bool gz_failed;
	char gz_err[128];
};

/* The next packet libpcap returned: the blocks up to it leave the queue;
 * false if the tap has not seen it (it always has: libpcap reads through it). */
bool source_next_packet(struct source *s, struct tap_block *b);
/* Where the first block libpcap has not returned starts: where it failed. */
uint64_t source_failed_at(const struct source *s);
/* Opens path ("-": stdin); returns 0 or -errno, with msg set. */
int source_open(struct source *s, const char *path, char *msg, size_t len);
void source_close(struct source *s);

#endif
