// Opens what -r names (a file, or stdin for '-') as a stream of NDJSON bytes: gzip
// is undone, a BOM dropped, a pcap or pcapng file turned into records by
// sockwatch-read, and anything else that cannot be read (a directory) refused
// before a line is read.
import {spawn} from 'node:child_process'
import {open} from 'node:fs/promises'
import {PassThrough, Readable, Transform, pipeline, type TransformCallback} from 'node:stream'
import {createGunzip} from 'node:zlib'
import {InputError} from '../lib/duration.js'
import {EXIT} from '../contract/contract.js'
import {findReader} from '../sidecar/locate.js'

/** A typed error for an input that cannot be opened or read, or a fatal bad line. */
export class ReplayError extends Error {
  /** The exit code it ends the command with, when not the runtime one (a malformed pcap file: badFile). */
  readonly exitCode?: number

  constructor(message: string, options?: {cause?: unknown; exitCode?: number}) {
    super(message, options)
    this.name = 'ReplayError'
    this.exitCode = options?.exitCode
  }
}

const HINT = "give a file saved with 'sockwatch capture --json', or - for stdin"

/** Why errno codes stop a read, in words. */
const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  ENXIO: 'it is a socket or a device that cannot be opened',
  Z_DATA_ERROR: 'its gzip data is corrupt',
}

/** One sentence for an error met opening or reading `name`. */
export function describeReadError(name: string, error: unknown): ReplayError {
  if (error instanceof ReplayError) return error
  const e = error as NodeJS.ErrnoException
  const what = name === '-' ? 'stdin' : `'${name}'`
  let sentence: string
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    sentence = `cannot read ${what}: permission denied; run as a user who can read it, or pipe it in with 'sudo cat ${name} |' and -r -`
  } else if (e.code === 'EIO') {
    sentence = `cannot read ${what}: an I/O error (EIO); the disk or the file system failed`
  } else if (e.code === 'Z_BUF_ERROR') {
    sentence = `cannot read ${what}: its gzip data ends early (the file is cut short); ${HINT}`
  } else if (e.code !== undefined && REASONS[e.code]) {
    // zlib says what is wrong in its message ("invalid block type"): keep it
    const detail = e.code.startsWith('Z_') ? ` (${e.message})` : ''
    sentence = `cannot read ${what}: ${REASONS[e.code]}${detail}; ${HINT}`
  } else {
    // Node's messages start with the code ("EMFILE: too many open files, open 'x'"): keep the words
    sentence = `cannot read ${what}: ${e.code ? e.message.replace(/^[A-Z_]+: /, '').replace(/, \w+ '.*'$/, '') : e.message}`
  }
  return new ReplayError(sentence, {cause: error})
}

const PCAP_MAGIC = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1] // µs and ns, either byte order
const PCAPNG_MAGIC = 0x0a0d0d0a // a section header block, the same in either byte order

/** 'pcap' or 'pcapng' when the first bytes say so. */
export function captureFileKind(head: Buffer): 'pcap' | 'pcapng' | undefined {
  if (head.length < 4) return undefined
  const magic = head.readUInt32BE(0)
  if (PCAP_MAGIC.includes(magic)) return 'pcap'
  if (magic === PCAPNG_MAGIC) return 'pcapng'
  return undefined
}

const isGzip = (head: Buffer) => head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b

/** Reads at least n bytes (fewer at the end of the stream), then puts them back. */
async function peek(stream: Readable, n: number): Promise<{head: Buffer; stream: Readable}> {
  const chunks: Buffer[] = []
  let size = 0
  let ended = false
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', done)
      stream.pause()
      if (error) reject(error)
      else resolve()
    }
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      if (size >= n) done()
    }
    const onEnd = () => {
      ended = true
      done()
    }
    stream.on('data', onData)
    stream.once('end', onEnd)
    stream.once('error', done)
  })
  const head = Buffer.concat(chunks)
  if (ended) return {head, stream: Readable.from(head.length ? [head] : [], {objectMode: false})}
  stream.unshift(head)
  return {head, stream}
}

