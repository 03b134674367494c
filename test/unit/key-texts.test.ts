// KeyTexts: summary's key text found by the key fields' numbers. It gives exactly
// keyText's text, for every --by, whatever the values (nulls, absent fields, numbers as
// names, odd numbers), and starts over when full without mixing old and new keys.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {GROUP_BY, KEY_READS, keyText} from '../../src/summary/aggregate.js'
import type {GroupBy, Keyed} from '../../src/summary/aggregate.js'
import {KeyTexts} from '../../src/summary/key-texts.js'

const kt = suite('key-texts')

const base: Keyed = {family: 4, proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 53, dport: 40000, ifname: 'eth0', pid: 1, comm: 'a', uid: 0, cgroup: '/', container: null}
// each a change of one field, some of them values keyText writes alike (null and absent, 17 and "17")
const VARIANTS: Partial<Record<keyof Keyed, unknown>>[] = [
  {}, {family: 6, src: '::1', dst: '::2'}, {family: 0, src: undefined, dst: undefined, proto: 'arp'}, {proto: 17}, {proto: '17'},
  {sport: undefined, dport: undefined}, {sport: 0}, {dport: 65535}, {ifname: ''}, {pid: null}, {pid: undefined}, {comm: null},
  {comm: 'a b/c'}, {uid: 4294967295}, {uid: null}, {cgroup: null}, {container: 'ab'.repeat(32), runtime: 'docker'},
  {container: 'ab'.repeat(32), runtime: undefined}, {src: '10.0.0.2', dst: '10.0.0.1'}, {pid: -1}, {sport: 1.5}, {uid: Number.NaN},
]
const records: Keyed[] = VARIANTS.flatMap((v) => [{...base, ...v} as Keyed, {...base, ...v, sport: 9} as Keyed])

for (const by of GROUP_BY) {
  kt(`key-texts :: --by ${by}: keyText's text for every record, again and again`, () => {
    const texts = new KeyTexts(KEY_READS[by], (r) => keyText(by, r))
    for (let round = 0; round < 3; round++) {
      for (const r of records) assert.is(texts.text(r), keyText(by, r), JSON.stringify(r))
    }
  })
}

kt('key-texts :: KEY_READS names every field keyText reads (a record cut to them has the same key)', () => {
  for (const by of GROUP_BY) {
    for (const r of records) {
      const cut = Object.fromEntries(KEY_READS[by].map((k) => [k, r[k as keyof Keyed]])) as unknown as Keyed
      assert.is(keyText(by, cut), keyText(by, r), `${by}: ${JSON.stringify(r)}`)
    }
  }
})

kt('key-texts :: a key seen before is the same string, not built again', () => {
  let built = 0
  const texts = new KeyTexts(KEY_READS.flow, (r) => {
    built++
    return keyText('flow', r)
  })
  const one = texts.text({...base})
  const two = texts.text({...base, comm: 'another'}) // not a flow key field
  assert.is(one, two)
  assert.is(built, 1)
})

kt('key-texts :: full, it starts over: old tuples never answer for new strings', () => {
  const by: GroupBy = 'src'
  const texts = new KeyTexts(KEY_READS[by], (r) => keyText(by, r), 16)
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 100; i++) {
      const r = {...base, src: `10.0.${round}.${(i * 7) % 50}`}
      assert.is(texts.text(r), keyText(by, r))
    }
  }
})

kt('key-texts :: a field no key has is a programming error', () => {
  assert.throws(() => new KeyTexts(['len'], () => ''), /len is not a key field/)
})

kt.run()
