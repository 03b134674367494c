// The live table's fast path (PacketScanner decoding only TABLE_READS, rows made without a
// cells object, the rest of a row kept while only the time changes, the clock's second
// kept) against the plain one it replaced (parseRecord on each line, each cell laid out by
// layoutLine): on a varied corpus, live (capture with a sidecar that writes the corpus) and
// read back (capture -r), at several widths, with and without a PROCESS column, the same
// bytes, from records PacketScanner made.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {replay} from '../../src/capture/replay.js'
import {capture} from '../../src/capture/session.js'
import {clockTime, endpoint, packetInfo, processText} from '../../src/output/format.js'
import {layoutLine} from '../../src/output/layout.js'
import {packetSink} from '../../src/output/sink.js'
import {sameBesidesTime, TABLE_READS, tableHeader, tableLayout, type TableLayout} from '../../src/output/table.js'
import {parseRecord, RecordError, type PacketRecord} from '../../src/sidecar/records.js'
import {chunksOf, recordCorpus} from '../helpers/record-corpus.js'

const table = suite('table-fast-path')

/** The row as the table made it before the fast path: every cell by name, through layoutLine. */
function plainRow(layout: TableLayout, p: PacketRecord): string {
  const process = layout.columns.some((c) => c.id === 'process')
  return layoutLine(layout, {
    time: clockTime(p.ts, 3),
    iface: p.ifname,
    dir: p.dir,
    proto: String(p.proto),
    src: endpoint(p.src, p.sport),
    dst: endpoint(p.dst, p.dport),
    process: process ? processText(p) ?? '-' : '',
    len: String(p.len),
    info: packetInfo(p, !process),
  })
}

const base = '"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"tcp","src":"127.0.0.1","dst":"127.0.0.1","sport":40000,"dport":443,"len":92,"flags":"S","pid":5,"comm":"curl","uid":0,"cgroup":"/","container":null'
const at = (ts: string, rest = base) => `{"v":1,"type":"packet","ts":${ts},${rest}}`
/** Runs that differ in one field a row shows, or only in time (across seconds, and a stamp that rounds up to the next second). */
const RUNS = [
  at('1700000000.999999'), at('1700000000.9999996'), at('1700000001.000000'), at('1700000001.0004994'), at('1700000059.999500'), at('1700003600.000001'),
  at('1700003600.000002', base.replace('"flags":"S"', '"flags":"SA"')), at('1700003600.000003', base.replace('"flags":"S"', '"flags":"SA"')),
  at('1700003600.000004', base.replace('"comm":"curl"', '"comm":"wget"')), at('1700003600.000005', base.replace('"pid":5', '"pid":6')),
  at('1700003600.000006', base.replace('"sport":40000', '"sport":40001')), at('1700003600.000007', base.replace('"len":92', '"len":93')),
  at('1700003600.000008', base + ',"peer_pid":9,"peer_comm":"nginx"'), at('1700003600.000009', base + ',"peer_pid":9,"peer_comm":"nginx2"'),
  at('1700003600.000010', base.replace('"dir":"in"', '"dir":"out"')), at('1700003600.000011', base.replace('"ifname":"lo"', '"ifname":"eth0"')),
  at('1700003600.000012', base + ',"vlan":7'), at('1700003600.000013', base + ',"vlan":8'), at('1700003600.000014', base + ',"truncated":true'),
  at('1700003600.000015', base + ',"frag":"first"'), at('1700003600.000016', base + ',"frag":"more"'),
  at('1700003600.000017', base.replace('"pid":5,"comm":"curl"', '"pid":null,"comm":null')),
  at('1700003600.000018', base.replace('"proto":"tcp"', '"proto":"icmp"').replace('"flags":"S"', '"icmp_type":8,"icmp_code":0')),
  at('1700003600.000019', base.replace('"proto":"tcp"', '"proto":"icmp"').replace('"flags":"S"', '"icmp_type":8,"icmp_code":1')),
  at('1700003600.000020', base.replace('"proto":"tcp"', '"proto":"icmp"').replace('"flags":"S"', '"icmp_type":0,"icmp_code":1')),
  at('1700003600.000021', base.replace('"family":4,"proto":"tcp","src":"127.0.0.1","dst":"127.0.0.1"', '"family":6,"proto":"icmp6","src":"::1","dst":"::1"').replace('"flags":"S"', '"icmp_type":128,"icmp_code":0')),
  at('1700003600.000022', base.replace('"family":4,"proto":"tcp","src":"127.0.0.1","dst":"127.0.0.1"', '"family":4,"proto":"icmp","src":"127.0.0.1","dst":"127.0.0.1"').replace('"flags":"S"', '"icmp_type":128,"icmp_code":0')),
  at('1700003600.000023', base.replace('"dst":"127.0.0.1"', '"dst":"127.0.0.2"')), at('1700003600.000024', base.replace('"dport":443', '"dport":444')),
  at('1700003600.000025', base.replace('"src":"127.0.0.1"', '"src":"127.0.0.3"')),
  at('1700003600.000026', base.replace('"proto":"tcp"', '"proto":"udp"').replace(',"flags":"S"', '')),
  at('1700003600.000027', base.replace('"pid":5,"comm":"curl","uid":0,"cgroup":"/","container":null', '"pid":5,"comm":"curl","uid":0,"cgroup":"/","container":null,"peer_pid":9,"peer_comm":null')),
]
const LINES = [...recordCorpus(1818, 3000), ...RUNS, ...RUNS]

