#!/usr/bin/env node
// Sends exactly COUNT UDP datagrams of SIZE bytes to HOST:PORT from one socket,
// then prints {"sport":N,"dport":N}. Used inside network namespaces (ip netns exec).
// PORT "sink" binds a receiver on HOST first and sends to it, so no ICMP error
// comes back. Usage: udp-send.mjs HOST PORT|sink COUNT SIZE
import dgram from 'node:dgram'

const [host, portArg, count, size] = process.argv.slice(2)
const type = host.includes(':') ? 'udp6' : 'udp4'
const socket = dgram.createSocket(type)
const payload = Buffer.alloc(Number(size), 0x61)
let sink
let port = Number(portArg)
if (portArg === 'sink') {
  sink = dgram.createSocket(type)
  await new Promise((resolve) => sink.bind(0, host, resolve))
  port = sink.address().port
}
socket.bind(0, () => {
  let left = Number(count)
  const next = () => {
    if (left-- === 0) {
      console.log(JSON.stringify({sport: socket.address().port, dport: port}))
      socket.close()
      sink?.close()
      return
    }
    socket.send(payload, port, host, (err) => {
      if (err) throw err
      next()
    })
  }
  next()
})
