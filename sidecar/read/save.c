// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include "../../bpf/sockwatch.h"
#include "../pcap.h"
#include "../pcapng.h"
#include "save.h"

#define APP "sockwatch-read 0.1.0"

/* n bytes at the file's end, or NULL once a write failed (s->err). */
static uint8_t *reserve(struct read_save *s, size_t n)
{
	uint8_t *p = s->err ? NULL : savefile_reserve(&s->file, n);

	if (!p && !s->err)
		s->err = s->file.out->err ?: ENOSPC; /* stdout without room: the caller keeps room */
	return p;
}

int read_save_open(struct read_save *s, const char *path, bool pcap, uint32_t linktype, uint32_t snaplen,
		   struct out *std_out, char *why, size_t size)
{
	uint8_t *p;
	int err;

	*s = (struct read_save){ .ng = !pcap, .linktype = linktype, .snaplen = snaplen };
	memset(s->idb, -1, sizeof(s->idb));
	err = savefile_open(&s->file, path, 0, 0, 0, std_out, why, size);
	if (err)
		return err;
	p = reserve(s, s->ng ? pcapng_shb_size(APP) : PCAP_HEADER_SIZE);
	if (!p)
		goto fail;
	savefile_commit(&s->file, s->ng ? pcapng_shb(p, APP) : pcap_file_header(p, snaplen, linktype));
	return 0;
fail:
	snprintf(why, size, "cannot write to '%s': %s", path, strerror(s->err));
	return -s->err;
}

/* pcapng: the IDB for the file's interface, written when first seen. */
static int interface(struct read_save *s, unsigned int iface, const char *ifname)
{
	uint8_t *p;

	if (iface > TAP_MAX_IFACES)
		iface = TAP_MAX_IFACES;
	if (s->idb[iface] >= 0)
		return s->idb[iface];
	p = reserve(s, pcapng_idb_size(ifname && *ifname ? ifname : NULL));
	if (!p)
		return -1;
	savefile_commit(&s->file, pcapng_idb(p, (uint16_t)s->linktype, s->snaplen, ifname && *ifname ? ifname : NULL));
	s->idb[iface] = (int)s->n_ifs++;
	return s->idb[iface];
}

int read_save_packet(struct read_save *s, unsigned int iface, const char *ifname, uint64_t ts_ns,
		     const uint8_t *data, uint32_t caplen, uint32_t len, uint8_t dir)
{
	uint8_t *p;

	if (s->ng) {
		int id = interface(s, iface, ifname);
		struct pcapng_epb epb = {
			.ts_ns = ts_ns, .caplen = caplen, .len = len, .data = data,
			.flags = dir == SW_DIR_IN ? PCAPNG_DIR_IN : dir == SW_DIR_OUT ? PCAPNG_DIR_OUT : 0,
		};

		if (id < 0)
			return -s->err;
		epb.ifid = (uint32_t)id;
		p = reserve(s, pcapng_epb_size(&epb));
		if (!p)
			return -s->err;
		savefile_commit(&s->file, pcapng_epb(p, &epb));
		return 0;
	}
	p = reserve(s, PCAP_RECORD_HEADER_SIZE + caplen);
	if (!p)
		return -s->err;
	pcap_record_header(p, ts_ns, caplen, len);
	memcpy(p + PCAP_RECORD_HEADER_SIZE, data, caplen);
	savefile_commit(&s->file, PCAP_RECORD_HEADER_SIZE + caplen);
	return 0;
}

int read_save_close(struct read_save *s)
{
	int err = savefile_close(&s->file);

	return s->err ? -s->err : err;
}
