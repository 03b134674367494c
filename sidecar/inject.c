// SPDX-License-Identifier: MIT
/*
 * The stub's instructions are replaced by the filter's. The functions after it
 * move by the difference, so calls that cross it and the BTF function and line
 * records after it are moved too; jumps never leave their function.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "inject.h"

struct splice {
	size_t start, end, n; /* the stub [start, end), replaced by n instructions */
};

static long moved(const struct splice *s, size_t old)
{
	if (old < s->start || old == s->start)
		return (long)old;
	if (old >= s->end)
		return (long)(old - s->end + s->start + s->n);
	return -1; /* inside the stub */
}

static bool is_call(const struct bpf_insn *i)
{
	return (i->code == (BPF_JMP | BPF_CALL) && i->src_reg == BPF_PSEUDO_CALL) ||
	       (i->code == (BPF_LD | BPF_IMM | BPF_DW) && i->src_reg == BPF_PSEUDO_FUNC);
}

/* The stub's place, from the function records libbpf hands the kernel. */
static int find_stub(struct sw_inject *inj, const struct bpf_prog_load_opts *o, size_t cnt, struct splice *s)
{
	const char *fi = o->func_info;
	bool found = false;

	s->start = s->end = cnt;
	for (__u32 k = 0; fi && k < o->func_info_cnt; k++) {
		const struct bpf_func_info *f = (const void *)(fi + (size_t)k * o->func_info_rec_size);
		const struct btf_type *t = btf__type_by_id(inj->btf, f->type_id);
		const char *name = t ? btf__name_by_offset(inj->btf, t->name_off) : NULL;

		if (found && f->insn_off > s->start && f->insn_off < s->end)
			s->end = f->insn_off;
		if (name && !strcmp(name, SW_FILTER_STUB)) {
			found = true;
			s->start = f->insn_off;
		}
	}
	/* records are sorted by offset, but the stub's end is whichever function follows it */
	for (__u32 k = 0; found && k < o->func_info_cnt; k++) {
		const struct bpf_func_info *f = (const void *)(fi + (size_t)k * o->func_info_rec_size);

		if (f->insn_off > s->start && f->insn_off < s->end)
			s->end = f->insn_off;
	}
	if (!found) {
		snprintf(inj->err, sizeof(inj->err), "the eBPF program has no %s function to hold the filter",
			 SW_FILTER_STUB);
		return -ENOENT;
	}
	return 0;
}

static int prepare(struct bpf_program *prog, struct bpf_prog_load_opts *o, long cookie)
{
	struct sw_inject *inj = (struct sw_inject *)cookie;
	const struct bpf_insn *old = bpf_program__insns(prog);
	size_t cnt = bpf_program__insn_cnt(prog), n_new, k;
	struct bpf_insn *insns;
	struct splice s;
	char *fi, *li;
	__u32 n_li = 0;
	int err;

	err = find_stub(inj, o, cnt, &s);
	if (err)
		return err;
	s.n = inj->n;
	n_new = cnt - (s.end - s.start) + s.n;
	insns = calloc(n_new, sizeof(*insns));
	fi = o->func_info_cnt ? malloc((size_t)o->func_info_cnt * o->func_info_rec_size) : NULL;
	li = o->line_info_cnt ? malloc((size_t)o->line_info_cnt * o->line_info_rec_size) : NULL;
	if (!insns || (o->func_info_cnt && !fi) || (o->line_info_cnt && !li)) {
		free(insns), free(fi), free(li);
		snprintf(inj->err, sizeof(inj->err), "out of memory");
		return -ENOMEM;
	}
	memcpy(insns, old, s.start * sizeof(*insns));
	memcpy(insns + s.start, inj->code, s.n * sizeof(*insns));
	memcpy(insns + s.start + s.n, old + s.end, (cnt - s.end) * sizeof(*insns));

	/* calls (and callback references) from outside the stub, to their target's new place */
	for (k = 0; k < cnt; k++) {
		long from = moved(&s, k), to;

		if (k >= s.start && k < s.end)
			continue;
		if (!is_call(&old[k]))
			continue;
		to = moved(&s, (size_t)((long)k + old[k].imm + 1));
		if (to < 0) {
			free(insns), free(fi), free(li);
			snprintf(inj->err, sizeof(inj->err), "a call lands inside %s", SW_FILTER_STUB);
			return -EINVAL;
		}
		insns[from].imm = (__s32)(to - from - 1);
	}
	for (k = 0; k < o->func_info_cnt; k++) {
		struct bpf_func_info *f = (void *)(fi + k * o->func_info_rec_size);

		memcpy(f, (const char *)o->func_info + k * o->func_info_rec_size, o->func_info_rec_size);
		f->insn_off = (__u32)moved(&s, f->insn_off);
	}
	/* line records: the stub keeps the one at its start (the kernel wants one per function) */
	for (k = 0; k < o->line_info_cnt; k++) {
		const struct bpf_line_info *from = (const void *)((const char *)o->line_info + k * o->line_info_rec_size);
		struct bpf_line_info *to = (void *)(li + (size_t)n_li * o->line_info_rec_size);
		long at = moved(&s, from->insn_off);

		if (at < 0)
			continue;
		memcpy(to, from, o->line_info_rec_size);
		to->insn_off = (__u32)at;
		n_li++;
	}
	err = bpf_program__set_insns(prog, insns, n_new);
	free(insns);
	if (err) {
		free(fi), free(li);
		snprintf(inj->err, sizeof(inj->err), "libbpf would not take the new instructions: %s", strerror(-err));
		return err;
	}
	free(inj->func_info);
	free(inj->line_info);
	inj->func_info = fi;
	inj->line_info = li;
	o->func_info = fi;
	o->line_info = li;
	o->line_info_cnt = n_li;
	inj->total = n_new;
	return 0;
}

int inject_register(struct sw_inject *inj)
{
	LIBBPF_OPTS(libbpf_prog_handler_opts, opts, .cookie = (long)inj, .prog_prepare_load_fn = prepare);

	return libbpf_register_prog_handler("socket", BPF_PROG_TYPE_SOCKET_FILTER, 0, &opts);
}

void inject_unregister(int id)
{
	if (id > 0)
		libbpf_unregister_prog_handler(id);
}

void inject_free(struct sw_inject *inj)
{
	free(inj->func_info);
	free(inj->line_info);
	inj->func_info = inj->line_info = NULL;
}
