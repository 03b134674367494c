#!/usr/bin/env node
// make bench: sockwatch beside tcpdump on the same loopback flood (issue 6).
//
// For each tool it starts the tool, waits until the tool says it is ready, sends
// exactly N UDP datagrams with build/sockwatch-gen, waits until the tool's
// output stops growing, stops it with SIGINT (as Ctrl-C would) and counts what
// it captured. CPU is the tool's whole process tree (GNU time: the CLI waits for
// its sidecar, so the sidecar's CPU is in the CLI's). Repeats, prints medians,
// and writes every run to bench/results/<stamp>.json.
//
// Usage: node bench/run.mjs [--n 1000000] [--size 64] [--repeats 3] [--ipv6] ...
// (make bench ARGS='...'; --help lists every flag). Needs root.
import {spawn} from 'node:child_process'
import {closeSync, openSync, readSync} from 'node:fs'
import {performance} from 'node:perf_hooks'
import {$, fs, minimist, os, path} from 'zx'
import {kernelCostRows} from './kernel-cost.mjs'
import {idleRow, makeNetns, readRows, startupRows, writeSavedCapture} from './startup.mjs'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const GEN = path.join(root, 'build/sockwatch-gen')
const SIDECAR = path.join(root, 'build/sockwatch-sidecar')
const CLI = path.join(root, 'bin/run.js')
const TAP_ONLY = path.join(root, 'bench/tap-only.py')

// Every wait is bounded; these are the bounds.
const READY_MS = 20_000 // a tool must say it is ready within this
const SETTLE_POLL_MS = 100 // output size is sampled this often after the flood
// ...and must be still (< SETTLE_BYTES) this many times in a row: 1.5 s, longer than
// libpcap's 1 s TPACKET_V3 block timeout, or tcpdump's last partial block would be
// cut off by the SIGINT and counted as neither captured nor dropped.
const SETTLE_POLLS = 15
const SETTLE_BYTES = 512 // the sidecar's periodic stats line is ~150 bytes
const DRAIN_MAX_MS = 120_000 // give up waiting for output to settle after this
const EXIT_MS = 20_000 // after SIGINT, SIGKILL the tool's group after this

const TOOL_NAMES = ['alone', 'tap-only', 'tcpdump-w', 'sockwatch-w', 'tcpdump-text', 'sockwatch-json', 'sockwatch-text', 'sockwatch-table', 'sockwatch-filtered', 'sockwatch-summary', 'sidecar', 'sidecar-noproc', 'sidecar-flows']
const LABEL = {
  alone: 'generator alone',
  'tap-only': 'tap only (cBPF ret 0)',
  'tcpdump-w': 'tcpdump -w file',
  'tcpdump-text': 'tcpdump -n -l > file',
  'sockwatch-w': 'sockwatch capture -w file',
  'sockwatch-json': 'sockwatch capture --json',
  'sockwatch-text': 'sockwatch capture > file',
  'sockwatch-table': 'capture, table on a pty',
  'sockwatch-filtered': 'capture --json filtered',
  'sockwatch-summary': 'sockwatch summary --json',
  sidecar: 'sidecar alone > file',
  'sidecar-noproc': 'sidecar --no-process',
  'sidecar-flows': 'sidecar --mode flows',
}

const HELP = `Usage: node bench/run.mjs [flags]     (make bench ARGS='...')

  --n N            datagrams per run (default 1000000)
  --size BYTES     UDP payload bytes (default 64)
  --repeats R      runs of each tool; medians are printed (default 3)
  --ipv6           flood ::1 instead of 127.0.0.1
  --batch B        datagrams per sendmmsg (default 256)
  --tools LIST     comma-separated subset of: ${TOOL_NAMES.join(', ')}
  --ring-size SZ   --ring-size for the sidecar and the CLI (default: theirs, 8M)
  --max-seconds S  the generator's time bound (default 60)
  --no-idle        skip the idle runs (tool started and stopped, no traffic)
  --no-warmup      skip the untimed warm-up (a flood and a CLI start first)
  --cooldown-ms MS pause before each tool run so freed memory is back with the
                   host, as on an idle machine (default 3000; see docs/benchmarks.md)
  --quiet-wait S   before each run, wait for a second with < 5% of the CPUs busy,
                   at most S seconds in all (default 180; 0: never wait)
  --startup-repeats R  start-up rows: starts of each (sidecar, capture, node -e 0,
                   --version, --help), interleaved (default 9; 0: skip)
  --idle-seconds S the long idle row: capture --json with no traffic for S s (default 30; 0: skip)
  --read-n N       the -r rows: summary -r and capture -r --json of an N-record file (default 1000000; 0: skip)
  --kernel-n N     the kernel row: ns a packet of the sidecar's programs with and without
                   attribution (kernel.bpf_stats_enabled for those runs), N datagrams (default 300000; 0: skip)
  --keep           keep the tools' output files (printed at the end)
  --out DIR        where the JSON results go (default bench/results)
`

// ---------------------------------------------------------------- set-up

const args = minimist(process.argv.slice(2), {
  string: ['tools', 'ring-size', 'out'],
  boolean: ['ipv6', 'keep', 'idle', 'warmup', 'help'],
  default: {n: 1_000_000, size: 64, repeats: 3, batch: 256, 'max-seconds': 60, 'cooldown-ms': 3000, 'quiet-wait': 180, idle: true, warmup: true, out: path.join(root, 'bench/results'), 'startup-repeats': 9, 'idle-seconds': 30, 'read-n': 1_000_000, 'kernel-n': 300_000},
  alias: {h: 'help'},
  unknown: (flag) => {
    if (!flag.startsWith('-')) fail(`unexpected argument '${flag}'; see --help`)
    const name = flag.replace(/^--?(no-)?/, '').replace(/=.*/, '')
    if (!['n', 'size', 'repeats', 'batch', 'max-seconds', 'cooldown-ms', 'quiet-wait', 'tools', 'ring-size', 'out', 'ipv6', 'keep', 'idle', 'warmup', 'help', 'h', 'startup-repeats', 'idle-seconds', 'read-n', 'kernel-n'].includes(name)) {
      fail(`unknown flag '${flag}'; see --help`)
    }
    return true
  },
})

function fail(message) {
  console.error(`bench: ${message}`)
  process.exit(2)
}

function wholeNumber(name, min, max) {
  const v = Number(args[name])
  if (!Number.isInteger(v) || v < min || v > max) fail(`--${name} takes a whole number from ${min} to ${max}, got '${args[name]}'`)
  return v
}

