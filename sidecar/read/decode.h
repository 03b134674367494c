/* SPDX-License-Identifier: MIT */
/* A file's packet -> struct sw_event, with the parser the kernel runs (bpf/parse.h). */
#ifndef SW_READ_DECODE_H
#define SW_READ_DECODE_H

#include <stdbool.h>
#include <pcap/pcap.h>
#include <linux/types.h>
#include "sockwatch.h"

/* Whether packets of this link type (DLT_*) can be decoded. */
bool decode_link_supported(int dlt);
/* A cooked packet is rebuilt in scratch, of this size (libpcap's largest snaplen, and room). */
#define DECODE_SCRATCH (262144 + 64)

/* Fills e (zeroed first) from one packet: len, ifindex (SLL2), dir (cooked
 * headers say it; else dir_known), and what sw_parse finds. *skip: the bytes
 * of a cooked header (SLL, SLL2, NULL) before the frame it stands for. */
void decode_packet(int dlt, const struct pcap_pkthdr *h, const __u8 *bytes, __u8 dir_known,
		   struct sw_event *e, __u32 *skip, __u8 *scratch);

#endif
