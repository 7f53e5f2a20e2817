/**
 * Masking of sensitive fields before a record reaches a log, as ProSA's `TvfFilter` does:
 * a string field's characters are replaced with a fill character; a sensitive field that
 * is not a string (or cannot be opened as the nested buffer a rule expects) is removed, so
 * nothing leaks.
 */
import { TvfError, typeName } from './error.js';
import { isFieldId } from './field-id.js';
import { hasKinds, type Tvf } from './tvf.js';
import { isWellFormed } from './utf8.js';

/**
 * Which fields to mask, by id: `true` masks the field itself; an object gives the rules
 * for the fields of the nested buffer held at that id.
 * @example `{ 2: true, 10: { 201: true } }` masks field 2 and field 201 of buffer 10.
 */
export interface TvfMaskRules {
  readonly [id: number]: true | TvfMaskRules;
}

/** Options of a {@link TvfFilter}. */
export interface TvfFilterOptions {
  /**
   * The character that replaces each character (Unicode code point) of a masked string.
   * Exactly one code point.
   * @defaultValue `'*'`
   */
  fill?: string;
}

/** Rules resolved once: parallel arrays walked per record, no per-call parsing. */
interface PreparedRules {
  readonly ids: readonly number[];
  /** `null` masks the field; a value descends into the nested buffer. */
  readonly nested: readonly (PreparedRules | null)[];
}

/** Deepest rule nesting accepted; deeper rules are a mistake (or a cycle). */
const MAX_RULE_DEPTH = 64;
/**
 * Most rules accepted in all, counting a rule object as often as it is reached: rules
 * that share objects (a YAML alias, say) would otherwise expand exponentially with depth.
 */
const MAX_RULES = 100_000;

/** A key of a rules object in a message: itself when short (it is not a field value). */
function keyText(key: string): string {
  return key.length > 24 ? `${key.slice(0, 24)}...` : key;
}

function badRules(why: string, cause?: unknown): TvfError {
  return new TvfError('TypeMismatch', `mask rules: ${why}`, { cause });
}

function prepare(rules: TvfMaskRules, depth: number, path: string, budget: { left: number }): PreparedRules {
  if (typeof rules !== 'object' || rules === null)
    throw badRules(`the rules${path} are ${typeName(rules)}, not an object of id to true or nested rules`);
  if (depth > MAX_RULE_DEPTH) throw badRules(`rules nest deeper than ${MAX_RULE_DEPTH} levels${path}`);
  const ids: number[] = [];
  const nested: (PreparedRules | null)[] = [];
  for (const key of Object.keys(rules)) {
    const id = Number(key);
    if (!isFieldId(id) || String(id) !== key) throw badRules(`key "${keyText(key)}"${path} is not a field id`);
    if (--budget.left < 0) throw badRules(`more than ${MAX_RULES} rules in all (counting shared rule objects each time)`);
    const rule = (rules as Record<string, unknown>)[key];
    ids.push(id);
    if (rule === true) nested.push(null);
    else nested.push(prepare(rule as TvfMaskRules, depth + 1, `${path} under ${id}`, budget));
  }
  return { ids, nested };
}

/** Number of code points in `text` (a surrogate pair counts once). */
function codePoints(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const h = text.charCodeAt(i - 1);
      if (h >= 0xd800 && h <= 0xdbff) count--;
    }
  }
  return count;
}

function isStringField(tvf: Tvf, id: number): boolean {
  if (hasKinds(tvf)) {
    const kind = tvf.kindOf(id);
    return kind === 'string' || kind === 'text';
  }
  try {
    tvf.getString(id);
    return true;
  } catch (error) {
    if (TvfError.is(error)) return false;
    throw error;
  }
}

/**
 * A prepared set of mask rules. Build it once (at configure time); `filter` then costs a
 * copy of the record and one step per rule.
 */
export class TvfFilter {
  readonly #rules: PreparedRules;
  readonly #fill: string;

  /**
   * @throws TvfError `TypeMismatch` when a rule key is not a field id, a rule is neither
   *   `true` nor an object, rules nest deeper than 64 levels or number more than 100,000
   *   in all, `options` is not an object, `fill` is not one code point, or reading the
   *   rules or options throws (the error is the `cause`).
   */
  constructor(rules: TvfMaskRules, options?: TvfFilterOptions) {
    if (options !== undefined && (typeof options !== 'object' || options === null))
      throw badRules(`the options argument is ${typeName(options)}, not an object`);
    let fill: unknown;
    try {
      fill = options?.fill ?? '*';
      this.#rules = prepare(rules, 0, '', { left: MAX_RULES });
    } catch (error) {
      if (TvfError.is(error)) throw error;
      throw badRules('reading the rules or options threw', error);
    }
    if (typeof fill !== 'string' || fill.length === 0 || codePoints(fill) !== 1 || !isWellFormed(fill))
      throw new TvfError('TypeMismatch', 'mask fill is not exactly one character');
    this.#fill = fill;
  }

  /**
   * A masked copy of `tvf`; `tvf` itself is not changed. A masked string field keeps its
   * number of characters, each replaced by the fill; a masked field of any other kind is
   * removed (a field read from text counts as a string); a rule for a nested buffer whose
   * field does not hold one removes the field. Missing fields are ignored. Work is bounded
   * by the rules (one step each), whatever `tvf` is.
   * @throws TvfError `TypeMismatch` when `tvf` is not a `Tvf` or one of its methods (or
   *   its copy's) throws something other than a `TvfError` (the error is the `cause`).
   */
  filter<T extends Tvf>(tvf: T): T {
    try {
      const copy = tvf.clone() as T;
      this.#apply(copy, this.#rules);
      return copy;
    } catch (error) {
      if (TvfError.is(error)) throw error;
      throw new TvfError('TypeMismatch', `TvfFilter.filter: the record (${typeName(tvf)}) is not a usable Tvf`, {
        cause: error,
      });
    }
  }

  #apply(tvf: Tvf, rules: PreparedRules): void {
    const { ids, nested } = rules;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!tvf.contains(id)) continue;
      const inner = nested[i]!;
      if (inner === null) {
        if (isStringField(tvf, id)) tvf.putString(id, this.#fill.repeat(codePoints(tvf.getString(id))));
        else tvf.remove(id);
        continue;
      }
      let child: Tvf;
      try {
        child = tvf.getBuffer(id);
      } catch (error) {
        if (!TvfError.is(error)) throw error;
        tvf.remove(id); // cannot be opened, so cannot be masked: drop it rather than leak it
        continue;
      }
      this.#apply(child, inner);
      tvf.putBuffer(id, child);
    }
  }
}

/** One-shot {@link TvfFilter}: prefer a filter built once where the same rules repeat. */
export function maskTvf<T extends Tvf>(tvf: T, rules: TvfMaskRules, options?: TvfFilterOptions): T {
  return new TvfFilter(rules, options).filter(tvf);
}