if (args.help) {
  process.stdout.write(HELP)
  process.exit(0)
}
const N = wholeNumber('n', 1, 100_000_000)
const SIZE = wholeNumber('size', 0, 65_507)
const REPEATS = wholeNumber('repeats', 1, 20)
const BATCH = wholeNumber('batch', 1, 1024)
const MAX_SECONDS = wholeNumber('max-seconds', 1, 600)
const COOLDOWN_MS = wholeNumber('cooldown-ms', 0, 30_000)
let quietBudgetMs = wholeNumber('quiet-wait', 0, 3600) * 1000
const STARTUP_REPEATS = wholeNumber('startup-repeats', 0, 100)
const IDLE_SECONDS = wholeNumber('idle-seconds', 0, 3600)
const READ_N = wholeNumber('read-n', 0, 100_000_000)
const KERNEL_N = wholeNumber('kernel-n', 0, 100_000_000)
const tools = args.tools ? String(args.tools).split(',').filter(Boolean) : TOOL_NAMES
for (const t of tools) if (!TOOL_NAMES.includes(t)) fail(`--tools: '${t}' is not one of ${TOOL_NAMES.join(', ')}`)
if (!tools.includes('alone')) tools.unshift('alone') // every ratio needs it
const ringArgs = args['ring-size'] ? ['--ring-size', String(args['ring-size'])] : []

// flows mode is newer than the rest: measure it where the sidecar has it
if (tools.includes('sidecar-flows') && fs.existsSync(SIDECAR) && !(await $`${SIDECAR} --help`.quiet().nothrow()).stdout.includes('--mode')) {
  console.log('bench: this sidecar has no --mode flows; skipping sidecar-flows')
  tools.splice(tools.indexOf('sidecar-flows'), 1)
}
if (process.getuid() !== 0) fail('this needs root: it loads eBPF programs and captures on lo (sudo make bench)')
for (const [file, fix] of [[GEN, 'make build/sockwatch-gen'], [SIDECAR, 'make sidecar'], [path.join(root, 'dist/.built'), 'make cli']]) {
  if (!fs.existsSync(file)) fail(`${path.relative(root, file)} is missing: run '${fix}' (make bench does)`)
}

// tcpdump and GNU time, from apt when missing, as scripts/install-deps.sh does.
const need = []
if (!(await which('tcpdump'))) need.push('tcpdump')
if (!fs.existsSync('/usr/bin/time')) need.push('time')
if (tools.includes('tap-only') && !(await which('python3'))) need.push('python3')
if (tools.includes('sockwatch-table') && !(await which('script'))) need.push('bsdutils')
if (need.length) {
  console.error(`bench: installing ${need.join(' ')}`)
  await $`apt-get update -qq`
  await $({env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'}})`apt-get install -y -qq --no-install-recommends ${need}`
}

async function which(cmd) {
  return (await $`command -v ${cmd}`.nothrow().quiet()).exitCode === 0
}

// ---------------------------------------------------------------- one run

const CLK_TCK = Number((await $`getconf CLK_TCK`.quiet().nothrow()).stdout.trim()) || 100
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sockwatch-bench-'))
const keep = Boolean(args.keep)
const keptDirs = []
let current // the running tool, killed if the bench itself is interrupted

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (current) try { process.kill(-current.pid, 'SIGKILL') } catch {}
    if (!keep) fs.rmSync(work, {recursive: true, force: true})
    console.error(`bench: interrupted by ${sig}`)
    process.exit(130)
  })
}

/** The command line for a tool writing to `out`. */
function commandFor(tool, out) {
  switch (tool) {
    case 'tcpdump-w': return {argv: ['tcpdump', '-i', 'lo', '-w', out], ready: 'stderr', kind: 'pcap'}
    case 'tcpdump-text': return {argv: ['tcpdump', '-i', 'lo', '-n', '-l'], stdout: out, ready: 'stderr', kind: 'text'}
    // beside tcpdump -w: the same classic pcap, written by the sidecar (issue 17)
    case 'sockwatch-w': return {argv: [CLI, 'capture', '-i', 'lo', '-w', out, '--pcap', ...ringArgs], ready: 'stderr', kind: 'pcap'}
    case 'sockwatch-json': return {argv: [CLI, 'capture', '-i', 'lo', '--json', ...ringArgs], stdout: out, ready: 'stderr', kind: 'ndjson'}
    // text, default options (time of day, owners): the sidecar writes the lines itself (issue 18)
    case 'sockwatch-text': return {argv: [CLI, 'capture', '-i', 'lo', ...ringArgs], stdout: out, ready: 'stderr', kind: 'text'}
    // the live table a person sees (issue 18): on a pseudo-terminal of 120 x 40 that script(1)
    // keeps, its typescript the output (the table, the status line and the closing line);
    // stopped by a Ctrl-C typed into the terminal, so the CLI and its sidecar get SIGINT as
    // from a keyboard
    case 'sockwatch-table': return {argv: ['script', '-qfec', `stty cols 120 rows 40; exec ${[CLI, 'capture', '-i', 'lo', ...ringArgs].map(shellQuote).join(' ')}`, out], ready: 'typescript', kind: 'table', stop: 'ctrl-c'}
    // a kernel filter that rejects the whole flood: what filtering costs the CLI per offered packet
    case 'sockwatch-filtered': return {argv: [CLI, 'capture', '-i', 'lo', '--json', ...ringArgs, 'udp', 'and', 'dst', 'port', '9'], stdout: out, ready: 'stderr', kind: 'ndjson'}
    case 'sockwatch-summary': return {argv: [CLI, 'summary', '-i', 'lo', '--json', '--top', '5'], stdout: out, ready: 'stderr', kind: 'summary'}
    case 'sidecar': return {argv: [SIDECAR, '-i', 'lo', ...ringArgs], stdout: out, ready: 'file', kind: 'ndjson'}
    // beside 'sidecar' (attribution on, its default): what attribution costs a packet (docs/attribution.md)
    case 'sidecar-noproc': return {argv: [SIDECAR, '-i', 'lo', '--no-process', ...ringArgs], stdout: out, ready: 'file', kind: 'ndjson'}
    // the in-kernel counting that `sockwatch summary` is to stand on
    case 'sidecar-flows': return {argv: [SIDECAR, '-i', 'lo', '--mode', 'flows'], stdout: out, ready: 'file', kind: 'flows'}
    case 'tap-only': return {argv: ['python3', TAP_ONLY, '-i', 'lo'], ready: 'stderr', kind: 'none'}
  }
}

/** A word for sh -c, quoted. */
const shellQuote = (word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)

const READY_LINE = {
  'tcpdump-w': /listening on/,
  'tcpdump-text': /listening on/,
  'sockwatch-w': /^sockwatch: capturing on/m,
  'sockwatch-json': /^sockwatch: capturing on/m,
  'sockwatch-text': /^sockwatch: capturing on/m,
  'sockwatch-table': /^sockwatch: capturing on/m,
  'sockwatch-filtered': /^sockwatch: capturing on/m,
  'sockwatch-summary': /^sockwatch: counting flows on/m,
  'tap-only': /^tap-only: ready/m,
}

const nowMs = () => performance.timeOrigin + performance.now()
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const fileSize = (file) => { try { return fs.statSync(file).size } catch { return 0 } }
const loDropped = () => Number(fs.readFileSync('/sys/class/net/lo/statistics/rx_dropped', 'utf8'))

