/**
 * Work of the TVF layer against the size of its input, for every field order and for
 * malformed texts: each case times the same operation (CPU time) on inputs of size N and
 * 4N in one run (best of a few rounds, to shed GC pauses) and wants the ratio well under
 * the 16 a quadratic step gives. Linear or n log n work gives about 4 to 6.
 */
import { describe, expect, it } from 'vitest';
import { SimpleStringTvf, TvfDict, TvfError, TvfFilter } from '../../src/index.js';

const N = 16_000;
/** 4N may take at most this many times the work of N: quadratic work takes 16. */
const MAX_RATIO = 10;
const ROUNDS = 5;

/** Field ids 0..n-1 in the given order; `shuffled` is a fixed permutation (seeded LCG). */
function order(n: number, kind: 'ascending' | 'descending' | 'shuffled'): number[] {
  const ids = Array.from({ length: n }, (_, i) => i);
  if (kind === 'descending') ids.reverse();
  if (kind === 'shuffled') {
    let seed = 12345;
    for (let i = n - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const j = seed % (i + 1);
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
  }
  return ids;
}

/** The text of one 5-byte field per id, in the order given. */
function textOf(ids: readonly number[]): string {
  let out = '';
  for (const id of ids) out += `${id};5;value;`;
  return out;
}

/**
 * Best CPU time in ms of `run(input)` over a few rounds; `input` is made once, untimed.
 * CPU time, not wall time: on a busy machine a longer run is more often preempted, which
 * would inflate the ratio of a linear step.
 */
function bestMs<T>(input: T, run: (input: T) => void): number {
  run(input); // warm-up
  let best = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.cpuUsage();
    run(input);
    const { user, system } = process.cpuUsage(t0);
    best = Math.min(best, (user + system) / 1000);
  }
  return best;
}

/**
 * Ratio of the work on the 4N input to the work on the N input. A linear step can pass
 * 10 once, when the machine is busy or the larger input falls out of a cache; so the
 * ratio is taken again, up to 3 times, and the best counts: a quadratic step is over 10
 * every time.
 */
function ratio<T>(make: (n: number) => T, run: (input: T) => void): number {
  const small = make(N);
  const large = make(4 * N);
  let best = Infinity;
  for (let attempt = 0; attempt < 3 && best >= MAX_RATIO; attempt++) {
    best = Math.min(best, bestMs(large, run) / Math.max(bestMs(small, run), 0.01));
  }
  return best;
}

/** Runs `run` and wants it to throw a TvfError of kind SerializationError. */
function rejects(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (error instanceof TvfError && error.kind === 'SerializationError') return;
    throw error;
  }
  throw new Error('expected a SerializationError');
}

describe('TVF work grows linearly (or n log n) with the input, in any field order', () => {
  for (const kind of ['ascending', 'descending', 'shuffled'] as const) {
    it(`deserialize of ${kind} fields`, () => {
      const r = ratio(
        (n) => textOf(order(n, kind)),
        (text) => {
          const tvf = SimpleStringTvf.deserialize(text);
          if (tvf.len() === 0) throw new Error('empty');
        },
      );
      expect(r).toBeLessThan(MAX_RATIO);
    });

    it(`putString of ${kind} ids, then serialize`, () => {
      const r = ratio(
        (n) => order(n, kind),
        (ids) => {
          const tvf = new SimpleStringTvf();
          for (const id of ids) tvf.putString(id, 'value');
          if (tvf.serialize().length === 0) throw new Error('empty');
        },
      );
      expect(r).toBeLessThan(MAX_RATIO);
    });

    it(`putString of ${kind} ids, each followed by contains and getString`, () => {
      const r = ratio(
        (n) => order(n, kind),
        (ids) => {
          const tvf = new SimpleStringTvf();
          for (const id of ids) {
            if (tvf.contains(id)) throw new Error('already there');
            tvf.putString(id, 'value');
            if (tvf.getString(id) !== 'value') throw new Error('lost');
          }
        },
      );
      expect(r).toBeLessThan(MAX_RATIO);
    });

    it(`putBuffer of ${kind} ids, each a small record, then serialize and getBuffer of each`, () => {
      const inner = new SimpleStringTvf();
      inner.putString(2, 'in');
      inner.putUnsigned(1, 7);
      const r = ratio(
        (n) => order(n, kind),
        (ids) => {
          const tvf = new SimpleStringTvf();
          for (const id of ids) tvf.putBuffer(id, inner);
          if (tvf.serialize().length === 0) throw new Error('empty');
          for (const id of ids) if (tvf.getBuffer(id).len() !== 2) throw new Error('lost');
        },
      );
      expect(r).toBeLessThan(MAX_RATIO);
    });

    it(`remove of every field in ${kind} order, then serialize`, () => {
      const r = ratio(
        (n) => ({ text: textOf(order(n, 'ascending')), ids: order(n, kind) }),
        ({ text, ids }) => {
          const tvf = SimpleStringTvf.deserialize(text);
          for (const id of ids) tvf.remove(id);
          if (tvf.serialize() !== '') throw new Error('not empty');
        },
      );
      expect(r).toBeLessThan(MAX_RATIO);
    });
  }

  it('fromJson of ids above 2^32 (kept in the order given) in descending order', () => {
    const dict = new TvfDict({});
    const r = ratio(
      (n) => {
        const json: Record<string, string> = {};
        for (const id of order(n, 'descending')) json[String(2 ** 40 + id)] = 'value';
        return json;
      },
      (json) => {
        if (dict.fromJson(json).len() === 0) throw new Error('empty');
      },
    );
    expect(r).toBeLessThan(MAX_RATIO);
  });

  it('equals and toJsonText of two records read in different orders', () => {
    const dict = new TvfDict({});
    const r = ratio(
      (n) => [textOf(order(n, 'shuffled')), textOf(order(n, 'descending'))] as const,
      ([a, b]) => {
        const x = SimpleStringTvf.deserialize(a);
        const y = SimpleStringTvf.deserialize(b);
        if (!x.equals(y)) throw new Error('differ');
        if (dict.toJsonText(x).length === 0) throw new Error('empty');
      },
    );
    expect(r).toBeLessThan(MAX_RATIO);
  });

  it('filter that masks and removes many fields of a shuffled record', () => {
    const r = ratio(
      (n) => {
        const rules: Record<number, true> = {};
        for (let id = 0; id < n; id += 2) rules[id] = true;
        const tvf = new SimpleStringTvf();
        for (const id of order(n, 'shuffled')) {
          if (id % 4 === 0) tvf.putString(id, 'value');
          else tvf.putUnsigned(id, id);
        }
        return { filter: new TvfFilter(rules), tvf };
      },
      ({ filter, tvf }) => {
        if (filter.filter(tvf).len() === 0) throw new Error('empty');
      },
    );
    expect(r).toBeLessThan(MAX_RATIO);
  });
});

