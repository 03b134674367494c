// SPDX-License-Identifier: MIT
/*
 * Classic BPF → eBPF, for the filter libpcap compiles. The meaning of each
 * classic opcode is the kernel's (net/core/filter.c, bpf_convert_filter) and
 * libpcap's (bpf_filter.c): A and X start at 0, every value is 32 bits and
 * unsigned, a load past the end or a division by zero rejects the packet.
 *
 * Registers: R6 skb, R7 A, R8 X, R9 "an outer VLAN tag is in the metadata"
 * (Ethernet only). Stack: fp-8 the load buffer, fp-16 a saved offset, M[i] at
 * fp-24-8*i. Only forward jumps and constant stack offsets, so it loads with
 * CAP_BPF alone (no CAP_PERFMON).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include "cbpf.h"
#include "../bpf/sockwatch.h"

#define R_A 7
#define R_X 8
#define R_VLAN 9
#define R_SKB 6
#define FP 10
#define BUF_OFF (-8)
#define SAVE_OFF (-16)
#define MEM_OFF(i) (-24 - 8 * (int)(i))
#define SKB(field) ((short)offsetof(struct __sk_buff, field))
#define REJECT ((size_t)-1)
#define MAX_INSNS (1 << 20)
/* libpcap's protochain loops (a backward ja over the IPv6 extension headers).
 * The loop is unrolled this many times; a chain longer than that does not match. */
#define LOOP_COPIES 8
#define MAX_LOOPS 16

/* A jump whose target is a classic instruction (or REJECT), patched at the end. */
struct fixup {
	size_t at;
	int prog;
	size_t target;
};

struct emitter {
	struct bpf_insn *insn;
	size_t n, cap;
	struct fixup *fix;
	size_t n_fix, cap_fix;
	size_t *starts[8]; /* per program: eBPF index of each classic instruction, copy by copy */
	/* a loop's copies follow its first pass, so every jump is forward: copy 0 is the
	 * whole program, copy c > 0 the loop [lo, hi] alone, left for copy 0 after it */
	int copy, copies[8];
	size_t lo, hi;
	size_t len[8];       /* classic instructions per program */
	size_t reject;
	bool oom;
	char *err;
	size_t errlen;
	bool failed;
};

static struct bpf_insn mk(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };

	return i;
}

static size_t put(struct emitter *e, struct bpf_insn i)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 256;
		struct bpf_insn *p = cap > MAX_INSNS ? NULL : realloc(e->insn, cap * sizeof(*p));

		if (!p) {
			e->oom = true;
			return e->n;
		}
		e->insn = p;
		e->cap = cap;
	}
	e->insn[e->n] = i;
	return e->n++;
}

static void fail(struct emitter *e, const char *msg)
{
	if (!e->failed)
		snprintf(e->err, e->errlen, "%s", msg);
	e->failed = true;
}

/* A jump to a classic instruction of program p (or REJECT), resolved later. */
static void jump_to(struct emitter *e, struct bpf_insn j, int p, size_t target)
{
	size_t at = put(e, j);

	if (e->n_fix == e->cap_fix) {
		size_t cap = e->cap_fix ? e->cap_fix * 2 : 256;
		struct fixup *f = realloc(e->fix, cap * sizeof(*f));

		if (!f) {
			e->oom = true;
			return;
		}
		e->fix = f;
		e->cap_fix = cap;
	}
	e->fix[e->n_fix++] = (struct fixup){ at, p, target };
}

/* A forward jump within the translation of one instruction: patched by here(). */
static size_t fwd(struct emitter *e, struct bpf_insn j)
{
	return put(e, j);
}

static void here(struct emitter *e, size_t at)
{
	if (at < e->n)
		e->insn[at].off = (__s16)(e->n - at - 1);
}