/** The corpus's packets, through parseRecord; the lines it accepts (the live sidecar writes no others). */
function plain(): {packets: PacketRecord[]; good: string[]} {
  const packets: PacketRecord[] = []
  const good: string[] = []
  for (const [i, text] of LINES.entries()) {
    try {
      const r = parseRecord(text, i + 1)
      good.push(text)
      if (r.type === 'packet') packets.push(r)
    } catch (error) {
      if (!(error instanceof RecordError)) throw error
    }
  }
  return {packets, good}
}
const PLAIN = plain()

table('table-fast-path :: the corpus has the rows that matter', () => {
  assert.ok(PLAIN.packets.length > 2000, `${PLAIN.packets.length} packets`)
  // runs of rows alike but for the time, and rows that differ from the one before in a single field
  let alike = 0
  for (let i = 1; i < PLAIN.packets.length; i++) if (sameBesidesTime(PLAIN.packets[i], PLAIN.packets[i - 1])) alike++
  assert.ok(alike > 40, `${alike} rows like the one before`)
  for (const f of TABLE_READS) assert.ok(PLAIN.packets.some((p) => p[f] !== undefined), `no packet has ${f}`)
})

table('table-fast-path :: sameBesidesTime compares every field a row reads but ts', () => {
  const p = parseRecord(at('1700000000.5', base + ',"peer_pid":9,"peer_comm":"nginx","vlan":7,"frag":"first","truncated":true,"icmp_type":3,"icmp_code":1'), 1) as PacketRecord
  assert.ok(sameBesidesTime(p, {...p, ts: p.ts + 1}))
  for (const f of TABLE_READS.filter((f) => f !== 'ts')) {
    const other = {...p, [f]: typeof p[f] === 'number' ? (p[f] as number) + 1 : typeof p[f] === 'string' ? `${p[f]}x` : !p[f]}
    assert.not.ok(sameBesidesTime(p, other), f)
  }
})

const WIDTHS = [60, 80, 100, 120, 200]

