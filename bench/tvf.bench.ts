/**
 * TVF text form throughput, each figure beside its JSON twin in the same interleaved
 * rounds (lib.ts `interleave`):
 *
 * - a typical 10-field record with one nested buffer: serialize, deserialize, build, beside
 *   JSON.stringify / JSON.parse of the equivalent plain object;
 * - the same kind of record with its text fields in ASCII, in accented French and in CJK
 *   (as many UTF-16 code units in each): round trip through a string and through UTF-8
 *   bytes, and parse + read every field, each beside JSON, and each non-ASCII figure beside
 *   the same record in ASCII;
 * - reading or building a 100,000-field record with its fields in ascending, shuffled and
 *   descending order (reading must stay O(n log n) in any order: docs/tvf.md).
 *
 * Run alone with `npx tsx bench/tvf.bench.ts`, or `npm run bench -- tvf`.
 */
import { pathToFileURL } from 'node:url';
import { SimpleStringTvf } from '../src/index.js';
import { benchScale, figure, interleave, timed, type BenchFigure, type BenchSuite, type Sampler } from './lib.js';
import { runStandalone } from './report.js';

const OPS = 100_000;
/** Fields of the large record, and how many such records one round reads or builds. */
const LARGE_FIELDS = 100_000;
const LARGE_OPS = 4;

// Input values, made once: building a Date is the caller's work, not the record's.
const EXPIRY = new Date(Date.UTC(2027, 11, 31));
const DAY = new Date(Date.UTC(2023, 5, 5));
const AT = new Date(Date.UTC(2023, 5, 5, 15, 2));
const MAC = Uint8Array.of(0xca, 0xfe, 0xba, 0xbe, 0xde, 0xad, 0xbe, 0xef);
const REF = '5f0c2e1a-7b9d-4c1e-9a6f-3d2b8e4c7a10';
const PAN = '4111111111111111';

/** A card-payment-like record: 9 typed fields and a nested 3-field buffer. */
function typicalRecord(holder: string): SimpleStringTvf {
  const card = new SimpleStringTvf();
  card.putString(1, PAN);
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
  tvf.putString(9, REF);
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
    ref: REF,
    card: { pan: PAN, expiry: '2027-12-31', holder },
  };
}

/** The text fields of a record in one script. */
interface Texts {
  merchant: string;
  street: string;
  city: string;
  note: string;
  holder: string;
}

const FRENCH: Texts = {
  merchant: 'Crème brûlée et pâtisserie française',
  street: '12, rue de l’Église Saint-Étienne',
  city: 'Besançon-les-Bains',
  note: 'Reçu nº 42 : déjà payé, à bientôt et merci !',
  holder: 'Françoise Lefèvre-Désirée',
};

/** `text` in ASCII, code unit for code unit: accents dropped, other characters as `-`. */
function asciiTwin(text: string): string {
  return Array.from(text, (ch) => {
    const base = ch.normalize('NFD')[0]!;
    return base < '\x80' ? base : '-';
  }).join('');
}

const CJK_TEXT =
  '東京都千代田区丸の内一丁目の喫茶店で領収書第四十二号を受け取りました山田太郎様またのお越しをお待ちしております北京市朝阳区建国门外大街一号서울특별시중구세종대로';

/** As many CJK characters as each ASCII text has code units. */
function cjkTwin(ascii: Texts): Texts {
  let at = 0;
  const take = (n: number): string => {
    let out = '';
    for (let i = 0; i < n; i++) out += CJK_TEXT[(at++ * 7) % CJK_TEXT.length];
    return out;
  };
  return {
    merchant: take(ascii.merchant.length),
    street: take(ascii.street.length),
    city: take(ascii.city.length),
    note: take(ascii.note.length),
    holder: take(ascii.holder.length),
  };
}

const ASCII: Texts = {
  merchant: asciiTwin(FRENCH.merchant),
  street: asciiTwin(FRENCH.street),
  city: asciiTwin(FRENCH.city),
  note: asciiTwin(FRENCH.note),
  holder: asciiTwin(FRENCH.holder),
};

