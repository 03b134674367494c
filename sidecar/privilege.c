// SPDX-License-Identifier: MIT
/* Least privilege: refuse sizes over the budget before anything is pinned, and
 * once the sockets are attached and the maps made, give up every capability. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "budget.h"
#include "engine.h"
#include "sockwatch.skel.h"

#ifndef SW_CONFIG_FILE
#define SW_CONFIG_FILE "/etc/sockwatch/sidecar.conf"
#endif

static const char *mib(char *buf, size_t size, unsigned long long bytes)
{
	snprintf(buf, size, "%.1f MiB", bytes / 1048576.0);
	return buf;
}

int engine_check_budget(struct engine *e)
{
	struct sw_opts *o = &e->opts;
	const int ncpus = libbpf_num_possible_cpus();
	unsigned long long ring, table, owners = 0;
	char total_s[32], part_s[32], limit_s[32], parts[192] = "", flags[64] = "--ring-size";
	struct sw_budget b;
	size_t n = 0;

	budget_load(&b, SW_CONFIG_FILE);
	if (b.warning[0])
		fprintf(stderr, "sockwatch-sidecar: %s\n", b.warning);
	if (!b.bytes || ncpus <= 0)
		return 0;
	ring = budget_ring_bytes(o->packets ? o->ring_size : SW_RING_SIZE_MIN);
	/* attribution's three owner maps (it may still turn out to be off: counted anyway) */
	if (!o->no_process)
		owners = budget_hash_bytes(o->owner_entries, sizeof(__u64), sizeof(struct sw_owner_entry)) +
			 budget_hash_bytes(o->owner_entries, sizeof(struct sw_owner_key), sizeof(struct sw_owner_entry)) +
			 budget_hash_bytes(SW_OWNER_PORTS(o->owner_entries), sizeof(struct sw_owner_key),
					   sizeof(struct sw_owner_port));
#define TABLE(n) budget_flow_table_bytes(o->flows ? (n) : 1, sizeof(struct sw_flow_key), sizeof(struct sw_flow_val), ncpus)
	table = TABLE(o->flow_entries);
	/* a default that does not fit (many CPUs) shrinks; a size asked for is refused */
	while (!o->flow_entries_set && o->flows && ring + 2 * table + owners > b.bytes &&
	       o->flow_entries > SW_FLOW_ENTRIES_MIN) {
		o->flow_entries /= 2;
		table = TABLE(o->flow_entries);
		engine_log(e, "flows: tables cut to %llu entries to fit %s's %s", o->flow_entries, b.source,
			   mib(limit_s, sizeof(limit_s), b.bytes));
	}
#undef TABLE
	if (ring + 2 * table + owners <= b.bytes)
		return 0;
	n += snprintf(parts + n, sizeof(parts) - n, "ring buffer %s", mib(part_s, sizeof(part_s), ring));
	if (o->flows) {
		n += snprintf(parts + n, sizeof(parts) - n, ", two flow tables of %s on %d CPUs",
			      mib(part_s, sizeof(part_s), table), ncpus);
		strcat(flags, ", --flow-entries");
	}
	if (owners) {
		snprintf(parts + n, sizeof(parts) - n, ", owner maps %s", mib(part_s, sizeof(part_s), owners));
		strcat(flags, ", --owner-entries");
	}
	return engine_fail(e, EXIT_PERM, "memory_budget", NULL,
			   "these sizes would pin %s of kernel memory (%s), over the %s a user other than root may "
			   "pin (%s): ask for less (%s), or have root raise memory_budget in %s",
			   mib(total_s, sizeof(total_s), ring + 2 * table + owners), parts,
			   mib(limit_s, sizeof(limit_s), b.bytes), b.source, flags, SW_CONFIG_FILE);
}

/* Leaves this process CAP_BPF alone, permitted and, if asked, effective; or nothing. */
static int set_caps(bool bpf_permitted, bool bpf_effective)
{
	static const cap_value_t bpf[] = { CAP_BPF };
	cap_t c = cap_init();
	int err = 0;

	if (!c)
		return -errno;
	if ((bpf_permitted && cap_set_flag(c, CAP_PERMITTED, 1, bpf, CAP_SET)) ||
	    (bpf_effective && cap_set_flag(c, CAP_EFFECTIVE, 1, bpf, CAP_SET)) || cap_set_proc(c))
		err = -errno;
	cap_free(c);
	return err;
}

int engine_drop_privileges(struct engine *e)
{
	const int prog_fd = bpf_program__fd(e->skel->progs.sockwatch);
	cap_flag_value_t setpcap = CAP_CLEAR, bpf = CAP_CLEAR;
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	bool keep_bpf = false;
	cap_t now;
	int err;

	/* root's bounding set too, so nothing this process could ever run gets them back */
	now = cap_get_proc();
	if (now) {
		cap_get_flag(now, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
		cap_get_flag(now, CAP_BPF, CAP_PERMITTED, &bpf);
	}
	cap_free(now);
	for (cap_value_t c = 0; setpcap == CAP_SET && c < (cap_value_t)cap_max_bits(); c++)
		cap_drop_bound(c);
	cap_reset_ambient();

	/* Kernels before 6.5 refuse every bpf() call, map reads included, without
	 * CAP_BPF when kernel.unprivileged_bpf_disabled is set: ask the kernel, with
	 * CAP_BPF only permitted, whether it still answers; keep it only if not.
	 * (A process loaded through CAP_SYS_ADMIN alone has no CAP_BPF to keep.) */
	err = set_caps(bpf == CAP_SET, false);
	if (err)
		goto cleanup;
	memset(&info, 0, sizeof(info));
	keep_bpf = bpf_obj_get_info_by_fd(prog_fd, &info, &len) == -EPERM;
	if (keep_bpf && bpf != CAP_SET) {
		err = -EPERM;
		goto cleanup;
	}
	err = set_caps(keep_bpf, keep_bpf);
	if (err)
		goto cleanup;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		err = -errno;
cleanup:
	if (err)
		return engine_fail(e, EXIT_RUNTIME, "runtime", NULL, "could not give up capabilities after attaching: %s",
				   strerror(-err));
	if (keep_bpf)
		engine_log(e, "capabilities: all but CAP_BPF given up once attached (this kernel gates reading the "
			   "maps on it: kernel.unprivileged_bpf_disabled before 6.5), and no_new_privs set");
	else
		engine_log(e, "capabilities: every one given up once attached (CapEff 0), and no_new_privs set");
	return 0;
}
