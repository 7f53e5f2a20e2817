/**
 * TVF text form throughput: serialize and deserialize of a typical 10-field record with
 * one nested buffer, beside JSON.stringify / JSON.parse of the equivalent plain object;
 * and reading or building a 100,000-field record with its fields in ascending, shuffled
 * and descending order (reading must stay O(n log n) in any order: docs/tvf.md).
 * Run alone with `npx tsx bench/tvf.bench.ts`.
 */
import { pathToFileURL } from 'node:url';
import { SimpleStringTvf } from '../src/index.js';
import { benchScale, measureRounds, roundsExtra, type BenchFigure, type BenchSuite, type RoundRates } from './lib.js';

const OPS = 100_000;
/** Fields of the large record, and how many such records one round reads or builds. */
const LARGE_FIELDS = 100_000;
const LARGE_OPS = 4;

// Input values, made once: building a Date is the caller's work, not the record's.
const EXPIRY = new Date(Date.UTC(2027, 11, 31));
const DAY = new Date(Date.UTC(2023, 5, 5));
const AT = new Date(Date.UTC(2023, 5, 5, 15, 2));
const MAC = Uint8Array.of(0xca, 0xfe, 0xba, 0xbe, 0xde, 0xad, 0xbe, 0xef);

/** A card-payment-like record: 9 typed fields and a nested 3-field buffer. */
function typicalRecord(holder: string): SimpleStringTvf {
  const card = new SimpleStringTvf();
  card.putString(1, '4111111111111111');
  card.putDate(2, EXPIRY);
  card.putString(3, holder);
  const tvf = new SimpleStringTvf();
  tvf.putUnsigned(1, 1234);
  tvf.putString(2, 'Coffee shop, Main Street');
  tvf.putSigned(3, -5);
  tvf.putFloat(4, 0.5);
  tvf.putByte(5, 1);
  tvf.putBytes(6, MAC);
  tvf.putDate(7, DAY);
  tvf.putDatetime(8, AT);
  tvf.putString(9, '5f0c2e1a-7b9d-4c1e-9a6f-3d2b8e4c7a10');
  tvf.putBuffer(10, card);
  return tvf;
}

/** The same content as a plain object, as a JSON-based bus would carry it. */
function typicalObject(holder: string): Record<string, unknown> {
  return {
    amount: 1234,
    merchant: 'Coffee shop, Main Street',
    delta: -5,
    rate: 0.5,
    flag: 1,
    mac: 'cafebabedeadbeef',
    day: '2023-06-05',
    at: '2023-06-05T15:02:00',
    ref: '5f0c2e1a-7b9d-4c1e-9a6f-3d2b8e4c7a10',
    card: { pan: '4111111111111111', expiry: '2027-12-31', holder },
  };
}

/** Keeps results alive so the JIT cannot drop the work measured. */
let sink = 0;

/**
 * The last char code of `text`. Reading a char flattens a string built by concatenation,
 * as writing it to a socket would: without it, serialize would be timed before its copy.
 */
function lastCode(text: string): number {
  return text.charCodeAt(text.length - 1);
}

/** Ids 0..n-1 in `order`; `shuffled` is one fixed permutation (a seeded LCG), the same every run. */
function idsIn(order: 'ascending' | 'shuffled' | 'descending', n: number): number[] {
  const ids = Array.from({ length: n }, (_, i) => i);
  if (order === 'descending') ids.reverse();
  if (order === 'shuffled') {
    let seed = 20_240_601;
    for (let i = n - 1; i > 0; i--) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      const j = seed % (i + 1);
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
  }
  return ids;
}

/** A figure of a measurement, its spread in `extra` as `bench/run.ts` prints it. */
function figure(
  name: string,
  measured: RoundRates,
  opsPerRound: number,
  comparedTo?: string,
  extra?: BenchFigure['extra'],
): BenchFigure {
  return { name, opsPerSec: measured.median, comparedTo, extra: { ...roundsExtra(measured, opsPerRound), ...extra } };
}

/** Reading and building a 100,000-field record in each order, beside JSON.parse of as many keys. */
async function largeRecords(): Promise<BenchFigure[]> {
  const ops = benchScale().quick ? 1 : LARGE_OPS;
  const json = JSON.stringify(Object.fromEntries(idsIn('shuffled', LARGE_FIELDS).map((id) => [String(id), 'value'])));
  const parse = await measureRounds(ops, () => {
    for (let i = 0; i < ops; i++) sink += Object.keys(JSON.parse(json) as object).length;
  });
  const peer = `JSON.parse + Object.keys, ${LARGE_FIELDS / 1000}k-key object`;
  const figures = [figure(peer, parse, ops, undefined, { 'json bytes': json.length })];
  const ascendingRead = `tvf deserialize + keys, ${LARGE_FIELDS / 1000}k fields ascending`;
  const ascendingBuild = `tvf build (putString) + serialize, ${LARGE_FIELDS / 1000}k fields ascending`;
  for (const order of ['ascending', 'shuffled', 'descending'] as const) {
    const ids = idsIn(order, LARGE_FIELDS);
    let text = '';
    for (const id of ids) text += `${id};5;value;`;
    const read = await measureRounds(ops, () => {
      // keys() walks the fields in id order, so the reordering is timed too.
      for (let i = 0; i < ops; i++) sink += SimpleStringTvf.deserialize(text).keys().length;
    });
    const build = await measureRounds(ops, () => {
      for (let i = 0; i < ops; i++) {
        const tvf = new SimpleStringTvf();
        for (const id of ids) tvf.putString(id, 'value');
        sink += lastCode(tvf.serialize());
      }
    });
    const ascending = order === 'ascending';
    figures.push(
      figure(ascendingRead.replace('ascending', order), read, ops, ascending ? peer : ascendingRead, { 'text bytes': text.length }),
      figure(ascendingBuild.replace('ascending', order), build, ops, ascending ? undefined : ascendingBuild),
    );
  }
  return figures;
}