/** Runs the generator to its end (bounded by its own -t and a kill after). */
function runGen() {
  const argv = ['-n', String(N), '-s', String(SIZE), '-b', String(BATCH), '-t', String(MAX_SECONDS), ...(args.ipv6 ? ['-6'] : [])]
  return new Promise((resolve, reject) => {
    const child = spawn(GEN, argv, {stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), (MAX_SECONDS + 10) * 1000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code !== 0) return reject(new Error(`sockwatch-gen ${argv.join(' ')} failed (${signal ?? `exit ${code}`}): ${err.trim()}`))
      resolve(JSON.parse(out))
    })
  })
}

/** Starts a tool under GNU time in its own process group. */
function startTool(tool, dir) {
  const out = path.join(dir, `${tool}.out`)
  const timeFile = path.join(dir, `${tool}.time`)
  const cmd = commandFor(tool, out)
  const stdoutFd = cmd.stdout ? openSync(cmd.stdout, 'w') : 'ignore'
  const t0 = nowMs()
  // %e wall, %U user, %S system (of the tool and every child it waited for), %M peak RSS KiB
  const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', ...cmd.argv], {
    cwd: root,
    detached: true, // its own group: SIGINT reaches the tool (and the CLI's sidecar), GNU time ignores it
    // a terminal's keyboard: script(1) hands what is written here to the pty
    stdio: [cmd.stop === 'ctrl-c' ? 'pipe' : 'ignore', stdoutFd, 'pipe'],
  })
  if (typeof stdoutFd === 'number') closeSync(stdoutFd)
  let stderr = ''
  const stderrWaiters = []
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (text) => {
    stderr += text
    for (const w of [...stderrWaiters]) w()
  })
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({code, signal})))
  return {tool, cmd, out, timeFile, t0, child, exited, get stderr() { return stderr }, stderrWaiters}
}

/** Resolves with the ms from start to ready: the tool's own word, never a sleep. */
async function waitReady(run) {
  const deadline = Date.now() + READY_MS
  let exitedEarly = false
  run.exited.then(() => (exitedEarly = true))
  if (run.cmd.ready === 'typescript') {
    // the terminal's output, in script(1)'s typescript
    const re = READY_LINE[run.tool]
    while (Date.now() < deadline && !exitedEarly) {
      if (re.test(readHead(run.out, 1 << 16))) return nowMs() - run.t0
      await wait(2)
    }
  } else if (run.cmd.ready === 'file') {
    // The sidecar's first stdout record; its ts says when it was written.
    while (Date.now() < deadline && !exitedEarly) {
      const head = readHead(run.out, 4096)
      const line = head.split('\n')[0]
      if (head.includes('\n') && line.startsWith('{"v":1,"type":"ready"')) return JSON.parse(line).ts * 1000 - run.t0
      if (head.includes('\n')) throw new Error(`${run.tool}: its first record is not ready: ${line.slice(0, 300)}`)
      await wait(2)
    }
  } else {
    const re = READY_LINE[run.tool]
    const seen = await new Promise((resolve) => {
      let finished = false
      const check = () => {
        if (finished) return
        if (re.test(run.stderr)) return done(nowMs())
        if (exitedEarly) return done(undefined)
      }
      const done = (v) => {
        finished = true
        clearTimeout(timer)
        run.stderrWaiters.splice(run.stderrWaiters.indexOf(check), 1)
        resolve(v)
      }
      const timer = setTimeout(() => done(undefined), READY_MS)
      run.stderrWaiters.push(check)
      run.exited.then(check)
      check()
    })
    if (seen !== undefined) return seen - run.t0
  }
  const why = exitedEarly ? 'exited before it said it was ready' : `did not say it was ready within ${READY_MS} ms`
  throw new Error(`${run.tool} ${why}; its stderr: ${run.stderr.trim().slice(-500)}`)
}

