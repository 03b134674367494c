/* SPDX-License-Identifier: MIT */
/* Classic pcap (draft-ietf-opsawg-pcap) with nanosecond timestamps, in this
 * host's byte order, as libpcap's pcap_dump writes with PCAP_TSTAMP_PRECISION_NANO. */
#ifndef SW_PCAP_H
#define SW_PCAP_H

#include <stddef.h>
#include <stdint.h>

#define PCAP_HEADER_SIZE 24
#define PCAP_RECORD_HEADER_SIZE 16

size_t pcap_file_header(uint8_t *b, uint32_t snaplen, uint32_t linktype);
size_t pcap_record_header(uint8_t *b, uint64_t ts_ns, uint32_t caplen, uint32_t len);

#endif