#define ALU32_IMM(op, dst, imm) mk(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define ALU32_REG(op, dst, src) mk(BPF_ALU | (op) | BPF_X, dst, src, 0, 0)
#define MOV64_REG(dst, src) mk(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define ADD64_IMM(dst, imm) mk(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm)
#define LDX(size, dst, src, off) mk(BPF_LDX | BPF_MEM | (size), dst, src, off, 0)
#define STX(size, dst, src, off) mk(BPF_STX | BPF_MEM | (size), dst, src, off, 0)
#define ST_DW0(off) mk(BPF_ST | BPF_MEM | BPF_DW, FP, 0, off, 0)
#define J32_IMM(op, dst, imm) mk(BPF_JMP32 | (op) | BPF_K, dst, 0, 0, imm)
#define J32_REG(op, dst, src) mk(BPF_JMP32 | (op) | BPF_X, dst, src, 0, 0)
#define JA() mk(BPF_JMP | BPF_JA, 0, 0, 0, 0)
#define CALL(fn) mk(BPF_JMP | BPF_CALL, 0, 0, 0, fn)
#define EXIT() mk(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define BE(dst, bits) mk(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, bits)

static __u8 size_code(int bytes)
{
	return bytes == 1 ? BPF_B : bytes == 2 ? BPF_H : BPF_W;
}

/* dst = the `bytes` bytes at the real offset in w2, big-endian; reject if past the end. */
static void load_real(struct emitter *e, __u8 dst, int bytes)
{
	put(e, MOV64_REG(1, R_SKB));
	put(e, MOV64_REG(3, FP));
	put(e, ADD64_IMM(3, BUF_OFF));
	put(e, ALU32_IMM(BPF_MOV, 4, bytes));
	put(e, CALL(BPF_FUNC_skb_load_bytes));
	jump_to(e, mk(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 0, 0), 0, REJECT);
	put(e, LDX(size_code(bytes), dst, FP, BUF_OFF));
	if (bytes > 1)
		put(e, BE(dst, bytes * 8));
}

/* w1 = the outer tag as it stands in the data: TPID, then TCI. */
static void tag_word(struct emitter *e)
{
	put(e, LDX(BPF_W, 1, R_SKB, SKB(vlan_proto)));
	put(e, BE(1, 16));
	put(e, ALU32_IMM(BPF_LSH, 1, 16));
	put(e, LDX(BPF_W, 3, R_SKB, SKB(vlan_tci)));
	put(e, ALU32_IMM(BPF_AND, 3, 0xffff));
	put(e, ALU32_REG(BPF_OR, 1, 3));
}

/*
 * Ethernet, virtual offset in w2: with a tag in the metadata, bytes 12-15 are
 * the tag and the rest of the frame is 4 bytes further on, as in a savefile.
 */
static void load_ether(struct emitter *e, __u8 dst, int bytes)
{
	size_t no_tag, after_tag, plain, done;

	no_tag = fwd(e, J32_IMM(BPF_JEQ, R_VLAN, 0));
	after_tag = fwd(e, J32_IMM(BPF_JGE, 2, 16));
	plain = fwd(e, J32_IMM(BPF_JLE, 2, 12 - bytes));
	/* overlaps the tag: a byte at a time */
	put(e, STX(BPF_W, FP, 2, SAVE_OFF));
	put(e, ALU32_IMM(BPF_MOV, dst, 0));
	for (int i = 0; i < bytes; i++) {
		size_t real_after, in_tag, to_load, to_acc, to_load2;

		put(e, LDX(BPF_W, 2, FP, SAVE_OFF));
		put(e, ALU32_IMM(BPF_ADD, 2, i));
		real_after = fwd(e, J32_IMM(BPF_JGE, 2, 16));
		in_tag = fwd(e, J32_IMM(BPF_JGE, 2, 12));
		to_load = fwd(e, JA());
		here(e, real_after);
		put(e, ALU32_IMM(BPF_SUB, 2, 4));
		to_load2 = fwd(e, JA());
		here(e, in_tag);
		tag_word(e);
		put(e, ALU32_IMM(BPF_MOV, 3, 15));
		put(e, ALU32_REG(BPF_SUB, 3, 2));
		put(e, ALU32_IMM(BPF_LSH, 3, 3));
		put(e, ALU32_REG(BPF_RSH, 1, 3));
		put(e, ALU32_IMM(BPF_AND, 1, 0xff));
		to_acc = fwd(e, JA());
		here(e, to_load);
		here(e, to_load2);
		load_real(e, 1, 1);
		here(e, to_acc);
		put(e, ALU32_IMM(BPF_LSH, dst, 8));
		put(e, ALU32_REG(BPF_OR, dst, 1));
	}
	done = fwd(e, JA());
	here(e, after_tag);
	put(e, ALU32_IMM(BPF_SUB, 2, 4));
	here(e, no_tag);
	here(e, plain);
	load_real(e, dst, bytes);
	here(e, done);
}

