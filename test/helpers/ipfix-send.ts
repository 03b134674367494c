#!/usr/bin/env node
// Sends the flows in FLOWS_JSON (ExportFlow objects, timestamps filled in) to a
// collector with sockwatch's exporter, then closes it. For flows the engine cannot
// make yet, e.g. with owner fields before attribution (issue 16) lands.
// Usage: node --import tsx ipfix-send.ts HOST PORT FLOWS_JSON
import {openExporter} from '../../src/export/ipfix/transport.js'
import type {ExportFlow} from '../../src/export/ipfix/templates.js'

const [host, port, json] = process.argv.slice(2)
const now = Date.now()
const flows = (JSON.parse(json) as ExportFlow[]).map((f) => ({...f, startMs: now - 1000, endMs: now}))
const exporter = await openExporter({
  collector: {host, port: Number(port), transport: 'udp'}, observationDomainId: 7, maxMessageLength: 1400,
  refreshMs: 0, refreshMessages: 0, maxQueued: 1000, log: () => {},
})
exporter.send(flows)
await exporter.close()
console.log(JSON.stringify(exporter.counters))