for (const process of [false, true]) {
  {
    table(`table-fast-path :: live, ${process ? 'attribution on (a PROCESS column from 100 columns up)' : 'attribution off'}: the rows the plain path makes`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sw-table-'))
      const saved = {SOCKWATCH_SIDECAR: globalThis.process.env.SOCKWATCH_SIDECAR, FAKE_RECORDS: globalThis.process.env.FAKE_RECORDS}
      try {
        const records = join(dir, 'records.ndjson')
        const ready = `{"v":1,"type":"ready","ts":1700000000.000000,"interfaces":[{"ifindex":1,"name":"lo"},{"ifindex":2,"name":"eth0"}],"ring_size":8388608,"process":${process}}`
        const final = '{"v":1,"type":"stats","ts":1700009999.000000,"seen":1,"matched":1,"emitted":1,"dropped":0,"written":1,"final":true}'
        // the live stream as the sidecar writes it: no bad lines, the final stats last
        writeFileSync(records, [ready, ...PLAIN.good.filter((l) => !l.includes('"final":true')), final].join('\n') + '\n')
        globalThis.process.env.SOCKWATCH_SIDECAR = join(globalThis.process.cwd(), 'test/fixtures/fake-sidecar.sh')
        globalThis.process.env.FAKE_RECORDS = records
        for (const width of WIDTHS) {
          const layout = tableLayout(width, ['lo', 'eth0'], process)
          const want = [tableHeader(layout), ...PLAIN.packets.map((p) => plainRow(layout, p))].join('\n') + '\n'
          let got = ''
          const sink = packetSink('table', (text) => (got += text), width)
          assert.equal(sink.fields, TABLE_READS)
          const scanned = countScanned(sink)
          // the stream as a pipe cuts it; lines cut anywhere are capture -r's test below
          const result = await capture({}, sink)
          assert.is(result.captured, PLAIN.packets.length)
          assert.ok(scanned.count > 0.9 * PLAIN.packets.length, `${scanned.count} of ${PLAIN.packets.length} read by PacketScanner`)
          assert.ok(got === want, `${width} columns: ${firstDifference(got, want)}`)
        }
      } finally {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete globalThis.process.env[k]
          else globalThis.process.env[k] = v
        }
        rmSync(dir, {recursive: true, force: true})
      }
    })
  }
}

for (const [most, how] of [[0, 'one chunk'], [65536, 'chunks of up to 64 KiB'], [97, 'chunks of 1 to 97 bytes'], [7, 'chunks of 1 to 7 bytes']] as const) {
  table(`table-fast-path :: capture -r, ${how}: the rows the plain path makes, and the same bad lines`, async () => {
    const bad: string[] = []
    for (const [i, text] of LINES.entries()) {
      try {
        parseRecord(text, i + 1)
      } catch (error) {
        bad.push((error as Error).message)
      }
    }
    for (const width of WIDTHS) {
      // -r has no ready record: no PROCESS column, owners lead INFO
      const layout = tableLayout(width)
      const want = PLAIN.packets.map((p) => plainRow(layout, p) + '\n').join('')
      let got = ''
      const seen: string[] = []
      const sink = packetSink('table', (text) => (got += text), width)
      const scanned = countScanned(sink)
      const result = await replay(Readable.from(chunksOf(LINES.join('\n') + '\n', most)), sink, {onBadLine: (e) => seen.push(e.message)})
      assert.is(result.read, PLAIN.packets.length)
      assert.ok(scanned.count > 0.9 * PLAIN.packets.length, `${scanned.count} of ${PLAIN.packets.length} read by PacketScanner`)
      assert.equal(seen, bad)
      assert.ok(got === want, `${width} columns: ${firstDifference(got, want)}`)
    }
  })
}

/** Counts the packets that reach the sink as PacketScanner makes them: the fields asked for
 * and no others (parseRecord's records hold every field on the line: lines handed back). */
function countScanned(sink: ReturnType<typeof packetSink>): {count: number} {
  const scanned = {count: 0}
  const packets = sink.packets!
  sink.packets = (batch) => {
    for (const p of batch) if (Object.keys(p).every((k) => k === 'v' || k === 'type' || (TABLE_READS as readonly string[]).includes(k))) scanned.count++
    packets(batch)
  }
  return scanned
}

/** Where two outputs part, for a failure a person can read. */
function firstDifference(got: string, want: string): string {
  const a = got.split('\n')
  const b = want.split('\n')
  const i = a.findIndex((line, n) => line !== b[n])
  return i === -1 ? `${a.length} lines vs ${b.length}` : `line ${i + 1}:\n  got  ${JSON.stringify(a[i])}\n  want ${JSON.stringify(b[i])}`
}

table.run()