function readHead(file, bytes) {
  let fd
  try {
    fd = openSync(file, 'r')
    const buf = Buffer.alloc(bytes)
    const n = readSync(fd, buf, 0, bytes, 0)
    return buf.subarray(0, n).toString('utf8')
  } catch {
    return ''
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Waits (bounded) until the output has stopped growing; returns ms waited. */
async function waitSettled(run) {
  const start = Date.now()
  let last = fileSize(run.out)
  let still = 0
  while (still < SETTLE_POLLS && Date.now() - start < DRAIN_MAX_MS) {
    await wait(SETTLE_POLL_MS)
    const size = fileSize(run.out)
    still = size - last < SETTLE_BYTES ? still + 1 : 0
    last = size
  }
  return {ms: Date.now() - start, timedOut: still < SETTLE_POLLS}
}

/** SIGINT to the tool's group, as Ctrl-C (a real Ctrl-C typed into the table's pty); SIGKILL if it does not end in time. */
async function stopTool(run) {
  if (run.cmd.stop === 'ctrl-c') run.child.stdin.end('\x03')
  else try { process.kill(-run.child.pid, 'SIGINT') } catch {}
  let killed = false
  const timer = setTimeout(() => {
    killed = true
    try { process.kill(-run.child.pid, 'SIGKILL') } catch {}
  }, EXIT_MS)
  const exit = await run.exited
  clearTimeout(timer)
  const lines = fs.readFileSync(run.timeFile, 'utf8').trim().split('\n')
  const [wall, user, sys, rssKiB] = lines[lines.length - 1].split(' ').map(Number)
  if ([wall, user, sys].some(Number.isNaN)) throw new Error(`${run.tool}: could not read GNU time's output: ${lines.join(' | ')}`)
  return {exit, killed, wall, user, sys, cpu: round(user + sys, 2), rssKiB, timeNote: lines.length > 1 ? lines.slice(0, -1).join(' ') : undefined}
}

/** Every tool run starts from the same state, that of a machine that was idle:
 * where freed memory goes back to the host (2 s after a free), writing 183 MB in
 * 1 MiB writes to a new file cost 0.03 s of system time right after a delete and
 * 0.35 s after 2 s idle, so back-to-back runs would depend on what ran before.
 * Not a readiness wait: it also measures how busy the machine is without us. */
async function coolDown() {
  let a = cpuTimes()
  await wait(COOLDOWN_MS || 200)
  let b = cpuTimes()
  // how busy the machine was with nothing of ours running: others' load skews every figure
  let busy = (b.busy - a.busy) / (b.total - a.total || 1)
  // on a shared machine, wait (within the budget) for the others to pause
  while (busy >= 0.05 && quietBudgetMs > 0) {
    a = b
    await wait(1000)
    quietBudgetMs -= 1000
    b = cpuTimes()
    busy = (b.busy - a.busy) / (b.total - a.total || 1)
  }
  return round(busy, 3)
}

/** CPU seconds the whole machine was busy since cpu0, beyond ours (the tool, the
 * generator, this runner): other processes, kernel threads. 10 ms resolution. */
function otherCpu(cpu0, runner0, oursSeconds) {
  const busy = (cpuTimes().busy - cpu0.busy) / CLK_TCK
  const runner = process.cpuUsage(runner0)
  return round(busy - oursSeconds - (runner.user + runner.system) / 1e6, 2)
}

/** Jiffies from /proc/stat's cpu line: busy (not idle or iowait) and total. */
function cpuTimes() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const total = f.reduce((x, y) => x + y, 0)
  return {busy: total - f[3] - f[4], total}
}

/** Whether a virtio balloon hands freed guest memory back to the host
 * (VIRTIO_BALLOON_F_REPORTING, feature bit 5), as on the Firecracker VM the
 * figures in docs/benchmarks.md come from. */
function freePageReporting() {
  try {
    for (const dev of fs.readdirSync('/sys/bus/virtio/devices')) {
      const base = `/sys/bus/virtio/devices/${dev}`
      if (fs.readFileSync(`${base}/device`, 'utf8').trim() === '0x0005' && fs.readFileSync(`${base}/features`, 'utf8')[5] === '1') return true
    }
  } catch {}
  return false
}

/** Packet sockets already open in this namespace: each one taps every packet too. */
function otherPacketSockets() {
  try {
    return fs.readFileSync('/proc/net/packet', 'utf8').trim().split('\n').length - 1
  } catch {
    return 0
  }
}

/** Untimed: one flood, and one CLI start (node's modules into the page cache). */
async function warmUp() {
  await runGen()
  if (tools.includes('sockwatch-json')) await runOne('sockwatch-json', true)
}

// ------------------------------------------------------------ counting

/** Counts occurrences of `needle` in a file, streaming. */
function countInFile(file, needle) {
  const pat = Buffer.from(needle)
  const buf = Buffer.alloc(8 << 20)
  const fd = openSync(file, 'r')
  let count = 0
  let carry = 0 // bytes kept from the previous chunk (a needle may straddle)
  try {
    for (;;) {
      const n = readSync(fd, buf, carry, buf.length - carry, null)
      if (n === 0) break
      const end = carry + n
      let at = buf.indexOf(pat, 0)
      let next = 0
      while (at !== -1 && at + pat.length <= end) {
        count++
        next = at + pat.length
        at = buf.indexOf(pat, next)
      }
      const keepFrom = Math.max(next, end - pat.length + 1)
      buf.copy(buf, 0, keepFrom, end)
      carry = end - keepFrom
      buf.fill(0, carry) // so a stale tail can never match
    }
  } finally {
    closeSync(fd)
  }
  return count
}

/** Packets in a pcap file: all, and UDP to the loopback port. */
function countPcap(file, port) {
  const fd = openSync(file, 'r')
  const buf = Buffer.alloc(8 << 20)
  let have = 0
  let off = 0
  let total = 0
  let match = 0
  let le = true
  let linktype
  try {
    const fill = () => {
      buf.copy(buf, 0, off, have)
      have -= off
      off = 0
      const n = readSync(fd, buf, have, buf.length - have, null)
      have += n
      return n
    }
    fill()
    if (have < 24) return {total: 0, match: 0}
    const magic = buf.readUInt32LE(0)
    if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true
    else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false
    else throw new Error(`${file} is not a pcap file`)
    linktype = le ? buf.readUInt32LE(20) : buf.readUInt32BE(20)
    if (linktype !== 1) throw new Error(`${file}: link type ${linktype}, expected Ethernet (1) on lo`)
    off = 24
    for (;;) {
      if (have - off < 16 && fill() === 0 && have - off < 16) break
      const incl = le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8)
      if (have - off < 16 + incl && fill() === 0 && have - off < 16 + incl) break
      const p = off + 16
      total++
      if (incl >= 14 + 28) {
        const et = buf.readUInt16BE(p + 12)
        if (et === 0x0800 && buf[p + 14 + 9] === 17) {
          const ihl = (buf[p + 14] & 15) * 4
          if (incl >= 14 + ihl + 4 && buf.readUInt16BE(p + 14 + ihl + 2) === port) match++
        } else if (et === 0x86dd && incl >= 14 + 44 && buf[p + 14 + 6] === 17 && buf.readUInt16BE(p + 14 + 40 + 2) === port) {
          match++
        }
      }
      off = p + incl
    }
  } finally {
    closeSync(fd)
  }
  return {total, match}
}

/** The last `bytes` of a file, as text. */
function readTail(file, bytes) {
  const size = fileSize(file)
  const len = Math.min(size, bytes)
  const buf = Buffer.alloc(len)
  const fd = openSync(file, 'r')
  try {
    readSync(fd, buf, 0, len, size - len)
  } finally {
    closeSync(fd)
  }
  return buf.toString('utf8')
}

/** The last stats record in an NDJSON file (the sidecar's final one). */
function lastStats(file) {
  const size = fileSize(file)
  const len = Math.min(size, 1 << 16)
  const fd = openSync(file, 'r')
  const buf = Buffer.alloc(len)
  readSync(fd, buf, 0, len, size - len)
  closeSync(fd)
  const lines = buf.toString('utf8').split('\n').filter((l) => l.startsWith('{"v":1,"type":"stats"'))
  return lines.length ? JSON.parse(lines[lines.length - 1]) : undefined
}