/* dst = packet bytes at k (abs) or X + k (ind), on this link type. */
static void load(struct emitter *e, __u32 linktype, __u8 dst, int bytes, bool ind, __u32 k)
{
	if (ind) {
		put(e, MOV64_REG(2, R_X));
		put(e, ALU32_IMM(BPF_ADD, 2, (__s32)k));
		/* past 2^32: past the end, as libpcap judges it */
		if (k)
			jump_to(e, J32_REG(BPF_JLT, 2, R_X), 0, REJECT);
	} else {
		put(e, ALU32_IMM(BPF_MOV, 2, (__s32)k));
	}
	if (linktype != SW_LINKTYPE_ETHER || (!ind && k + bytes <= 12 && k < 12)) {
		load_real(e, dst, bytes);
	} else if (!ind && k >= 12 && k + bytes <= 16) {
		/* within the tag (the ethertype at 12, most often): from the metadata when it is there */
		size_t no_tag = fwd(e, J32_IMM(BPF_JEQ, R_VLAN, 0)), done;

		tag_word(e);
		if (16 - k - bytes)
			put(e, ALU32_IMM(BPF_RSH, 1, 8 * (16 - k - bytes)));
		if (bytes < 4)
			put(e, ALU32_IMM(BPF_AND, 1, bytes == 1 ? 0xff : 0xffff));
		put(e, ALU32_REG(BPF_MOV, dst, 1));
		done = fwd(e, JA());
		here(e, no_tag);
		load_real(e, dst, bytes);
		here(e, done);
	} else if (k >= 16) {
		/* at or past the tag's end, whatever X: 4 bytes earlier when the tag is in the metadata */
		put(e, mk(BPF_JMP32 | BPF_JEQ | BPF_K, R_VLAN, 0, 1, 0));
		put(e, ALU32_IMM(BPF_SUB, 2, 4));
		load_real(e, dst, bytes);
	} else {
		load_ether(e, dst, bytes);
	}
}

/* dst = the frame's length (with an outer tag in the metadata counted, as libpcap does). */
static void load_len(struct emitter *e, __u32 linktype, __u8 dst)
{
	put(e, LDX(BPF_W, dst, R_SKB, SKB(len)));
	if (linktype != SW_LINKTYPE_ETHER)
		return;
	put(e, MOV64_REG(1, R_VLAN));
	put(e, ALU32_IMM(BPF_LSH, 1, 2));
	put(e, ALU32_REG(BPF_ADD, dst, 1));
}

