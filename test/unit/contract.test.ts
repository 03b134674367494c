// The one contract (src/contract/contract.ts) against its other sides: the C header it
// generates, the sidecar's C sources and docs/events.md (scripts/gen-contract.mjs check).
// Each drift case changes one side only, in a copy of the tree, and sees the check fail.
// (The schema's side is test/unit/records-schema.test.ts; the TypeScript record interfaces
// fail to compile when they name other fields than the contract.)
import {spawnSync} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import * as contract from '../../src/contract/contract.js'
import {EXIT} from '../../src/sidecar/errors.js'
import {ROOT} from '../helpers/unit-fixtures.js'

const GEN = join(ROOT, 'scripts/gen-contract.mjs')
const tmp = mkdtempSync(join(tmpdir(), 'sockwatch-contract-test-'))

/** Runs the generator (through tsx, as make does) with `args`. */
function gen(args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', GEN, ...args], {cwd: ROOT, encoding: 'utf8'})
  if (run.error) throw run.error
  return {status: run.status, stdout: run.stdout, stderr: run.stderr}
}

let copies = 0
/** A copy of what the check reads (sidecar/, bpf/, docs/events.md, the contract), with one file changed. */
function treeWith(path: string, change: (text: string) => string): string {
  const root = join(tmp, `tree-${++copies}`)
  for (const dir of ['sidecar', 'bpf', 'src/contract']) cpSync(join(ROOT, dir), join(root, dir), {recursive: true})
  mkdirSync(join(root, 'docs'))
  cpSync(join(ROOT, 'docs/events.md'), join(root, 'docs/events.md'))
  const before = readFileSync(join(root, path), 'utf8')
  const after = change(before)
  if (after === before) throw new Error(`the change to ${path} changed nothing: the test is stale`)
  writeFileSync(join(root, path), after)
  return root
}

const check = suite('contract')
check.after(() => rmSync(tmp, {recursive: true, force: true}))

check('contract :: the C sources and docs/events.md agree with the contract (gen-contract check)', () => {
  const r = gen(['check'])
  assert.is(r.stderr, '')
  assert.is(r.status, 0)
})

check('contract :: the CLI exits with the contract\'s codes', () => {
  assert.equal(EXIT, Object.fromEntries(contract.EXIT_CODES.map((e) => [e.name, e.code])))
})

const header = join(tmp, 'sw_contract.h')

check('contract :: the generated header compiles beside bpf/sockwatch.h, and its assertions hold', () => {
  assert.is(gen(['header', header]).status, 0)
  const text = readFileSync(header, 'utf8')
  assert.match(text, `#define SW_SCHEMA_VERSION ${contract.SCHEMA_VERSION}\n`)
  for (const e of contract.EXIT_CODES) assert.match(text, `\t${e.c} = ${e.code},`)
  const cc = spawnSync('cc', ['-fsyntax-only', '-Wall', '-Werror', '-x', 'c', '-I', join(ROOT, 'bpf'), '-include', header, '/dev/null'], {encoding: 'utf8'})
  assert.is(cc.status, 0, cc.stderr)
})

