import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatDate, formatDatetime, parseDate, parseDatetime, unwritableDate } from '../../src/tvf/date-text.js';

describe('date text', () => {
  it('writes the UTC day and the UTC time to the second', () => {
    const d = new Date(Date.UTC(2023, 5, 5, 15, 2, 0, 999));
    expect(formatDate(d)).toBe('2023-06-05');
    expect(formatDatetime(d)).toBe('2023-06-05T15:02:00');
  });

  it('pads years below 1000 and handles year 0', () => {
    const d = new Date(0);
    d.setUTCFullYear(5, 0, 2);
    expect(formatDate(d)).toBe('0005-01-02');
    d.setUTCFullYear(0, 11, 31);
    expect(formatDatetime(d)).toBe('0000-12-31T00:00:00');
  });

  it('refuses invalid dates and years outside 0000-9999', () => {
    expect(formatDate(new Date(NaN))).toBeUndefined();
    expect(unwritableDate(new Date(NaN))).toBe('is an invalid Date');
    const far = new Date(Date.UTC(10000, 0, 1));
    expect(formatDatetime(far)).toBeUndefined();
    expect(unwritableDate(far)).toMatch(/year outside 0000-9999/);
    const before = new Date(0);
    before.setUTCFullYear(-1);
    expect(formatDate(before)).toBeUndefined();
    expect(unwritableDate(new Date(0))).toBeUndefined();
  });

  it('reads dates at UTC midnight, including early years and leap days', () => {
    expect((parseDate('2023-06-05') as Date).toISOString()).toBe('2023-06-05T00:00:00.000Z');
    expect((parseDate('0012-03-04') as Date).getUTCFullYear()).toBe(12);
    expect((parseDate('2024-02-29') as Date).getUTCDate()).toBe(29);
    expect((parseDate('2000-02-29') as Date).getUTCMonth()).toBe(1);
  });

  it('reads datetimes in UTC', () => {
    expect((parseDatetime('2023-06-05T15:02:00') as Date).toISOString()).toBe('2023-06-05T15:02:00.000Z');
    expect((parseDatetime('0000-01-01T23:59:59') as Date).getUTCFullYear()).toBe(0);
  });

  it.each([
    ['2023-02-30', 'day out of range for its month'],
    ['2023-02-29', 'day out of range for its month'],
    ['1900-02-29', 'day out of range for its month'],
    ['2023-13-01', 'month out of range'],
    ['2023-00-01', 'month out of range'],
    ['2023-01-00', 'day out of range for its month'],
    ['2023-6-5', 'not of the form YYYY-MM-DD'],
    ['12023-06-05', 'not of the form YYYY-MM-DD'],
    ['2023-06-05T00:00:00', 'not of the form YYYY-MM-DD'],
    ['', 'not of the form YYYY-MM-DD'],
  ])('date %j: %s', (text, reason) => {
    expect(parseDate(text)).toBe(reason);
  });

  it.each([
    ['2023-06-05T24:00:00', 'hour out of range'],
    ['2023-06-05T23:60:00', 'minute out of range'],
    ['2023-06-05T23:59:60', 'second out of range'],
    ['2023-06-31T00:00:00', 'day out of range for its month'],
    ['2023-06-05 15:02:00', 'not of the form YYYY-MM-DDTHH:MM:SS'],
    ['2023-06-05T15:02:00Z', 'not of the form YYYY-MM-DDTHH:MM:SS'],
    ['2023-06-05T15:02:00.000', 'not of the form YYYY-MM-DDTHH:MM:SS'],
    ['2023-06-05', 'not of the form YYYY-MM-DDTHH:MM:SS'],
  ])('datetime %j: %s', (text, reason) => {
    expect(parseDatetime(text)).toBe(reason);
  });
});

describe('date text agrees with the platform', () => {
  it('formats every instant of 0000-9999 as toISOString does', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
        (d) => {
          const iso = d.toISOString();
          expect(formatDatetime(d)).toBe(iso.slice(0, 19));
          expect(formatDate(d)).toBe(iso.slice(0, 10));
          expect((parseDatetime(iso.slice(0, 19)) as Date).getTime()).toBe(Math.floor(d.getTime() / 1000) * 1000);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('formats the first and last instants of the range and nothing outside', () => {
    expect(formatDatetime(new Date('0000-01-01T00:00:00.000Z'))).toBe('0000-01-01T00:00:00');
    expect(formatDatetime(new Date('9999-12-31T23:59:59.999Z'))).toBe('9999-12-31T23:59:59');
    expect(formatDate(new Date('1970-01-01T00:00:00.000Z'))).toBe('1970-01-01');
    expect(formatDate(new Date('1969-12-31T23:59:59.999Z'))).toBe('1969-12-31');
    expect(formatDate(new Date(new Date('0000-01-01T00:00:00.000Z').getTime() - 1))).toBeUndefined();
    expect(formatDate(new Date('+010000-01-01T00:00:00.000Z'))).toBeUndefined();
  });
});
