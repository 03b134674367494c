// Two network namespaces joined by a veth pair, made and removed by the test.
// Addresses are documentation ranges, and exist only inside these namespaces.
import {execFileSync} from 'node:child_process'

export interface VethPair {
  nsA: string
  nsB: string
  ifA: string
  ifB: string
  addrA: string
  addrB: string
  addr6A: string
  addr6B: string
  remove(): void
}

const ip = (...args: string[]) => execFileSync('ip', args, {stdio: 'pipe'})

export function makeVethPair(tag: string): VethPair {
  const id = `${tag}${process.pid % 10000}`
  const pair: VethPair = {
    nsA: `swa-${id}`, nsB: `swb-${id}`, ifA: 'swa0', ifB: 'swb0',
    addrA: '192.0.2.1', addrB: '192.0.2.2', addr6A: '2001:db8::1', addr6B: '2001:db8::2',
    remove() {
      for (const ns of [pair.nsA, pair.nsB]) {
        try {
          ip('netns', 'del', ns)
        } catch {
          // already gone
        }
      }
    },
  }
  pair.remove() // a previous run killed mid-way
  ip('netns', 'add', pair.nsA)
  ip('netns', 'add', pair.nsB)
  ip('link', 'add', pair.ifA, 'netns', pair.nsA, 'type', 'veth', 'peer', 'name', pair.ifB, 'netns', pair.nsB)
  for (const [ns, dev, v4, v6] of [[pair.nsA, pair.ifA, pair.addrA, pair.addr6A], [pair.nsB, pair.ifB, pair.addrB, pair.addr6B]]) {
    ip('-n', ns, 'addr', 'add', `${v4}/24`, 'dev', dev)
    ip('-n', ns, 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad')
    ip('-n', ns, 'link', 'set', dev, 'up')
    ip('-n', ns, 'link', 'set', 'lo', 'up')
  }
  return pair
}

/** The MAC address of a device inside a namespace. */
export function macOf(ns: string, dev: string): string {
  const [link] = JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'link', 'show', dev], {encoding: 'utf8'}))
  return link.address
}

/** A network namespace with only lo, up: a quiet place for exact counts. */
export function makeNetns(tag: string): {name: string; remove(): void} {
  const name = `sw-${tag}${process.pid % 10000}`
  const remove = () => {
    try {
      ip('netns', 'del', name)
    } catch {
      // already gone
    }
  }
  remove()
  ip('netns', 'add', name)
  ip('-n', name, 'link', 'set', 'lo', 'up')
  return {name, remove}
}
