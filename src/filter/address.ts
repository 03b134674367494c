// IPv4 and IPv6 addresses as bytes: parsing, canonical text, prefixes.

/** An IP address as its bytes (4 for IPv4, 16 for IPv6). */
export interface Address {
  family: 4 | 6
  bytes: number[]
}

/** Bits in an address of a family. */
export function addressBits(family: 4 | 6): number {
  return family === 4 ? 32 : 128
}

/** Bytes of a dotted quad like 192.0.2.1 (decimal, no leading zeros), or undefined. */
function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  const bytes = parts.map((part) => (/^(0|[1-9]\d{0,2})$/.test(part) ? Number(part) : Number.NaN))
  return bytes.every((b) => b <= 255) ? bytes : undefined
}

/** Bytes of an IPv6 address in any RFC 4291 text form (`::`, a trailing dotted quad), or undefined. */
function parseIPv6(text: string): number[] | undefined {
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groups = (half: string): number[] | undefined => {
    if (half === '') return []
    const out: number[] = []
    const parts = half.split(':')
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIPv4(part)
        if (!v4) return undefined
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3])
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        out.push(Number.parseInt(part, 16))
      } else {
        return undefined
      }
    }
    return out
  }
  const head = groups(halves[0])
  const tail = halves.length === 2 ? groups(halves[1]) : []
  if (!head || !tail) return undefined
  // a dotted quad may only end the address
  if (halves.length === 2 && halves[0].includes('.')) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill(0), ...tail]
  return all.flatMap((g) => [g >> 8, g & 0xff])
}

/** An IPv4 or IPv6 address from text, or undefined if it is neither. */
export function parseAddress(text: string): Address | undefined {
  if (text.includes(':')) {
    const bytes = parseIPv6(text)
    return bytes && {family: 6, bytes}
  }
  const bytes = parseIPv4(text)
  return bytes && {family: 4, bytes}
}

/** Canonical text (RFC 5952 for IPv6: lowercase, longest zero run as `::`), which inet_pton accepts. */
export function formatAddress(addr: Address): string {
  if (addr.family === 4) return addr.bytes.join('.')
  // IPv4-mapped (::ffff:a.b.c.d) keeps its dotted tail, as RFC 5952 and inet_ntop write it
  if (addr.bytes.slice(0, 10).every((b) => b === 0) && addr.bytes[10] === 0xff && addr.bytes[11] === 0xff) {
    return `::ffff:${addr.bytes.slice(12).join('.')}`
  }
  const groups = Array.from({length: 8}, (_, i) => (addr.bytes[2 * i] << 8) | addr.bytes[2 * i + 1])
  let best = -1
  let bestLength = 1 // a single zero group is not compressed
  for (let i = 0; i < 8; i++) {
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) {
      best = i
      bestLength = j - i
    }
    i = Math.max(i, j)
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':')
  if (best < 0) return hex(groups)
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLength))}`
}

/** The address with every bit after the first `prefix` cleared. */
export function maskAddress(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i))
    return b & ((0xff << (8 - keep)) & 0xff)
  })
}

/** Whether `bytes` falls in the network `net`/`prefix` (same family assumed). */
export function inPrefix(net: number[], prefix: number, bytes: number[]): boolean {
  const masked = maskAddress(bytes, prefix)
  return masked.every((b, i) => b === net[i])
}

/** How many leading bits two addresses of one family share. */
export function commonPrefix(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ^ b[i]
    if (x !== 0) return 8 * i + Math.clz32(x) - 24
  }
  return 8 * a.length
}
