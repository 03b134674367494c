// `-r` on a file this user may not read: run as nobody (setpriv), the CLI says
// "permission denied" in one sentence, with the way to pipe it in, and exits 1.
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI} from '../helpers/integration-capture.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc} from '../helpers/integration-proc.js'

const perm = suite('read-permission')
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all']
let dir: string

perm.before(() => {
  preflight(['setpriv'])
  dir = mkdtempSync(join(tmpdir(), 'sockwatch-read-perm-'))
  chmodSync(dir, 0o755) // nobody may enter, not read the file
})

perm.after(() => rmSync(dir, {recursive: true, force: true}))

for (const command of ['capture', 'summary']) {
  perm(`read-permission :: ${command} -r on a root-only file as nobody: one sentence, exit 1`, async () => {
    const path = join(dir, `${command}.ndjson`)
    writeFileSync(path, '{"v":1,"type":"stats","ts":1,"seen":0,"matched":0,"emitted":0,"dropped":0,"written":0,"final":true}\n')
    chmodSync(path, 0o600)
    const proc = startProc('setpriv', [...NOBODY, CLI, command, '-r', path], {env: {...process.env, HOME: dir}, cwd: dir})
    const {code} = await proc.exited
    assert.equal(proc.stderr.filter(Boolean), [`sockwatch: cannot read '${path}': permission denied; run as a user who can read it, or pipe it in with 'sudo cat ${path} |' and -r -`])
    assert.is(code, 1)
  })
}

perm.run()
