// SPDX-License-Identifier: MIT
/* Packet sockets: one bound to each named interface (or one for all), the
 * filter attached before bind so nothing slips past it. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "sockwatch.skel.h"

unsigned int find_loopback(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	unsigned int lo = 1; /* the kernel gives lo index 1 in every namespace */
	struct ifreq ifr;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (i = ifs; fd >= 0 && i && i->if_index; i++) {
		memset(&ifr, 0, sizeof(ifr));
		strncpy(ifr.ifr_name, i->if_name, IF_NAMESIZE - 1);
		if (!ioctl(fd, SIOCGIFFLAGS, &ifr) && (ifr.ifr_flags & IFF_LOOPBACK)) {
			lo = i->if_index;
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	if (ifs)
		if_freenameindex(ifs);
	return lo;
}

/* Which of the two capabilities this process lacks, as "CAP_BPF and CAP_NET_RAW",
 * "CAP_NET_RAW", or "" when it has both (EPERM then came from elsewhere, e.g. an LSM). */
const char *missing_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	bool bpf, raw;

	if (syscall(SYS_capget, &hdr, data))
		return "CAP_BPF or CAP_NET_RAW";
	bpf = data[CAP_TO_INDEX(CAP_BPF)].effective & CAP_TO_MASK(CAP_BPF);
	raw = data[CAP_TO_INDEX(CAP_NET_RAW)].effective & CAP_TO_MASK(CAP_NET_RAW);
	if (!bpf && !raw)
		return "CAP_BPF and CAP_NET_RAW";
	return !bpf ? "CAP_BPF" : !raw ? "CAP_NET_RAW" : "";
}

int engine_fail_perm(struct engine *e, const char *what, int err)
{
	const char *missing = missing_caps();

	if (!*missing)
		return engine_fail(e, EXIT_PERM, "permission", NULL,
				   "%s: %s, though this process has CAP_BPF and CAP_NET_RAW: a security "
				   "module (SELinux, AppArmor) or kernel.unprivileged_bpf_disabled may forbid it",
				   what, strerror(err));
	/* never a bare setcap: on a file anyone may run, that lets every user capture */
	return engine_fail(e, EXIT_PERM, "permission", NULL,
			   "%s: %s; this process lacks %s (it needs CAP_BPF and CAP_NET_RAW): run as root, "
			   "or have an administrator run 'sudo make install' in the sockwatch checkout and add you "
			   "to the 'sockwatch' group (docs/privileges.md)",
			   what, strerror(err), missing);
}

/* A packet socket that receives nothing until the filter is on, then binds. */
static int open_packet_socket(int prog_fd, unsigned int ifindex, unsigned int loopback)
{
	int one = 1;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifindex,
	};
	int fd, err;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Bound to loopback, the outgoing copy of each packet is never wanted:
	 * have the kernel skip it before it clones and filters it (sender keeps
	 * 93% of its rate instead of 85%). The program still skips it for the
	 * unbound socket, which wants outgoing packets of other interfaces. */
	if (ifindex && ifindex == loopback &&
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) && errno != ENOPROTOOPT) {
		err = -errno;
		close(fd);
		return err;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int engine_attach(struct engine *e)
{
	int prog_fd = bpf_program__fd(e->skel->progs.sockwatch);
	int n = e->n_ifaces ? e->n_ifaces : 1, fd;

	for (int i = 0; i < n; i++) {
		fd = open_packet_socket(prog_fd, e->n_ifaces ? e->ifaces[i].ifindex : 0, e->loopback);
		if (fd == -EPERM || fd == -EACCES)
			return engine_fail_perm(e, "opening a packet socket failed", -fd);
		if (fd == -ENODEV || fd == -ENXIO)
			return engine_fail(e, EXIT_NOIF, "no_such_interface", NULL,
					   "interface '%s' went away: 'ip link' lists them", e->ifaces[i].name);
		if (fd == -ENOMEM && e->opts.filter)
			return engine_fail(e, EXIT_RUNTIME, "attach_failed", NULL,
					   "could not attach to a packet socket: %s; a socket filter must fit in "
					   "net.core.optmem_max bytes, 8 a BPF instruction (-v says how many the filter "
					   "has): raise it with sysctl, or simplify the filter", strerror(-fd));
		if (fd < 0)
			return engine_fail(e, EXIT_RUNTIME, "attach_failed", NULL,
					   "could not attach to a packet socket: %s", strerror(-fd));
		e->socks[e->n_socks++] = fd;
	}
	return 0;
}

/* Closing a packet socket detaches the filter from it: no packet after this. */
void engine_detach(struct engine *e)
{
	for (int i = 0; i < e->n_socks; i++)
		close(e->socks[i]);
	e->n_socks = 0;
	e->detached = true;
}
