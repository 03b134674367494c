// One error class for everything that can go wrong with the capture engine.
import {EXIT} from '../contract/contract.js'

/** Exit codes shared by the sidecar and the CLI (docs/events.md), from the contract. */
export {EXIT}

export interface SidecarErrorInit {
  exitCode?: number
  signal?: string
  code?: string
  stderrTail?: string
  /** What was captured before the failure, when the sidecar still reported it. */
  partial?: {captured: number; dropped: number}
  cause?: unknown
}

/** The capture engine failed: a sentence for the user plus what was seen. */
export class SidecarError extends Error {
  /** The exit code the CLI should end with. */
  readonly exitCode: number
  /** The sidecar's error record code (e.g. "permission"), when it sent one. */
  readonly code?: string
  readonly signal?: string
  readonly stderrTail: string
  readonly partial?: {captured: number; dropped: number}

  constructor(message: string, init: SidecarErrorInit = {}) {
    super(message, {cause: init.cause})
    this.name = 'SidecarError'
    this.exitCode = init.exitCode && init.exitCode > 0 && init.exitCode < 126 ? init.exitCode : EXIT.runtime
    this.code = init.code
    this.signal = init.signal
    this.stderrTail = init.stderrTail ?? ''
    this.partial = init.partial
  }
}
