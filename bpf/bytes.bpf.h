/* SPDX-License-Identifier: MIT */
/*
 * With --snaplen (a pcap writer): a ring record is the event, then the
 * packet's first caplen bytes from the link-layer header, as a packet socket
 * sees them. Records vary in size, so they are reserved as a dynptr; the bytes
 * go straight from the skb into the ring, in power-of-two pieces (a slice of a
 * dynptr must have a constant size), with no buffer on the stack.
 */
#ifndef SW_BYTES_BPF_H
#define SW_BYTES_BPF_H

/* caplen (at most SW_SNAPLEN_MAX) fits in this many bits */
#define SW_BYTES_BITS 19
#define SW_VLAN_TAG 4

/* Drops since this CPU's last record, which the next one carries (sw_event.lost). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost_since SEC(".maps");

/* n bytes of the skb from `from` into the record at `to`. */
static __always_inline int copy_bytes(struct __sk_buff *skb, struct bpf_dynptr *rec, __u32 from, __u32 to, __u32 n)
{
	void *p;
	int i;

	/* unrolled: 19 steps of a constant size each */
#pragma unroll
	for (i = SW_BYTES_BITS - 1; i >= 0; i--) {
		if (!(n & (1u << i)))
			continue;
		p = bpf_dynptr_data(rec, to, 1u << i);
		if (!p || bpf_skb_load_bytes(skb, from, p, 1u << i) < 0)
			return -1;
		from += 1u << i;
		to += 1u << i;
	}
	return 0;
}

/*
 * Writes the event and up to snaplen bytes; false when the ring had no room.
 * A receive-side VLAN tag the kernel moved into metadata is put back after the
 * MAC addresses, as libpcap does, so the bytes match e->len.
 */
static __always_inline bool emit_with_bytes(struct __sk_buff *skb, struct sw_event *e, __u32 snaplen, __u64 flags)
{
	struct bpf_dynptr rec;
	__u32 key = 0, caplen, head = 0, tagged;
	__u64 *lost;
	__be16 tag[2];

	lost = bpf_map_lookup_elem(&lost_since, &key);
	tagged = skb->vlan_present && (e->flags & SW_EV_ETH) ? SW_VLAN_TAG : 0;
	caplen = skb->len + tagged;
	if (caplen > snaplen)
		caplen = snaplen;
	caplen &= (1u << SW_BYTES_BITS) - 1; /* a bound for the verifier; snaplen is below it */
	if (lost)
		e->lost = *lost > 0xffff ? 0xffff : *lost;
	if (bpf_ringbuf_reserve_dynptr(&events, sizeof(*e) + caplen, 0, &rec)) {
		bpf_ringbuf_discard_dynptr(&rec, 0);
		if (lost)
			*lost += 1;
		return false;
	}
	if (tagged && caplen >= 12 + SW_VLAN_TAG) {
		tag[0] = (__be16)skb->vlan_proto; /* already in network order */
		tag[1] = bpf_htons((__u16)skb->vlan_tci);
		if (copy_bytes(skb, &rec, 0, sizeof(*e), 12) ||
		    bpf_dynptr_write(&rec, sizeof(*e) + 12, tag, sizeof(tag), 0))
			goto fail;
		head = 12 + SW_VLAN_TAG;
	}
	/* the rest (all of it, untagged) from where the tag would be */
	if (copy_bytes(skb, &rec, head ? 12 : 0, sizeof(*e) + head, caplen - head) ||
	    bpf_dynptr_write(&rec, 0, e, sizeof(*e), 0))
		goto fail;
	bpf_ringbuf_submit_dynptr(&rec, flags);
	if (lost)
		*lost = 0;
	return true;
fail:
	bpf_ringbuf_discard_dynptr(&rec, 0);
	if (lost)
		*lost += 1;
	return false;
}

#endif
