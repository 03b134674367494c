#!/usr/bin/env node
// An IPFIX-over-TCP collector for tests: Debian's nfcapd and nfacctd take IPFIX
// over UDP only, so this takes the TCP stream, cuts it into messages by their
// length field (RFC 7011 section 3.1) and forwards each to HOST:UDPPORT, where
// the real collector decodes it. Prints "listening", then one JSON line a message:
// {"sequence":N,"sets":[ids]}. SIGTERM closes the listener and every connection.
// Usage: ipfix-tcp-relay.mjs HOST TCPPORT UDPPORT
import dgram from 'node:dgram'
import net from 'node:net'

const [host, tcpPort, udpPort] = process.argv.slice(2)
const out = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4')
const sockets = new Set()
const server = net.createServer((socket) => {
  sockets.add(socket)
  let buffered = Buffer.alloc(0)
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk])
    while (buffered.length >= 16 && buffered.length >= buffered.readUInt16BE(2)) {
      const length = buffered.readUInt16BE(2)
      if (buffered.readUInt16BE(0) !== 10 || length < 16) {
        console.log(JSON.stringify({error: 'not IPFIX'}))
        socket.destroy()
        return
      }
      const message = buffered.subarray(0, length)
      buffered = buffered.subarray(length)
      const sets = []
      for (let at = 16; at + 4 <= message.length && message.readUInt16BE(at + 2) >= 4; at += message.readUInt16BE(at + 2)) sets.push(message.readUInt16BE(at))
      out.send(message, Number(udpPort), host)
      console.log(JSON.stringify({sequence: message.readUInt32BE(8), sets}))
    }
  })
  socket.on('error', () => {})
  socket.on('close', () => sockets.delete(socket))
})
server.listen(Number(tcpPort), host, () => console.log('listening'))
process.on('SIGTERM', () => {
  server.close()
  for (const s of sockets) s.destroy()
  out.close()
})
