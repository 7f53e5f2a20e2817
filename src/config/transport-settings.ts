/**
 * The `transport` section of the settings: links to other instances. Its one entry,
 * `nats`, is also the options of `natsTransport()` when prosa is embedded; one zod schema
 * gives both their defaults and their documentation. The transport itself lives in
 * `src/transport` (a layer above this one); `buildInstance` is handed the code that
 * makes it.
 */
import { z } from 'zod';
import { sensitive } from './sensitive.js';

/** One NATS subject token as prosa writes them: letters, digits, `-` and `_`. */
export const SUBJECT_TOKEN_PATTERN = /^[A-Za-z0-9_-]+$/;

/** True when `prefix` is one or more plain tokens separated by dots (e.g. `prosa`, `acme.prosa`). */
export function isSubjectPrefix(prefix: string): boolean {
  return prefix.split('.').every((token) => SUBJECT_TOKEN_PATTERN.test(token));
}

/** NATS client options passed through to the `nats` client as they are. */
const connectionFields = {
  name: z.string().min(1).optional().describe('Client name shown by the server (default: the instance id).'),
  user: z.string().optional().describe('User name, with `pass`.'),
  pass: sensitive(z.string()).optional().describe('Password, with `user`.'),
  token: sensitive(z.string()).optional().describe('Authentication token.'),
  timeout: z.number().int().positive().optional().describe('Longest wait for the first connection, in ms (client default 20000).'),
  pingInterval: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Interval between client pings, in ms; with `maxPingOut` it bounds how long a dead server goes unnoticed (client default 120000).'),
  maxPingOut: z.number().int().positive().optional().describe('Unanswered pings before the client reconnects (client default 2).'),
  reconnectTimeWait: z.number().int().nonnegative().optional().describe('Wait between reconnect attempts, in ms (client default 2000).'),
  reconnectJitter: z.number().int().nonnegative().optional().describe('Random extra wait added to `reconnectTimeWait`, in ms (client default 100).'),
  maxReconnectAttempts: z
    .number()
    .int()
    .min(-1)
    .optional()
    .describe('Reconnect attempts per server before giving up; -1 never gives up (prosa default -1).'),
  noRandomize: z.boolean().optional().describe('Try `servers` in the given order.'),
  tls: sensitive(z.record(z.string(), z.unknown()))
    .optional()
    .describe('TLS options of the client (see the `nats` package); the whole mapping is sensitive, as a key may be written inline.'),
};

/** Schema of the `transport.nats` settings section. */
export const natsSettingsSchema = z
  .strictObject({
    servers: z
      .array(z.string().min(1))
      .min(1)
      .describe('NATS servers to connect to, e.g. `nats://127.0.0.1:4222` (the client tries them all).'),
    prefer: z
      .enum(['local-first', 'spread'])
      .default('local-first')
      .describe(
        'Where a request goes when the service has local and remote providers: `local-first` (a local provider when one has room) or `spread` (through the NATS queue group, over every instance that serves it, this one included).',
      ),
    subjectPrefix: z
      .string()
      .refine(isSubjectPrefix, 'must be NATS subject tokens (letters, digits, `-`, `_`) separated by dots')
      .default('prosa')
      .describe('First tokens of every subject prosa uses; instances join only those with the same prefix.'),
    heartbeatMs: z
      .number()
      .int()
      .min(10)
      .default(1_000)
      .describe('Interval between heartbeats (each carries the instance\'s services), in ms.'),
    missedHeartbeats: z
      .number()
      .int()
      .min(2)
      .default(3)
      .describe('Heartbeats missed in a row after which another instance counts as lost.'),
    pickupTimeoutMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'A request that no instance acknowledged or answered within this time ends in `unreachable` (lost on the way, or taken by an instance that died at once). Default: heartbeatMs x missedHeartbeats.',
      ),
    maxInFlight: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Most requests in flight to other instances per service; past it requests fail with `overloaded`.'),
    maxPayloadBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024)
      .describe('Largest TVF text read from the wire, in bytes (a larger one is a `protocol` error).'),
    ...connectionFields,
  })
  .describe('Links this instance to others through NATS.');

/** The `transport.nats` settings as written (defaults not yet applied). */
export type NatsSettingsInput = z.input<typeof natsSettingsSchema>;

/** The `transport.nats` settings with defaults applied. */
export type NatsSettings = z.output<typeof natsSettingsSchema>;

/** Names of the settings that are passed to the `nats` client as they are. */
export const CONNECTION_OPTION_NAMES = Object.keys(connectionFields) as (keyof typeof connectionFields)[];

/** Schema of the `transport` section: without it an instance is purely local. */
export const transportSettingsSchema = z
  .strictObject({
    nats: natsSettingsSchema.optional(),
  })
  .describe('Links to other instances; leave it out for an instance on its own.');

/** The `transport` settings with defaults applied. */
export type TransportSettings = z.output<typeof transportSettingsSchema>;