describe('malformed text is rejected in time linear in its size', () => {
  it('many tiny fields in descending order, then a bad terminator', () => {
    const r = ratio(
      (n) => textOf(order(n, 'descending')) + '1;1;a,',
      (text) => rejects(() => SimpleStringTvf.deserialize(text)),
    );
    expect(r).toBeLessThan(MAX_RATIO);
  });

  it('a huge length prefix', () => {
    const r = ratio(
      (n) => '1;' + '9'.repeat(10 * n) + ';a;',
      (text) => rejects(() => SimpleStringTvf.deserialize(text)),
    );
    expect(r).toBeLessThan(MAX_RATIO);
  });

  it('a huge field id', () => {
    const r = ratio(
      (n) => '9'.repeat(10 * n) + ';1;a;',
      (text) => rejects(() => SimpleStringTvf.deserialize(text)),
    );
    expect(r).toBeLessThan(MAX_RATIO);
  });

  it('a value cut inside a multi-byte character after long non-ASCII values', () => {
    const r = ratio(
      (n) => {
        const value = 'é'.repeat(50);
        let text = '';
        for (const id of order(n / 10, 'shuffled')) text += `${id};100;${value};`;
        return text + '1;1;é;';
      },
      (text) => rejects(() => SimpleStringTvf.deserialize(text)),
    );
    expect(r).toBeLessThan(MAX_RATIO);
  });

  /** `levels` records each nested in field 1 of the next, each with n / levels more fields, in descending order. */
  function nest(n: number, levels: number, innermost: string): string {
    let text = innermost;
    for (let level = 0; level < levels; level++) {
      text = textOf(order(n / levels, 'descending').map((id) => id + 2)) + `1;${Buffer.byteLength(text)};${text};`;
    }
    return text;
  }

  it.each([
    ['down to the depth limit, the innermost text malformed', 32, '1;1;a,', 31],
    ['past the depth limit', 40, '', 32],
  ] as const)('nesting %s', (_name, levels, innermost, opened) => {
    const r = ratio(
      (n) => nest(n, levels, innermost),
      (text) => {
        let tvf = SimpleStringTvf.deserialize(text);
        for (let level = 0; level < opened; level++) tvf = tvf.getBuffer(1);
        rejects(() => tvf.getBuffer(1));
      },
    );
    expect(r).toBeLessThan(MAX_RATIO);
  });

  it('UTF-8 bytes with an invalid sequence at the end', () => {
    const r = ratio(
      (n) => Buffer.concat([Buffer.from(textOf(order(10 * n, 'shuffled'))), Buffer.of(0xff)]),
      (bytes) => {
        try {
          SimpleStringTvf.fromUtf8(bytes);
        } catch (error) {
          if (error instanceof TvfError) return;
          throw error;
        }
        throw new Error('expected a TvfError');
      },
    );
    expect(r).toBeLessThan(MAX_RATIO);
  });
});