/** The scripts measured, ASCII first: the others are compared with it. */
const SCRIPTS: Array<[label: string, texts: Texts]> = [
  ['ASCII', ASCII],
  ['French (accented)', FRENCH],
  ['CJK', cjkTwin(ASCII)],
];

/** A record whose five text fields are in one script: 9 fields and a nested 3-field buffer. */
function scriptRecord(t: Texts): SimpleStringTvf {
  const card = new SimpleStringTvf();
  card.putString(1, PAN);
  card.putString(2, t.holder);
  card.putUnsigned(3, 2712);
  const tvf = new SimpleStringTvf();
  tvf.putUnsigned(1, 1234);
  tvf.putString(2, t.merchant);
  tvf.putString(3, t.street);
  tvf.putString(4, t.city);
  tvf.putString(5, t.note);
  tvf.putSigned(6, -5);
  tvf.putString(7, REF);
  tvf.putByte(8, 1);
  tvf.putFloat(9, 0.5);
  tvf.putBuffer(10, card);
  return tvf;
}

interface ScriptObject {
  amount: number;
  merchant: string;
  street: string;
  city: string;
  note: string;
  delta: number;
  ref: string;
  flag: number;
  rate: number;
  card: { pan: string; holder: string; expiry: number };
}

/** The JSON twin of {@link scriptRecord}. */
function scriptObject(t: Texts): ScriptObject {
  return {
    amount: 1234,
    merchant: t.merchant,
    street: t.street,
    city: t.city,
    note: t.note,
    delta: -5,
    ref: REF,
    flag: 1,
    rate: 0.5,
    card: { pan: PAN, holder: t.holder, expiry: 2712 },
  };
}

/** Keeps results alive so the JIT cannot drop the work measured. */
let sink = 0;
let bigSink = 0n;

/** Reads every field of a {@link scriptRecord}, each with its type's getter. */
function readRecord(tvf: SimpleStringTvf): void {
  const card = tvf.getBuffer(10);
  bigSink += tvf.getUnsigned(1) + tvf.getSigned(6) + card.getUnsigned(3);
  sink +=
    tvf.getString(2).length +
    tvf.getString(3).length +
    tvf.getString(4).length +
    tvf.getString(5).length +
    tvf.getString(7).length +
    tvf.getByte(8) +
    tvf.getFloat(9) +
    card.getString(1).length +
    card.getString(2).length;
}

/** Reads every field of a {@link scriptObject}. */
function readObject(o: ScriptObject): void {
  const card = o.card;
  sink +=
    o.amount +
    o.delta +
    card.expiry +
    o.merchant.length +
    o.street.length +
    o.city.length +
    o.note.length +
    o.ref.length +
    o.flag +
    o.rate +
    card.pan.length +
    card.holder.length;
}

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