/* Linux's ancillary loads (SKF_AD_*), as the kernel converts them. */
static void load_ancillary(struct emitter *e, __u32 k)
{
	switch ((int)k - SKF_AD_OFF) {
	case SKF_AD_PROTOCOL:
		put(e, LDX(BPF_W, R_A, R_SKB, SKB(protocol)));
		put(e, BE(R_A, 16));
		return;
	case SKF_AD_PKTTYPE:
		put(e, LDX(BPF_W, R_A, R_SKB, SKB(pkt_type)));
		return;
	case SKF_AD_IFINDEX:
		put(e, LDX(BPF_W, R_A, R_SKB, SKB(ifindex)));
		return;
	case SKF_AD_MARK:
		put(e, LDX(BPF_W, R_A, R_SKB, SKB(mark)));
		return;
	case SKF_AD_QUEUE:
		put(e, LDX(BPF_W, R_A, R_SKB, SKB(queue_mapping)));
		return;
	case SKF_AD_RXHASH:
		put(e, LDX(BPF_W, R_A, R_SKB, SKB(hash)));
		return;
	case SKF_AD_VLAN_TAG:
		put(e, LDX(BPF_W, R_A, R_SKB, SKB(vlan_tci)));
		return;
	case SKF_AD_VLAN_TAG_PRESENT:
		put(e, LDX(BPF_W, R_A, R_SKB, SKB(vlan_present)));
		return;
	case SKF_AD_VLAN_TPID:
		put(e, LDX(BPF_W, R_A, R_SKB, SKB(vlan_proto)));
		put(e, BE(R_A, 16));
		return;
	case SKF_AD_CPU:
		put(e, CALL(BPF_FUNC_get_smp_processor_id));
		put(e, ALU32_REG(BPF_MOV, R_A, 0));
		return;
	case SKF_AD_RANDOM:
		put(e, CALL(BPF_FUNC_get_prandom_u32));
		put(e, ALU32_REG(BPF_MOV, R_A, 0));
		return;
	default:
		fail(e, "libpcap asked for a kernel extension (SKF_AD_*) this translator does not know");
	}
}

static void alu(struct emitter *e, int p, const struct sw_cbpf_insn *c)
{
	__u8 op = BPF_OP(c->code);
	bool x = BPF_SRC(c->code) == BPF_X;

	if (op == BPF_NEG) {
		put(e, mk(BPF_ALU | BPF_NEG, R_A, 0, 0, 0));
		return;
	}
	if (op == BPF_DIV || op == BPF_MOD) {
		if (x)
			jump_to(e, J32_IMM(BPF_JEQ, R_X, 0), p, REJECT);
		else if (c->k == 0) {
			jump_to(e, JA(), p, REJECT);
			return;
		}
	}
	if ((op == BPF_LSH || op == BPF_RSH) && !x && c->k >= 32) {
		fail(e, "the filter shifts by 32 bits or more");
		return;
	}
	switch (op) {
	case BPF_ADD: case BPF_SUB: case BPF_MUL: case BPF_DIV: case BPF_OR:
	case BPF_AND: case BPF_LSH: case BPF_RSH: case BPF_MOD: case BPF_XOR:
		put(e, x ? ALU32_REG(op, R_A, R_X) : ALU32_IMM(op, R_A, (__s32)c->k));
		return;
	default:
		fail(e, "the filter has an arithmetic instruction this translator does not know");
	}
}

/* A forward jump's target: in this copy of the loop, or past the loop in copy 0. */
static size_t in_copy(const struct emitter *e, int p, size_t to)
{
	if (e->copy && to >= e->lo && to <= e->hi)
		return to + (size_t)e->copy * e->len[p];
	return to;
}

static void branch(struct emitter *e, int p, size_t i, const struct sw_cbpf_insn *c)
{
	__u8 op = BPF_OP(c->code);
	bool x = BPF_SRC(c->code) == BPF_X;
	size_t t = i + 1 + c->jt, f = i + 1 + c->jf;

	if (op == BPF_JA) {
		long to = (long)i + 1 + (__s32)c->k;

		if (to < 0) {
			fail(e, "the filter jumps before its start");
		} else if (to <= (long)i) {
			/* a loop: on into the next copy, or no match after the last */
			jump_to(e, JA(), p, e->copy + 1 < e->copies[p] ? (size_t)to + (size_t)(e->copy + 1) * e->len[p] : REJECT);
		} else {
			jump_to(e, JA(), p, in_copy(e, p, (size_t)to));
		}
		return;
	}
	if (op != BPF_JEQ && op != BPF_JGT && op != BPF_JGE && op != BPF_JSET) {
		fail(e, "the filter has a jump this translator does not know");
		return;
	}
	jump_to(e, x ? J32_REG(op, R_A, R_X) : J32_IMM(op, R_A, (__s32)c->k), p, in_copy(e, p, t));
	if (f != i + 1)
		jump_to(e, JA(), p, in_copy(e, p, f));
}

