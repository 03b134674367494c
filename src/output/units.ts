// Numbers as people read them on a terminal; --json keeps exact integers.

/** 999, 1.2k, 3.4M: for rates and counts in a status line. */
export function humanCount(n: number): string {
  if (n < 1000) return String(Math.round(n))
  const units = ['k', 'M', 'G', 'T']
  let value = n
  let unit = -1
  // 999.6k would print as 1000k: step up while the rounded figure reaches 1000
  while ((value >= 1000 || (unit >= 0 && Math.round(value) >= 1000)) && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${value < 9.95 ? value.toFixed(1) : Math.round(value)}${units[unit]}`
}

/** 512 B, 1.2 kB, 3.4 MB (powers of 1000, as network tools count). */
export function humanBytes(n: number): string {
  if (n < 1000) return `${n} B`
  return `${humanCount(n).replace(/([kMGT])$/, ' $1')}B`
}

/** 00:01:23 */
export function clock(ms: number): string {
  const s = Math.floor(ms / 1000)
  const pad = (v: number) => String(v).padStart(2, '0')
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`
}
