import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {saveArgs, saveOptions, type SaveFlags} from '../../src/capture/save.js'
import {InputError} from '../../src/lib/duration.js'

const save = suite('capture-save')

// [what, flags, the sidecar's argv (undefined: no file)]
const cases: [string, SaveFlags, string[] | undefined][] = [
  ['no -w: no file, no flags', {}, undefined],
  ['a .pcapng name is pcapng at the default snaplen', {write: 'x.pcapng'}, ['-w', 'x.pcapng', '--snaplen', '262144']],
  ['a .pcap name is classic pcap', {write: 'x.pcap'}, ['-w', 'x.pcap', '--snaplen', '262144', '--pcap']],
  ['a .PCAP name too', {write: 'X.PCAP'}, ['-w', 'X.PCAP', '--snaplen', '262144', '--pcap']],
  ['--pcap makes any name classic pcap', {write: 'x.cap', pcap: true}, ['-w', 'x.cap', '--snaplen', '262144', '--pcap']],
  ['any other name is pcapng', {write: 'capture'}, ['-w', 'capture', '--snaplen', '262144']],
  ['stdout is pcapng', {write: '-'}, ['-w', '-', '--snaplen', '262144']],
  ['stdout with --pcap is pcap', {write: '-', pcap: true}, ['-w', '-', '--snaplen', '262144', '--pcap']],
  ['-s 96 is --snaplen 96', {write: 'x.pcapng', snaplen: 96}, ['-w', 'x.pcapng', '--snaplen', '96']],
  ['-s 0 is the default, as tcpdump', {write: 'x.pcapng', snaplen: 0}, ['-w', 'x.pcapng', '--snaplen', '262144']],
  ['-C, -W', {write: 'r.pcap', 'file-size': 1, 'file-count': 3}, ['-w', 'r.pcap', '--snaplen', '262144', '--pcap', '-C', '1', '-W', '3']],
  ['-G alone', {write: '%H.pcapng', 'rotate-seconds': 60}, ['-w', '%H.pcapng', '--snaplen', '262144', '-G', '60']],
  ['-G -W', {write: 'x', 'rotate-seconds': 5, 'file-count': 2}, ['-w', 'x', '--snaplen', '262144', '-G', '5', '-W', '2']],
  ['-s with -X and no -w: no file (the bytes -X shows live)', {snaplen: 64, 'hex-ascii': true}, undefined],
  ['-s with -A and no -w: no file', {snaplen: 64, ascii: true}, undefined],
  ['-r with -w: one file, as tcpdump -r -w', {read: 'in.pcap', write: 'out.pcapng'}, ['-w', 'out.pcapng', '--snaplen', '262144']],
]

for (const [what, flags, expected] of cases) {
  save(`capture-save :: ${what}`, () => {
    const options = saveOptions(flags)
    assert.equal(options && saveArgs(options), expected)
  })
}

// [what, flags, the sentence's start]
const refused: [string, SaveFlags, string][] = [
  ['-W without -C or -G', {write: 'x', 'file-count': 3}, '-W counts the files'],
  ['-C to stdout', {write: '-', 'file-size': 1}, '-C and -G start new files'],
  ['-G to stdout', {write: '-', 'rotate-seconds': 1}, '-C and -G start new files'],
  ['-w with --json', {write: 'x', json: true}, '-w writes the packets to a file'],
  ['-w with --format', {write: 'x', format: 'text'}, '-w writes the packets to a file'],
  ['-w with --flows', {write: 'x', flows: '5s'}, '-w writes packets only'],
  ['an empty -w', {write: ''}, '-w takes a file name'],
  ['--snaplen without -w', {snaplen: 100}, '--snaplen goes with -w FILE'],
  ['--pcap without -w', {pcap: true}, '--pcap goes with -w FILE'],
  ['-C without -w', {'file-size': 1}, '--file-size goes with -w FILE'],
  ['--pcap with -X and no -w', {pcap: true, 'hex-ascii': true}, '--pcap goes with -w FILE'],
  ['-r -w with -C', {read: 'in.pcap', write: 'out', 'file-size': 1}, "--file-size shapes a live capture's files"],
  ['-r -w with -G', {read: 'in.pcap', write: 'out', 'rotate-seconds': 1}, "--rotate-seconds shapes a live capture's files"],
  ['-r -w with -s', {read: 'in.pcap', write: 'out', snaplen: 64}, "--snaplen shapes a live capture's files"],
]

for (const [what, flags, start] of refused) {
  save(`capture-save :: refused: ${what}`, () => {
    try {
      saveOptions(flags)
      assert.unreachable('accepted')
    } catch (error) {
      assert.instance(error, InputError)
      assert.ok((error as Error).message.startsWith(start), (error as Error).message)
    }
  })
}

save.run()
