// Parses a filter expression into a tree, with tcpdump's precedence and qualifier inheritance.
import {readFileSync} from 'node:fs'
import {addressBits, formatAddress, maskAddress, parseAddress} from './address.js'
import type {Address} from './address.js'
import {TCP_FLAGS} from './ast.js'
import type {FilterNode, Side, TcpFlag} from './ast.js'
import {FilterError} from './errors.js'
import {PROTO_NUMBERS} from './protocols.js'
import {tokenize} from './tokens.js'
import type {Token} from './tokens.js'

/** The primitives that take a value. */
type Kind = 'host' | 'net' | 'port' | 'portrange' | 'proto' | 'iface' | 'tcpflags'
/** A protocol word written before a primitive: `tcp port 80`, `ip6 host ::1`. */
type Qualifier = 'tcp' | 'udp' | 'ip' | 'ip6'

/** The qualifiers a bare value after and/or/not/( inherits: `port 80 or 443`. */
interface Context {
  kind: Kind
  side: Side
  qualifier?: Qualifier
  /** The word that named the kind (`src` or `dst` for their default, `host`), for messages. */
  word: string
}

/** A parsed piece and the qualifiers a following bare value would inherit (none after `tcp`). */
interface Parsed {
  node: FilterNode
  context?: Context
}

const KINDS: ReadonlySet<string> = new Set<Kind>(['host', 'net', 'port', 'portrange', 'proto', 'iface', 'tcpflags'])
const QUALIFIES: Record<Qualifier, readonly Kind[]> = {
  tcp: ['port', 'portrange'], udp: ['port', 'portrange'], ip: ['host', 'net', 'proto'], ip6: ['host', 'net', 'proto'],
}
const SIDED: readonly Kind[] = ['host', 'net', 'port', 'portrange']
const PRIMITIVE = "a primitive such as 'tcp', 'host 10.0.0.1' or 'port 443'"
const EXPECTED: Record<Kind, string> = {
  host: 'an IPv4 or IPv6 address',
  net: 'a network like 10.0.0.0/8 or 2001:db8::/32',
  port: 'a port number',
  portrange: 'a port range like 1000-2000',
  proto: "a protocol number or name like 'tcp'",
  iface: 'an interface name',
  tcpflags: 'a TCP flag (syn, ack, fin, rst, psh, urg, ece or cwr)',
}
const MAX_IFNAME = 15 // IFNAMSIZ - 1

/** Protocol words that are primitives of their own, as in pcap-filter(7), and their numbers (family 4 only for igmp). */
const PROTO_WORDS: Record<string, {proto: number; family?: 4 | 6}> = {
  sctp: {proto: 132}, esp: {proto: 50}, ah: {proto: 51}, igmp: {proto: 2, family: 4}, pim: {proto: 103}, vrrp: {proto: 112},
}
/** pcap-filter(7) primitives that read packet bytes or link-layer headers, which a saved record does not have. */
const BYTE_LEVEL = new Set(['ether', 'len', 'gateway', 'protochain', 'broadcast', 'multicast', 'mpls', 'pppoed', 'pppoes', 'geneve', 'vxlan',
  'llc', 'stp', 'ipx', 'netbeui', 'iso', 'decnet', 'atalk', 'aarp', 'lat', 'sca', 'moprc', 'mopdl', 'clnp', 'esis', 'isis', 'fddi', 'tr', 'wlan',
  'type', 'subtype', 'dir', 'ifname', 'on', 'rnr', 'rulenum', 'reason', 'rset', 'ruleset', 'srnr', 'subrulenum', 'action', 'atm', 'ifindex'])
