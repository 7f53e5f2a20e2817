/**
 * Text of dates (`YYYY-MM-DD`) and datetimes (`YYYY-MM-DDTHH:MM:SS`, UTC, no zone), as
 * ProSA writes them with chrono's `%Y-%m-%d` and `%Y-%m-%dT%H:%M:%S`; years 0000-9999.
 * A `Date` is read by its time value only (never its own, maybe overridden, methods).
 */
import { timeOf } from './host-values.js';

/**
 * Why `value` has no text form (`is an invalid Date`, `has a year outside 0000-9999`),
 * or `undefined` when it has one. Called to build an error message only; it never
 * quotes the value.
 */
export function unwritableDate(value: Date): string | undefined {
  const time = timeOf(value);
  if (time === undefined) return 'is not a Date';
  if (time !== time) return 'is an invalid Date';
  const year = new Date(time).getUTCFullYear();
  if (year < 0 || year > 9999) return 'has a year outside 0000-9999';
  return undefined;
}

/** `TWO_DIGITS[n]` is `n` in two digits, 00-99: built once, reused by every format. */
const TWO_DIGITS: readonly string[] = Array.from({ length: 100 }, (_, n) => (n < 10 ? '0' : '') + n);

const DAY_MS = 86_400_000;
/** Milliseconds from 0000-01-01T00:00:00Z to 1970-01-01 and past 9999-12-31T23:59:59.999Z. */
const MIN_TIME = -62_167_219_200_000;
const END_TIME = 253_402_300_800_000;

/**
 * The text of `value` in UTC: `YYYY-MM-DD`, then `THH:MM:SS` when `withTime`; `undefined`
 * for an invalid Date or one outside years 0000-9999. Works on the time value with
 * integer arithmetic (civil-from-days, after H. Hinnant): several times faster than the
 * `getUTC*` getters or `toISOString`, and this runs on every date put.
 */
function dateText(value: Date, withTime: boolean): string | undefined {
  const time = timeOf(value);
  if (time === undefined || !(time >= MIN_TIME && time < END_TIME)) return undefined; // NaN fails too
  const days = Math.floor(time / DAY_MS);
  const z = days + 719_468; // days since 0000-03-01
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097; // day of the 400-year era
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)); // day of the March-based year
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const date =
    TWO_DIGITS[Math.floor(year / 100)]! + TWO_DIGITS[year % 100]! + '-' + TWO_DIGITS[month]! + '-' + TWO_DIGITS[day]!;
  if (!withTime) return date;
  const seconds = Math.floor((time - days * DAY_MS) / 1000);
  return (
    date +
    'T' +
    TWO_DIGITS[Math.floor(seconds / 3600)]! +
    ':' +
    TWO_DIGITS[Math.floor(seconds / 60) % 60]! +
    ':' +
    TWO_DIGITS[seconds % 60]!
  );
}

/** `YYYY-MM-DD` of the UTC day of `value`, or `undefined` when it has none (see {@link unwritableDate}). */
export function formatDate(value: Date): string | undefined {
  return dateText(value, false);
}

/**
 * `YYYY-MM-DDTHH:MM:SS` of `value` in UTC, milliseconds dropped; `undefined` when it has
 * none (see {@link unwritableDate}).
 */
export function formatDatetime(value: Date): string | undefined {
  return dateText(value, true);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** A UTC `Date` for a checked calendar day and time, or a reason why it is not one. */
function utcDate(y: number, mo: number, d: number, h: number, mi: number, s: number): Date | string {
  if (mo < 1 || mo > 12) return 'month out of range';
  const days = mo === 2 && isLeapYear(y) ? 29 : DAYS_IN_MONTH[mo - 1]!;
  if (d < 1 || d > days) return 'day out of range for its month';
  if (h > 23) return 'hour out of range';
  if (mi > 59) return 'minute out of range';
  if (s > 59) return 'second out of range';
  if (y >= 100) return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const date = new Date(0); // Date.UTC maps years 0-99 to 1900-1999: set the year apart
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return date;
}

/** The value of `count` ASCII digits of `text` from `at`, or -1 when one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Reads `YYYY-MM-DD` as a `Date` at UTC midnight; or returns why it cannot. */
export function parseDate(text: string): Date | string {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return 'not of the form YYYY-MM-DD';
  const y = digits(text, 0, 4);
  const mo = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  if (y < 0 || mo < 0 || d < 0) return 'not of the form YYYY-MM-DD';
  return utcDate(y, mo, d, 0, 0, 0);
}

/** Reads `YYYY-MM-DDTHH:MM:SS` as a UTC `Date`; or returns why it cannot. */
export function parseDatetime(text: string): Date | string {
  if (
    text.length !== 19 ||
    text.charCodeAt(4) !== 45 ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58
  )
    return 'not of the form YYYY-MM-DDTHH:MM:SS';
  const y = digits(text, 0, 4);
  const mo = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  const h = digits(text, 11, 2);
  const mi = digits(text, 14, 2);
  const s = digits(text, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return 'not of the form YYYY-MM-DDTHH:MM:SS';
  return utcDate(y, mo, d, h, mi, s);
}
