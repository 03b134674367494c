// `sockwatch completion bash` in a real bash: the script the CLI prints is
// sourced and asked what follows a partial command line.
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {runCli} from '../helpers/unit-cli.js'
import {ROOT} from '../helpers/unit-fixtures.js'

const completion = suite('completion')
let script = ''

completion.before(() => {
  const r = runCli(['completion', 'bash'], {SOCKWATCH_SIDECAR: '/nonexistent/sidecar'})
  assert.is(r.status, 0, r.stderr)
  script = r.stdout
})

/** What bash completes for the words typed so far (the last one is being typed). */
function complete(words: string[]): string[] {
  const line = words.map((w) => `'${w}'`).join(' ')
  const program = `${script}\nCOMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _sockwatch_complete; printf '%s\\n' "\${COMPREPLY[@]}"`
  const r = spawnSync('bash', ['-c', program], {cwd: ROOT, encoding: 'utf8'})
  assert.is(r.status, 0, r.stderr)
  return r.stdout.split('\n').filter(Boolean).sort()
}

const cases: [string[], string[]][] = [
  [['sockwatch', 'ca'], ['capture']],
  [['sockwatch', 's'], ['summary']],
  [['sockwatch', 'summary', '--by', ''], ['cgroup', 'comm', 'container', 'dport', 'dst', 'flow', 'iface', 'pair', 'process', 'proto', 'sport', 'src', 'user']],
  [['sockwatch', 'summary', '--by', 'p'], ['pair', 'process', 'proto']],
  [['sockwatch', 'summary', '--sort', ''], ['bytes', 'packets']],
  [['sockwatch', 'capture', '--format', 't'], ['table', 'text']],
  [['sockwatch', 'capture', '--no-'], ['--no-color', '--no-process']],
  [['sockwatch', 'capture', '--co'], ['--color', '--comm', '--container', '--count']],
  [['sockwatch', 'summary', '--no-c'], ['--no-color']],
  [['sockwatch', 'capture', '--fa'], ['--fail-on-drop']],
  [['sockwatch', 'capture', '-c', ''], []],
  [['sockwatch', 'capture', 'tcp', ''], []],
]
for (const [words, expected] of cases) {
  completion(`completion :: '${words.join(' ')}' completes ${expected.join(' ') || 'nothing'}`, () => {
    assert.equal(complete(words), expected)
  })
}

completion("completion :: -i completes this host's interfaces and any", () => {
  const expected = ['any', ...readdirSync('/sys/class/net')].sort()
  assert.equal(complete(['sockwatch', 'capture', '-i', '']), expected)
  assert.equal(complete(['sockwatch', 'summary', '--interface', 'l']), expected.filter((n) => n.startsWith('l')))
})

completion('completion :: -r completes file names', () => {
  const r = complete(['sockwatch', 'summary', '-r', 'test/fixtures/summary-p'])
  assert.equal(r, ['test/fixtures/summary-packets.ndjson'])
})

completion.run()