const SERVICES = new Map<string, number>()
/** A port named in /etc/services (tcp or udp), as libpcap resolves `port domain`. */
function servicePort(name: string): number | undefined {
  if (SERVICES.size === 0) {
    try {
      for (const line of readFileSync('/etc/services', 'utf8').split('\n')) {
        const m = /^([\w.+-]+)\s+(\d+)\/(tcp|udp)\b([^#]*)/.exec(line)
        if (!m) continue
        for (const n of [m[1], ...m[4].trim().split(/\s+/).filter(Boolean)]) if (!SERVICES.has(n)) SERVICES.set(n, Number(m[2]))
      }
    } catch {
      // no /etc/services: numbers only
    }
  }
  return SERVICES.get(name)
}

/** `a`, `a and b`, `a, b and c`. */
const list = (words: readonly string[]): string => `${words.slice(0, -1).join(', ')}${words.length > 1 ? ' and ' : ''}${words.at(-1)}`
/** Whether a word after `tcp`/`ip`... makes it a qualifier (`tcp port 80`) rather than a primitive. */
const qualifies = (word: string): boolean => KINDS.has(word) || word === 'src' || word === 'dst'

const quote = (token: Token | undefined): string => (token ? `'${token.text}'` : 'the end of the expression')

/** Recursive descent over the tokens; every method consumes what it parsed. */
class Parser {
  private pos = 0

  constructor(private readonly expression: string, private readonly tokens: Token[]) {}

  /** The whole expression; an empty one matches every packet. */
  parse(): FilterNode {
    if (this.tokens.length === 0) return {type: 'all'}
    return this.sequence(undefined, false).node
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos]
  }

  private fail(token: Token | undefined, message: string): never {
    if (token) throw new FilterError(this.expression, token.offset, token.text.length, message)
    throw new FilterError(this.expression, this.expression.length, 0, message)
  }

  /** "expected WHAT after 'AFTER', got 'GOT'" at GOT. */
  private expected(what: string, after: string | undefined, got: Token | undefined, hint = ''): never {
    this.fail(got, `expected ${what}${after ? ` after ${after}` : ''}, got ${quote(got)}${hint}`)
  }

  /** term (and|or term)*: and and or have equal precedence and group left to right. */
  private sequence(context: Context | undefined, inParens: boolean): Parsed {
    let left = this.term(context)
    for (let op = this.peek(); op && op.kind !== 'rparen'; op = this.peek()) {
      if (op.kind !== 'and' && op.kind !== 'or') {
        this.expected(inParens ? "'and', 'or' or ')'" : "'and' or 'or'", quote(this.tokens[this.pos - 1]), op)
      }
      this.pos++
      const right = this.term(left.context)
      left = {node: {type: op.kind, left: left.node, right: right.node}, context: right.context}
    }
    const close = this.peek()
    if (close && !inParens) this.expected("'and' or 'or'", quote(this.tokens[this.pos - 1]), close, ", which closes no '('")
    return left
  }

  /** not term | ( sequence ) | primitive | a bare value inheriting `context`. */
  private term(context: Context | undefined): Parsed {
    const before = this.tokens[this.pos - 1]
    const token = this.peek()
    if (!token || token.kind === 'rparen' || token.kind === 'and' || token.kind === 'or') {
      this.expected(PRIMITIVE, before && quote(before), token)
    }
    this.pos++
    if (token.kind === 'not') {
      const inner = this.term(context)
      return {node: {type: 'not', expr: inner.node}, context: inner.context}
    }
    if (token.kind === 'lparen') {
      const inner = this.sequence(context, true)
      if (!this.peek()) this.expected(`')' to close the '(' at character ${token.offset + 1}`, undefined, undefined)
      this.pos++
      // as in tcpdump, a value after the parentheses inherits what came before them
      return {node: inner.node, context}
    }
    return this.primitive(token, context, before)
  }

  /** A primitive starting with `token` (already consumed). */
  private primitive(token: Token, context: Context | undefined, before: Token | undefined): Parsed {
    const next = this.peek()
    const nextWord = next?.kind === 'word' ? next.text : ''
    // `ip6 protochain 17`, `ip broadcast`, `ether host ...`: the second word needs bytes
    if (next && BYTE_LEVEL.has(nextWord) && ['ip', 'ip6', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6', 'arp', 'rarp'].includes(token.text)) return this.bytes(next)
    switch (token.text) {
      case 'tcp':
      case 'udp':
        if (qualifies(nextWord)) return this.qualified(token)
        return {node: {type: 'proto', proto: token.text === 'tcp' ? 6 : 17}}
      case 'ip':
      case 'ip6':
        if (qualifies(nextWord)) return this.qualified(token)
        return {node: {type: 'family', family: token.text === 'ip' ? 4 : 6}}
      case 'icmp':
        return {node: {type: 'proto', proto: 1, family: 4}}
      case 'arp':
      case 'rarp': return {node: {type: 'ether', name: token.text}}
      case 'greater':
      case 'less': {
        const value = this.peek()
        if (value?.kind !== 'word' || !/^\d+$/.test(value.text)) this.expected('a length in bytes', `'${token.text}'`, value)
        this.pos++
        return {node: {type: 'len', op: token.text === 'greater' ? 'ge' : 'le', value: Number(value.text)}}
      }
      case 'vlan': {
        const value = this.peek()
        if (value?.kind === 'word' && /^\d+$/.test(value.text)) {
          this.pos++
          if (Number(value.text) > 4095) this.fail(value, `VLAN ID '${value.text}' is out of range; VLAN IDs are 0-4095`)
          return {node: {type: 'vlan', id: Number(value.text)}}
        }
        return {node: {type: 'vlan'}}
      }
      case 'icmp6': return {node: {type: 'proto', proto: 58, family: 6}}
      case 'in':
      case 'inbound': return {node: {type: 'dir', dir: 'in'}}
      case 'out':
      case 'outbound': return {node: {type: 'dir', dir: 'out'}}
      case 'src':
      case 'dst':
        this.pos--
        return this.qualified(undefined)
    }
    if (Object.hasOwn(PROTO_WORDS, token.text)) {
      const {proto, family} = PROTO_WORDS[token.text]
      return {node: family ? {type: 'proto', proto, family} : {type: 'proto', proto}}
    }
    if (token.text === 'len') this.fail(token, "a saved record's length is compared with 'greater N' and 'less N'; arithmetic on 'len' applies when capturing")
    if (BYTE_LEVEL.has(token.text)) return this.bytes(token)
    if (KINDS.has(token.text)) {
      this.pos--
      return this.qualified(undefined)
    }
    if (context) {
      return {node: this.value(context, token, `${quote(before)} (inheriting '${context.word}')`), context}
    }
    return this.expected(PRIMITIVE, before && quote(before), token)
  }

  /** [tcp|udp|ip|ip6] [src|dst] kind value, or [src|dst] value (a host); the qualifier is consumed. */
  private qualified(qualifierToken: Token | undefined): Parsed {
    const qualifier = qualifierToken?.text as Qualifier | undefined
    let side: Side = 'either'
    let word = this.tokens[this.pos++]
    if (word.text === 'src' || word.text === 'dst') {
      side = word.text
      // `src or dst port 53`, `src and dst net 10.0.0.0/8`
      const op = this.peek()
      const other = this.tokens[this.pos + 1]
      if ((op?.kind === 'or' || op?.kind === 'and') && other?.kind === 'word' && (other.text === 'src' || other.text === 'dst') && other.text !== word.text) {
        side = op.kind === 'or' ? 'either' : 'both'
        this.pos += 2
        word = other
      }
      const next = this.peek()
      if (next?.kind === 'word' && KINDS.has(next.text)) word = this.tokens[this.pos++]
    }
    const kind: Kind = KINDS.has(word.text) ? (word.text as Kind) : 'host'
    if (side !== 'either' && side !== 'both' && !SIDED.includes(kind)) {
      this.fail(word, `'${side}' cannot qualify '${kind}'; it applies to ${list(SIDED)}`)
    }
    if (qualifier && !QUALIFIES[qualifier].includes(kind)) {
      this.fail(word, `'${qualifier}' cannot qualify '${word.text}'; it applies to ${list(QUALIFIES[qualifier])}`)
    }
    const context: Context = {kind, side, qualifier, word: word.text}
    const value = this.peek()
    if (value?.kind === 'lparen' || value?.kind === 'not') {
      return {node: this.term(context).node, context}
    }
    if (value?.kind !== 'word') this.expected(EXPECTED[kind], `'${word.text}'`, value)
    this.pos++
    return {node: this.value(context, value, `'${word.text}'`), context}
  }

  /** The primitive `context` names, with `token` as its value; `after` says where, for messages. */
  private value(context: Context, token: Token, after: string): FilterNode {
    const node = this.bareValue(context, token, after)
    if (context.qualifier === 'tcp' || context.qualifier === 'udp') {
      return {type: 'and', left: {type: 'proto', proto: context.qualifier === 'tcp' ? 6 : 17}, right: node}
    }
    return node
  }

  private bareValue(context: Context, token: Token, after: string): FilterNode {
    const {kind, side} = context
    const text = token.text
    const bad = (hint = ''): never => this.expected(EXPECTED[kind], after, token, hint)
    switch (kind) {
      case 'host': {
        const addr = parseAddress(text)
        if (!addr && text.includes('/')) {
          this.fail(token, `'${context.word}' takes one address, got '${text}'; use '${side === 'either' ? '' : `${side} `}net ${text}' for a network`)
        }
        if (!addr) return bad()
        this.checkFamily(context, addr, token)
        return {type: 'addr', side, family: addr.family, bytes: addr.bytes, prefix: addressBits(addr.family)}
      }
      case 'net': {
        // `net 10.213.77` is 10.213.77.0/24, as in libpcap; `net A mask M` a netmask
        const short = /^\d{1,3}(\.\d{1,3}){0,2}$/.test(text) ? text.split('.').length : 0
        if (short) {
          const octets = text.split('.').map(Number)
          if (octets.some((o) => o > 255)) return bad()
          return {type: 'addr', side, family: 4, bytes: [...octets, 0, 0, 0, 0].slice(0, 4), prefix: short * 8}
        }
        const maskWord = this.peek()
        if (maskWord?.kind === 'word' && maskWord.text === 'mask') {
          this.pos++
          const maskToken = this.peek()
          const mask = maskToken?.kind === 'word' ? parseAddress(maskToken.text) : undefined
          const base = parseAddress(text)
          if (!base || !mask || mask.family !== base.family) this.expected('a netmask like 255.255.255.0', "'mask'", maskToken)
          this.pos++
          const bits = mask!.bytes.map((b) => b.toString(2).padStart(8, '0')).join('')
          if (!/^1*0*$/.test(bits)) this.fail(maskToken!, `'${maskToken!.text}' is not a netmask (its ones must come first)`)
          const prefix = bits.indexOf('0') === -1 ? bits.length : bits.indexOf('0')
          return {type: 'addr', side, family: base!.family, bytes: maskAddress(base!.bytes, prefix), prefix}
        }
        const [addrText, prefixText, ...rest] = text.split('/')
        const addr = parseAddress(addrText)
        if (!addr || rest.length > 0 || (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))) return bad()
        const bits = addressBits(addr.family)
        const prefix = prefixText === undefined ? bits : Number(prefixText)
        if (prefix > bits) this.fail(token, `'${text}' has a prefix longer than the ${bits} bits of an IPv${addr.family} address`)
        const network = maskAddress(addr.bytes, prefix)
        if (network.some((b, i) => b !== addr.bytes[i])) {
          this.fail(token, `'${text}' has host bits set; the network is '${formatAddress({family: addr.family, bytes: network})}/${prefix}'`)
        }
        this.checkFamily(context, addr, token)
        return {type: 'addr', side, family: addr.family, bytes: network, prefix}
      }
      case 'port': {
        if (/^\d+-\d+$/.test(text)) return bad(`; use 'portrange ${text}' for a range`)
        const named = servicePort(text)
        if (!/^\d+$/.test(text) && named === undefined) return bad()
        const port = named ?? this.portNumber(token, text, 'port')
        return {type: 'port', side, lo: port, hi: port}
      }
      case 'portrange': {
        const range = /^(\d+)-(\d+)$/.exec(text)
        if (!range) return bad()
        const [a, b] = [this.portNumber(token, range[1], 'port range'), this.portNumber(token, range[2], 'port range')]
        // tcpdump takes a reversed range as the same range
        return {type: 'port', side, lo: Math.min(a, b), hi: Math.max(a, b)}
      }
      case 'proto': {
        const name = text.startsWith('\\') ? text.slice(1) : text // tcpdump's `proto \tcp`
        let proto = PROTO_NUMBERS.get(name)
        if (proto === undefined && /^\d+$/.test(name)) {
          proto = Number(name)
          if (proto > 255) this.fail(token, `protocol '${text}' is out of range; protocol numbers are 0-255`)
        }
        if (proto === undefined) return bad()
        if (context.qualifier === 'ip' || context.qualifier === 'ip6') {
          return {type: 'proto', proto, family: context.qualifier === 'ip' ? 4 : 6}
        }
        return {type: 'proto', proto}
      }
      case 'iface': {
        if (text.length > MAX_IFNAME) this.fail(token, `interface name '${text}' is longer than ${MAX_IFNAME} characters`)
        // the kernel refuses '/' and ':' in names; ',' and '=' would break the --clause encoding
        if (/[/:,=]/.test(text) || text === '.' || text === '..') return bad()
        return {type: 'iface', name: text}
      }
      case 'tcpflags':
        if (!Object.hasOwn(TCP_FLAGS, text)) return bad()
        return {type: 'tcpflag', flag: text as TcpFlag}
    }
  }

  /** A primitive reading packet bytes or link-layer headers: a record has none. */
  private bytes(token: Token): never {
    return this.fail(token, `'${token.text}' needs the packet's bytes, which a saved record does not have: apply it when capturing (the kernel runs any tcpdump expression), or filter on what records carry (hosts, nets, ports, protocols, in/out, length, vlan)`)
  }

  /** A port 0-65535 from digits; `what` names the token's text in the message. */
  private portNumber(token: Token, digits: string, what: string): number {
    const port = Number(digits)
    if (port > 65535) this.fail(token, `${what} '${token.text}' is out of range; ports are 0-65535`)
    return port
  }

  /** `ip host ::1` is an error, as in tcpdump. */
  private checkFamily(context: Context, addr: Address, token: Token): void {
    const want = context.qualifier === 'ip' ? 4 : context.qualifier === 'ip6' ? 6 : addr.family
    if (want !== addr.family) {
      this.fail(token, `'${context.qualifier}' cannot qualify the IPv${addr.family} address '${token.text}'`)
    }
  }
}

/** The tree of an expression (empty: every packet), or a FilterError pointing at the offending word. */
export function parseFilter(expression: string): FilterNode {
  // `tcp[13] & 2 != 0`: packet bytes, before the tokenizer trips on the arithmetic
  const bytes = /[^\s()!&|]*\[[^\]]*\]?/.exec(expression)
  if (bytes) {
    throw new FilterError(expression, bytes.index, bytes[0].length, `'${bytes[0]}' reads the packet's bytes, which a saved record does not have: apply it when capturing (the kernel runs any tcpdump expression), or filter on what records carry (hosts, nets, ports, protocols, in/out, length, vlan)`)
  }
  return new Parser(expression, tokenize(expression)).parse()
}
