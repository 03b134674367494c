// Real traffic with known shape: UDP datagrams, a TCP exchange, ICMP echo.
import {execFileSync} from 'node:child_process'
import dgram from 'node:dgram'
import net from 'node:net'
import {fileURLToPath} from 'node:url'

export const UDP_SEND = fileURLToPath(new URL('./udp-send.mjs', import.meta.url))

/** Sends count datagrams of size bytes to a bound sink (so no ICMP comes back); returns the ports. */
export async function sendUdp(host: string, count: number, size: number): Promise<{sport: number; dport: number}> {
  const type = host.includes(':') ? 'udp6' : 'udp4'
  const sink = dgram.createSocket(type)
  const sender = dgram.createSocket(type)
  let received = 0
  const all = new Promise<void>((resolve) => sink.on('message', () => ++received === count && resolve()))
  await new Promise<void>((resolve) => sink.bind(0, host, resolve))
  await new Promise<void>((resolve) => sender.bind(0, host, resolve))
  const payload = Buffer.alloc(size, 0x62)
  const dport = sink.address().port
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) => sender.send(payload, dport, host, (e) => (e ? reject(e) : resolve())))
  }
  const timeout = setTimeout(() => sink.emit('error', new Error(`only ${received} of ${count} datagrams arrived`)), 5000)
  await Promise.race([all, new Promise((_, reject) => sink.on('error', reject))])
  clearTimeout(timeout)
  const sport = sender.address().port
  sink.close()
  sender.close()
  return {sport, dport}
}

/** A real TCP connection: connect, send request bytes, get reply bytes, close both ways. */
export async function tcpExchange(host: string, request: number, reply: number): Promise<{sport: number; dport: number}> {
  const server = net.createServer((socket) => {
    let got = 0
    socket.on('data', (d) => {
      got += d.length
      if (got >= request) socket.end(Buffer.alloc(reply, 0x63))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const dport = (server.address() as net.AddressInfo).port
  const client = net.connect(dport, host)
  await new Promise<void>((resolve) => client.on('connect', resolve))
  const sport = client.localPort!
  let got = 0
  const done = new Promise<void>((resolve) => {
    client.on('data', (d) => (got += d.length))
    client.on('end', () => {
      client.end()
      resolve()
    })
  })
  client.write(Buffer.alloc(request, 0x64))
  await done
  await new Promise<void>((resolve) => client.on('close', () => resolve()))
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (got !== reply) throw new Error(`TCP exchange got ${got} of ${reply} reply bytes`)
  return {sport, dport}
}

/** count ICMP echo requests (and their replies), 10 ms apart. */
export function ping(host: string, count: number, netns?: string): void {
  const args = [host.includes(':') ? '-6' : '-4', '-n', '-q', '-c', String(count), '-i', '0.01', '-W', '2', host]
  if (netns) execFileSync('ip', ['netns', 'exec', netns, 'ping', ...args], {stdio: 'pipe'})
  else execFileSync('ping', args, {stdio: 'pipe'})
}

/** UDP from inside a namespace (the sender runs there); port 'sink' sends to a bound receiver, 'sinks:N' to N of them. */
export function sendUdpFrom(netns: string, host: string, port: number | 'sink' | `sinks:${number}`, count: number, size: number, sport?: number): {sport: number; dport: number} {
  const out = execFileSync('ip', ['netns', 'exec', netns, process.execPath, UDP_SEND, host, String(port), String(count), String(size), ...(sport ? [String(sport)] : [])], {encoding: 'utf8'})
  return JSON.parse(out)
}
