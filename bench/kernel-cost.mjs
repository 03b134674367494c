// make bench's kernel row for issue 16: what attribution costs each packet inside the
// kernel, per program, from the kernel's own accounting (kernel.bpf_stats_enabled, on only
// for these runs: it adds two clock reads to every run of every program). The sidecar runs
// with and without attribution in a namespace of its own while the generator floods its
// loopback; its programs are the ones its descriptors hold (/proc/PID/fdinfo: prog_id), so
// another sidecar running meanwhile is not counted.
import {spawn, spawnSync} from 'node:child_process'
import {closeSync, openSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {once} from 'node:events'

const READY_MS = 20_000
const EXIT_MS = 10_000
const STATS = '/proc/sys/kernel/bpf_stats_enabled'

function progs() {
  const r = spawnSync('bpftool', ['prog', 'show', '-j'], {encoding: 'utf8', maxBuffer: 64 << 20})
  if (r.status !== 0) throw new Error(`bpftool prog show: ${r.stderr.trim() || `exit ${r.status}`}`)
  return JSON.parse(r.stdout)
}

/** The ids of the BPF programs a process holds descriptors of. */
function heldProgs(pid) {
  const ids = new Set()
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const m = /^prog_id:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))
      if (m) ids.add(Number(m[1]))
    } catch {
      // closed meanwhile
    }
  }
  return ids
}

/** One sidecar run: ns a run of each of its programs that ran. */
async function measure({sidecar, gen, netns, n, args}) {
  // packets to /dev/null, as fast as a file takes them (a pipe read slower than the flood
  // fills the ring, and the program's forced wake-ups would be what it measures); the
  // ready record on descriptor 3
  const devnull = openSync('/dev/null', 'w')
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, sidecar, '-i', 'lo', '--stats-interval', '0', '--control', '3', ...args], {stdio: ['ignore', devnull, 'pipe', 'pipe']})
  closeSync(devnull)
  const closed = once(child, 'close')
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sidecar ${args.join(' ')}: not ready within ${READY_MS} ms`)), READY_MS)
      let seen = ''
      child.stdio[3].on('data', (d) => {
        if (seen === null) return
        seen += d
        if (seen.includes('"type":"ready"')) {
          seen = null
          clearTimeout(timer)
          resolve()
        }
      })
      closed.then(() => reject(new Error(`sidecar ${args.join(' ')} exited before ready`)))
    })
    const g = spawnSync('nsenter', [`--net=/run/netns/${netns}`, gen, '-n', String(n), '-s', '64', '-t', '60'], {encoding: 'utf8'})
    if (g.status !== 0) throw new Error(`sockwatch-gen: ${g.stderr.trim() || `exit ${g.status}`}`)
    const out = {}
    const mine = heldProgs(child.pid) // nsenter execs the sidecar: the same pid
    for (const p of progs().filter((p) => mine.has(p.id) && p.run_cnt)) {
      out[p.name] = {runs: p.run_cnt, ns: Math.round(p.run_time_ns / p.run_cnt)}
    }
    return out
  } finally {
    child.kill('SIGINT')
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_MS)
    await closed
    clearTimeout(timer)
  }
}

/** ns a run of the sidecar's programs, with attribution and without (--no-process), best of `repeats` each. */
export async function kernelCostRows({sidecar, gen, netns, n, repeats = 3}) {
  const old = readFileSync(STATS, 'utf8').trim()
  writeFileSync(STATS, '1')
  try {
    const rows = {attribution: {}, 'no-process': {}}
    for (let r = 0; r < repeats; r++) {
      for (const [name, args] of [['attribution', []], ['no-process', ['--no-process']]]) {
        for (const [prog, v] of Object.entries(await measure({sidecar, gen, netns, n, args}))) {
          const best = rows[name][prog]
          if (!best || v.ns < best.ns) rows[name][prog] = v
        }
      }
    }
    return rows
  } finally {
    writeFileSync(STATS, old)
  }
}
