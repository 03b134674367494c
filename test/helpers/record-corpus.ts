// A varied corpus of NDJSON lines for the fast paths' tests (read-fast-path, table-fast-path):
// owners, IPv6, ARP, LLC, tunnels, payloads, flow and stats records, escapes, bad lines,
// and runs of one flow as a capture has; seeded, so the same on every run.

/** A seeded generator (mulberry32): the same corpus on every run. */
export function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `count` lines of the corpus for `seed`. */
export function recordCorpus(seed: number, count: number): string[] {
  const rnd = random(seed)
  const pickOf = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]
  let clock = 1700000000

  /** One line of the corpus: mostly sidecar-shaped, runs of one flow, some odd and some bad. */
  function line(): string {
    clock += Math.floor(rnd() * 5000) / 1e6
    const ts = clock.toFixed(6)
    const owner = pickOf([
      '"pid":null,"comm":null,"uid":null,"cgroup":null,"container":null',
      '"pid":812,"comm":"nginx","uid":33,"cgroup":"/system.slice/nginx.service","container":null',
      `"pid":4242,"comm":"containerd-shim","uid":0,"cgroup":"/system.slice/docker-${'ab'.repeat(32)}.scope","container":"${'ab'.repeat(32)}","runtime":"docker"`,
      '"pid":1000,"comm":"curl","uid":1000,"cgroup":"/user.slice","container":null,"peer_pid":2329,"peer_comm":"bash"',
      '"pid":77,"comm":"a b/c","uid":4294967295,"cgroup":"/","container":null',
    ])
    const sport = pickOf([53, 443, 40000 + Math.floor(rnd() * 3), 65535, 0])
    const kind = rnd()
    if (kind < 0.3) return `{"v":1,"type":"packet","ts":${ts},"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.${1 + Math.floor(rnd() * 3)}","dst":"127.0.0.1","sport":${sport},"dport":9,"len":${pickOf([92, 92, 1500])},"paylen":64,${owner}}`
    if (kind < 0.5) return `{"v":1,"type":"packet","ts":${ts},"ifindex":2,"ifname":"eth0","dir":"${pickOf(['in', 'out', 'unknown'])}","family":6,"proto":"tcp","src":"${pickOf(['fe80::1', '2001:db8::1', '::ffff:10.0.0.1'])}","dst":"2001:db8::${Math.floor(rnd() * 4).toString(16)}","sport":443,"dport":${sport},"len":1514,"paylen":1440,"flags":"${pickOf(['S', 'SA', 'PA', 'FA', 'R', ''])}",${owner}}`
    if (kind < 0.58) return `{"v":1,"type":"packet","ts":${ts},"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"icmp","src":"127.0.0.1","dst":"127.0.0.1","len":73,"paylen":39,"icmp_type":3,"icmp_code":3,"inner_dst":"127.0.0.1","inner_proto":"udp","inner_dport":5006,${owner}}`
    if (kind < 0.64) return `{"v":1,"type":"packet","ts":${ts},"ifindex":2,"ifname":"eth0","dir":"in","family":0,"proto":"arp","ethertype":2054,"len":42,"arp_op":${pickOf([1, 2])},"arp_sha":"02:00:00:00:00:01","arp_spa":"10.0.0.1","arp_tpa":"10.0.0.${Math.floor(rnd() * 3)}","smac":"02:00:00:00:00:01","dmac":"ff:ff:ff:ff:ff:ff"}`
    if (kind < 0.67) return `{"v":1,"type":"packet","ts":${ts},"ifindex":2,"ifname":"eth0","dir":"in","family":0,"proto":"llc","len":60,"llc_dsap":66,"llc_ssap":66}`
    if (kind < 0.7) return `{"v":1,"type":"packet","ts":${ts},"ifindex":3,"ifname":"eth0.10","dir":"in","family":4,"proto":47,"src":"10.0.0.1","dst":"10.0.0.2","len":1514,"frag":"first","vlan":10,"truncated":true}`
    if (kind < 0.72) return `{"v":1,"type":"packet","ts":${ts},"ifindex":2,"ifname":"eth0","dir":"out","family":6,"proto":"icmp6","src":"fe80::1","dst":"ff02::1:ff00:2","len":86,"icmp_type":135,"icmp_code":0,"nd_target":"fe80::2","data":"${'6000000000203aff'.repeat(8)}"}`
    if (kind < 0.74) return `{"v":1,"type":"packet","ts":${ts},"ifindex":2,"ifname":"eth0","dir":"in","family":4,"proto":"tcp","src":"10.0.0.1","dst":"10.0.0.2","sport":1,"dport":2,"len":54,"malformed":"tcp_header_length"}`
    if (kind < 0.8) return `{"v":1,"type":"flow","ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.1","dst":"127.0.0.1","sport":${sport},"dport":9,"packets":${1 + Math.floor(rnd() * 9)},"bytes":${Math.floor(rnd() * 9999)},"first":${ts},"last":${ts},${owner}}`
    if (kind < 0.82) return `{"v":1,"type":"stats","ts":${ts},"seen":9,"matched":8,"emitted":5,"dropped":${Math.floor(rnd() * 3)},"written":5,"final":${pickOf(['true', 'false'])}}`
    // read by parseRecord alone: an escape, a non-ASCII name, spaces, an exponent, a key order of its own
    if (kind < 0.84) return `{"v":1,"type":"packet","ts":${ts},"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.1","dst":"127.0.0.1","sport":${sport},"dport":9,"len":92,"pid":1,"comm":"${pickOf(['ba\\u0073h', 'ngïnx', 'q\\"uote'])}","uid":0,"cgroup":"/","container":null}`
    if (kind < 0.85) return `{"v": 1, "type": "packet", "ts": ${ts}, "ifindex": 1, "ifname": "lo", "dir": "in", "family": 4, "proto": "udp", "len": 9.2e1}`
    if (kind < 0.86) return `{"len":92,"v":1,"type":"packet","proto":"udp","family":4,"dir":"in","ifname":"lo","ifindex":1,"ts":${ts}}`
    // bad: each one a sentence with its line number
    if (kind < 0.9) {
      const good = `{"v":1,"type":"packet","ts":${ts},"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.1","dst":"127.0.0.1","sport":${sport},"dport":9,"len":92}`
      return pickOf([
        good.replace('"dport":9', '"dport":99999'), good.replace('"family":4', '"family":6'), good.replace('"len":92', '"len":92,"pad":1'),
        good.replace('"dir":"in"', '"dir":"up"'), good.slice(0, 50), good.replace('"len":92', '"len":null'), '', 'not json', '{"v":2,"type":"packet"}',
        good.replace('"src":"127.0.0.1"', '"src":"127.0.0.256"'), good.replace('"len":92', '"len":92,"len":93'),
      ])
    }
    // a line of the commonest shape again: runs of one flow, as a capture has
    return `{"v":1,"type":"packet","ts":${ts},"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.1","dst":"127.0.0.1","sport":40000,"dport":9,"len":92,"paylen":64,${owner}}`
  }
  return Array.from({length: count}, line)
}

/** The bytes of `text` in chunks of 1 to `most` bytes (lines cut anywhere), or whole (0). */
export function chunksOf(text: string, most: number): Buffer[] {
  const all = Buffer.from(text)
  if (most === 0) return [all]
  const cut = random(most)
  const out: Buffer[] = []
  for (let at = 0; at < all.length;) {
    const n = 1 + Math.floor(cut() * most)
    out.push(all.subarray(at, at + n))
    at += n
  }
  return out
}
