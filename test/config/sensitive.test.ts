import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  describeFields,
  isSensitivePath,
  isSensitiveSchema,
  maskInstanceSettings,
  maskSettings,
  natsSettingsSchema,
  secretsIn,
  validateSettings,
} from '../../src/config/index.js';
import { redactSecrets, SECRET_MASK, sensitive } from '../../src/observability/index.js';
import { defaultKinds } from '../../src/processors/index.js';

const schema = z.strictObject({
  user: z.string(),
  password: sensitive(z.string()).optional().describe('The password.'),
  nested: z
    .strictObject({
      key: sensitive(z.string().min(1)).default('k'),
      list: z.array(z.strictObject({ token: z.string().meta({ sensitive: true }), note: z.string() })).default([]),
    })
    .optional(),
  either: z.union([z.number(), sensitive(z.string())]).optional(),
  credentials: sensitive(z.record(z.string(), z.unknown())).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  url: z.string().optional(),
});

describe('the sensitive mark', () => {
  it('is seen through wrappers, descriptions and unions, and in the docs', () => {
    expect(isSensitiveSchema(schema.shape.password)).toBe(true);
    expect(isSensitiveSchema(schema.shape.user)).toBe(false);
    expect(isSensitiveSchema(schema.shape.either)).toBe(true);
    expect(isSensitivePath(schema, ['nested', 'key'])).toBe(true);
    expect(isSensitivePath(schema, ['nested', 'list', 3, 'token'])).toBe(true);
    expect(isSensitivePath(schema, ['nested', 'list', 3, 'note'])).toBe(false);
    expect(isSensitivePath(schema, ['credentials', 'anything', 'below'])).toBe(true);
    expect(isSensitivePath(schema, ['headers', 'Authorization'])).toBe(true); // a secret name, whatever the schema
    expect(isSensitivePath(schema, ['headers', 'accept'])).toBe(false);
    const fields = describeFields(schema);
    expect(fields.find((f) => f.path === 'password')!.sensitive).toBe(true);
    expect(fields.find((f) => f.path === 'user')!.sensitive).toBe(false);
    expect(fields.find((f) => f.path === 'nested.key')).toMatchObject({ sensitive: true, default: JSON.stringify(SECRET_MASK) });
  });

  it('marks the NATS credentials and every http-client header value', () => {
    expect(isSensitivePath(natsSettingsSchema, ['pass'])).toBe(true);
    expect(isSensitivePath(natsSettingsSchema, ['token'])).toBe(true);
    expect(isSensitivePath(natsSettingsSchema, ['nkeySeed'])).toBe(true);
    expect(isSensitivePath(natsSettingsSchema, ['tls', 'keyFile'])).toBe(false); // tls takes files, never a key inline
    expect(isSensitivePath(natsSettingsSchema, ['user'])).toBe(false);
    const client = defaultKinds().get('http-client')!.settings;
    expect(isSensitivePath(client, ['headers', 'x-tenant'])).toBe(true);
    expect(isSensitivePath(client, ['services', 0, 'headers', 'x-tenant'])).toBe(true);
    expect(isSensitivePath(client, ['url'])).toBe(false);
  });
});

