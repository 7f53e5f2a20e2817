/**
 * Text of dates (`YYYY-MM-DD`) and datetimes (`YYYY-MM-DDTHH:MM:SS`, UTC, no zone), as
 * ProSA writes them with chrono's `%Y-%m-%d` and `%Y-%m-%dT%H:%M:%S`; years 0000-9999.
 */

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_TEXT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function pad4(n: number): string {
  return n >= 1000 ? String(n) : String(n).padStart(4, '0');
}

/**
 * Why `value` has no text form (`is an invalid Date`, `has year 10000, outside
 * 0000-9999`), or `undefined` when it has one. Called to build an error message only.
 */
export function unwritableDate(value: Date): string | undefined {
  if (!(value instanceof Date)) return 'is not a Date';
  const time = value.getTime();
  if (time !== time) return 'is an invalid Date';
  const year = value.getUTCFullYear();
  if (year < 0 || year > 9999) return `has year ${year}, outside 0000-9999`;
  return undefined;
}

function writable(value: Date): boolean {
  if (!(value instanceof Date)) return false;
  const year = value.getUTCFullYear(); // NaN for an invalid Date
  return year >= 0 && year <= 9999;
}

/** `YYYY-MM-DD` of the UTC day of `value`, or `undefined` when it has none (see {@link unwritableDate}). */
export function formatDate(value: Date): string | undefined {
  if (!writable(value)) return undefined;
  return `${pad4(value.getUTCFullYear())}-${pad2(value.getUTCMonth() + 1)}-${pad2(value.getUTCDate())}`;
}

/**
 * `YYYY-MM-DDTHH:MM:SS` of `value` in UTC, milliseconds dropped; `undefined` when it has
 * none (see {@link unwritableDate}).
 */
export function formatDatetime(value: Date): string | undefined {
  if (!writable(value)) return undefined;
  return (
    `${pad4(value.getUTCFullYear())}-${pad2(value.getUTCMonth() + 1)}-${pad2(value.getUTCDate())}` +
    `T${pad2(value.getUTCHours())}:${pad2(value.getUTCMinutes())}:${pad2(value.getUTCSeconds())}`
  );
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
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d); // not Date.UTC: it maps years 0-99 to 1900-1999
  date.setUTCHours(h, mi, s, 0);
  return date;
}

/** Reads `YYYY-MM-DD` as a `Date` at UTC midnight; or returns why it cannot. */
export function parseDate(text: string): Date | string {
  const m = DATE_TEXT.exec(text);
  if (m === null) return 'not of the form YYYY-MM-DD';
  return utcDate(Number(m[1]), Number(m[2]), Number(m[3]), 0, 0, 0);
}

/** Reads `YYYY-MM-DDTHH:MM:SS` as a UTC `Date`; or returns why it cannot. */
export function parseDatetime(text: string): Date | string {
  const m = DATETIME_TEXT.exec(text);
  if (m === null) return 'not of the form YYYY-MM-DDTHH:MM:SS';
  return utcDate(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}