/** The typical 10-field record against JSON: serialize, deserialize, build. */
async function typicalRecords(ops: number): Promise<BenchFigure[]> {
  const tvf = typicalRecord('Jean Luc Picard');
  const text = tvf.serialize();
  const object = typicalObject('Jean Luc Picard');
  const json = JSON.stringify(object);
  const wideText = typicalRecord('Jean-Luc Picard, Château de La Barre 🚀').serialize();

  const r = await interleave({
    stringify: timed(ops, () => {
      for (let i = 0; i < ops; i++) sink += lastCode(JSON.stringify(object));
    }),
    serialize: timed(ops, () => {
      for (let i = 0; i < ops; i++) sink += lastCode(tvf.serialize());
    }),
    parse: timed(ops, () => {
      for (let i = 0; i < ops; i++) sink += (JSON.parse(json) as { card: object }).card === undefined ? 0 : 1;
    }),
    deserialize: timed(ops, () => {
      for (let i = 0; i < ops; i++) sink += SimpleStringTvf.deserialize(text).len();
    }),
    deserializeNested: timed(ops, () => {
      for (let i = 0; i < ops; i++) sink += SimpleStringTvf.deserialize(text).getBuffer(10).len();
    }),
    deserializeWide: timed(ops, () => {
      for (let i = 0; i < ops; i++) sink += SimpleStringTvf.deserialize(wideText).getBuffer(10).len();
    }),
    buildSerialize: timed(ops, () => {
      for (let i = 0; i < ops; i++) sink += lastCode(typicalRecord('Jean Luc Picard').serialize());
    }),
    buildStringify: timed(ops, () => {
      for (let i = 0; i < ops; i++) sink += lastCode(JSON.stringify(typicalObject('Jean Luc Picard')));
    }),
  });

  const bytes = { 'text bytes': Buffer.byteLength(text), 'json bytes': Buffer.byteLength(json) };
  const stringify = 'JSON.stringify, 10-field object, 1 nested';
  const parse = 'JSON.parse, 10-field object, 1 nested';
  const nested = 'tvf deserialize + getBuffer, 10-field record, 1 nested';
  const buildStringify = 'JSON build + stringify, 10-field object, 1 nested';
  return [
    figure(stringify, r.stringify, { opsPerRound: ops, extra: bytes }),
    figure(parse, r.parse, { opsPerRound: ops }),
    figure(buildStringify, r.buildStringify, { opsPerRound: ops }),
    figure('tvf serialize, 10-field record, 1 nested', r.serialize, { comparedTo: stringify, opsPerRound: ops, extra: bytes }),
    figure('tvf deserialize, 10-field record, 1 nested', r.deserialize, { comparedTo: parse, opsPerRound: ops }),
    figure(nested, r.deserializeNested, { comparedTo: parse, opsPerRound: ops }),
    figure('tvf deserialize + getBuffer, non-ASCII values', r.deserializeWide, { comparedTo: nested, opsPerRound: ops }),
    figure('tvf build (10 puts + 1 nested) + serialize', r.buildSerialize, { comparedTo: buildStringify, opsPerRound: ops }),
  ];
}

/** The names of one script's six figures. */
function scriptNames(label: string) {
  return {
    jsonTrip: `JSON round trip (stringify + parse), ${label} object`,
    tvfTrip: `tvf round trip (serialize + deserialize), ${label} record`,
    jsonWire: `JSON wire round trip (to UTF-8 + parse), ${label} object`,
    tvfWire: `tvf wire round trip (toUtf8 + fromUtf8), ${label} record`,
    jsonRead: `JSON.parse + read every field, ${label} object`,
    tvfRead: `tvf deserialize + read every field, ${label} record`,
  };
}

/**
 * The record of {@link scriptRecord} in each script, against JSON. A round trip opens the
 * nested record too (what JSON.parse does); the samplers of every script share their code,
 * as a bus's code serves text in any script.
 */
async function scriptRecords(ops: number): Promise<BenchFigure[]> {
  const samplers: Record<string, Sampler> = {};
  const sizes: Record<string, Record<string, number>> = {};
  for (const [label, texts] of SCRIPTS) {
    const tvf = scriptRecord(texts);
    const object = scriptObject(texts);
    const text = tvf.serialize();
    const json = JSON.stringify(object);
    sizes[label] = { 'text bytes': Buffer.byteLength(text), 'json bytes': Buffer.byteLength(json) };
    const names = scriptNames(label);
    // Each JSON sampler beside its TVF twin: they are measured next to each other.
    samplers[names.jsonTrip] = timed(ops, () => {
      for (let i = 0; i < ops; i++) sink += (JSON.parse(JSON.stringify(object)) as ScriptObject).card.expiry;
    });
    samplers[names.tvfTrip] = timed(ops, () => {
      for (let i = 0; i < ops; i++) sink += SimpleStringTvf.deserialize(tvf.serialize()).getBuffer(10).len();
    });
    samplers[names.jsonWire] = timed(ops, () => {
      for (let i = 0; i < ops; i++) {
        sink += (JSON.parse(Buffer.from(JSON.stringify(object), 'utf8').toString('utf8')) as ScriptObject).card.expiry;
      }
    });
    samplers[names.tvfWire] = timed(ops, () => {
      for (let i = 0; i < ops; i++) sink += SimpleStringTvf.fromUtf8(tvf.toUtf8()).getBuffer(10).len();
    });
    samplers[names.jsonRead] = timed(ops, () => {
      for (let i = 0; i < ops; i++) readObject(JSON.parse(json) as ScriptObject);
    });
    samplers[names.tvfRead] = timed(ops, () => {
      for (let i = 0; i < ops; i++) readRecord(SimpleStringTvf.deserialize(text));
    });
  }
  const r = await interleave(samplers);
  const ascii = scriptNames(SCRIPTS[0]![0]);
  return SCRIPTS.flatMap(([label]) => {
    const names = scriptNames(label);
    const isAscii = label === SCRIPTS[0]![0];
    const versus = (json: string, asciiTwinName: string) => (isAscii ? [json] : [json, asciiTwinName]);
    return [
      figure(names.jsonTrip, r[names.jsonTrip]!, { opsPerRound: ops, extra: sizes[label] }),
      figure(names.tvfTrip, r[names.tvfTrip]!, { comparedTo: versus(names.jsonTrip, ascii.tvfTrip), opsPerRound: ops }),
      figure(names.jsonWire, r[names.jsonWire]!, { opsPerRound: ops }),
      figure(names.tvfWire, r[names.tvfWire]!, { comparedTo: versus(names.jsonWire, ascii.tvfWire), opsPerRound: ops }),
      figure(names.jsonRead, r[names.jsonRead]!, { opsPerRound: ops }),
      figure(names.tvfRead, r[names.tvfRead]!, { comparedTo: versus(names.jsonRead, ascii.tvfRead), opsPerRound: ops }),
    ];
  });
}

