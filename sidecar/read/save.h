/* SPDX-License-Identifier: MIT */
/*
 * sockwatch-read -w: the packets that pass the filter, as the file has them
 * (its link type, its bytes, its timestamps), into a new pcapng or classic
 * pcap file, as `tcpdump -r in -w out FILTER` does; pcapng keeps each packet's
 * interface (an IDB per interface as first seen) and direction.
 */
#ifndef SW_READ_SAVE_H
#define SW_READ_SAVE_H

#include <stdbool.h>
#include <stdint.h>
#include "../savefile.h"
#include "source.h"

struct read_save {
	struct savefile file;
	bool ng;
	uint32_t linktype, snaplen;
	unsigned int n_ifs;                /* pcapng: IDBs written */
	int idb[TAP_MAX_IFACES + 1];       /* the file's interface -> its IDB (-1: none yet); the last: pcap's one */
	int err;                           /* the first write failure (errno) */
};

/* Opens path ('-': std_out) and writes the file header; -errno with a sentence in why. */
int read_save_open(struct read_save *s, const char *path, bool pcap, uint32_t linktype, uint32_t snaplen,
		   struct out *std_out, char *why, size_t size);
/* One packet: iface is the file's interface (pcapng; TAP_MAX_IFACES for pcap), dir SW_DIR_*.
 * 0, or -errno once a write failed. */
int read_save_packet(struct read_save *s, unsigned int iface, const char *ifname, uint64_t ts_ns,
		     const uint8_t *data, uint32_t caplen, uint32_t len, uint8_t dir);
/* Writes out and closes the file; -errno of the first failure. */
int read_save_close(struct read_save *s);

#endif
