/**
 * TVF text form throughput: serialize and deserialize of a typical 10-field record with
 * one nested buffer, beside JSON.stringify / JSON.parse of the equivalent plain object.
 * Run alone with `npx tsx bench/tvf.bench.ts`.
 */
import { pathToFileURL } from 'node:url';
import { SimpleStringTvf } from '../src/index.js';
import { medianOpsPerSec, type BenchFigure, type BenchSuite } from './lib.js';

const OPS = 100_000;

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

async function run(): Promise<BenchFigure[]> {
  const tvf = typicalRecord('Jean Luc Picard');
  const text = tvf.serialize();
  const object = typicalObject('Jean Luc Picard');
  const json = JSON.stringify(object);
  const wideText = typicalRecord('Jean-Luc Picard, Château de La Barre 🚀').serialize();

  const stringify = await medianOpsPerSec(OPS, () => {
    for (let i = 0; i < OPS; i++) sink += lastCode(JSON.stringify(object));
  });
  const parse = await medianOpsPerSec(OPS, () => {
    for (let i = 0; i < OPS; i++) sink += (JSON.parse(json) as { card: object }).card === undefined ? 0 : 1;
  });
  const serialize = await medianOpsPerSec(OPS, () => {
    for (let i = 0; i < OPS; i++) sink += lastCode(tvf.serialize());
  });
  const deserialize = await medianOpsPerSec(OPS, () => {
    for (let i = 0; i < OPS; i++) sink += SimpleStringTvf.deserialize(text).len();
  });
  const deserializeNested = await medianOpsPerSec(OPS, () => {
    for (let i = 0; i < OPS; i++) sink += SimpleStringTvf.deserialize(text).getBuffer(10).len();
  });
  const deserializeWide = await medianOpsPerSec(OPS, () => {
    for (let i = 0; i < OPS; i++) sink += SimpleStringTvf.deserialize(wideText).getBuffer(10).len();
  });
  const buildSerialize = await medianOpsPerSec(OPS, () => {
    for (let i = 0; i < OPS; i++) sink += lastCode(typicalRecord('Jean Luc Picard').serialize());
  });
  const buildStringify = await medianOpsPerSec(OPS, () => {
    for (let i = 0; i < OPS; i++) sink += lastCode(JSON.stringify(typicalObject('Jean Luc Picard')));
  });

  const bytes = { 'text bytes': Buffer.byteLength(text), 'json bytes': Buffer.byteLength(json) };
  return [
    { name: 'JSON.stringify, 10-field object, 1 nested', opsPerSec: stringify, extra: bytes },
    { name: 'JSON.parse, 10-field object, 1 nested', opsPerSec: parse },
    { name: 'JSON build + stringify, 10-field object, 1 nested', opsPerSec: buildStringify },
    {
      name: 'tvf serialize, 10-field record, 1 nested',
      opsPerSec: serialize,
      comparedTo: 'JSON.stringify, 10-field object, 1 nested',
      extra: bytes,
    },
    {
      name: 'tvf deserialize, 10-field record, 1 nested',
      opsPerSec: deserialize,
      comparedTo: 'JSON.parse, 10-field object, 1 nested',
    },
    {
      name: 'tvf deserialize + getBuffer, 10-field record, 1 nested',
      opsPerSec: deserializeNested,
      comparedTo: 'JSON.parse, 10-field object, 1 nested',
    },
    {
      name: 'tvf deserialize + getBuffer, non-ASCII values',
      opsPerSec: deserializeWide,
      comparedTo: 'tvf deserialize + getBuffer, 10-field record, 1 nested',
    },
    {
      name: 'tvf build (10 puts + 1 nested) + serialize',
      opsPerSec: buildSerialize,
      comparedTo: 'JSON build + stringify, 10-field object, 1 nested',
    },
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
    console.log(`${f.name.padEnd(56)} ${Math.round(f.opsPerSec).toLocaleString('en-US').padStart(12)} ops/s${ratio}`);
  }
  if (sink === 0.5) console.log(sink); // never true; reads the sink so the work stays
}