describe('maskSettings', () => {
  const value = {
    user: 'ann',
    password: 'hunter2-pass',
    nested: { key: 'k-secret', list: [{ token: 'tok-1234', note: 'plain' }] },
    either: 'union-secret',
    credentials: { a: ['deep-secret', 42] },
    headers: { Authorization: 'Bearer SECRET123', 'X-Api-Key': 'api-secret', accept: 'text/plain' },
    url: 'nats://ann:url-secret@127.0.0.1:4222',
  };

  it('replaces every secret, keeps the rest, and leaves the input alone', () => {
    const before = structuredClone(value);
    const masked = maskSettings(value, schema);
    expect(masked).toEqual({
      user: 'ann',
      password: SECRET_MASK,
      nested: { key: SECRET_MASK, list: [{ token: SECRET_MASK, note: 'plain' }] },
      either: SECRET_MASK,
      credentials: SECRET_MASK,
      headers: { Authorization: SECRET_MASK, 'X-Api-Key': SECRET_MASK, accept: 'text/plain' },
      url: `nats://ann:${SECRET_MASK}@127.0.0.1:4222`,
    });
    expect(value).toEqual(before);
    expect(maskSettings({ either: 3 }, schema)).toEqual({ either: SECRET_MASK });
    // Without a schema, names and URLs are still known.
    expect(maskSettings(value)).toMatchObject({ password: 'hunter2-pass', headers: { Authorization: SECRET_MASK } });
  });

  it('lists the secret texts, and redacts them from free text, words of a credential included', () => {
    const secrets = secretsIn(value, schema);
    expect(secrets).toEqual(
      expect.arrayContaining(['hunter2-pass', 'k-secret', 'tok-1234', 'union-secret', 'deep-secret', '42', 'Bearer SECRET123', 'api-secret', 'url-secret']),
    );
    const text = 'refused Bearer SECRET123; token SECRET123 again; "hunter2-pass"; nats://x:url-secret@h; short 42';
    const clean = redactSecrets(text, secrets);
    for (const secret of ['SECRET123', 'hunter2-pass', 'url-secret']) expect(clean).not.toContain(secret);
    expect(clean).toContain('short 42'); // shorter than 4 characters: left, not garbled
    expect(clean).toContain('refused');
  });

  it('never throws: cycles, deep nesting and hostile objects become words', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic['self'] = cyclic;
    expect(maskSettings(cyclic)).toEqual({ name: 'a', self: '[Circular]' });
    let deep: unknown = 'bottom';
    for (let i = 0; i < 500; i++) deep = { d: deep };
    expect(() => maskSettings(deep, schema)).not.toThrow();
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
    expect(maskSettings({ h: hostile })).toEqual({ h: '[unreadable]' });
  });

  it('masks a whole settings file by the instance schema and each kind', () => {
    const kinds = defaultKinds();
    const settings = validateSettings(
      {
        name: 'masked',
        processors: [
          {
            name: 'c',
            kind: 'http-client',
            settings: { url: 'http://127.0.0.1:1', headers: { 'x-tenant': 'tenant-secret' }, services: [{ name: 'S', path: '/s' }] },
          },
        ],
        transport: { nats: { servers: ['nats://127.0.0.1:4222'], user: 'u', pass: 'nats-secret' } },
      },
      { kinds, env: {} },
    );
    const text = JSON.stringify(maskInstanceSettings(settings, kinds));
    for (const secret of ['tenant-secret', 'nats-secret']) expect(text).not.toContain(secret);
    expect(text).toContain('"user":"u"');
  });
});

describe('property: no secret survives masking', () => {
  /** A secret nothing else in the value can spell. */
  const secret = fc.stringMatching(/^[a-z0-9]{6,12}$/).map((s) => `S3CR3T${s}`);
  const plain = fc.stringMatching(/^[a-z]{0,5}$/);
  const headerName = fc.constantFrom('authorization', 'Authorization', 'PROXY-AUTHORIZATION', 'cookie', 'X-Api-Key', 'set-cookie');

  it('hides marked fields, secret names at any depth, and URL passwords', () => {
    fc.assert(
      fc.property(
        fc.record({
          password: fc.option(secret, { nil: undefined }),
          token: secret,
          note: plain,
          headers: fc.dictionary(headerName, secret, { minKeys: 1 }),
          depth: fc.integer({ min: 0, max: 6 }),
          url: secret,
          form: fc.constantFrom('object', 'list', 'text'),
        }),
        ({ password, token, note, headers, depth, url, form }) => {
          const local = z.strictObject({
            password: sensitive(z.string()).optional(),
            inner: z.strictObject({ list: z.array(z.strictObject({ token: sensitive(z.string()), note: z.string() })) }),
            extra: z.unknown(),
          });
          let buried: unknown = form === 'text' ? `connect to nats://me:${url}@host:4222 now` : headers;
          for (let i = 0; i < depth; i++) buried = form === 'list' ? [buried] : { level: buried };
          if (form === 'list') buried = [buried];
          const value = { password, inner: { list: [{ token, note }] }, extra: buried };
          const buriedSecrets = form === 'text' ? [url] : Object.values(headers);
          const secrets = [password, token, ...buriedSecrets].filter((s): s is string => s !== undefined);
          const masked = JSON.stringify(maskSettings(value, local));
          for (const s of secrets) expect(masked).not.toContain(s);
          expect(masked).toContain(`"note":${JSON.stringify(note)}`);
          const message = `failed with ${secrets.join(' and ')}`;
          const redacted = redactSecrets(message, secretsIn(value, local));
          for (const s of secrets) expect(redacted).not.toContain(s);
        },
      ),
      { numRuns: Number(process.env.PROSA_PROPERTY_RUNS ?? 100) },
    );
  });
});
