// Integration tests need root, the built sidecar, and real tools. Missing any
// of them is a failure with a reason, never a silent skip.
import {execFileSync} from 'node:child_process'
import {accessSync, constants} from 'node:fs'
import {SIDECAR} from './integration-capture.js'

export function preflight(tools: string[] = ['ip', 'tcpdump', 'ping', 'jq']): void {
  if (process.getuid?.() !== 0) throw new Error('integration tests load eBPF programs and make namespaces: run them as root')
  accessSync(SIDECAR, constants.X_OK)
  for (const tool of tools) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], {stdio: 'pipe'})
    } catch {
      throw new Error(`integration tests need '${tool}': run 'make deps'`)
    }
  }
}