/** What the tool captured of the generator's packets, and the drops it reported. */
function measureOutput(run, port) {
  const r = {}
  if (run.cmd.kind === 'pcap') {
    const {total, match} = countPcap(run.out, port)
    r.lines = total
    r.captured = match
  } else if (run.cmd.kind === 'text') {
    r.lines = countInFile(run.out, '\n')
    r.captured = countInFile(run.out, `.${port}: UDP, length`)
  } else if (run.cmd.kind === 'table') {
    // rows to the generator's port (DESTINATION, padded), and the closing line the CLI left on the terminal
    r.lines = countInFile(run.out, '\n')
    r.captured = countInFile(run.out, `127.0.0.1:${port} `)
    const closing = [...readTail(run.out, 1 << 16).matchAll(/(\d+) packets? captured, (\d+) dropped/g)].at(-1)
    r.toolCaptured = closing ? Number(closing[1]) : undefined
    r.dropped = closing ? Number(closing[2]) : undefined
  } else if (run.cmd.kind === 'summary') {
    // the top rows and the totals the CLI printed at exit
    const recs = fs.readFileSync(run.out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    const totals = recs.filter((x) => x.type === 'totals').at(-1)
    r.lines = recs.length
    r.captured = recs.filter((x) => x.type === 'row' && x.proto === 'udp' && x.dport === port).reduce((n, x) => n + x.packets, 0)
    r.toolCaptured = totals?.packets
    r.dropped = totals?.dropped
  } else if (run.cmd.kind === 'flows') {
    // a handful of lines: a flow record per flow and interval
    const flows = fs.readFileSync(run.out, 'utf8').split('\n').filter((l) => l.startsWith('{"v":1,"type":"flow"')).map((l) => JSON.parse(l))
    r.lines = flows.length
    r.captured = flows.filter((f) => f.proto === 'udp' && f.dport === port).reduce((n, f) => n + f.packets, 0)
  } else {
    r.lines = countInFile(run.out, '{"v":1,"type":"packet"')
    r.captured = countInFile(run.out, `"dport":${port},"len"`)
  }
  if (run.tool.startsWith('tcpdump')) {
    const num = (re) => { const m = re.exec(run.stderr); return m ? Number(m[1]) : undefined }
    r.toolCaptured = num(/^(\d+) packets? captured/m)
    r.receivedByFilter = num(/^(\d+) packets? received by filter/m)
    r.dropped = num(/^(\d+) packets? dropped by kernel/m)
  } else if (run.cmd.kind === 'summary' || run.cmd.kind === 'table') {
    // counted above, from its totals record or its closing line
  } else if (run.tool === 'sockwatch-json' || run.tool === 'sockwatch-text' || run.tool === 'sockwatch-filtered' || run.tool === 'sockwatch-w') {
    const m = /^(\d+) packets captured, (\d+) dropped/m.exec(run.stderr)
    r.toolCaptured = m ? Number(m[1]) : undefined
    r.dropped = m ? Number(m[2]) : undefined
  } else {
    const s = lastStats(run.out)
    if (!s?.final) throw new Error(`${run.tool}: no final stats record at the end of its output`)
    r.stats = s
    // flows mode: what the kernel matched; a flow evicted unread is counted there but not in a flow
    r.toolCaptured = run.cmd.kind === 'flows' ? s.matched : s.written
    r.dropped = s.dropped
  }
  if (r.dropped === undefined) throw new Error(`${run.tool}: no drop count in its closing words: ${run.stderr.trim().slice(-300)}`)
  return r
}

const round = (v, d = 3) => (v === undefined || v === null || Number.isNaN(v) ? v : Math.round(v * 10 ** d) / 10 ** d)

/** One tool, one flood (or none, for an idle run). */
async function runOne(tool, idle) {
  const dir = fs.mkdtempSync(path.join(work, `${tool}-`))
  const lo0 = loDropped()
  if (tool === 'alone') {
    const background = await coolDown()
    const cpu0 = cpuTimes()
    const runner0 = process.cpuUsage()
    const gen = await runGen()
    return {tool, background, gen, otherCpu: otherCpu(cpu0, runner0, gen.cpu), loDropped: loDropped() - lo0}
  }
  const background = await coolDown()
  const cpu0 = cpuTimes()
  const runner0 = process.cpuUsage()
  const run = startTool(tool, dir)
  current = run.child
  try {
    const readyMs = await waitReady(run)
    const gen = idle ? undefined : await runGen()
    const settle = idle || run.cmd.kind === 'none' ? undefined : await waitSettled(run)
    const usage = await stopTool(run)
    current = undefined
    if (usage.killed) throw new Error(`${tool} did not exit within ${EXIT_MS} ms of SIGINT; it was killed`)
    if (usage.exit.code !== 0) throw new Error(`${tool} exited with ${usage.exit.signal ?? `code ${usage.exit.code}`}: ${run.stderr.trim().slice(-500)}`)
    const result = {tool, idle, background, readyMs: round(readyMs, 1), ...usage, outBytes: fileSize(run.out), loDropped: loDropped() - lo0}
    result.otherCpu = otherCpu(cpu0, runner0, usage.cpu + (gen?.cpu ?? 0))
    if (!idle) result.gen = gen
    if (settle) Object.assign(result, {settleMs: settle.ms, settleTimedOut: settle.timedOut}, measureOutput(run, gen.port))
    return result
  } finally {
    if (current) try { process.kill(-current.pid, 'SIGKILL') } catch {}
    current = undefined
    if (keep) keptDirs.push(dir)
    else fs.rmSync(dir, {recursive: true, force: true})
  }
}

// ------------------------------------------------------------ the bench

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b)
  if (!v.length) return undefined
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

const started = new Date()
const git = async (...a) => (await $({cwd: root})`git ${a}`.quiet().nothrow()).stdout.trim()
const source = {
  commit: await git('rev-parse', '--short', 'HEAD'),
  // the engine and the CLI as built: uncommitted changes there are part of what was measured
  dirty: (await git('status', '--porcelain', '--', 'bpf', 'sidecar', 'src', 'bin')).split('\n').filter(Boolean),
}
const machine = {
  nproc: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  kernel: os.release(),
  memGiB: round(os.totalmem() / 2 ** 30, 1),
  node: process.version,
  tcpdump: (await $`tcpdump --version`.quiet().nothrow()).stdout.split('\n').slice(0, 2).join('; '),
}
console.log(`bench: N=${N} x ${SIZE}-byte UDP to ${args.ipv6 ? '[::1]' : '127.0.0.1'}, ${REPEATS} repeat(s); ${machine.nproc} CPUs, kernel ${machine.kernel}`)
console.log(`bench: source ${source.commit}${source.dirty.length ? ` with ${source.dirty.length} uncommitted change(s) in bpf/ sidecar/ src/ bin/` : ''}`)
if (COOLDOWN_MS) console.log(`bench: ${COOLDOWN_MS / 1000} s cool-down before each tool run${freePageReporting() ? ' (this VM hands freed memory back to the host)' : ''}`)

machine.freePageReporting = freePageReporting()
machine.otherPacketSockets = otherPacketSockets()
machine.loadavg = os.loadavg().map((x) => round(x, 2))
if (machine.otherPacketSockets) {
  console.log(`bench: warning: ${machine.otherPacketSockets} packet socket(s) already open here (see /proc/net/packet): each runs on every packet and skews these figures`)
}
if (machine.loadavg[0] > 0.5) console.log(`bench: warning: load average ${machine.loadavg[0]}: something else is running`)
const runs = []
const extra = {} // the rows of extraRows()
try {
  if (args.warmup) await warmUp()
  for (let r = 1; r <= REPEATS; r++) {
    // the generator alone first, then the tools in an order that rotates each repeat
    const others = tools.filter((t) => t !== 'alone')
    const order = ['alone', ...others.slice((r - 1) % others.length), ...others.slice(0, (r - 1) % others.length)]
    for (const tool of order) {
      const res = await runOne(tool, false)
      res.repeat = r
      runs.push(res)
      console.log(`  [${r}/${REPEATS}] ${LABEL[tool].padEnd(26)} ${describe(res)}`)
    }
    if (args.idle) {
      for (const tool of others) {
        const res = await runOne(tool, true)
        res.repeat = r
        runs.push(res)
        console.log(`  [${r}/${REPEATS}] ${(LABEL[tool] + ', idle').padEnd(26)} CPU ${res.cpu.toFixed(2)} s, ready in ${res.readyMs} ms`)
      }
    }
  }
  await extraRows()
} catch (error) {
  console.error(`bench: ${error.message}`)
  process.exitCode = 1
} finally {
  if (!keep) fs.rmSync(work, {recursive: true, force: true})
}
if (process.exitCode) process.exit()

