#!/usr/bin/env node
// Sends exactly COUNT UDP datagrams of SIZE bytes to HOST:PORT from one socket,
// then prints {"sport":N,"dport":N}. Used inside network namespaces (ip netns exec).
// PORT "sink" binds a receiver on HOST first and sends to it, so no ICMP error
// comes back; "sinks:N" binds N receivers and sends COUNT to each: N flows.
// SPORT, when given, is the source port (the same flow across calls).
// Usage: udp-send.mjs HOST PORT|sink|sinks:N COUNT SIZE [SPORT]
import dgram from 'node:dgram'

const [host, portArg, count, size, sportArg] = process.argv.slice(2)
const type = host.includes(':') ? 'udp6' : 'udp4'
const socket = dgram.createSocket(type)
const payload = Buffer.alloc(Number(size), 0x61)
const sinks = []
const nSinks = portArg === 'sink' ? 1 : portArg.startsWith('sinks:') ? Number(portArg.slice(6)) : 0
for (let i = 0; i < nSinks; i++) {
  const sink = dgram.createSocket(type)
  await new Promise((resolve) => sink.bind(0, host, resolve))
  sinks.push(sink)
}
const ports = nSinks ? sinks.map((s) => s.address().port) : [Number(portArg)]
const port = ports[0]
socket.bind(Number(sportArg ?? 0), () => {
  let left = Number(count) * ports.length
  const next = () => {
    if (left-- === 0) {
      console.log(JSON.stringify({sport: socket.address().port, dport: port}))
      socket.close()
      for (const sink of sinks) sink.close()
      return
    }
    socket.send(payload, ports[left % ports.length], host, (err) => {
      if (err) throw err
      next()
    })
  }
  next()
})