/** Reading and building a 100,000-field record in each order, beside JSON.parse of as many keys. */
async function largeRecords(): Promise<BenchFigure[]> {
  const ops = benchScale().quick ? 1 : LARGE_OPS;
  const json = JSON.stringify(Object.fromEntries(idsIn('shuffled', LARGE_FIELDS).map((id) => [String(id), 'value'])));
  const peer = `JSON.parse + Object.keys, ${LARGE_FIELDS / 1000}k-key object`;
  const ascendingRead = `tvf deserialize + keys, ${LARGE_FIELDS / 1000}k fields ascending`;
  const ascendingBuild = `tvf build (putString) + serialize, ${LARGE_FIELDS / 1000}k fields ascending`;
  const orders = ['ascending', 'shuffled', 'descending'] as const;
  const samplers: Record<string, Sampler> = {
    [peer]: timed(ops, () => {
      for (let i = 0; i < ops; i++) sink += Object.keys(JSON.parse(json) as object).length;
    }),
  };
  const textBytes: Record<string, number> = {};
  for (const order of orders) {
    const ids = idsIn(order, LARGE_FIELDS);
    let text = '';
    for (const id of ids) text += `${id};5;value;`;
    textBytes[order] = text.length;
    samplers[ascendingRead.replace('ascending', order)] = timed(ops, () => {
      // keys() walks the fields in id order, so the reordering is timed too.
      for (let i = 0; i < ops; i++) sink += SimpleStringTvf.deserialize(text).keys().length;
    });
    samplers[ascendingBuild.replace('ascending', order)] = timed(ops, () => {
      for (let i = 0; i < ops; i++) {
        const tvf = new SimpleStringTvf();
        for (const id of ids) tvf.putString(id, 'value');
        sink += lastCode(tvf.serialize());
      }
    });
  }
  const r = await interleave(samplers);
  const figures = [figure(peer, r[peer]!, { opsPerRound: ops, extra: { 'json bytes': json.length } })];
  for (const order of orders) {
    const ascending = order === 'ascending';
    const read = ascendingRead.replace('ascending', order);
    const build = ascendingBuild.replace('ascending', order);
    figures.push(
      figure(read, r[read]!, { comparedTo: ascending ? peer : ascendingRead, opsPerRound: ops, extra: { 'text bytes': textBytes[order]! } }),
      figure(build, r[build]!, { ...(ascending ? {} : { comparedTo: ascendingBuild }), opsPerRound: ops }),
    );
  }
  return figures;
}

async function run(): Promise<BenchFigure[]> {
  const ops = benchScale().ops(OPS);
  const figures = [...(await typicalRecords(ops)), ...(await scriptRecords(ops)), ...(await largeRecords())];
  if (sink === 0.5 && bigSink === 0n) console.log(sink); // never true; reads the sinks so the work stays
  return figures;
}

const suite: BenchSuite = { name: 'tvf', run };
export default suite;

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runStandalone(suite);
}
