/**
 * Readable text of a record for logs and debugging (not a wire form: see `serialize`).
 */
import { hasKinds, type Tvf } from './tvf.js';

/**
 * `{1: 42, 2: "abc", 7: <aabb>, 10: {200: 154.5}}`: ids in order; strings and fields read
 * from text quoted as JSON strings; bytes as `<hex>`, a byte as `0x20`; numbers and dates
 * bare; nested buffers written with `putBuffer` opened (down to the record's read depth
 * limit, below which their text is shown quoted). Never throws for a well-behaved `tvf`.
 */
export function describeTvf(tvf: Tvf): string {
  const ids = tvf.keys();
  let out = '{';
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    out += (i === 0 ? '' : ', ') + id + ': ' + describeField(tvf, id);
  }
  return out + '}';
}

function describeField(tvf: Tvf, id: number): string {
  const text = tvf.getString(id);
  switch (hasKinds(tvf) ? tvf.kindOf(id) : 'text') {
    case 'text':
    case 'string':
      return JSON.stringify(text);
    case 'bytes':
      return '<' + text + '>';
    case 'byte':
      return '0x' + text;
    case 'buffer':
      try {
        return describeTvf(tvf.getBuffer(id));
      } catch {
        return JSON.stringify(text); // too deep to open: its text is still worth seeing
      }
    default:
      return text;
  }
}
