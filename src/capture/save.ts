// capture -w: which capture file to write and how to rotate it, from the flags
// (tcpdump's -w, -s, -C, -G, -W); the sidecar writes it (docs/pcap.md).
import {InputError} from '../lib/duration.js'

/** tcpdump's default and largest snaplen. */
export const SNAPLEN_MAX = 262144

export interface SaveOptions {
  /** A file, or '-' for stdout. */
  path: string
  format: 'pcapng' | 'pcap'
  snaplen: number
  /** -C: a new file past this many millions of bytes. */
  fileSize?: number
  /** -G: a new file every this many seconds (the name an strftime pattern). */
  rotateSeconds?: number
  /** -W: a ring of this many files with -C; with -G alone, stop after them. */
  fileCount?: number
}

export interface SaveFlags {
  write?: string
  pcap?: boolean
  snaplen?: number
  'file-size'?: number
  'rotate-seconds'?: number
  'file-count'?: number
  json?: boolean
  format?: string
  flows?: string
  'hex-ascii'?: boolean
  ascii?: boolean
  read?: string
}

/** The file options the flags ask for, undefined without -w; an InputError for flags that contradict. */
export function saveOptions(flags: SaveFlags): SaveOptions | undefined {
  const path = flags.write
  // -s also sizes what -X and -A show of a live packet
  const shaping = flags['hex-ascii'] || flags.ascii ? (['pcap', 'file-size', 'rotate-seconds', 'file-count'] as const) : (['pcap', 'snaplen', 'file-size', 'rotate-seconds', 'file-count'] as const)
  const needsWrite = shaping.filter((f) => flags[f] !== undefined && flags[f] !== false)
  if (path === undefined) {
    if (needsWrite.length) {
      throw new InputError(`--${needsWrite[0]} goes with -w FILE, which it shapes${needsWrite[0] === 'snaplen' ? ' (or with -X or -A, live)' : ''}`)
    }
    return undefined
  }
  if (path === '') throw new InputError("-w takes a file name, or '-' for stdout")
  if (flags.json || flags.format) throw new InputError('-w writes the packets to a file, not as text or NDJSON: give -w or --json/--format, not both')
  if (flags.flows !== undefined) throw new InputError('-w writes packets only: --flows records would have nowhere to go')
  if (flags['file-count'] !== undefined && flags['file-size'] === undefined && flags['rotate-seconds'] === undefined) {
    throw new InputError('-W counts the files -C or -G starts: give one of them too')
  }
  if (flags.read !== undefined) {
    // as tcpdump -r in -w out: one file, with the input's link type and snaplen
    const live = (['snaplen', 'file-size', 'rotate-seconds', 'file-count'] as const).find((f) => flags[f] !== undefined)
    if (live) throw new InputError(`--${live} shapes a live capture's files: with -r, -w writes one file as the input has its packets`)
  }
  if (path === '-' && (flags['file-size'] !== undefined || flags['rotate-seconds'] !== undefined)) {
    throw new InputError("-C and -G start new files: give -w a file name, not '-'")
  }
  // as tcpdump: -s 0 is the default
  const snaplen = flags.snaplen === undefined || flags.snaplen === 0 ? SNAPLEN_MAX : flags.snaplen
  // classic pcap for .pcap or --pcap; pcapng otherwise (.pcapng, stdout, any other name)
  const format = flags.pcap || /\.pcap$/i.test(path) ? 'pcap' : 'pcapng'
  return {path, format, snaplen, fileSize: flags['file-size'], rotateSeconds: flags['rotate-seconds'], fileCount: flags['file-count']}
}

/** The sidecar's flags for them. */
export function saveArgs(save: SaveOptions): string[] {
  const args = ['-w', save.path, '--snaplen', String(save.snaplen)]
  if (save.format === 'pcap') args.push('--pcap')
  if (save.fileSize !== undefined) args.push('-C', String(save.fileSize))
  if (save.rotateSeconds !== undefined) args.push('-G', String(save.rotateSeconds))
  if (save.fileCount !== undefined) args.push('-W', String(save.fileCount))
  return args
}
