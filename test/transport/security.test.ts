/**
 * The NATS server's own security, on: accounts with subject permissions (as in
 * examples/nats/secure-server.conf), user/password, nkeys, a token, creds files (JWT)
 * and TLS with a test CA. Configurations are written into a temporary directory; each
 * block runs its own nats-server.
 */
import { readFileSync } from 'node:fs';
import { connect, createInbox, headers, nkeyAuthenticator, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/index.js';
import { buildInstance, type Instance } from '../../src/instance/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { SimpleStringTvf, type Prosa } from '../../src/index.js';
import { natsTransport, TransportError, type NatsTransportOptions } from '../../src/transport/index.js';
import { prosa } from '../cli/command.js';
import { captureLogs } from '../support/log-capture.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { sleep, until, testBus, silentLogger } from '../support/bus.js';
import { FakeInstance, legacyAnnouncement } from './support/attacker.js';
import { accountsConfig, operatorSetup, tempDir, testPki, userNkey, type AccountUsers, type TempDir, type TestPki } from './support/secure-server.js';

const dir: TempDir = tempDir();
const buses: Prosa[] = [];
const clients: NatsConnection[] = [];

afterEach(async () => {
  await Promise.all(buses.map((bus) => bus.stop()));
  buses.length = 0;
  await Promise.all(clients.map((client) => client.close()));
  clients.length = 0;
});

afterAll(() => dir.remove());

function text(value: string): SimpleStringTvf {
  const tvf = new SimpleStringTvf();
  tvf.putString(1, value);
  return tvf;
}

/** A bus whose processors answer with their instance's name in field 2. */
function bus(name: string, services: string[], options: Omit<NatsTransportOptions, 'heartbeatMs'>) {
  const prosa = testBus({ name, shutdown: { graceMs: 100, terminateTimeoutMs: 50 } });
  for (const service of services) {
    prosa.processor(`${name}-${service}`, {
      services: [service],
      adaptor: { processRequest: (_s, request) => (request.putString(2, name), request) },
    });
  }
  const transport = natsTransport({ heartbeatMs: 50, timeout: 2_000, ...options });
  prosa.attachTransport(transport);
  buses.push(prosa);
  return { prosa, transport };
}


async function startError(prosa: Prosa): Promise<TransportError> {
  const error = await prosa.start().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

async function client(server: NatsServer, options: { user?: string; pass?: string } = {}): Promise<NatsConnection> {
  const connection = await connect({ servers: server.url, ...options });
  clients.push(connection);
  return connection;
}

describe('NATS security: accounts and subject permissions', () => {
  let server: NatsServer;
  const users: AccountUsers = {
    instance: { user: 'instance', pass: 'inst-pw-7731' },
    nkey: userNkey(),
    app: { user: 'app', pass: 'app-pw-4410' },
    outsider: { user: 'outsider', pass: 'out-pw-9102' },
  };

  beforeAll(async () => {
    server = await startNatsServer(10_000, dir.write('accounts.conf', accountsConfig(users)));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('links instances that authenticate with a password and with an nkey seed, inline or in a file', async () => {
    const provider = bus('provider', ['ECHO'], { servers: [server.url], nkeySeed: users.nkey.seed });
    const caller = bus('caller', [], { servers: [server.url], ...users.instance });
    const other = bus('other', ['OTHER'], { servers: [server.url], nkeySeedFile: dir.write('instance.nk', `${users.nkey.seed}\n`) });
    await Promise.all([provider.prosa.start(), caller.prosa.start(), other.prosa.start()]);
    await until(() => caller.prosa.services()['ECHO'] !== undefined && caller.prosa.services()['OTHER'] !== undefined);
    expect((await caller.prosa.request('ECHO', text('hi'))).getString(2)).toBe('provider');
    expect((await caller.prosa.request('OTHER', text('hi'))).getString(2)).toBe('other');
  });

  it('refuses a wrong password or no credentials: start() rejects with AuthFailed, naming the server and not the secret', async () => {
    const wrong = bus('wrong', ['ECHO'], { servers: [server.url], user: users.instance.user, pass: 'not-the-pw-5521' });
    const error = await startError(wrong.prosa);
    expect(error.kind).toBe('AuthFailed');
    expect(error.recoverable).toBe(false);
    expect(error.message).toContain(server.url);
    expect(error.message).toContain("user 'instance'");
    expect(error.message).toMatch(/authorization violation/i);
    expect(`${error.message} ${String(error.stack)} ${JSON.stringify(wrong.transport.settings)}`).not.toContain('not-the-pw-5521');
    expect(wrong.transport.settings.pass).toBe('***');
    const none = bus('none', [], { servers: [server.url] });
    expect((await startError(none.prosa)).kind).toBe('AuthFailed');
    const badFile = bus('bad-file', [], { servers: [server.url], credsFile: dir.write('empty.creds', 'nothing here') });
    const fileError = await startError(badFile.prosa);
    expect(fileError.kind).toBe('AuthFailed');
    expect(fileError.message).toMatch(/credsFile '.*empty\.creds' holds no NATS user JWT/);
  });

  it('an outsider account sees nothing of the instances and changes nothing: no request, no reply, no announcement crosses', async () => {
    const provider = bus('provider', ['ECHO'], { servers: [server.url], nkeySeed: users.nkey.seed });
    const caller = bus('caller', [], { servers: [server.url], ...users.instance });
    const outsider = await client(server, users.outsider);
    const seen: string[] = [];
    outsider.subscribe('>', { callback: (_e, message) => seen.push(message.subject) });
    // it offers to serve ECHO in the same queue group, and answers everything it gets
    outsider.subscribe('prosa.svc.ECHO', {
      queue: 'prosa.svc.ECHO',
      callback: (_e, message) => message.reply !== undefined && outsider.publish(message.reply, new TextEncoder().encode('1;6;forged;')),
    });
    await outsider.flush();
    await Promise.all([provider.prosa.start(), caller.prosa.start()]);
    await until(() => caller.prosa.services()['ECHO'] !== undefined);
    const id = provider.transport.instance!;
    const impostor = new FakeInstance('provider');
    for (const kind of ['bye', 'gone']) {
      outsider.publish('prosa.ctl', legacyAnnouncement(kind, id, 'provider', []));
      const forged = impostor.announce(kind, []);
      outsider.publish('prosa.ctl', forged.data, { headers: forged.headers });
    }
    const joined = impostor.announce('hello', ['ECHO']);
    outsider.publish('prosa.ctl', joined.data, { headers: joined.headers });
    for (let i = 0; i < 50; i++) outsider.publish(`prosa.in.${caller.transport.instance}.${i}`, new TextEncoder().encode('1;6;forged;'));
    await outsider.flush();
    for (let i = 0; i < 20; i++) expect((await caller.prosa.request('ECHO', text(`r${i}`))).getString(1)).toBe(`r${i}`);
    // what it published stayed in its own account: it sees its own messages only
    expect(seen.filter((subject) => subject !== 'prosa.ctl' && !subject.startsWith('prosa.in.'))).toEqual([]);
    expect(caller.transport.peers().map((peer) => peer.instance)).toEqual([id]);
    expect(caller.transport.stats()!.refused).toEqual({ announcements: 0, peers: 0, services: 0, replies: 0 });
    expect(provider.transport.stats()!.incoming.received).toBe(20);
  });

  it('a client of the account allowed to call ECHO calls it, and can neither read requests nor announce nor answer', async () => {
    const provider = bus('provider', ['ECHO', 'SECRET'], { servers: [server.url], nkeySeed: users.nkey.seed });
    await provider.prosa.start();
    const app = await client(server, users.app);
    const errors: string[] = [];
    void (async () => {
      for await (const status of app.status()) {
        const context = (status as { permissionContext?: { operation: string; subject: string } }).permissionContext;
        if (context !== undefined) errors.push(`${context.operation} ${context.subject}`);
      }
    })();
    const h = headers();
    h.set('prosa-timeout-ms', '1000');
    let reply = await app.request('prosa.svc.ECHO', new TextEncoder().encode('1;2;hi;'), { timeout: 1_000, headers: h }).catch((e: unknown) => e);
    for (let i = 0; i < 40 && reply instanceof Error; i++) {
      await sleep(50); // the provider's subscription may not have reached the server yet
      reply = await app.request('prosa.svc.ECHO', new TextEncoder().encode('1;2;hi;'), { timeout: 1_000, headers: h }).catch((e: unknown) => e);
    }
    if (reply instanceof Error) throw reply;
    expect(new TextDecoder().decode((reply as { data: Uint8Array }).data)).toBe('1;2;hi;2;8;provider;');
    // anything else is refused by the server
    const tap = app.subscribe('prosa.svc.>');
    const tapped = (async () => {
      for await (const _message of tap) return 'read a request';
      return 'closed';
    })().catch((error: unknown) => String(error));
    app.publish('prosa.ctl', legacyAnnouncement('bye', provider.transport.instance!, 'provider', []));
    app.publish('prosa.svc.SECRET', new TextEncoder().encode('1;2;hi;'), { headers: h, reply: '_INBOX.x' });
    await app.flush().catch(() => undefined);
    expect(await tapped).toMatch(/permissions violation/i);
    await until(() => errors.includes('publish prosa.ctl') && errors.includes('publish prosa.svc.SECRET'));
    expect(provider.transport.stats()!.incoming.received).toBe(1);
  });

  it('`prosa run` with a wrong password exits 1 with one line naming the server, never the password', async () => {
    const result = await prosa(['run', 'examples/nats-provider.yaml', '--duration', '1'], {
      PROSA__TRANSPORT__NATS__SERVERS: `[${server.url}]`,
      PROSA__TRANSPORT__NATS__USER: users.instance.user,
      PROSA__TRANSPORT__NATS__PASS: 'wrong-pw-3318',
      PROSA__LOG__LEVEL: 'info',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`prosa: transport 'nats': the NATS server at ${server.url} refused user 'instance'`);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(`${result.stdout}${result.stderr}`).not.toContain('wrong-pw-3318');
  });

  it('warns, naming the subject, when the server refuses what an instance needs (permissions that do not fit prosa)', async () => {
    const logs = captureLogs({ level: 'warn' });
    const misfit = bus('misfit', ['ECHO'], { servers: [server.url], ...users.app, logger: logs.logger });
    await misfit.prosa.start();
    await until(() => logs.lines().some((line) => /PERMISSIONS_VIOLATION \(subscription prosa\.ctl\)/.test(String(line['error']))));
    const line = logs.lines().find((l) => l.msg?.startsWith('the NATS server reported an error') === true);
    expect(line).toMatchObject({ server: expect.stringContaining('127.0.0.1') });
    expect(logs.raw.join('')).not.toContain(users.app.pass);
  });
});

describe('NATS security: a token', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer(10_000, dir.write('token.conf', 'authorization { token: "tok-6620-secret" }\n'));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('links instances that give the token, and refuses one that gives another', async () => {
    const provider = bus('provider', ['ECHO'], { servers: [server.url], token: 'tok-6620-secret' });
    const caller = bus('caller', [], { servers: [server.url], token: 'tok-6620-secret' });
    await Promise.all([provider.prosa.start(), caller.prosa.start()]);
    await until(() => caller.prosa.services()['ECHO'] !== undefined);
    expect((await caller.prosa.request('ECHO', text('hi'))).getString(2)).toBe('provider');
    const wrong = bus('wrong', [], { servers: [server.url], token: 'tok-0000-wrong' });
    const error = await startError(wrong.prosa);
    expect(error.kind).toBe('AuthFailed');
    expect(error.message).toContain('a token');
    expect(error.message).not.toContain('tok-0000-wrong');
  });
});

describe('NATS security: creds files (operator JWTs)', () => {
  let server: NatsServer;
  let setup: Awaited<ReturnType<typeof operatorSetup>>;
  beforeAll(async () => {
    setup = await operatorSetup(dir);
    server = await startNatsServer(10_000, dir.write('operator.conf', setup.config));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('links instances with creds files of the account, and refuses creds of an account the server does not know', async () => {
    const provider = bus('provider', ['ECHO'], { servers: [server.url], credsFile: dir.write('provider.creds', await setup.creds('provider')) });
    const caller = bus('caller', [], { servers: [server.url], credsFile: dir.write('caller.creds', await setup.creds('caller')) });
    await Promise.all([provider.prosa.start(), caller.prosa.start()]);
    await until(() => caller.prosa.services()['ECHO'] !== undefined);
    expect((await caller.prosa.request('ECHO', text('hi'))).getString(2)).toBe('provider');
    const stranger = bus('stranger', [], { servers: [server.url], credsFile: dir.write('stranger.creds', await setup.strangerCreds()) });
    const error = await startError(stranger.prosa);
    expect(error.kind).toBe('AuthFailed');
    expect(error.message).toMatch(/creds file '.*stranger\.creds'/);
    const missing = bus('missing', [], { servers: [server.url], credsFile: `${dir.path}/no-such.creds` });
    expect((await startError(missing.prosa)).message).toMatch(/cannot read credsFile '.*no-such\.creds' \(ENOENT\)/);
  });
});

describe('NATS security: TLS with a test CA', () => {
  let server: NatsServer;
  let pki: TestPki;
  beforeAll(async () => {
    pki = testPki(dir);
    const config = `tls {
  cert_file: "${pki.serverCert}"
  key_file: "${pki.serverKey}"
  ca_file: "${pki.ca}"
  verify: true
  timeout: 2
}
`;
    server = await startNatsServer(10_000, dir.write('tls.conf', config));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('links instances that trust the CA and show a client certificate', async () => {
    const tls = { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey };
    const provider = bus('provider', ['ECHO'], { servers: [server.url], tls });
    const caller = bus('caller', [], { servers: [server.url], tls });
    await Promise.all([provider.prosa.start(), caller.prosa.start()]);
    await until(() => caller.prosa.services()['ECHO'] !== undefined);
    expect((await caller.prosa.request('ECHO', text('hi'))).getString(2)).toBe('provider');
  });

  it('refuses a server whose certificate another CA signed, and a client without a certificate', async () => {
    const untrusting = bus('untrusting', [], { servers: [server.url], tls: { caFile: pki.otherCa, certFile: pki.clientCert, keyFile: pki.clientKey } });
    const error = await startError(untrusting.prosa);
    expect(error.kind).toBe('ConnectFailed');
    expect(error.message).toContain(`${server.url} (TLS)`);
    expect(error.message).toMatch(/certificate/i);
    const anonymous = bus('anonymous', [], { servers: [server.url], tls: { caFile: pki.ca } });
    const refused = await startError(anonymous.prosa);
    expect(refused.message).toContain(server.url);
  });

  it('with `tls: true` requires TLS: refuses a server without it, and checks the certificate against the system CAs', async () => {
    const plain = await startNatsServer();
    try {
      const required = bus('required', [], { servers: [plain.url], tls: true });
      const error = await startError(required.prosa);
      expect(error.kind).toBe('ConnectFailed');
      expect(error.message).toContain(`${plain.url} (TLS)`);
    } finally {
      await plain.stop();
    }
    const system = bus('system', [], { servers: [server.url], tls: true });
    expect((await startError(system.prosa)).message).toMatch(/certificate/i);
  });
});

describe('NATS security: the shipped secure deployment (examples/nats)', () => {
  let server: NatsServer;
  let pki: TestPki;
  const keys = { provider: userNkey(), caller: userNkey(), app: userNkey(), other: userNkey() };
  const instances: Instance[] = [];
  const own = tempDir();

  beforeAll(async () => {
    pki = testPki(own);
    // the shipped file, with this run's keys and certificates in place of its placeholders
    let config = readFileSync('examples/nats/secure-server.conf', 'utf8');
    const placeholders = [...config.matchAll(/nkey: "(U[A-Z2-7]{55})"/g)].map((match) => match[1]!);
    expect(placeholders).toHaveLength(4);
    [keys.provider, keys.caller, keys.app, keys.other].forEach((key, i) => (config = config.replace(placeholders[i]!, key.publicKey)));
    config = config.replace('/etc/nats/certs/server.pem', pki.serverCert).replace('/etc/nats/certs/server.key', pki.serverKey);
    server = await startNatsServer(10_000, own.write('secure-server.conf', config));
  });
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await server?.stop();
    own.remove();
  });

  async function instance(file: string, env: Record<string, string>): Promise<Instance> {
    const settings = await loadSettings(file, {
      kinds: defaultKinds(),
      env: { PROSA__TRANSPORT__NATS__SERVERS: `[${server.url}]`, PROSA__TRANSPORT__NATS__TLS__CA_FILE: pki.ca, ...env },
    });
    const built = buildInstance(settings, { kinds: defaultKinds(), logger: silentLogger(), transports: { nats: (nats) => natsTransport({ ...nats, heartbeatMs: 100 }) } });
    instances.push(built);
    return built;
  }

  it('serves the secure caller from the secure provider over TLS, the app calls ECHO, and the other account sees nothing', async () => {
    const tls = { caFile: pki.ca };
    const other = await connect({ servers: server.url, tls, authenticator: nkeyAuthenticator(new TextEncoder().encode(keys.other.seed)) });
    clients.push(other);
    const seen: string[] = [];
    other.subscribe('>', { callback: (_e, message) => seen.push(message.subject) });
    await other.flush();
    const provider = await instance('examples/nats/secure-provider.yaml', { PROSA__TRANSPORT__NATS__NKEY_SEED_FILE: dir.write('provider.nk', keys.provider.seed) });
    const caller = await instance('examples/nats/secure-caller.yaml', {
      PROSA__TRANSPORT__NATS__NKEY_SEED: keys.caller.seed,
      PROSA__PROCESSORS__INJ__SETTINGS__MAX_SPEED: '50',
    });
    await Promise.all([provider.start(), caller.start()]);
    await until(() => caller.prosa.stats().responses >= 5, 5_000);
    const app = await connect({ servers: server.url, tls, authenticator: nkeyAuthenticator(new TextEncoder().encode(keys.app.seed)) });
    clients.push(app);
    const h = headers();
    h.set('prosa-timeout-ms', '1000');
    // the stub takes 2 ms: an acknowledgement comes first, then the reply
    const inbox = createInbox();
    const answers = app.subscribe(inbox, { max: 2, timeout: 1_000 });
    app.publish('prosa.svc.ECHO', new TextEncoder().encode('1;2;hi;'), { headers: h, reply: inbox });
    const got: string[] = [];
    for await (const message of answers) got.push(message.headers?.get('prosa-ack') === '1' ? 'ack' : new TextDecoder().decode(message.data));
    expect(got).toEqual(['ack', '1;2;hi;']);
    expect(caller.prosa.stats().errors).toMatchObject({ timeout: 0, unreachable: 0, protocol: 0 });
    expect(seen).toEqual([]);
  });
});
