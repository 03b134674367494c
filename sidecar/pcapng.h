/* SPDX-License-Identifier: MIT */
/*
 * pcapng blocks (draft-ietf-opsawg-pcapng), encoded into a caller's buffer in
 * this host's byte order (the Section Header's byte-order magic says which).
 * Only what sockwatch writes: SHB, IDB, EPB, ISB and their options.
 */
#ifndef SW_PCAPNG_H
#define SW_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCAPNG_LINKTYPE_ETHERNET 1
#define PCAPNG_LINKTYPE_RAW 101
/* epb_flags bits 0-1 */
#define PCAPNG_DIR_IN 1
#define PCAPNG_DIR_OUT 2
/* The most an opt_comment takes (longer ones are cut). */
#define PCAPNG_COMMENT_MAX 256
/* An EPB's bytes beyond its packet's, options included. */
#define PCAPNG_EPB_OVERHEAD (32 + 8 + 12 + 12 + 12 + 4 + PCAPNG_COMMENT_MAX + 4 + 4)

struct pcapng_epb {
	uint32_t ifid;
	uint64_t ts_ns;        /* since the epoch; the IDB says if_tsresol 9 */
	uint32_t caplen, len;
	const uint8_t *data;
	const uint8_t *head;   /* bytes before data (a made-up link header), or NULL */
	uint32_t head_len;
	uint32_t flags;        /* epb_flags; 0: none written */
	bool has_drops;
	uint64_t drops;        /* epb_dropcount */
	uint32_t pid, tid;     /* epb_processid_threadid when pid != 0 */
	const char *comment;   /* opt_comment, or NULL */
};

struct pcapng_isb {
	uint32_t ifid;
	uint64_t ts_ns, start_ns, end_ns;
	uint64_t recv, drop, delivered; /* isb_ifrecv, isb_ifdrop, isb_usrdeliv */
};

/* Each returns the bytes written at b; *_size says how many to have room for. */
size_t pcapng_shb_size(const char *app);
size_t pcapng_shb(uint8_t *b, const char *app);
/* name: if_name, or NULL for none */
size_t pcapng_idb_size(const char *name);
size_t pcapng_idb(uint8_t *b, uint16_t linktype, uint32_t snaplen, const char *name);
size_t pcapng_epb_size(const struct pcapng_epb *p);
size_t pcapng_epb(uint8_t *b, const struct pcapng_epb *p);
#define PCAPNG_ISB_SIZE (24 + 5 * 12 + 4 + 4)
size_t pcapng_isb(uint8_t *b, const struct pcapng_isb *s);

#endif