static void translate_one(struct emitter *e, int p, __u32 linktype, size_t i, const struct sw_cbpf_insn *c)
{
	__u8 mode = BPF_MODE(c->code), size = BPF_SIZE(c->code);
	int bytes = size == BPF_B ? 1 : size == BPF_H ? 2 : 4;

	switch (BPF_CLASS(c->code)) {
	case BPF_LD:
		if (mode == BPF_IMM)
			put(e, ALU32_IMM(BPF_MOV, R_A, (__s32)c->k));
		else if (mode == BPF_MEM && c->k < BPF_MEMWORDS)
			put(e, LDX(BPF_W, R_A, FP, MEM_OFF(c->k)));
		else if (mode == BPF_LEN)
			load_len(e, linktype, R_A);
		else if (mode == BPF_ABS && (__s32)c->k >= SKF_AD_OFF && (__s32)c->k < SKF_AD_OFF + SKF_AD_MAX)
			load_ancillary(e, c->k);
		else if ((mode == BPF_ABS && (__s32)c->k >= 0) || mode == BPF_IND)
			load(e, linktype, R_A, bytes, mode == BPF_IND, c->k);
		else
			fail(e, "the filter loads from an offset this translator does not know");
		return;
	case BPF_LDX:
		if (mode == BPF_IMM)
			put(e, ALU32_IMM(BPF_MOV, R_X, (__s32)c->k));
		else if (mode == BPF_MEM && c->k < BPF_MEMWORDS)
			put(e, LDX(BPF_W, R_X, FP, MEM_OFF(c->k)));
		else if (mode == BPF_LEN)
			load_len(e, linktype, R_X);
		else if (mode == BPF_MSH && (__s32)c->k >= 0) {
			load(e, linktype, R_X, 1, false, c->k);
			put(e, ALU32_IMM(BPF_AND, R_X, 0xf));
			put(e, ALU32_IMM(BPF_LSH, R_X, 2));
		} else
			fail(e, "the filter has an LDX this translator does not know");
		return;
	case BPF_ST:
	case BPF_STX:
		if (c->k >= BPF_MEMWORDS) {
			fail(e, "the filter stores past its scratch memory");
			return;
		}
		put(e, STX(BPF_W, FP, BPF_CLASS(c->code) == BPF_ST ? R_A : R_X, MEM_OFF(c->k)));
		return;
	case BPF_ALU:
		alu(e, p, c);
		return;
	case BPF_JMP:
		branch(e, p, i, c);
		return;
	case BPF_RET:
		put(e, BPF_RVAL(c->code) == BPF_A ? ALU32_REG(BPF_MOV, 0, R_A) : ALU32_IMM(BPF_MOV, 0, (__s32)c->k));
		put(e, EXIT());
		return;
	case BPF_MISC:
		put(e, BPF_MISCOP(c->code) == BPF_TAX ? ALU32_REG(BPF_MOV, R_X, R_A) : ALU32_REG(BPF_MOV, R_A, R_X));
		return;
	default:
		fail(e, "the filter has an instruction class this translator does not know");
	}
}

