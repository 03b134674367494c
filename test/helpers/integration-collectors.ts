// Real flow collectors from Debian, run by the tests inside a namespace they made:
// nfdump's nfcapd (read back with nfdump), pmacct's nfacctd (print plugin, JSON)
// and prometheus. Every wait is bounded and on a signal the tool gives.
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {startProc, type Proc} from './integration-proc.js'

export const TCP_RELAY = fileURLToPath(new URL('./ipfix-tcp-relay.mjs', import.meta.url))

const inNs = (ns: string, cmd: string, args: string[]) => startProc('ip', ['netns', 'exec', ns, cmd, ...args])

/** Polls check every 50 ms until it returns a value other than undefined, for at most ms. */
export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Bytes waiting in a UDP socket's receive queue, by its local port, in a namespace. */
function recvQueue(ns: string, port: number): number {
  const out = execFileSync('ip', ['netns', 'exec', ns, 'ss', '-Hunl', 'sport', '=', `:${port}`], {encoding: 'utf8'})
  return Number(out.trim().split(/\s+/)[1] ?? 0)
}

export interface Nfcapd {
  proc: Proc
  dir: string
  /** Once it has read every datagram waiting (its queue is empty), SIGTERM: it writes its file and exits. */
  stop(): Promise<void>
}

/** nfcapd on 127.0.0.1:port in the namespace, writing under dir; resolves once it listens. */
export async function startNfcapd(ns: string, dir: string, port: number): Promise<Nfcapd> {
  const proc = inNs(ns, 'nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', dir, '-t', '3600'])
  await proc.waitFor('stderr', /^Startup nfcapd\./)
  return {
    proc, dir,
    async stop() {
      await until(`nfcapd's queue on port ${port} to empty`, () => (recvQueue(ns, port) === 0 ? true : undefined), 5000)
      const {code} = await proc.stop('SIGTERM')
      if (code !== 0) throw new Error(`nfcapd exited ${code}: ${proc.stderr.join(' | ')}`)
    },
  }
}

/** nfdump's JSON flow records: the fields the tests read. */
export interface NfdumpFlow {
  first: string
  last: string
  in_packets: number
  in_bytes: number
  proto: number
  src4_addr?: string
  dst4_addr?: string
  src6_addr?: string
  dst6_addr?: string
  src_port?: number
  dst_port?: number
  input_snmp?: number
  output_snmp?: number
  direction?: number
  /** TCP flags as nfdump prints them in JSON ("...AP.SF"), from tcpControlBits. */
  tcp_flags?: string
}

/** Every flow nfcapd wrote under dir, as nfdump reads them. */
export function nfdumpFlows(dir: string): NfdumpFlow[] {
  const out = execFileSync('nfdump', ['-R', dir, '-o', 'json'], {encoding: 'utf8'})
  return out.includes('No matching flows') ? [] : JSON.parse(out)
}

/** nfdump's own table of the same flows, for people (the report quotes it). */
export function nfdumpTable(dir: string): string {
  return execFileSync('nfdump', ['-R', dir, '-o', 'fmt:%ts %td %pr %sap -> %dap %flg %in %out %pkt %byt %fl', '-6'], {encoding: 'utf8'})
}

export interface Nfacctd {
  proc: Proc
  /** The print plugin's JSON lines so far. */
  records(): Record<string, unknown>[]
  stop(): Promise<void>
}

/** nfacctd on 127.0.0.1:port with the print plugin writing JSON every second; custom primitives from `primitives`. */
export async function startNfacctd(ns: string, dir: string, port: number, aggregate: string[], primitives: string): Promise<Nfacctd> {
  const out = join(dir, 'nfacctd.json')
  writeFileSync(join(dir, 'primitives.lst'), primitives)
  writeFileSync(join(dir, 'nfacctd.conf'), [
    'daemonize: false',
    `nfacctd_ip: 127.0.0.1`,
    `nfacctd_port: ${port}`,
    'plugins: print',
    `aggregate_primitives: ${join(dir, 'primitives.lst')}`,
    `aggregate: ${aggregate.join(', ')}`,
    'print_output: json',
    `print_output_file: ${out}`,
    'print_output_file_append: true',
    'print_refresh_time: 1',
    `pidfile: ${join(dir, 'nfacctd.pid')}`,
    '',
  ].join('\n'))
  const proc = inNs(ns, 'nfacctd', ['-f', join(dir, 'nfacctd.conf')])
  await until('nfacctd to listen', () => (execFileSync('ip', ['netns', 'exec', ns, 'ss', '-Hunl', 'sport', '=', `:${port}`], {encoding: 'utf8'}).trim() ? true : undefined), 10_000)
  return {
    proc,
    records() {
      try {
        return readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
        throw error
      }
    },
    /** SIGKILL for the core and its plugin: nfacctd 1.7.7's core hangs in its SIGTERM handler here; the tests have read what they need by then. */
    async stop() {
      const pid = proc.child.pid!
      let children: number[] = []
      try {
        children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
      } catch {
        // already gone
      }
      for (const child of children) {
        try {
          process.kill(child, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      await proc.stop('SIGKILL')
    },
  }
}

export interface Prometheus {
  proc: Proc
  /** An instant query through the HTTP API: the one sample's value, or undefined when there is none. */
  query(expr: string): Promise<number | undefined>
  stop(): Promise<void>
}

/** prometheus on 127.0.0.1:webPort scraping 127.0.0.1:targetPort every second; resolves once it is ready. */
export async function startPrometheus(ns: string, dir: string, webPort: number, targetPort: number | number[]): Promise<Prometheus> {
  const targets = [targetPort].flat().map((p) => `'127.0.0.1:${p}'`).join(', ')
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: sockwatch',
    '    static_configs:',
    `      - targets: [${targets}]`,
    '',
  ].join('\n'))
  const proc = inNs(ns, 'prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${webPort}`, '--log.level=info',
  ])
  await proc.waitFor('stderr', /Server is ready to receive web requests/, 30_000)
  const get = (path: string) => execFileSync('ip', ['netns', 'exec', ns, 'curl', '-sf', `http://127.0.0.1:${webPort}${path}`], {encoding: 'utf8'})
  return {
    proc,
    async query(expr) {
      const body = JSON.parse(get(`/api/v1/query?query=${encodeURIComponent(expr)}`))
      const [sample] = body.data.result
      return sample === undefined ? undefined : Number(sample.value[1])
    },
    async stop() {
      await proc.stop('SIGTERM')
    },
  }
}

/** The IPFIX-over-TCP collector stand-in: takes a TCP stream, forwards each message to nfcapd over UDP. */
export async function startTcpRelay(ns: string, tcpPort: number, udpPort: number): Promise<Proc> {
  const proc = inNs(ns, process.execPath, [TCP_RELAY, '127.0.0.1', String(tcpPort), String(udpPort)])
  await proc.waitFor('stdout', /^listening/)
  return proc
}