async function run(): Promise<BenchFigure[]> {
  const ops = benchScale().ops(OPS);
  const tvf = typicalRecord('Jean Luc Picard');
  const text = tvf.serialize();
  const object = typicalObject('Jean Luc Picard');
  const json = JSON.stringify(object);
  const wideText = typicalRecord('Jean-Luc Picard, Château de La Barre 🚀').serialize();

  const stringify = await measureRounds(ops, () => {
    for (let i = 0; i < ops; i++) sink += lastCode(JSON.stringify(object));
  });
  const parse = await measureRounds(ops, () => {
    for (let i = 0; i < ops; i++) sink += (JSON.parse(json) as { card: object }).card === undefined ? 0 : 1;
  });
  const serialize = await measureRounds(ops, () => {
    for (let i = 0; i < ops; i++) sink += lastCode(tvf.serialize());
  });
  const deserialize = await measureRounds(ops, () => {
    for (let i = 0; i < ops; i++) sink += SimpleStringTvf.deserialize(text).len();
  });
  const deserializeNested = await measureRounds(ops, () => {
    for (let i = 0; i < ops; i++) sink += SimpleStringTvf.deserialize(text).getBuffer(10).len();
  });
  const deserializeWide = await measureRounds(ops, () => {
    for (let i = 0; i < ops; i++) sink += SimpleStringTvf.deserialize(wideText).getBuffer(10).len();
  });
  const buildSerialize = await measureRounds(ops, () => {
    for (let i = 0; i < ops; i++) sink += lastCode(typicalRecord('Jean Luc Picard').serialize());
  });
  const buildStringify = await measureRounds(ops, () => {
    for (let i = 0; i < ops; i++) sink += lastCode(JSON.stringify(typicalObject('Jean Luc Picard')));
  });

  const bytes = { 'text bytes': Buffer.byteLength(text), 'json bytes': Buffer.byteLength(json) };
  return [
    figure('JSON.stringify, 10-field object, 1 nested', stringify, ops, undefined, bytes),
    figure('JSON.parse, 10-field object, 1 nested', parse, ops),
    figure('JSON build + stringify, 10-field object, 1 nested', buildStringify, ops),
    figure('tvf serialize, 10-field record, 1 nested', serialize, ops, 'JSON.stringify, 10-field object, 1 nested', bytes),
    figure('tvf deserialize, 10-field record, 1 nested', deserialize, ops, 'JSON.parse, 10-field object, 1 nested'),
    figure('tvf deserialize + getBuffer, 10-field record, 1 nested', deserializeNested, ops, 'JSON.parse, 10-field object, 1 nested'),
    figure(
      'tvf deserialize + getBuffer, non-ASCII values',
      deserializeWide,
      ops,
      'tvf deserialize + getBuffer, 10-field record, 1 nested',
    ),
    figure(
      'tvf build (10 puts + 1 nested) + serialize',
      buildSerialize,
      ops,
      'JSON build + stringify, 10-field object, 1 nested',
    ),
    ...(await largeRecords()),
  ];
}

const suite: BenchSuite = { name: 'tvf', run };
export default suite;

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await suite.run();
  const byName = new Map(figures.map((f) => [f.name, f]));
  for (const f of figures) {
    const peer = f.comparedTo === undefined ? undefined : byName.get(f.comparedTo);
    const ratio = peer === undefined ? '' : `  x${(f.opsPerSec / peer.opsPerSec).toFixed(2)} vs ${peer.name}`;
    const rate = (v: unknown): string =>
      Number(v) >= 100 ? Math.round(Number(v)).toLocaleString('en-US') : Number(v).toPrecision(3); // 0.183 ops/s shows
    const spread = `(${rate(f.extra?.['minOpsPerSec'])}-${rate(f.extra?.['maxOpsPerSec'])})`;
    console.log(`${f.name.padEnd(60)} ${rate(f.opsPerSec).padStart(12)} ops/s ${spread}${ratio}`);
  }
  if (sink === 0.5) console.log(sink); // never true; reads the sink so the work stays
}
