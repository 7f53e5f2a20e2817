/**
 * Sensitive fields as a settings file writes them, and their translation into the TVF
 * layer's mask rules: `[2, 35, { 10: [201] }]` masks fields 2 and 35, and field 201 of the
 * nested buffer at field 10.
 */
import type { TvfMaskRules } from '../tvf/filter.js';

/**
 * Sensitive field ids of one service's records: an id masks that field; an object maps the
 * id of a nested buffer to the sensitive fields inside it.
 * @example `[2, 35, { 10: [201] }]`
 */
export type SensitiveFields = ReadonlyArray<number | { readonly [id: string]: SensitiveFields }>;

/** Mask rules of `fields`. A whole field wins over rules for fields inside it. */
export function maskRulesOf(fields: SensitiveFields): TvfMaskRules {
  const rules: Record<number, true | TvfMaskRules> = {};
  for (const entry of fields) {
    if (typeof entry === 'number') {
      rules[entry] = true;
      continue;
    }
    for (const [key, inner] of Object.entries(entry)) {
      const id = Number(key);
      rules[id] = mergeRule(rules[id], maskRulesOf(inner));
    }
  }
  return rules;
}

/** Rules that mask every field either of `a` or `b` masks. */
export function mergeMaskRules(a: TvfMaskRules, b: TvfMaskRules): TvfMaskRules {
  const merged: Record<number, true | TvfMaskRules> = { ...a };
  for (const key of Object.keys(b)) {
    const id = Number(key);
    merged[id] = mergeRule(merged[id], b[id]!);
  }
  return merged;
}

function mergeRule(a: true | TvfMaskRules | undefined, b: true | TvfMaskRules): true | TvfMaskRules {
  if (a === undefined) return b;
  if (a === true || b === true) return true;
  return mergeMaskRules(a, b);
}

/** True when the rules mask nothing. */
export function isEmptyRules(rules: TvfMaskRules): boolean {
  return Object.keys(rules).length === 0;
}
