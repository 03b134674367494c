// The cgroup v2 mount, for tests whose processes must live in cgroups they make.
import {readFileSync} from 'node:fs'

/** The cgroup v2 mount, from /proc/mounts (a hybrid one here, at /sys/fs/cgroup/unified). */
export function cgroup2Root(): string {
  const line = readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[2] === 'cgroup2')
  if (!line) throw new Error('no cgroup v2 mount in /proc/mounts: attribution needs one')
  return line.split(' ')[1]
}
