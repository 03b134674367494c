// What capture and summary share: the filter words, and where packets come
// from (the kernel, on some interfaces, for a while; or a saved capture).
import {Args, Flags} from '@oclif/core'

/** Trailing words (or one quoted string) as a tcpdump-like filter. */
export const filterArgs = (example: string) => ({
  // ignoreStdin: oclif would otherwise read piped stdin as the filter (and eat -r -'s input)
  filter: Args.string({description: `tcpdump-like filter: trailing words or one quoted string, e.g. ${example} (docs/filters.md).`, ignoreStdin: true}),
})

export const sourceFlags = {
  // non-greedy: '-i lo tcp' is an interface and a filter, not two interfaces
  interface: Flags.string({char: 'i', multiple: true, multipleNonGreedy: true, description: 'Interface to watch; repeat for more (default: all).', exclusive: ['read']}),
  duration: Flags.string({char: 'd', description: 'Stop after this long: 10s, 500ms, 2m, 1h.', exclusive: ['read']}),
  read: Flags.string({char: 'r', description: "Read a pcap or pcapng file (tcpdump -w, tshark -w, Wireshark; gzip'd too) or a saved 'capture --json' stream from a file ('-' for stdin) instead of the kernel; needs no privilege (docs/reading-files.md)."}),
  strict: Flags.boolean({description: 'With --read: stop at the first malformed line instead of skipping it.', dependsOn: ['read']}),
}

/** Whose traffic (docs/attribution.md): the kernel filters on the owner of each packet, at either end. */
export const processFlags = {
  pid: Flags.integer({multiple: true, min: 1, description: 'Only packets of this process, at either end (repeatable).', helpGroup: 'PROCESS', exclusive: ['read', 'no-process']}),
  comm: Flags.string({description: 'Only packets of processes with this name (/proc/PID/comm, at most 15 bytes), at either end.', helpGroup: 'PROCESS', exclusive: ['read', 'no-process']}),
  cgroup: Flags.string({multiple: true, description: 'Only packets of processes in this cgroup v2 path (from its root), at either end (repeatable).', helpGroup: 'PROCESS', exclusive: ['read', 'no-process']}),
  container: Flags.string({description: 'Only packets of this container (its id or a prefix of 4+ characters), at either end.', helpGroup: 'PROCESS', exclusive: ['read', 'no-process']}),
  'no-process': Flags.boolean({description: 'No process attribution: no pid, comm, uid, cgroup or container fields.', helpGroup: 'PROCESS', exclusive: ['read']}),
}

/** The process options a command's parsed flags ask for. */
export function processOptions(flags: {pid?: number[]; comm?: string; cgroup?: string[]; container?: string; 'no-process'?: boolean}) {
  return {off: flags['no-process'], pids: flags.pid, comm: flags.comm, cgroups: flags.cgroup, container: flags.container}
}