/* Scratch slots the programs read: zeroed first, as the verifier wants no read of uninitialised stack. */
static unsigned int used_memory(const struct sw_cbpf_prog *progs, int n_progs)
{
	unsigned int used = 0;

	for (int p = 0; p < n_progs; p++)
		for (size_t i = 0; i < progs[p].len; i++) {
			const struct sw_cbpf_insn *c = &progs[p].insns[i];

			if (((BPF_CLASS(c->code) == BPF_LD || BPF_CLASS(c->code) == BPF_LDX) &&
			     BPF_MODE(c->code) == BPF_MEM) || BPF_CLASS(c->code) == BPF_ST ||
			    BPF_CLASS(c->code) == BPF_STX)
				used |= c->k < BPF_MEMWORDS ? 1u << c->k : 0;
		}
	return used;
}

/* The loops (backward ja) of a program, as [lo, hi] regions, loops that share
 * instructions merged; -1 when there are too many. */
static int find_loops(const struct sw_cbpf_prog *prog, size_t *lo, size_t *hi)
{
	int n = 0;

	for (size_t i = 0; i < prog->len; i++) {
		const struct sw_cbpf_insn *in = &prog->insns[i];
		long to = (long)i + 1 + (__s32)in->k;

		if (in->code != (BPF_JMP | BPF_JA) || to > (long)i)
			continue;
		if (to < 0)
			return -1;
		/* loops that share instructions are one region (protochain's two ways back) */
		if (n && (size_t)to <= hi[n - 1]) {
			lo[n - 1] = (size_t)to < lo[n - 1] ? (size_t)to : lo[n - 1];
			hi[n - 1] = i;
			continue;
		}
		if (n == MAX_LOOPS)
			return -1;
		lo[n] = (size_t)to;
		hi[n++] = i;
	}
	return n;
}

/* Which instructions of [from, to] a path reaches from those already marked (the
 * verifier refuses code no path reaches). */
static void reachable(const struct sw_cbpf_prog *prog, size_t from, size_t to, bool *reach)
{
	for (size_t i = from; i <= to && i < prog->len; i++) {
		const struct sw_cbpf_insn *in = &prog->insns[i];

		if (!reach[i] || BPF_CLASS(in->code) == BPF_RET)
			continue;
		if (BPF_CLASS(in->code) != BPF_JMP) {
			if (i + 1 <= to)
				reach[i + 1] = true;
		} else if (BPF_OP(in->code) == BPF_JA) {
			long t = (long)i + 1 + (__s32)in->k;

			if (t > (long)i && (size_t)t <= to)
				reach[t] = true;
		} else {
			if (i + 1 + in->jt <= to)
				reach[i + 1 + in->jt] = true;
			if (i + 1 + in->jf <= to)
				reach[i + 1 + in->jf] = true;
		}
	}
}

/* One program: copy 0 in order, each loop's further copies right after the loop. */
static void translate_prog(struct emitter *e, const struct sw_cbpf_prog *progs, int p)
{
	const struct sw_cbpf_prog *prog = &progs[p];
	/* what libpcap emits has no overlapping loops but protochain's, which share a head */
	size_t lo[MAX_LOOPS], hi[MAX_LOOPS], len = prog->len;
	int n_loops = find_loops(prog, lo, hi), l = 0;
	bool *reach;

	if (n_loops < 0) {
		fail(e, "the filter has more loops than this translator unrolls");
		return;
	}
	e->copies[p] = n_loops ? LOOP_COPIES : 1;
	e->len[p] = len;
	e->starts[p] = calloc(len ? len * e->copies[p] : 1, sizeof(size_t));
	reach = calloc(len ? len * e->copies[p] : 1, sizeof(bool));
	if (!e->starts[p] || !reach) {
		free(reach);
		e->oom = true;
		return;
	}
	if (len) {
		reach[0] = true;
		reachable(prog, 0, len - 1, reach);
	}
	for (size_t i = 0; i < len; i++) {
		e->copy = 0;
		if (reach[i]) {
			e->starts[p][i] = e->n;
			translate_one(e, p, prog->linktype, i, &prog->insns[i]);
		}
		if (l == n_loops || i != hi[l])
			continue;
		/* the loop again, copy after copy: its way back leads into the next one */
		e->lo = lo[l];
		e->hi = hi[l];
		for (e->copy = 1; e->copy < e->copies[p]; e->copy++) {
			bool *r = reach + (size_t)e->copy * len, *before = r - len;

			/* entered where the previous copy's ways back lead */
			for (size_t k = lo[l]; k <= hi[l]; k++) {
				long t = (long)k + 1 + (__s32)prog->insns[k].k;

				if (before[k] && prog->insns[k].code == (BPF_JMP | BPF_JA) && t <= (long)k)
					r[t] = true;
			}
			reachable(prog, lo[l], hi[l], r);
			for (size_t k = lo[l]; k <= hi[l]; k++) {
				if (!r[k])
					continue;
				e->starts[p][(size_t)e->copy * len + k] = e->n;
				translate_one(e, p, prog->linktype, k, &prog->insns[k]);
			}
		}
		l++;
	}
	e->copy = 0;
	free(reach);
}

