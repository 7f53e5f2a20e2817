/**
 * Stable keys: one text per value, equal exactly when the values are deeply equal
 * (object keys sorted, arrays in order). Directive equivalence and settings diffs use it.
 */

/**
 * The stable text of `value`: JSON with object keys sorted, `undefined` fields left out
 * (as JSON does), bigints as `"123n"`, non-finite numbers as strings, `toJSON()` honoured.
 * Throws a `TypeError` for a function, a symbol or a cycle.
 */
export function stableKey(value: unknown): string {
  return write(value, new Set());
}

function write(value: unknown, path: Set<object>): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
    case 'bigint':
      return JSON.stringify(`${value}n`);
    case 'undefined':
      return 'null';
    case 'function':
    case 'symbol':
      throw new TypeError(`a ${typeof value} has no stable key`);
  }
  if (value === null) return 'null';
  const object = value as object & { toJSON?: () => unknown };
  if (typeof object.toJSON === 'function') return write(object.toJSON(), path);
  if (path.has(object)) throw new TypeError('a cyclic value has no stable key');
  path.add(object);
  let text: string;
  if (Array.isArray(object)) {
    text = `[${object.map((item: unknown) => write(item, path)).join(',')}]`;
  } else {
    const record = object as Record<string, unknown>;
    const fields: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const field = record[key];
      if (field === undefined) continue;
      fields.push(`${JSON.stringify(key)}:${write(field, path)}`);
    }
    text = `{${fields.join(',')}}`;
  }
  path.delete(object);
  return text;
}