/** Bytes in, bytes out (the reader cuts lines and decodes them); drops a UTF-8 BOM at the start; every upstream failure becomes a ReplayError naming the input. */
class InputText extends Transform {
  private first = true

  constructor(private readonly name: string) {
    super()
  }

  _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    // the first chunk holds at least 4 bytes (peek) unless the input is shorter
    if (this.first && chunk.length > 0) {
      this.first = false
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3)
    }
    done(null, chunk)
  }

  _destroy(error: Error | null, done: (error: Error | null) => void): void {
    // a reader that stopped early (-c) is not a read error
    done(error && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE' ? describeReadError(this.name, error) : error)
  }
}

/** What -r read: a saved NDJSON stream, or a capture file the reader turned into one. */
export type InputKind = 'ndjson' | 'pcap' | 'pcapng'

export interface InputOptions {
  /** A capture file: the filter expression libpcap runs on each packet's bytes (the reader's --filter). */
  filter?: string
  /** A capture file: packet records carry their bytes (the reader's --data, for -X and -A). */
  data?: boolean
  /** The reader binary (tests); findReader() by default. */
  reader?: string
  /**
   * A capture file read for --json: the reader writes the records to this process's stdout
   * itself (no record crosses into the CLI), at most `count` of them; the returned input then
   * holds only its final stats record, which says how many it wrote.
   */
  direct?: {count?: number}
  /** A capture file: the packets that pass go to this capture file instead of records (with `direct`). */
  save?: {path: string; pcap: boolean}
  /** A capture file: packet records carry their MAC addresses (the reader's --macs, for -e). */
  macs?: boolean
  /**
   * A capture file read as text (with `direct`): the reader writes tcpdump-like lines itself
   * (sidecar/text.c, the live capture's writer): how many -t, and -X/-A.
   */
  text?: {stamp: number; dump?: 'hex' | 'ascii'}
}

export interface OpenedInput {
  /** NDJSON bytes, one record a line. */
  input: Readable
  kind: InputKind
}

/** Opens FILE, or stdin for '-', as bytes (UTF-8 NDJSON); throws ReplayError (cannot read) or InputError (not a saved capture). */
export async function openInput(path: string, stdin: Readable = process.stdin, options: InputOptions = {}): Promise<Readable> {
  return (await openRecords(path, stdin, options)).input
}

/**
 * Opens FILE, or stdin for '-': a saved 'capture --json' stream (gzip'd or not) as it is, a
 * pcap or pcapng file (gzip'd or not, detected by its first bytes) through sockwatch-read,
 * which writes the records a live capture would have written.
 */
export async function openRecords(path: string, stdin: Readable = process.stdin, options: InputOptions = {}): Promise<OpenedInput> {
  let source: Readable
  if (path === '-') {
    source = stdin
  } else {
    const handle = await open(path, 'r').catch((error: unknown) => {
      throw describeReadError(path, error)
    })
    // a directory opens fine and fails at the first read: say so now
    const stat = await handle.stat()
    if (stat.isDirectory()) {
      await handle.close()
      throw describeReadError(path, Object.assign(new Error('is a directory'), {code: 'EISDIR'}))
    }
    source = handle.createReadStream({highWaterMark: 1 << 20}) // fewer, larger reads: -r is read at full speed
  }
  const streams: Readable[] = [source]
  try {
    let {head, stream} = await peek(source, 4)
    streams[0] = stream
    const gzipped = isGzip(head)
    if (gzipped) {
      const gunzip = createGunzip()
      // cat a.gz b.gz is one gzip stream of two members: zlib reads both
      pipeline(stream, gunzip, () => {}) // its failures reach gunzip, and so the reader
      streams.push(gunzip)
      ;({head, stream} = await peek(gunzip, 4))
      streams[streams.length - 1] = stream
    }
    const kind = captureFileKind(head)
    if (!kind && options.save) {
      const what = path === '-' ? 'the input on stdin' : `'${path}'`
      throw new InputError(`${what} is not a pcap or pcapng file, so it holds no packet bytes for -w to write: give -w a capture written by tcpdump, tshark, Wireshark or 'sockwatch capture -w'`)
    }
    if (kind) {
      // a file: the reader opens it itself (zlib undoes gzip there too); stdin: what is read so far, then the rest
      if (path !== '-') for (const s of streams) s.destroy()
      const input = await readCaptureFile(path, path === '-' ? streams.at(-1)! : undefined, options)
      return {input, kind}
    }
  } catch (error) {
    for (const s of streams) if (s !== stdin) s.destroy()
    if (error instanceof InputError || error instanceof ReplayError) throw error
    throw describeReadError(path, error)
  }
  const text = new InputText(path)
  pipeline(streams.at(-1)!, text, () => {}) // failures reach the reader through `text`
  return {input: text, kind: 'ndjson'}
}