// start-up, a long idle and -r (issue 18), each capture in a namespace of its own
async function extraRows() {
  if (!STARTUP_REPEATS && !IDLE_SECONDS && !READ_N && !KERNEL_N) return
  const netns = `swbench${process.pid}`
  const removeNetns = makeNetns(netns)
  try {
    if (STARTUP_REPEATS) {
      await coolDown()
      extra.startup = await startupRows({cli: CLI, sidecar: SIDECAR, netns, repeats: STARTUP_REPEATS})
      console.log(`  start-up, min (median) of ${STARTUP_REPEATS}: ${Object.entries(extra.startup).map(([k, v]) => `${k} ${v.min} (${v.median}) ms`).join(', ')}`)
    }
    if (IDLE_SECONDS) {
      await coolDown()
      extra.idle = await idleRow({cli: CLI, netns, seconds: IDLE_SECONDS, clkTck: CLK_TCK})
      console.log(`  capture --json idle ${IDLE_SECONDS} s: CPU ${extra.idle.cpu} s, ${extra.idle.wakeups} wake-ups (CLI + sidecar, after start-up)`)
    }
    if (KERNEL_N) {
      await coolDown()
      extra.kernel = await kernelCostRows({sidecar: SIDECAR, gen: GEN, netns, n: KERNEL_N})
      console.log(`  kernel, ns a run, best of 3: ${kernelLine(extra.kernel)}`)
    }
  } finally {
    removeNetns()
  }
  if (READ_N) {
    const file = path.join(work, 'saved.ndjson')
    await writeSavedCapture(file, READ_N)
    await coolDown()
    extra.read = readRows({cli: CLI, file, n: READ_N, repeats: 3})
    for (const [name, r] of Object.entries(extra.read)) console.log(`  ${name} of ${READ_N} records, best of 3: ${r.wall} s, ${(r.perSecond / 1e6).toFixed(2)}M records/s, CPU ${r.cpu} s, max RSS ${r.rssMiB} MiB`)
  }
}

/** "sockwatch 480 (390 without), sw_egress 95, ...": each program's ns a run, with and without attribution. */
function kernelLine(k) {
  return Object.entries(k.attribution).map(([prog, v]) => `${prog} ${v.ns}${k['no-process'][prog] ? ` (${k['no-process'][prog].ns} without)` : ''}`).join(', ')
}

function describe(res) {
  const g = `gen ${(res.gen.pps / 1000).toFixed(0)} kpps${res.gen.complete ? '' : ` (cut short at ${res.gen.sent})`}`
  if (res.tool === 'alone' || res.captured === undefined) return `${g}${res.cpu === undefined ? '' : `, CPU ${res.cpu.toFixed(2)} s`}`
  return `${g}, captured ${res.captured}/${res.gen.sent}, dropped ${res.dropped}, CPU ${res.cpu.toFixed(2)} s, ready in ${res.readyMs} ms`
}

// Per-repeat ratios to the generator alone in the same repeat, then medians.
const aloneBy = Object.fromEntries(runs.filter((r) => r.tool === 'alone').map((r) => [r.repeat, r.gen.pps]))
const medians = {}
for (const tool of tools) {
  const rs = runs.filter((r) => r.tool === tool && !r.idle)
  const idle = runs.filter((r) => r.tool === tool && r.idle)
  const m = (f) => median(rs.map(f))
  medians[tool] = {
    runs: rs.length,
    sent: m((r) => r.gen.sent),
    genPps: round(m((r) => r.gen.pps), 0),
    genVsAlone: round(m((r) => r.gen.pps / aloneBy[r.repeat]), 3),
  }
  if (tool === 'alone') continue
  Object.assign(medians[tool], {
    captured: m((r) => r.captured),
    capturedPct: round(m((r) => (100 * r.captured) / r.gen.sent), 2),
    toolCaptured: m((r) => r.toolCaptured),
    dropped: m((r) => r.dropped),
    cpu: round(m((r) => r.cpu), 2),
    cpuMin: round(Math.min(...rs.map((r) => r.cpu)), 2),
    cpuMax: round(Math.max(...rs.map((r) => r.cpu)), 2),
    outBytesPerPacket: round(m((r) => r.outBytes / r.gen.sent), 1),
    cpuPerM: round(m((r) => r.cpu / (r.gen.sent / 1e6)), 3),
    user: round(m((r) => r.user), 2),
    sys: round(m((r) => r.sys), 2),
    idleCpu: round(median(idle.map((r) => r.cpu)), 2),
    readyMs: round(m((r) => r.readyMs), 1),
    idleReadyMs: round(median(idle.map((r) => r.readyMs)), 1),
    rssMiB: round(m((r) => r.rssKiB / 1024), 1),
    settleMs: m((r) => r.settleMs),
    loDropped: m((r) => r.loDropped),
  })
  if (tool === 'sidecar' || tool === 'sidecar-noproc' || tool === 'sidecar-flows') {
    medians[tool].matched = m((r) => r.stats.matched)
    medians[tool].emitted = m((r) => r.stats.emitted)
    medians[tool].written = m((r) => r.stats.written)
  }
}
const ref = medians['tcpdump-w']
for (const tool of tools.filter((t) => t !== 'alone')) {
  const x = medians[tool]
  if (!ref) break
  x.vsTcpdumpW = {
    captured: round(x.captured / ref.captured, 3),
    genPps: round(x.genPps / ref.genPps, 3),
    cpu: ref.cpu ? round(x.cpu / ref.cpu, 2) : undefined,
  }
}

// ------------------------------------------------------------ the table

const fmt = (v, d = 0) => (v === undefined || v === null || Number.isNaN(v) ? '-' : typeof v === 'number' ? v.toFixed(d) : String(v))
const cols = [
  ['tool', (t) => LABEL[t], 26, 'l'],
  ['captured', (t, x) => (t === 'alone' ? '-' : fmt(x.captured)), 9],
  ['% sent', (t, x) => (t === 'alone' ? '-' : fmt(x.capturedPct, 1)), 7],
  ['drops', (t, x) => (t === 'alone' ? '-' : fmt(x.dropped)), 7],
  ['gen kpps', (t, x) => fmt(x.genPps / 1000), 8],
  ['gen/alone', (t, x) => `${fmt(100 * x.genVsAlone)}%`, 9],
  ['CPU s (min-max)', (t, x) => (t === 'alone' ? '-' : `${fmt(x.cpu, 2)} (${fmt(x.cpuMin, 2)}-${fmt(x.cpuMax, 2)})`), 16],
  ['CPU s/M', (t, x) => (t === 'alone' ? '-' : fmt(x.cpuPerM, 2)), 7],
  ['idle CPU', (t, x) => (t === 'alone' ? '-' : fmt(x.idleCpu, 2)), 8],
  ['ready ms', (t, x) => (t === 'alone' ? '-' : fmt(x.readyMs)), 8],
  ['capt/tcpdump-w', (t, x) => (x.vsTcpdumpW ? fmt(x.vsTcpdumpW.captured, 2) : '-'), 14],
  ['gen/tcpdump-w', (t, x) => (x.vsTcpdumpW ? fmt(x.vsTcpdumpW.genPps, 2) : '-'), 13],
  ['CPU/tcpdump-w', (t, x) => (x.vsTcpdumpW ? fmt(x.vsTcpdumpW.cpu, 2) : '-'), 13],
]
const pad = (s, w, a) => (a === 'l' ? s.padEnd(w) : s.padStart(w))
const table = [
  cols.map(([h, , w, a]) => pad(h, w, a)).join(' '),
  ...tools.map((t) => cols.map(([, f, w, a]) => pad(f(t, medians[t]), w, a)).join(' ')),
]