// One side changed, the others not: [what, file, change, what the check must say].
const drift: [string, string, (text: string) => string, RegExp][] = [
  // the contract
  ['the contract ends kernel refusals with exit 6', 'src/contract/contract.ts', (t) => t.replace("name: 'kernel', code: 5", "name: 'kernel', code: 6"), /docs\/events\.md: the section "exit-codes" is not what the contract says/],
  ['the contract renames the ready record\'s ring_size', 'src/contract/contract.ts', (t) => t.replace('ring_size: \'integer\'', 'ring_bytes: \'integer\''), /nd_ready\(\) writes "ring_size", which the ready record does not have/],
  ['the contract gains an error code', 'src/contract/contract.ts', (t) => t.replace("{code: 'runtime', exit: 'runtime'},", "{code: 'runtime', exit: 'runtime'},\n  {code: 'no_btf', exit: 'kernel'},"), /the section "error-codes" is not what the contract says/],
  ['the contract gains a protocol name', 'src/contract/contract.ts', (t) => t.replace("{name: 'pim', number: 103},", "{name: 'pim', number: 103},\n  {name: 'l2tp', number: 115},"), /the section "protocols" is not what the contract says/],
  // docs/events.md
  ['docs/events.md says exit 5 is exit 6', 'docs/events.md', (t) => t.replace('| 5 | the kernel refused', '| 6 | the kernel refused'), /the section "exit-codes" is not what the contract says/],
  ['docs/events.md drops the stats table\'s "written" row', 'docs/events.md', (t) => t.replace(/^\| `written` \|.*\n/m, ''), /the stats table does not list the field "written"/],
  ['docs/events.md renames the link table\'s "state"', 'docs/events.md', (t) => t.replace('| `state` |', '| `status` |'), /the link table lists "status", which a link record does not have/],
  ['docs/events.md loses its protocol table', 'docs/events.md', (t) => t.replace(/<!-- contract:protocols -->[\s\S]*<!-- \/contract:protocols -->\n/, ''), /no generated section <!-- contract:protocols -->/],
  // the C sources
  ['sidecar/ndjson.c writes "ifname" as "iface" in link records', 'sidecar/ndjson.c', (t) => t.replace(/(void nd_link[\s\S]*?)\\"ifname\\":/, '$1\\"iface\\":'), /nd_link\(\) writes "iface", which the link record does not have/],
  ['sidecar/ndjson.c stops writing stats "written"', 'sidecar/ndjson.c', (t) => t.replace(/^.*\\"written\\":.*\n/m, ''), /nd_stats\(\) never writes "written"/],
  ['sidecar/ndjson.c writes "v":1 by hand', 'sidecar/ndjson.c', (t) => t.replace('out_str(o, SW_REC_HEAD_FLOW);', 'out_str(o, "{\\"v\\":1,\\"type\\":\\"flow\\"");'), /writes the schema version as a literal/],
  ['the sidecar defines its own exit code', 'sidecar/engine.h', (t) => t.replace('#define OUT_BUFFER', 'enum { EXIT_KERNEL = 6 };\n#define OUT_BUFFER'), /engine\.h: defines EXIT_KERNEL/],
  ['the sidecar ends load_failed with EXIT_RUNTIME', 'sidecar/load.c', (t) => t.replace('engine_fail(e, EXIT_KERNEL, "load_failed"', 'engine_fail(e, EXIT_RUNTIME, "load_failed"'), /fail\(EXIT_RUNTIME, "load_failed"\): the contract ends "load_failed" with EXIT_KERNEL/],
  ['the sidecar sends an error code the contract lacks', 'sidecar/load.c', (t) => t.replace('engine_fail(e, EXIT_RUNTIME, "ring_size"', 'engine_fail(e, EXIT_RUNTIME, "ring_too_big"'), /error code "ring_too_big" is not one of the contract's/],
  ['sidecar/text.c spells an ICMPv6 type itself', 'sidecar/text.c', (t) => t.replace('name = sw_text_icmp6_type(e->icmp_type);', 'name = e->icmp_type == 135 ? "neighbor solicitation" : sw_text_icmp6_type(e->icmp_type);'), /text\.c: writes "neighbor solicitation" itself, which build\/sw_contract\.h has from the contract's TEXT_WORDS/],
  ['sidecar/text.c keeps its own TCP flag letters', 'sidecar/text.c', (t) => t.replace('SW_TEXT_TCP_FLAGS[i]', '"FSRP.UEW"[i]'), /text\.c: writes "FSRP\.UEW" itself/],
  ['sidecar/linktypes.c keeps its own device limit', 'sidecar/linktypes.c', (t) => t.replace('#include "linktypes.h"\n', '#include "linktypes.h"\n#define SW_MAX_LINKTYPES 9\n'), /linktypes\.c: defines SW_MAX_LINKTYPES, which bpf\/sockwatch\.h defines/],
]
for (const [what, path, change, says] of drift) {
  check(`contract :: drift: ${what}, and the check fails`, () => {
    const root = treeWith(path, change)
    const r = gen(['check', '--root', root])
    assert.is(r.status, 1, r.stdout)
    assert.match(r.stderr, says)
  })
}

// The kernel program's header keeps its own SW_MAX_*; the generated header pins them.
const kernelDrift: [string, (text: string) => string, RegExp][] = [
  ['bpf/sockwatch.h tells 9 devices apart', (t) => t.replace(/#define SW_MAX_LINKTYPES +\d+/, '#define SW_MAX_LINKTYPES 9'), /SW_MAX_LINKTYPES is not the contract's maxLinktypeDevices/],
]
for (const [what, change, says] of kernelDrift) {
  check(`contract :: drift: ${what}, and the sidecar does not compile`, () => {
    const root = treeWith('bpf/sockwatch.h', change)
    const cc = spawnSync('cc', ['-fsyntax-only', '-x', 'c', '-I', join(root, 'bpf'), '-include', header, '/dev/null'], {encoding: 'utf8'})
    assert.is(cc.status, 1)
    assert.match(cc.stderr, says)
  })
}

check('contract :: docs rewrites the generated parts of docs/events.md from the contract', () => {
  const root = treeWith('docs/events.md', (t) => t.replace('| 5 | the kernel refused', '| 6 | the kernel refused'))
  assert.is(gen(['docs', '--root', root]).status, 0)
  assert.is(readFileSync(join(root, 'docs/events.md'), 'utf8'), readFileSync(join(ROOT, 'docs/events.md'), 'utf8'))
})

check.run()
