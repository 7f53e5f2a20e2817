import { describe, expect, it } from 'vitest';
import { maskTvf, SimpleStringTvf, TvfError, TvfFilter, type Tvf } from '../../src/index.js';

describe('TvfFilter: masking for logs', () => {
  it('fills a string field’s characters, as ProSA’s mask_tvf_str_field does', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(1, 'plain');
    tvf.putString(2, '1234');
    tvf.putString(3, 'clear');
    const masked = new TvfFilter({ 1: true, 2: true }).filter(tvf);
    expect(masked.getString(1)).toBe('*****');
    expect(masked.getString(2)).toBe('****');
    expect(masked.getString(3)).toBe('clear');
    expect(masked.len()).toBe(3);
  });

  it('uses the fill character given, one per character (code point)', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(1, 'é😀a');
    expect(maskTvf(tvf, { 1: true }, { fill: '0' }).getString(1)).toBe('000');
    expect(maskTvf(tvf, { 1: true }, { fill: '█' }).getString(1)).toBe('███');
    expect(maskTvf(tvf, { 1: true }, { fill: '🙈' }).getString(1)).toBe('🙈🙈🙈');
  });

  it('does not change the record it masks', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(1, 'secret');
    tvf.putUnsigned(2, 4111);
    maskTvf(tvf, { 1: true, 2: true });
    expect(tvf.getString(1)).toBe('secret');
    expect(tvf.getUnsigned(2)).toBe(4111n);
  });

  it('removes a sensitive field that is not a string', () => {
    const tvf = new SimpleStringTvf();
    tvf.putUnsigned(1, 4111111111111111n);
    tvf.putBytes(2, Uint8Array.of(1, 2));
    tvf.putDate(3, new Date(0));
    tvf.putString(4, 'keep');
    const masked = maskTvf(tvf, { 1: true, 2: true, 3: true });
    expect(masked.keys()).toEqual([4]);
  });

  it('fills fields read from text, whose type the text does not tell', () => {
    const tvf = SimpleStringTvf.deserialize('1;16;4111111111111111;');
    expect(maskTvf(tvf, { 1: true }).getString(1)).toBe('*'.repeat(16));
  });

  it('masks inside nested buffers, at any depth', () => {
    const card = new SimpleStringTvf();
    card.putString(1, '4111111111111111');
    card.putString(2, 'Jean Luc');
    card.putSigned(3, 123);
    const payment = new SimpleStringTvf();
    payment.putBuffer(10, card);
    payment.putString(11, 'visible');
    const tvf = new SimpleStringTvf();
    tvf.putBuffer(20, payment);
    const masked = maskTvf(tvf, { 20: { 10: { 1: true, 3: true }, 11: true } });
    const maskedCard = masked.getBuffer(20).getBuffer(10);
    expect(maskedCard.getString(1)).toBe('*'.repeat(16));
    expect(maskedCard.getString(2)).toBe('Jean Luc');
    expect(maskedCard.contains(3)).toBe(false);
    expect(masked.getBuffer(20).getString(11)).toBe('*******');
    expect(masked.serialize()).not.toContain('4111');
  });

  it('masks nested buffers read from text', () => {
    const tvf = SimpleStringTvf.deserialize('5;17;1;6;secret;2;1;x;;');
    const masked = maskTvf(tvf, { 5: { 1: true } });
    expect(masked.getBuffer(5).getString(1)).toBe('******');
    expect(masked.getBuffer(5).getString(2)).toBe('x');
  });

  it('removes a field a nested rule cannot open', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(5, 'not a record but secret');
    expect(maskTvf(tvf, { 5: { 1: true } }).contains(5)).toBe(false);
    const deep = SimpleStringTvf.deserialize('5;17;1;6;secret;2;1;x;;', { maxDepth: 0 });
    expect(maskTvf(deep, { 5: { 1: true } }).contains(5)).toBe(false);
  });

  it('removes a whole buffer masked as a field', () => {
    const inner = new SimpleStringTvf();
    inner.putString(1, 'secret');
    const tvf = new SimpleStringTvf();
    tvf.putBuffer(5, inner);
    expect(maskTvf(tvf, { 5: true }).contains(5)).toBe(false);
  });

  it('ignores rules for missing fields', () => {
    const tvf = new SimpleStringTvf();
    tvf.putString(1, 'a');
    expect(maskTvf(tvf, { 2: true, 3: { 4: true } }).equals(tvf)).toBe(true);
  });

  it('masks another Tvf implementation through the interface', () => {
    const fields = new Map<number, string>([
      [1, 'secret'],
      [2, 'opaque'],
    ]);
    const foreign: Tvf = {
      keys: () => [...fields.keys()].sort((a, b) => a - b),
      contains: (id: number) => fields.has(id),
      getString: (id: number) => {
        if (id === 2) throw new TvfError('TypeMismatch', 'not a string', { id });
        return fields.get(id)!;
      },
      putString: (id: number, v: string) => void fields.set(id, v),
      remove: (id: number) => fields.delete(id),
      clone: () => foreign,
    } as unknown as Tvf;
    const masked = maskTvf(foreign, { 1: true, 2: true });
    expect(masked.getString(1)).toBe('******');
    expect(masked.contains(2)).toBe(false);
  });

  it('refuses bad rules and fills when built', () => {
    expect(() => new TvfFilter({ [-1]: true })).toThrow(TvfError);
    expect(() => new TvfFilter({ 1.5: true })).toThrow(/not a field id/);
    expect(() => new TvfFilter({ 1: 'yes' } as never)).toThrow(/not an object/);
    expect(() => new TvfFilter({ 1: true }, { fill: '' })).toThrow(/one character/);
    expect(() => new TvfFilter({ 1: true }, { fill: '**' })).toThrow(/one character/);
    expect(() => new TvfFilter({ 1: true }, { fill: '\ud800' })).toThrow(/one character/);
    const cyclic: Record<number, unknown> = {};
    cyclic[1] = cyclic;
    expect(() => new TvfFilter(cyclic as never)).toThrow(/deeper than 64/);
  });
});