// ------------------------------------------------------------ the targets

const targets = []
// per-million figures from a smaller flood carry the fixed start-up cost over fewer packets
const small = N < 1_000_000 ? ` (N=${N}: start-up weighs ${fmt(1e6 / N, 0)}x more than at 1M)` : ''
const target = (name, ok, detail) => targets.push({name, ok, detail})
const cli = medians['sockwatch-json']
const side = medians.sidecar
const text = medians['tcpdump-text']
if (cli) {
  const perRepeat = runs.filter((r) => r.tool === 'sockwatch-json' && !r.idle)
  const accounted = perRepeat.every((r) => r.captured + r.dropped >= r.gen.sent && r.toolCaptured === r.lines)
  target('sockwatch --json captures 100%, or captured + reported drops account for every packet',
    cli.capturedPct === 100 || accounted,
    `${cli.capturedPct}% captured, ${cli.dropped} drops reported; every repeat accounted for: ${accounted}`)
  if (ref) {
    const notFewer = perRepeat.every((r) => {
      const t = runs.find((x) => x.tool === 'tcpdump-w' && !x.idle && x.repeat === r.repeat)
      return !t || r.captured >= t.captured
    })
    target('sockwatch --json never captures fewer than tcpdump -w in the same repeat', notFewer,
      `median ${cli.captured} vs ${ref.captured}`)
    target('generator under sockwatch --json >= under tcpdump -w', cli.genVsAlone >= ref.genVsAlone,
      `${fmt(100 * cli.genVsAlone)}% vs ${fmt(100 * ref.genVsAlone)}% of alone (aim: the no-wake-up ring limit, ~71%)`)
  }
  if (text) target('CPU of the sockwatch process tree <= tcpdump -n -l', cli.cpu <= text.cpu, `${fmt(cli.cpu, 2)} s vs ${fmt(text.cpu, 2)} s`)
  target('CPU of the sockwatch process tree <= 0.5 s per million (aim)', cli.cpuPerM <= 0.5,
    `${fmt(cli.cpuPerM, 2)} s/M (${fmt(cli.idleCpu, 2)} s of it is start-up and exit with no traffic)${small}`)
}
if (side) {
  target('sidecar alone writing NDJSON <= 0.3 s CPU per million', side.cpuPerM <= 0.3, `${fmt(side.cpuPerM, 2)} s/M (idle run: ${fmt(side.idleCpu, 2)} s)${small}`)
  const readyAll = median(runs.filter((r) => r.tool === 'sidecar').map((r) => r.readyMs))
  target('sidecar start to ready <= 300 ms', readyAll <= 300, `median ${fmt(readyAll, 1)} ms over every sidecar run`)
}
const noproc = medians['sidecar-noproc']
if (side && noproc) {
  // issue 16's aim: attribution adds no more than 10% CPU a packet. Three views: the sidecar's
  // own (past its start-up), the whole host's (the sender, where the kernel programs run,
  // plus the sidecar), and the sender's rate.
  const own = (x) => x.cpu - x.idleCpu
  const host = (tool) => median(runs.filter((r) => r.tool === tool && !r.idle).map((r) => (r.gen.cpu + r.cpu) / (r.gen.sent / 1e6)))
  target('attribution: the sidecar\'s CPU a packet <= 1.1x without it (aim)', own(side) <= 1.1 * own(noproc),
    `${fmt(own(side), 2)} s vs ${fmt(own(noproc), 2)} s past start-up: ${fmt(own(side) / own(noproc), 2)}x (records of ${fmt(side.outBytesPerPacket)} vs ${fmt(noproc.outBytesPerPacket)} bytes)`)
  target('attribution: the host\'s CPU a packet (sender and kernel programs, plus the sidecar) <= 1.1x without it (aim)', host('sidecar') <= 1.1 * host('sidecar-noproc'),
    `${fmt(host('sidecar'), 2)} vs ${fmt(host('sidecar-noproc'), 2)} s/M: ${fmt(host('sidecar') / host('sidecar-noproc'), 2)}x`)
  target('attribution: the sender keeps >= 0.9x its rate without it (aim)', side.genVsAlone >= 0.9 * noproc.genVsAlone,
    `${fmt(100 * side.genVsAlone)}% vs ${fmt(100 * noproc.genVsAlone)}% of alone`)
}
if (extra.kernel) {
  const k = extra.kernel
  const filter = k.attribution.sockwatch?.ns ?? 0
  const without = k['no-process'].sockwatch?.ns ?? 0
  const learner = k.attribution.sw_egress?.ns ?? 0
  // against what a packet costs the sender alone (its CPU a datagram, no tap)
  const alone = median(runs.filter((r) => r.tool === 'alone').map((r) => (1e9 * r.gen.cpu) / r.gen.sent))
  const added = filter - without + learner
  target('attribution: its kernel work a packet (reported, no target)', true,
    `${added} ns: the socket filter ${filter} ns (${without} without), the egress learner ${learner} ns; ${fmt((100 * added) / alone, 1)}% of the sender's ${fmt(alone)} ns a datagram alone (bpf_stats adds ~20 ns a run); ${kernelLine(k)}`)
}
const flows = medians['sidecar-flows']
if (flows) {
  const fr = runs.filter((r) => r.tool === 'sidecar-flows' && !r.idle)
  const exact = fr.every((r) => r.captured === r.gen.sent)
  target('in-kernel counting (sidecar --mode flows, for summary) counts every packet exactly', exact,
    `the generator's flow summed to ${fr.map((r) => r.captured).join(', ')} of ${N} (the final stats counted ${fr.map((r) => r.stats.matched).join(', ')} matched on lo)`)
  target('in-kernel counting keeps the generator at >= 80% of alone', flows.genVsAlone >= 0.8, `${fmt(100 * flows.genVsAlone)}%`)
  target('in-kernel counting < 0.1 s CPU per million', flows.cpuPerM < 0.1, `${fmt(flows.cpuPerM, 2)} s/M (idle run: ${fmt(flows.idleCpu, 2)} s)${small}`)
}
const sw = medians['sockwatch-w']
if (sw && ref) {
  const perRepeat = runs.filter((r) => r.tool === 'sockwatch-w' && !r.idle)
  const notFewer = perRepeat.every((r) => {
    const t = runs.find((x) => x.tool === 'tcpdump-w' && !x.idle && x.repeat === r.repeat)
    return !t || r.captured / r.gen.sent >= t.captured / t.gen.sent
  })
  target('capture -w: capture ratio >= tcpdump -w\'s in every repeat', notFewer,
    `median ${sw.captured}/${N} vs ${ref.captured}/${N}; drops reported ${sw.dropped}`)
  target('capture -w: CPU <= 1.5x tcpdump -w\'s', sw.cpu <= 1.5 * ref.cpu, `${fmt(sw.cpu, 2)} s vs ${fmt(ref.cpu, 2)} s (${fmt(sw.cpu / ref.cpu, 2)}x)`)
}
const swText = medians['sockwatch-text']
if (swText && ref) {
  target('capture > file (text): 100% captured', swText.capturedPct === 100, `${swText.capturedPct}% captured, ${swText.dropped} drops reported`)
  target('capture > file (text): CPU of the process tree <= 1.5x tcpdump -w\'s', swText.cpu <= 1.5 * ref.cpu, `${fmt(swText.cpu, 2)} s vs ${fmt(ref.cpu, 2)} s (${fmt(swText.cpu / ref.cpu, 2)}x)`)
  target('capture > file (text): generator >= under tcpdump -w', swText.genVsAlone >= ref.genVsAlone, `${fmt(100 * swText.genVsAlone)}% vs ${fmt(100 * ref.genVsAlone)}% of alone`)
}
const swTable = medians['sockwatch-table']
if (swTable) {
  // issue 18: the table never slows the sender more than text does (CPU includes script(1), the terminal's side)
  target('capture, table on a pty: 100% captured, a row each', swTable.capturedPct === 100 && swTable.toolCaptured === swTable.captured, `${swTable.capturedPct}% captured, ${swTable.toolCaptured} in the closing line, ${swTable.dropped} drops reported`)
  if (swText) target('capture, table on a pty: generator >= under capture > file (text)', swTable.genVsAlone >= swText.genVsAlone, `${fmt(100 * swTable.genVsAlone)}% vs ${fmt(100 * swText.genVsAlone)}% of alone; CPU ${fmt(swTable.cpu, 2)} s vs ${fmt(swText.cpu, 2)} s`)
}
if (cli) {
  const readyAll = median(runs.filter((r) => r.tool === 'sockwatch-json').map((r) => r.readyMs))
  target('CLI start to ready (reported, no target)', true, `median ${fmt(readyAll, 0)} ms (node, the CLI, then the sidecar)`)
}
if (cli && side && cli.idleCpu !== undefined) {
  // Not measured directly (the flood is slower than the CLI): the CLI's own CPU a
  // record, what is left after the sidecar's work and the CLI's fixed start-up.
  const own = (cli.cpu - side.cpu - cli.idleCpu) / (cli.captured / 1e6)
  medians['sockwatch-json'].ownCpuPerM = round(own, 3)
  // at or below zero: less than the run's noise (the sidecar writes stdout; no record crosses into the CLI)
  target('CLI --json pass-through: its own CPU a record (estimate, target >= 1M records/s)', own <= 1,
    own > 0.005
      ? `${fmt(own, 2)} s/M beyond the sidecar and start-up, so about ${fmt(1 / own, 1)}M records/s on one core`
      : `${fmt(own, 2)} s/M beyond the sidecar and start-up: within the run's noise`)
}

