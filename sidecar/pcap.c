// SPDX-License-Identifier: MIT
#include <string.h>
#include "pcap.h"

size_t pcap_file_header(uint8_t *b, uint32_t snaplen, uint32_t linktype)
{
	const uint32_t magic_ns = 0xa1b23c4d, zero = 0;
	const uint16_t major = 2, minor = 4;

	memcpy(b, &magic_ns, 4);
	memcpy(b + 4, &major, 2);
	memcpy(b + 6, &minor, 2);
	memcpy(b + 8, &zero, 4);  /* thiszone */
	memcpy(b + 12, &zero, 4); /* sigfigs */
	memcpy(b + 16, &snaplen, 4);
	memcpy(b + 20, &linktype, 4);
	return PCAP_HEADER_SIZE;
}

size_t pcap_record_header(uint8_t *b, uint64_t ts_ns, uint32_t caplen, uint32_t len)
{
	const uint32_t sec = (uint32_t)(ts_ns / 1000000000), nsec = (uint32_t)(ts_ns % 1000000000);

	memcpy(b, &sec, 4);
	memcpy(b + 4, &nsec, 4);
	memcpy(b + 8, &caplen, 4);
	memcpy(b + 12, &len, 4);
	return PCAP_RECORD_HEADER_SIZE;
}
