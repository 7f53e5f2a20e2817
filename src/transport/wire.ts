/**
 * What crosses the wire between instances. A request's payload is its TVF record in
 * ProSA's text form (`SimpleStringTvf`), UTF-8 encoded; what the bus knows of the
 * request travels in headers. Announcements are small JSON documents.
 *
 * | header | on | value |
 * | --- | --- | --- |
 * | `prosa-id` | request | the request's id on the caller's bus |
 * | `prosa-service` | request | the service asked for |
 * | `prosa-timeout-ms` | request | milliseconds left before the caller's deadline, when sent |
 * | `prosa-origin` | request | `<instance>/<processor>` of the caller (`-` for a request from outside the bus) |
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
  id: 'prosa-id',
  service: 'prosa-service',
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
  return Buffer.from(SimpleStringTvf.own(tvf).serialize(), 'utf8');
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
