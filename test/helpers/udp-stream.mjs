#!/usr/bin/env node
// A steady UDP flow with known ports: PPS datagrams a second of SIZE bytes from
// HOST:SPORT to a receiver it binds on HOST:DPORT, for at most SECONDS, then exits.
// Prints "sending" once both sockets are bound (the test's ready signal).
// Used inside network namespaces (ip netns exec). Usage: udp-stream.mjs HOST SPORT DPORT PPS SIZE SECONDS
import dgram from 'node:dgram'

const [host, sport, dport, pps, size, seconds] = process.argv.slice(2)
const type = host.includes(':') ? 'udp6' : 'udp4'
const sink = dgram.createSocket(type)
const socket = dgram.createSocket(type)
await new Promise((resolve) => sink.bind(Number(dport), host, resolve))
await new Promise((resolve) => socket.bind(Number(sport), host, resolve))
const payload = Buffer.alloc(Number(size), 0x61)
// 10 sends a second, each a burst of PPS/10 datagrams
const burst = Math.max(1, Math.round(Number(pps) / 10))
const timer = setInterval(() => {
  for (let i = 0; i < burst; i++) socket.send(payload, Number(dport), host)
}, 100)
const stop = () => {
  clearInterval(timer)
  socket.close()
  sink.close()
}
setTimeout(stop, Number(seconds) * 1000)
process.on('SIGTERM', stop)
console.log('sending')
