#!/usr/bin/env node
// Opens COUNT TCP connections to HOST:PORT one after another; a closed port
// answers each SYN with a RST. Bounded: each attempt times out after 2 s.
// Usage: tcp-knock.mjs HOST PORT COUNT
import net from 'node:net'

const [host, port, count] = process.argv.slice(2)
for (let i = 0; i < Number(count); i++) {
  await new Promise((resolve) => {
    const socket = net.connect({host, port: Number(port), timeout: 2000})
    const done = () => {
      socket.destroy()
      resolve()
    }
    socket.on('connect', done)
    socket.on('error', done)
    socket.on('timeout', done)
  })
}
