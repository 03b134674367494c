// make bench's rows for issue 18 beside the flood: start-up (CLI vs sidecar, --version
// and --help vs a bare node), a long idle capture's CPU, and -r's records a second.
// Each capture runs in a network namespace of its own, so no one else's loopback
// traffic wakes it or delays its start. Every wait is bounded.
import {spawn, spawnSync} from 'node:child_process'
import {createWriteStream, readFileSync} from 'node:fs'
import {once} from 'node:events'
import {performance} from 'node:perf_hooks'
import {setTimeout as wait} from 'node:timers/promises'

const READY_MS = 20_000 // a tool must say it is ready within this
const EXIT_MS = 10_000 // after SIGINT, SIGKILL after this

/** A namespace with lo up, for the captures here; its removal. */
export function makeNetns(name) {
  run('ip', ['netns', 'add', name])
  run('ip', ['-n', name, 'link', 'set', 'lo', 'up'])
  return () => run('ip', ['netns', 'del', name])
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.status}`}`)
  return r.stdout
}

/** Starts argv in the namespace; resolves with the ms from spawn until `ready` matches its stdout or stderr, and the child. */
async function startUntil(netns, argv, ready) {
  const t0 = performance.now()
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, ...argv], {stdio: ['ignore', 'pipe', 'pipe']})
  const closed = once(child, 'close')
  let seen = ''
  const ms = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')}: not ready within ${READY_MS} ms: ${seen.slice(-300)}`)), READY_MS)
    const look = (d) => {
      if (seen === null) return
      seen += d
      if (ready.test(seen)) {
        seen = null
        clearTimeout(timer)
        resolve(performance.now() - t0)
      }
    }
    child.stdout.on('data', look)
    child.stderr.on('data', look)
    child.once('close', (code) => reject(new Error(`${argv.join(' ')}: exited (${code}) before it was ready: ${String(seen).slice(-300)}`)))
  })
  return {ms, child, closed}
}

async function stop({child, closed}) {
  child.kill('SIGINT')
  const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_MS)
  await closed
  clearTimeout(timer)
}

const timed = (argv) => {
  const t0 = performance.now()
  const r = spawnSync(argv[0], argv.slice(1), {stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`)
  return performance.now() - t0
}

const stats = (xs) => {
  const v = [...xs].sort((a, b) => a - b)
  return {min: round(v[0], 1), median: round(v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2, 1), n: v.length}
}
const round = (x, d) => Math.round(x * 10 ** d) / 10 ** d

/** Start to ready of the sidecar and of `capture --json`, and the wall time of node -e 0, --version and --help; interleaved, `repeats` each. */
export async function startupRows({cli, sidecar, netns, repeats}) {
  const runs = {sidecar: [], cli: [], node: [], version: [], help: []}
  for (let i = 0; i < repeats; i++) {
    const s = await startUntil(netns, [sidecar, '-i', 'lo'], /"type":"ready"/)
    await stop(s)
    runs.sidecar.push(s.ms)
    const c = await startUntil(netns, [cli, 'capture', '-i', 'lo', '--json'], /capturing on/)
    await stop(c)
    runs.cli.push(c.ms)
    runs.node.push(timed([process.execPath, '-e', '0']))
    runs.version.push(timed([cli, '--version']))
    runs.help.push(timed([cli, '--help']))
  }
  return Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, {...stats(v), runs: v.map((x) => round(x, 1))}]))
}

const ticks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return Number(f[11]) + Number(f[12]) // utime + stime, fields 14 and 15
}
const wakeups = (pid) => {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(s)[1])
}

/** CPU (s) and voluntary wake-ups of `capture --json` and its sidecar over `seconds` of no traffic, after start-up. */
export async function idleRow({cli, netns, seconds, clkTck}) {
  const c = await startUntil(netns, [cli, 'capture', '-i', 'lo', '--json'], /capturing on/)
  try {
    // the CLI is nsenter's child (nsenter execs, so it is nsenter's pid); the sidecar the CLI's child
    const side = Number(run('pgrep', ['-P', String(c.child.pid)]).trim().split('\n')[0])
    const pids = [c.child.pid, side]
    const t0 = pids.reduce((s, p) => s + ticks(p), 0)
    const w0 = pids.reduce((s, p) => s + wakeups(p), 0)
    await wait(seconds * 1000)
    const t1 = pids.reduce((s, p) => s + ticks(p), 0)
    const w1 = pids.reduce((s, p) => s + wakeups(p), 0)
    return {seconds, cpu: round((t1 - t0) / clkTck, 2), wakeups: w1 - w0}
  } finally {
    await stop(c)
  }
}

/** A saved capture of n packet records in the sidecar's shape (v4 UDP, v6 TCP, ICMP; owners), then its final stats. */
export async function writeSavedCapture(file, n) {
  const out = createWriteStream(file)
  let buf = ''
  let ts = 1_700_000_000
  for (let i = 0; i < n; i++) {
    ts += 0.000013
    const t = ts.toFixed(6)
    const k = i % 10
    if (k < 6) buf += `{"v":1,"type":"packet","ts":${t},"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.${1 + (i % 7)}","dst":"127.0.0.1","sport":${30000 + (i % 500)},"dport":9,"len":92,"paylen":64,"pid":${1000 + (i % 13)},"comm":"sockwatch-gen","uid":0,"cgroup":"/user.slice","container":null,"peer_pid":2329,"peer_comm":"bash"}\n`
    else if (k < 9) buf += `{"v":1,"type":"packet","ts":${t},"ifindex":2,"ifname":"eth0","dir":"out","family":6,"proto":"tcp","src":"fe80::1","dst":"2001:db8::${(i % 50).toString(16)}","sport":443,"dport":${40000 + (i % 300)},"len":1514,"paylen":1440,"flags":"PA","pid":null,"comm":null,"uid":null,"cgroup":null,"container":null}\n`
    else buf += `{"v":1,"type":"packet","ts":${t},"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"icmp","src":"127.0.0.1","dst":"127.0.0.1","len":98,"paylen":64,"icmp_type":8,"icmp_code":0,"pid":null,"comm":null,"uid":null,"cgroup":null,"container":null}\n`
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain')
      buf = ''
    }
  }
  buf += `{"v":1,"type":"stats","ts":${(ts + 1).toFixed(6)},"seen":${n},"matched":${n},"emitted":${n},"dropped":0,"written":${n},"final":true}\n`
  out.end(buf)
  await once(out, 'finish')
}

/** `summary -r` and `capture -r --json > /dev/null` of the file: wall and CPU (GNU time), records a second, max RSS; the best of `repeats`. */
export function readRows({cli, file, n, repeats}) {
  const rows = {}
  for (const [name, args] of [['summary -r', ['summary', '-r', file]], ['capture -r --json', ['capture', '-r', file, '--json']]]) {
    const runs = []
    for (let i = 0; i < repeats; i++) {
      const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cli, ...args], {stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'})
      if (r.status !== 0) throw new Error(`${name}: exit ${r.status}: ${r.stderr.trim().slice(-300)}`)
      const [wall, user, sys, rssKiB] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number)
      if (!r.stderr.includes(`${n} packets`)) throw new Error(`${name}: did not read ${n} packets: ${r.stderr.trim().slice(-300)}`)
      runs.push({wall, cpu: round(user + sys, 2), rssMiB: round(rssKiB / 1024, 1), perSecond: Math.round(n / wall)})
    }
    rows[name] = {...runs.reduce((a, b) => (b.wall < a.wall ? b : a)), runs}
  }
  return rows
}
