// The real sidecar and tcpdump, started and stopped on readiness signals.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {PacketRecord, SidecarRecord, StatsRecord} from '../../src/sidecar/records.js'
import {startProc} from './integration-proc.js'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const SIDECAR = join(ROOT, 'build/sockwatch-sidecar')
export const CLI = join(ROOT, 'bin/run.js')

/** cmd in network namespace NS when netns is given: nsenter, not 'ip netns exec', which
 * mounts a new /sys and so hides the cgroup v2 mount that process attribution attaches to. */
export function inNetns(netns: string | undefined, cmd: string, args: string[]): [string, string[]] {
  return netns ? ['nsenter', [`--net=/run/netns/${netns}`, cmd, ...args]] : [cmd, args]
}

export interface SidecarRun {
  records: SidecarRecord[]
  packets: PacketRecord[]
  final: StatsRecord
  code: number | null
  stderr: string[]
}

/** Starts the real sidecar and resolves once it has written its ready record. */
export async function startSidecar(args: string[], netns?: string) {
  const proc = startProc(...inNetns(netns, SIDECAR, args))
  await proc.waitFor('stdout', (l) => l.includes('"type":"ready"'))
  return {
    proc,
    /** SIGTERM, then every record it wrote, parsed. */
    async finish(): Promise<SidecarRun> {
      const {code} = await proc.stop('SIGTERM')
      const records = proc.stdout.filter(Boolean).map((l) => JSON.parse(l) as SidecarRecord)
      const stats = records.filter((r): r is StatsRecord => r.type === 'stats')
      return {
        records,
        packets: records.filter((r): r is PacketRecord => r.type === 'packet'),
        final: stats[stats.length - 1],
        code,
        stderr: proc.stderr,
      }
    },
  }
}

/** tcpdump writing a pcap (and printing lines); started when it says "listening on". */
export async function startTcpdump(iface: string, filter: string, netns?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'sockwatch-tcpdump-'))
  const file = join(dir, 'capture.pcap')
  // a big buffer: with the default, tcpdump drops packets of a quick burst
  const args = ['-i', iface, '-n', '-l', '-B', '32768', '--immediate-mode', '-U', '-w', file, '--print', filter]
  const proc = startProc(...inNetns(netns, 'tcpdump', args))
  await proc.waitFor('stderr', /listening on/)
  return {
    /** Sends a last packet, waits until tcpdump has printed it (so it has
     * everything before it), then stops tcpdump. */
    async finish(sendMarker: () => Promise<unknown> | unknown, marker: (line: string) => boolean) {
      await sendMarker()
      await proc.waitFor('stdout', marker)
      await proc.stop('SIGINT')
      const dropped = proc.stderr.map((l) => /^(\d+) packets? dropped by kernel/.exec(l)?.[1]).find(Boolean)
      if (dropped !== '0') throw new Error(`tcpdump, the oracle, reports ${dropped ?? 'unknown'} packets dropped: its counts are not usable`)
      return {
        /** The capture file, until dispose(). */
        pcap: file,
        /** Packets in the capture matching a tcpdump filter. */
        count(readFilter: string): number {
          const out = execFileSync('tcpdump', ['-r', file, '-n', readFilter], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
          return out.split('\n').filter(Boolean).length
        },
        /** The wire length of each packet matching a tcpdump filter, in order (tcpdump -r FILE -w - FILTER). */
        lengths(readFilter: string): number[] {
          return pcapLengths(execFileSync('tcpdump', ['-r', file, '-w', '-', readFilter], {stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28}))
        },
        file,
        dispose: () => rmSync(dir, {recursive: true, force: true}),
      }
    },
  }
}

/** The original length of each record of a pcap file (either byte order, micro- or nanosecond stamps). */
export function pcapLengths(pcap: Buffer): number[] {
  const magic = pcap.readUInt32LE(0)
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d
  if (!le && pcap.readUInt32BE(0) !== 0xa1b2c3d4 && pcap.readUInt32BE(0) !== 0xa1b23c4d) throw new Error('not a pcap file')
  const u32 = (at: number) => (le ? pcap.readUInt32LE(at) : pcap.readUInt32BE(at))
  const out: number[] = []
  for (let at = 24; at + 16 <= pcap.length; at += 16 + u32(at + 8)) out.push(u32(at + 12))
  return out
}
