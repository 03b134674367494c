// A packet's bytes as tcpdump -X and -A print them after its line (tcpdump's print-ascii.c):
// -X, 16 bytes a line, offset, hex in 2-byte groups, then the bytes as ASCII ('.' for any
// byte not printable, space included); -A, the bytes as ASCII with tab, space and newline
// kept and a CR dropped before a newline. Both from the network-layer header on.

export type Dump = 'hex' | 'ascii'

const graph = (c: number) => c > 0x20 && c <= 0x7e
const hex2 = (c: number) => c.toString(16).padStart(2, '0')

/** tcpdump -X: '\n\t0x0000:  4500 0054 ...  E..T' lines, each after a newline. */
export function hexAndAscii(bytes: Uint8Array): string {
  let out = ''
  for (let at = 0; at < bytes.length; at += 16) {
    const line = bytes.subarray(at, at + 16)
    let hex = ''
    for (let i = 0; i < line.length; i += 2) hex += ' ' + hex2(line[i]) + (i + 1 < line.length ? hex2(line[i + 1]) : '')
    const ascii = Array.from(line, (c) => (graph(c) ? String.fromCharCode(c) : '.')).join('')
    out += `\n\t0x${at.toString(16).padStart(4, '0')}: ${hex.padEnd(40)}  ${ascii}`
  }
  return out
}

/** tcpdump -A: a newline, then the bytes. */
export function asciiText(bytes: Uint8Array): string {
  let out = '\n'
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]
    if (c === 0x0d) {
      if (i + 1 === bytes.length || bytes[i + 1] !== 0x0a) out += '.'
    } else {
      out += graph(c) || c === 0x09 || c === 0x20 || c === 0x0a ? String.fromCharCode(c) : '.'
    }
  }
  return out
}

/** What follows a packet's text line for -X or -A: nothing when the record has no bytes. */
export function dumpText(dump: Dump, data: string | undefined): string {
  if (data === undefined || data === '') return ''
  const bytes = Buffer.from(data, 'hex')
  return dump === 'hex' ? hexAndAscii(bytes) : asciiText(bytes)
}
