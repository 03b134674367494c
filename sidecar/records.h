/* SPDX-License-Identifier: MIT */
/* The sidecar's NDJSON records, as docs/events.md describes them. Every record
 * starts with its SW_REC_HEAD_* ({"v":N,"type":"<kind>"), the field names are the
 * contract's (src/contract/contract.ts; gen-contract check compares them). */
#ifndef SW_RECORDS_H
#define SW_RECORDS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "out.h"
#include "../bpf/sockwatch.h"
#include "sw_contract.h" /* generated: SW_SCHEMA_VERSION, SW_REC_HEAD_*, protocol names */

struct sw_iface {
	unsigned int ifindex;
	const char *name;
};

/* CLOCK_REALTIME minus CLOCK_MONOTONIC, to turn kernel stamps into wall time. */
void rec_set_clock_offset(int64_t realtime_minus_mono_ns);

void rec_packet(struct out *o, const struct sw_event *e);
void rec_ready(struct out *o, const struct sw_iface *ifs, int n_ifs, uint64_t ring_size);
void rec_flow(struct out *o, const struct sw_flow_key *k, const struct sw_flow_val *v);
/* flows: flow records written so far, or -1 in packets mode (left out) */
void rec_stats(struct out *o, const struct sw_counters *c, uint64_t written, int64_t flows, bool final);
void rec_error(struct out *o, const char *code, const char *message, const char *detail);
/* A captured interface's new state: "up", "down" or "gone". */
void rec_link(struct out *o, unsigned int ifindex, const char *ifname, const char *state);

#endif
