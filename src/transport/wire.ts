/**
 * What crosses the wire between instances. A request's payload is a one-line frame head
 * and its TVF record in ProSA's text form (`SimpleStringTvf`), all UTF-8:
 *
 *     prosa2 <timeout-ms> <instance>/<processor>\n<TVF text>
 *
 * (`prosa2`: the frame's version; `<timeout-ms>`: milliseconds left before the caller's
 * deadline; `-` as the processor for a request from outside the bus). The fields travel
 * there, not in NATS headers, because building and reading headers cost more than the
 * rest of the transport's work per request. A plain NATS client may still send the TVF
 * text alone with the `prosa-timeout-ms` (and `prosa-origin`) headers, the form of prosa
 * before frames. A reply is the TVF text alone. Announcements are small JSON documents.
 *
 * | header | on | value |
 * | --- | --- | --- |
 * | `prosa-timeout-ms` | request without a frame | milliseconds left before the caller's deadline |
 * | `prosa-origin` | request without a frame | `<instance>/<processor>` of the caller |
 * | `traceparent`, `tracestate` | request | W3C trace context: the caller's client span, when the request is traced (docs/tracing.md) |
 * | `baggage` | request | W3C baggage: the request's metadata (`RequestOptions.meta`), when it has any |
 * | `prosa-instance` | ack, error | the instance that took the request |
 * | `prosa-ack` | ack | `1`: the request was taken and is being worked on |
 * | `prosa-error` | error | the `ServiceError` kind |
 * | `prosa-error-processor` | error | the processor at fault, when one was |
 * | `prosa-error-message` | error | what happened (one line) |
 * | `prosa-signature` | announcement | ed25519 signature of `<subject>\n<body>` (see `identity.ts`) |
 */
import { ErrorCode } from 'nats';
import { z } from 'zod';
import { MAX_HEARTBEAT_MS } from '../config/transport-settings.js';
import { SimpleStringTvf } from '../tvf/simple-string-tvf.js';
import type { Tvf } from '../tvf/tvf.js';
import { codeOf } from '../tvf/unknown-value.js';

/** Header names. */
export const HEADER = {
  timeoutMs: 'prosa-timeout-ms',
  origin: 'prosa-origin',
  instance: 'prosa-instance',
  ack: 'prosa-ack',
  error: 'prosa-error',
  errorProcessor: 'prosa-error-processor',
  errorMessage: 'prosa-error-message',
  signature: 'prosa-signature',
} as const;

/** Longest error message sent, in characters; the rest is cut. */
const MAX_ERROR_MESSAGE = 1_000;

/** `text` on one line: every run of CR and LF becomes one space. */
export function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** A header value: one line (NATS headers take no CR or LF), at most {@link MAX_ERROR_MESSAGE} characters. */
export function headerText(text: string): string {
  const line = oneLine(text);
  return line.length > MAX_ERROR_MESSAGE ? `${line.slice(0, MAX_ERROR_MESSAGE - 1)}…` : line;
}

/** True when `error` is the NATS client refusing a message larger than the server's `max_payload`. */
export function isPayloadTooLarge(error: unknown): boolean {
  return codeOf(error) === ErrorCode.MaxPayloadExceeded;
}

/** The wire form of a record: its `SimpleStringTvf` text in UTF-8 (converted first if it is another `Tvf`). */
export function encodeRecord(tvf: Tvf): Uint8Array {
  return SimpleStringTvf.own(tvf).toUtf8();
}

// Request frames ----------------------------------------------------------------

/** Version of the request frame; a frame of another version is answered with a `protocol` error. */
export const REQUEST_FRAME_VERSION = 2;

/** What every request frame starts with: `prosa`, then its version (ASCII). */
const FRAME_TAG = [0x70, 0x72, 0x6f, 0x73, 0x61] as const;
const FRAME_HEAD = `prosa${REQUEST_FRAME_VERSION} `;
/** How a request frame's head reads, for error messages. */
export const REQUEST_FRAME_HEAD_HINT = `'${FRAME_HEAD}<timeout-ms> <origin>', docs/transport.md`;
/** Longest frame head read before its end of line, in bytes: a longer one is refused. */
const MAX_FRAME_HEAD_BYTES = 1_024;
const SPACE = 0x20;
const NEWLINE = 0x0a;

/**
 * The wire form of a request: its frame head (version, `timeoutMs`, `origin`) and its
 * record's `SimpleStringTvf` text, in UTF-8. `origin` must be one line (see {@link oneLine}).
 */
export function encodeRequest(tvf: Tvf, timeoutMs: number, origin: string): Uint8Array {
  return Buffer.from(`${FRAME_HEAD}${timeoutMs} ${origin}\n${SimpleStringTvf.own(tvf).serialize()}`, 'utf8');
}

/** A request frame read by {@link readRequestFrame}. */
export interface RequestFrame {
  /** Milliseconds the caller had left when it sent the request (0 or more). */
  timeoutMs: number;
  /** `<instance>/<processor>` of the caller, as it claims. */
  origin: string;
  /** The record's TVF text, UTF-8 (a view into the message's bytes). */
  body: Uint8Array;
}

