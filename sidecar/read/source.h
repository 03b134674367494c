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
	/* pcapng: what the last packet block and the section's interfaces said */
	uint32_t epb_flags;    /* 0: none given */
	uint32_t epb_if;
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

/* Opens path ("-": stdin); returns 0 or -errno, with msg set. */
int source_open(struct source *s, const char *path, char *msg, size_t len);
void source_close(struct source *s);

#endif