/**
 * Runs sockwatch-read on a capture file (or on `stdin`, the rest of stdin): its NDJSON
 * stdout, which ends once the reader has exited. A reader that fails (a malformed file,
 * a filter libpcap refuses) ends the stream with a ReplayError holding its sentence and
 * its exit code, after every record it wrote before.
 */
async function readCaptureFile(path: string, stdin: Readable | undefined, options: InputOptions): Promise<Readable> {
  const reader = options.reader ?? (await findReader())
  const direct = options.direct
  const args = [
    ...(options.filter ? ['--filter', options.filter] : []), ...(options.data ? ['--data'] : []),
    ...(options.macs ? ['--macs'] : []),
    ...(direct && options.text ? ['--text', '--stamp', String(options.text.stamp), ...(options.text.dump ? ['--dump', options.text.dump] : [])] : []),
    ...(direct ? ['--stats-fd', '3', ...(direct.count === undefined ? [] : ['--count', String(direct.count)])] : []),
    ...(options.save ? ['-w', options.save.path, ...(options.save.pcap ? ['--pcap'] : [])] : []),
    stdin ? '-' : path,
  ]
  const child = spawn(reader, args, {stdio: [stdin ? 'pipe' : 'ignore', direct ? 'inherit' : 'pipe', 'pipe', ...(direct ? ['pipe' as const] : [])]})
  const records = (direct ? child.stdio[3] : child.stdout) as Readable
  const out = new PassThrough()
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    if (stderr.length < 4096) stderr += text
  })
  if (stdin) {
    // the reader stops reading early only when it fails, which it says itself
    child.stdin!.on('error', () => {})
    stdin.pipe(child.stdin!)
  }
  records.pipe(out, {end: false})
  child.on('error', (error) => out.destroy(new ReplayError(`cannot run the pcap file reader ${reader}: ${error.message}`, {cause: error})))
  child.on('close', (code, signal) => {
    if (code === 0) {
      out.end()
      return
    }
    const said = stderr.trim().split('\n').at(-1)?.replace(/^sockwatch: /, '')
    const exitCode = code === EXIT.usage ? EXIT.usage : code === EXIT.badFile ? EXIT.badFile : EXIT.runtime
    out.destroy(new ReplayError(said || `the pcap file reader ended by ${signal ?? `exit code ${code}`}`, {exitCode}))
  })
  // a reader of the records that stops early (-c): the file reader stops too
  out.on('close', () => {
    if (child.exitCode === null) child.kill('SIGTERM')
  })
  const text = new InputText(path)
  pipeline(out, text, () => {}) // the reader's failure reaches the records' reader through `text`
  return text
}

/** With `direct`: how many records the reader wrote to stdout, from the stats record it ends with (0 without one). */
export async function directWritten(input: Readable): Promise<number> {
  let text = ''
  for await (const chunk of input) text += String(chunk)
  const last = text.trim().split('\n').at(-1)
  return last ? Number((JSON.parse(last) as {written?: number}).written ?? 0) : 0
}
