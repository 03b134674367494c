#!/usr/bin/env node
// An IPFIX-over-TCP collecting process for tests: takes one connection on
// 127.0.0.1:PORT and hands its bytes, unchanged, to libfixbuf's ipfixDump, which
// decodes the stream (an IPFIX stream over TCP is its messages back to back, as
// in a file: RFC 7011 section 10.4, RFC 5655). Prints "listening", then what
// ipfixDump prints; exits with ipfixDump once the exporter closes. Bounded: the
// connection must come within 10 s.
// Usage: ipfix-tcp-dump.mjs PORT
import {spawn} from 'node:child_process'
import net from 'node:net'

const port = Number(process.argv[2])
const server = net.createServer((socket) => {
  server.close()
  clearTimeout(timer)
  const dump = spawn('ipfixDump', ['--in', '-', '--out', '-'], {stdio: ['pipe', 'inherit', 'inherit']})
  socket.pipe(dump.stdin)
  dump.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
})
const timer = setTimeout(() => {
  console.error('ipfix-tcp-dump: no connection within 10 s')
  process.exit(1)
}, 10_000)
server.listen(port, '127.0.0.1', () => console.log('listening'))
