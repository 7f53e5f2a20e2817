/**
 * nats-server configurations with security on, written into a temporary directory for
 * the security tests: accounts with subject permissions (the shape of
 * examples/nats/secure-server.conf), a token, operator JWTs (creds files), and TLS
 * with a test CA made by openssl.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from '@nats-io/jwt';
import { nkeys } from 'nats';

/** A temporary directory, removed by `remove()`. */
export interface TempDir {
  readonly path: string;
  /** Writes `text` to `name` in the directory; returns its path. */
  write(name: string, text: string | Uint8Array): string;
  remove(): void;
}

/** A new temporary directory. */
export function tempDir(prefix = 'prosa-nats-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    write(name, text) {
      const file = join(path, name);
      writeFileSync(file, text, { mode: 0o600 });
      return file;
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** A NATS user nkey: its seed (secret) and public key. */
export interface UserNkey {
  seed: string;
  publicKey: string;
}

/** A new user nkey (the `nats` client's own nkeys). */
export function userNkey(): UserNkey {
  const pair = nkeys.createUser();
  return { seed: new TextDecoder().decode(pair.getSeed()), publicKey: pair.getPublicKey() };
}

/** What prosa instances may do, as in examples/nats/secure-server.conf. */
export const INSTANCE_PERMISSIONS = `{
    publish: ["prosa.ctl", "prosa.svc.>"]
    subscribe: ["prosa.ctl", "prosa.svc.>", "prosa.in.>"]
    allow_responses: { max: 2 }
  }`;

/** Users of the accounts configuration. */
export interface AccountUsers {
  /** An instance user with a password. */
  instance: { user: string; pass: string };
  /** An instance user with an nkey. */
  nkey: UserNkey;
  /** A client of the prosa account that may only call ECHO. */
  app: { user: string; pass: string };
  /** A user of another account. */
  outsider: { user: string; pass: string };
}

/** A configuration with a PROSA account (instances, an app) and an OUTSIDE account. */
export function accountsConfig(users: AccountUsers): string {
  return `
INSTANCE = ${INSTANCE_PERMISSIONS}
accounts {
  PROSA: {
    users: [
      { user: "${users.instance.user}", password: "${users.instance.pass}", permissions: $INSTANCE }
      { nkey: "${users.nkey.publicKey}", permissions: $INSTANCE }
      { user: "${users.app.user}", password: "${users.app.pass}", permissions: { publish: ["prosa.svc.ECHO"], subscribe: ["_INBOX.>"] } }
    ]
  }
  OUTSIDE: {
    users: [ { user: "${users.outsider.user}", password: "${users.outsider.pass}" } ]
  }
}
`;
}

/** Operator mode: an operator, one account, and creds files for its users. */
export interface OperatorSetup {
  /** The server configuration (operator JWT and the account preloaded in a memory resolver). */
  config: string;
  /** The creds file text of a new user of the account, with `permissions` (instance permissions by default). */
  creds(name: string): Promise<Uint8Array>;
  /** The creds of a user signed by another account the server does not know. */
  strangerCreds(): Promise<Uint8Array>;
}

/** A server configuration in operator (JWT) mode, written into `dir`. */
export async function operatorSetup(dir: TempDir): Promise<OperatorSetup> {
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  const operatorJwt = await encodeOperator('prosa-test', operator);
  const unlimited = { conn: -1, subs: -1, data: -1, payload: -1, leaf: -1, imports: -1, exports: -1, wildcards: true };
  const accountJwt = await encodeAccount('PROSA', account, { limits: unlimited } as Parameters<typeof encodeAccount>[2], { signer: operator });
  const operatorFile = dir.write('operator.jwt', operatorJwt);
  const permissions = {
    pub: { allow: ['prosa.ctl', 'prosa.svc.>'] },
    sub: { allow: ['prosa.ctl', 'prosa.svc.>', 'prosa.in.>'] },
    resp: { max: 2, ttl: 0 },
  };
  const credsFor = async (name: string, issuer: typeof account) => {
    const user = nkeys.createUser();
    const jwt = await encodeUser(name, user, issuer, permissions);
    return fmtCreds(jwt, user);
  };
  return {
    config: `
operator: "${operatorFile}"
resolver: MEMORY
resolver_preload: {
  ${account.getPublicKey()}: "${accountJwt}"
}
`,
    creds: (name) => credsFor(name, account),
    strangerCreds: () => credsFor('stranger', nkeys.createAccount()),
  };
}

/** Files of a test CA, a server certificate for 127.0.0.1 and a client certificate. */
export interface TestPki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here. */
  otherCa: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** Makes a CA and certificates with openssl in `dir` (EC P-256 keys, one day). */
export function testPki(dir: TempDir): TestPki {
  const cwd = dir.path;
  const ca = (name: string) =>
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '1', '-subj', `/CN=${name}`], cwd);
  ca('ca');
  ca('other-ca');
  const leaf = (name: string, ext: string) => {
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], cwd);
    dir.write(`${name}.ext`, ext);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`], cwd);
  };
  leaf('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'extendedKeyUsage=clientAuth\n');
  const at = (name: string) => join(cwd, name);
  return {
    ca: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
    otherCa: at('other-ca.pem'),
  };
}