static bool resolve(struct emitter *e, const struct sw_cbpf_prog *progs)
{
	for (size_t f = 0; f < e->n_fix; f++) {
		const struct fixup *x = &e->fix[f];
		size_t to;
		long off;

		if (x->target == REJECT) {
			to = e->reject;
		} else if (x->target >= progs[x->prog].len * (size_t)e->copies[x->prog]) {
			fail(e, "the filter jumps past its end");
			return false;
		} else {
			to = e->starts[x->prog][x->target];
		}
		off = (long)to - (long)x->at - 1;
		if (off < 0 || off > 32767) {
			fail(e, "the filter is too large to translate (a jump spans more than 32767 instructions)");
			return false;
		}
		e->insn[x->at].off = (__s16)off;
	}
	return true;
}

struct bpf_insn *cbpf_translate(const struct sw_cbpf_prog *progs, int n_progs, size_t *n,
				char *err, size_t errlen)
{
	struct emitter e = { .err = err, .errlen = errlen };
	size_t dispatch[8];
	unsigned int mem;

	if (n_progs > 8) {
		snprintf(err, errlen, "too many link types");
		return NULL;
	}
	put(&e, MOV64_REG(R_SKB, 1));
	mem = used_memory(progs, n_progs);
	for (int i = 0; i < BPF_MEMWORDS; i++)
		if (mem & (1u << i))
			put(&e, ST_DW0(MEM_OFF(i)));
	for (int p = 0; p < n_progs; p++)
		dispatch[p] = fwd(&e, J32_IMM(BPF_JEQ, 2, progs[p].linktype));
	put(&e, ALU32_IMM(BPF_MOV, 0, 0)); /* no program for this link type */
	put(&e, EXIT());
	for (int p = 0; p < n_progs && !e.failed && !e.oom; p++) {
		here(&e, dispatch[p]);
		put(&e, ALU32_IMM(BPF_MOV, R_A, 0));
		put(&e, ALU32_IMM(BPF_MOV, R_X, 0));
		if (progs[p].linktype == SW_LINKTYPE_ETHER)
			put(&e, LDX(BPF_W, R_VLAN, R_SKB, SKB(vlan_present)));
		translate_prog(&e, progs, p);
	}
	/* the shared "no match" for failed loads and the like, only if something jumps to it:
	 * the verifier refuses code no path reaches */
	for (size_t f = 0; f < e.n_fix; f++)
		if (e.fix[f].target == REJECT) {
			e.reject = put(&e, ALU32_IMM(BPF_MOV, 0, 0));
			put(&e, EXIT());
			break;
		}
	if (!e.failed && !e.oom)
		resolve(&e, progs);
	for (int p = 0; p < n_progs; p++)
		free(e.starts[p]);
	free(e.fix);
	if (e.oom && !e.failed)
		snprintf(err, errlen, "out of memory translating the filter (or over %d instructions)", MAX_INSNS);
	if (e.oom || e.failed) {
		free(e.insn);
		return NULL;
	}
	*n = e.n;
	return e.insn;
}