if (extra.startup) {
  const {cli: c, sidecar: sc, node, version, help} = extra.startup
  target('CLI start to ready (capture --json, "capturing on") <= 150 ms', c.min <= 150, `min ${fmt(c.min)} ms, median ${fmt(c.median)} ms`)
  target('CLI start to ready <= 6x the sidecar\'s own', c.min <= 6 * sc.min, `min ${fmt(c.min)} ms vs sidecar ${fmt(sc.min)} ms: ${fmt(c.min / sc.min, 1)}x`)
  target('sockwatch --version <= 1.5x node -e 0', version.min <= 1.5 * node.min, `min ${fmt(version.min)} ms vs ${fmt(node.min)} ms: ${fmt(version.min / node.min, 2)}x`)
  target('sockwatch --help <= 1.5x node -e 0', help.min <= 1.5 * node.min, `min ${fmt(help.min)} ms vs ${fmt(node.min)} ms: ${fmt(help.min / node.min, 2)}x`)
}
if (extra.idle) {
  target(`capture --json idle ${extra.idle.seconds} s <= 0.05 s CPU beyond start-up`, extra.idle.cpu <= 0.05, `${fmt(extra.idle.cpu, 2)} s, ${extra.idle.wakeups} wake-ups (CLI + sidecar)`)
}
if (extra.read) {
  for (const [name, r] of Object.entries(extra.read)) {
    target(`${name} >= 1M records/s (one core, ${fmt(READ_N / 1e6, 1)}M records)`, r.perSecond >= 1e6, `${fmt(r.perSecond / 1e6, 2)}M/s (${r.wall} s wall, ${r.cpu} s CPU, ${r.rssMiB} MiB max RSS)`)
  }
}

const busiest = Math.max(...runs.map((r) => r.background ?? 0))
const mostOther = Math.max(...runs.map((r) => r.otherCpu ?? 0))
if (busiest > 0.1 || mostOther > 0.5) {
  console.log(`\nbench: warning: other work ran beside the bench (up to ${fmt(100 * busiest)}% of the CPUs busy just before a run, up to ${fmt(mostOther, 1)} CPU s of it during one; runs[].background and runs[].otherCpu in the JSON): these figures are skewed; run it again on a quiet machine`)
}
console.log('')
console.log(`medians of ${REPEATS} repeat(s), N=${N}, ${SIZE}-byte payloads:`)
for (const line of table) console.log(line)
console.log('')
for (const t of targets) console.log(`${t.ok ? 'met   ' : 'MISSED'} ${t.name}: ${t.detail}`)

const stamp = started.toISOString().replace(/[:]/g, '').replace(/\..*/, '')
fs.mkdirSync(args.out, {recursive: true})
const file = path.join(args.out, `bench-${stamp}.json`)
const command = `make bench${process.argv.length > 2 ? ` ARGS='${process.argv.slice(2).join(' ')}'` : ''}`
fs.writeFileSync(file, JSON.stringify({date: started.toISOString(), command, source, machine,
  params: {n: N, size: SIZE, repeats: REPEATS, batch: BATCH, ipv6: Boolean(args.ipv6), ringSize: args['ring-size'] ?? null, cooldownMs: COOLDOWN_MS, quietWait: Number(args['quiet-wait']), warmup: Boolean(args.warmup), tools},
  medians, extra, targets, table, runs}, null, 2) + '\n')
console.log('')
console.log(`results: ${path.relative(process.cwd(), file)}`)
if (keep) console.log(`outputs kept in: ${keptDirs.join(' ')}`)
