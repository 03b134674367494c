#!/usr/bin/env node
// Sends COUNT UDP datagrams of SIZE bytes to a receiver it binds on HOST, each
// starting with its sequence number (4 bytes, big-endian), as fast as the
// socket takes them (a bounded flood); prints {"sport":N,"dport":N}.
// Usage: udp-seq.mjs HOST COUNT SIZE
import dgram from 'node:dgram'

const [host, count, size] = process.argv.slice(2)
const type = host.includes(':') ? 'udp6' : 'udp4'
const sink = dgram.createSocket(type)
const socket = dgram.createSocket(type)
await new Promise((resolve) => sink.bind(0, host, resolve))
await new Promise((resolve) => socket.bind(0, host, resolve))
const dport = sink.address().port
const total = Number(count)
let sent = 0
// a few in flight at a time: fast, but no send is refused for want of buffer
const next = () => {
  if (sent === total) {
    console.log(JSON.stringify({sport: socket.address().port, dport}))
    socket.close()
    sink.close()
    return
  }
  const payload = Buffer.alloc(Number(size), 0x61)
  payload.writeUInt32BE(sent++, 0)
  socket.send(payload, dport, host, next)
}
next()
