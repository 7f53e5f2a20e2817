/**
 * The `transport` section of the settings: links to other instances. Its one entry,
 * `nats`, is also the options of `natsTransport()` when prosa is embedded; one zod schema
 * gives both their defaults and their documentation. The transport itself lives in
 * `src/transport` (a layer above this one); `buildInstance` is handed the code that
 * makes it.
 */
import { z } from 'zod';
import { sensitive } from '../observability/secrets.js';

/** One NATS subject token as prosa writes them: letters, digits, `-` and `_`. */
export const SUBJECT_TOKEN_PATTERN = /^[A-Za-z0-9_-]+$/;

/** True when `prefix` is one or more plain tokens separated by dots (e.g. `prosa`, `acme.prosa`). */
export function isSubjectPrefix(prefix: string): boolean {
  return prefix.split('.').every((token) => SUBJECT_TOKEN_PATTERN.test(token));
}

/** Longest heartbeat interval (of this instance, and read in another's announcements), in ms. */
export const MAX_HEARTBEAT_MS = 60_000;

/** NATS client options passed through to the `nats` client as they are. */
const connectionFields = {
  name: z.string().min(1).optional().describe('Client name shown by the server (default: the instance id).'),
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
};

/** A NATS user nkey seed: `SU` and 56 base32 characters. */
const NKEY_USER_SEED = /^SU[A-Z2-7]{56}$/;

/** `transport.nats.tls`: `true` (TLS required, the system's CAs) or the files to use. */
export const natsTlsSchema = z
  .union([
    z.literal(true),
    z.strictObject({
      caFile: z.string().min(1).optional().describe('PEM file of the CA(s) that signed the server certificate (default: the system CAs).'),
      certFile: z.string().min(1).optional().describe('PEM file of this client\'s certificate, for servers that verify clients (with `keyFile`).'),
      keyFile: z.string().min(1).optional().describe('PEM file of the private key of `certFile`.'),
      handshakeFirst: z
        .boolean()
        .optional()
        .describe('Start TLS before the NATS greeting (the server needs `handshake_first`, nats-server 2.10 or later).'),
    }),
  ])
  .meta({ title: 'true | mapping' })
  .describe(
    'TLS for the link: `true` requires TLS with the system CAs; a mapping gives `caFile`, `certFile` and `keyFile` (PEM files) and `handshakeFirst`. Left out: TLS when the server asks for it.',
  );

/**
 * How an instance proves who it is to the NATS server: at most one of user (and
 * password), token, nkey seed (inline or in a file) and credentials file. Secrets are
 * marked {@link sensitive}: never shown in errors, logs or the inspector.
 */
const authFields = {
  user: z.string().min(1).optional().describe('User name (with `pass`, or alone for a user without password).'),
  pass: sensitive(z.string().min(1).optional().describe('Password of `user`.')),
  token: sensitive(z.string().min(1).optional().describe('Authentication token.')),
  nkeySeed: sensitive(
    z
      .string()
      .regex(NKEY_USER_SEED, 'a NATS user nkey seed (SU and 56 base32 characters)')
      .optional()
      .describe('NATS user nkey seed (`SU...`), e.g. from `PROSA__TRANSPORT__NATS__NKEYSEED`.'),
  ),
  nkeySeedFile: z.string().min(1).optional().describe('File holding the NATS user nkey seed (read at each connect).'),
  credsFile: z
    .string()
    .min(1)
    .optional()
    .describe('NATS credentials file (user JWT and nkey seed, from `nsc`), read at each connect.'),
  tls: natsTlsSchema.optional(),
};

/** The ways to authenticate, as their fields: at most one may be set. */
const AUTH_METHODS = [
  ['user', 'pass'],
  ['token'],
  ['nkeySeed'],
  ['nkeySeedFile'],
  ['credsFile'],
] as const;

/** True when `server` carries credentials (`nats://user:pass@host`). */
function hasUserInfo(server: string): boolean {
  const authority = server.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#]/, 1)[0] ?? '';
  return authority.includes('@');
}

function checkAuth(settings: Partial<Record<keyof typeof authFields, unknown>>, ctx: z.RefinementCtx): void {
  const set = AUTH_METHODS.filter((fields) => fields.some((field) => settings[field] !== undefined));
  if (set.length > 1) {
    const names = set.map((fields) => fields.find((field) => settings[field] !== undefined)!);
    for (const field of names.slice(1)) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: 'only one way to authenticate',
        params: { expected: 'one way to authenticate: user/pass, token, nkeySeed, nkeySeedFile or credsFile', found: `${names.map((n) => `\`${n}\``).join(' and ')} both set` },
      });
    }
  }
  if (settings.pass !== undefined && settings.user === undefined) {
    ctx.addIssue({ code: 'custom', path: ['user'], message: 'pass needs user', params: { expected: 'the user name of `pass`', found: 'nothing (`pass` is set without it)' } });
  }
  const tls = settings.tls;
  if (typeof tls === 'object' && tls !== null) {
    const files = tls as { certFile?: string; keyFile?: string };
    if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
      const [path, other] = files.certFile === undefined ? ['certFile', 'keyFile'] : ['keyFile', 'certFile'];
      ctx.addIssue({ code: 'custom', path: ['tls', path], message: `${path} goes with ${other}`, params: { expected: `\`${path}\` with \`${other}\``, found: `\`${other}\` alone` } });
    }
  }
}

/** Schema of the `transport.nats` settings section. */
export const natsSettingsSchema = z
  .strictObject({
    servers: z
      .array(
        z
          .string()
          .min(1)
          .refine((server) => !hasUserInfo(server), {
            message: 'no credentials in a server URL',
            params: { expected: 'a server URL without credentials (set `user`/`pass`, `token`, `nkeySeed` or `credsFile`)', found: 'a URL with credentials (not shown)' },
          }),
      )
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
      .max(MAX_HEARTBEAT_MS)
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
    maxPeers: z
      .number()
      .int()
      .positive()
      .default(1_000)
      .describe('Most other instances followed at once; announcements of more are refused (counted, and logged the 1st, 10th, 100th, ... time).'),
    maxRemoteServices: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe(
        'Most remote services taken, counted once per instance that serves each (two instances serving ECHO count two); past it more are refused (counted, and logged the 1st, 10th, 100th, ... time).',
      ),
    ...authFields,
    ...connectionFields,
  })
  .superRefine(checkAuth)
  .describe('Links this instance to others through NATS.');

/** The `transport.nats` settings as written (defaults not yet applied). */
export type NatsSettingsInput = z.input<typeof natsSettingsSchema>;

/** The `transport.nats` settings with defaults applied. */
export type NatsSettings = z.output<typeof natsSettingsSchema>;

/** The `transport.nats.tls` settings. */
export type NatsTlsSettings = z.output<typeof natsTlsSchema>;

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
