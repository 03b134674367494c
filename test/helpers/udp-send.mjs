#!/usr/bin/env node
// Sends exactly COUNT UDP datagrams of SIZE bytes to HOST:PORT from one socket,
// then prints {"sport":N}. Used inside network namespaces (ip netns exec).
// Usage: udp-send.mjs HOST PORT COUNT SIZE
import dgram from 'node:dgram'

const [host, port, count, size] = process.argv.slice(2)
const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4')
const payload = Buffer.alloc(Number(size), 0x61)
socket.bind(0, () => {
  let left = Number(count)
  const next = () => {
    if (left-- === 0) {
      console.log(JSON.stringify({sport: socket.address().port}))
      socket.close()
      return
    }
    socket.send(payload, Number(port), host, (err) => {
      if (err) throw err
      next()
    })
  }
  next()
})