/**
 * Reads the frame of a request's payload: `undefined` when the payload does not start
 * with a frame tag (a TVF text alone, the header form), a string saying what is wrong
 * with a frame that cannot be read (another version, a bad field), else the frame.
 */
export function readRequestFrame(data: Uint8Array): RequestFrame | string | undefined {
  const length = data.length;
  for (let i = 0; i < FRAME_TAG.length; i++) if (data[i] !== FRAME_TAG[i]) return undefined;
  let at: number = FRAME_TAG.length;
  let end = skipDigits(data, at);
  const version = readNumber(data, at, end);
  at = end;
  if (version !== REQUEST_FRAME_VERSION || data[at] !== SPACE) {
    const seen = JSON.stringify(Buffer.from(data.buffer, data.byteOffset, Math.min(at, 16)).toString('latin1'));
    return `the request frame's version is ${seen}: this instance reads frame version ${REQUEST_FRAME_VERSION} (${REQUEST_FRAME_HEAD_HINT})`;
  }
  end = skipDigits(data, ++at);
  const timeoutMs = readNumber(data, at, end);
  at = end;
  if (timeoutMs === undefined || data[at] !== SPACE) return 'the request frame has no timeout (whole milliseconds then a space after the version)';
  const start = ++at;
  const headEnd = Math.min(length, MAX_FRAME_HEAD_BYTES);
  while (at < headEnd && data[at] !== NEWLINE) at++;
  if (at === headEnd) return `the request frame head has no end of line within its first ${MAX_FRAME_HEAD_BYTES} bytes`;
  return { timeoutMs, origin: originText(data, start, at), body: data.subarray(at + 1) };
}

/** The last origin read, and its bytes: a caller sends the same few origins again and again. */
let lastOrigin = '';
let lastOriginBytes = new Uint8Array(0);

/** The text of `data[start, end)`, an origin (UTF-8; a bad byte reads as U+FFFD). */
function originText(data: Uint8Array, start: number, end: number): string {
  const length = end - start;
  const last = lastOriginBytes;
  if (last.length === length) {
    let i = 0;
    while (i < length && last[i] === data[start + i]) i++;
    if (i === length) return lastOrigin;
  }
  lastOriginBytes = data.slice(start, end);
  lastOrigin = Buffer.from(lastOriginBytes.buffer, lastOriginBytes.byteOffset, length).toString('utf8');
  return lastOrigin;
}

/** The whole number written in the ASCII digits `data[at, end)` (at most 15 of them), or undefined when there are none. */
function readNumber(data: Uint8Array, at: number, end: number): number | undefined {
  let value = 0;
  if (end === at || end - at > 15) return undefined;
  for (let i = at; i < end; i++) value = value * 10 + (data[i]! - 0x30);
  return value;
}

/** The index of the first byte at or after `at` that is not an ASCII digit. */
function skipDigits(data: Uint8Array, at: number): number {
  let i = at;
  while (i < data.length && data[i]! >= 0x30 && data[i]! <= 0x39) i++;
  return i;
}

// Announcements ----------------------------------------------------------------

/** Wire format version of announcements (2: signed); an instance ignores other versions. */
export const ANNOUNCEMENT_VERSION = 2;

/** Largest announcement read, in bytes. */
export const MAX_ANNOUNCEMENT_BYTES = 1024 * 1024;

const announcementSchema = z.object({
  v: z.literal(ANNOUNCEMENT_VERSION),
  kind: z.enum(['hello', 'heartbeat', 'bye', 'gone']),
  instance: z.string().min(1).max(200),
  name: z.string().max(200),
  /** The ed25519 public key: base64url of its 32 bytes. */
  key: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  /** One above the previous announcement of the same instance. */
  seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  intervalMs: z.number().int().positive().max(MAX_HEARTBEAT_MS),
  services: z.array(z.string().min(1)),
});

/**
 * What an instance tells the others on the control subject:
 * - `hello`: it just connected (again); the others answer with a heartbeat;
 * - `heartbeat`: it is alive; `services` are the ones it serves now;
 * - `bye`: it begins a graceful stop; its services leave the tables at once;
 * - `gone`: it closed its link; what it had not answered is over.
 *
 * Each is signed (header `prosa-signature`) with the key it carries, which its instance
 * id names; see `identity.ts` for the rule a receiver applies.
 */
export type Announcement = z.infer<typeof announcementSchema>;

/** The wire form of an announcement. */
export function encodeAnnouncement(announcement: Announcement): Uint8Array {
  return Buffer.from(JSON.stringify(announcement), 'utf8');
}

/** Reads an announcement; undefined when `data` is not one (other version, bad JSON, wrong shape). */
export function decodeAnnouncement(data: Uint8Array): Announcement | undefined {
  if (data.length > MAX_ANNOUNCEMENT_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = announcementSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
