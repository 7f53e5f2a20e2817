/**
 * How the link proves who this instance is to the NATS server, and how it is protected:
 * the `transport.nats` settings `user`/`pass`, `token`, `nkeySeed`, `nkeySeedFile`,
 * `credsFile` and `tls`, turned into the `nats` client's own authenticators
 * (`usernamePasswordAuthenticator`, `tokenAuthenticator`, `nkeyAuthenticator`,
 * `credsAuthenticator`) and TLS options (`caFile`, `certFile`, `keyFile`,
 * `handshakeFirst`).
 *
 * Secrets stay in this module's closures: {@link NatsSecurity.method} and every error it
 * makes say which way of authenticating failed and where, never the secret. Files are read
 * at each connect (so rotated credentials are picked up on reconnect); a file that cannot
 * be read or is not what it should be is an `AuthFailed` error naming the file.
 */
import { readFileSync } from 'node:fs';
import {
  credsAuthenticator,
  ErrorCode,
  nkeyAuthenticator,
  nkeys,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Authenticator,
  type ConnectionOptions,
  type TlsOptions,
} from 'nats';
import type { NatsSettings } from '../config/transport-settings.js';
import { codeOf, messageOf } from '../tvf/unknown-value.js';
import { TransportError } from './errors.js';
import { oneLine } from './wire.js';

/** The security part of the connection options, made from the settings. */
export interface NatsSecurity {
  /** The way of authenticating, in words and without its secret: `user 'svc'`, `a token`, `creds file '/etc/x.creds'`, `no credentials`. */
  readonly method: string;
  /**
   * The options to connect with: the authenticator and TLS. Reads the files named by the
   * settings; throws a `TransportError` (`AuthFailed`) naming the file that cannot be read
   * or holds no valid credentials.
   */
  options(): Pick<ConnectionOptions, 'authenticator' | 'tls'>;
  /**
   * `error`, the first connection's failure, as a `TransportError` naming `servers` and the
   * way of authenticating: `AuthFailed` when the server refused the credentials, else
   * `ConnectFailed`.
   */
  connectError(error: unknown, servers: readonly string[]): TransportError;
}

const utf8 = new TextEncoder();

/** Codes the `nats` client gives when the server refused the credentials. */
const AUTH_CODES: ReadonlySet<string> = new Set([ErrorCode.AuthorizationViolation, ErrorCode.AuthenticationExpired, ErrorCode.BadAuthentication]);

/** The security of the link from `settings`, for the transport `transport`. */
export function natsSecurity(settings: NatsSettings, transport: string): NatsSecurity {
  const auth = authOf(settings, transport);
  return {
    method: auth.method,
    options() {
      const options: Pick<ConnectionOptions, 'authenticator' | 'tls'> = {};
      const authenticator = auth.make();
      if (authenticator !== undefined) options.authenticator = authenticator;
      const tls = tlsOf(settings);
      if (tls !== undefined) options.tls = tls;
      return options;
    },
    connectError(error, servers) {
      const where = servers.join(', ');
      const reason = oneLine(messageOf(error));
      if (isAuthError(error)) {
        return new TransportError('AuthFailed', transport, `the NATS server at ${where} refused ${auth.method}: ${reason}`, error);
      }
      const tls = settings.tls === undefined ? '' : ' (TLS)';
      return new TransportError('ConnectFailed', transport, `cannot connect to ${where}${tls}: ${reason}`, error);
    },
  };
}

/** A way of authenticating: its words, and the authenticator (files read now). */
interface Auth {
  method: string;
  make(): Authenticator | undefined;
}

function authOf(settings: NatsSettings, transport: string): Auth {
  const { user, pass, token, nkeySeed, nkeySeedFile, credsFile } = settings;
  if (user !== undefined) {
    return { method: `user '${user}'`, make: () => usernamePasswordAuthenticator(user, pass) };
  }
  if (token !== undefined) return { method: 'a token', make: () => tokenAuthenticator(token) };
  if (nkeySeed !== undefined) {
    const seed = utf8.encode(nkeySeed);
    return { method: 'an nkey seed', make: () => (checkSeed(seed, transport, 'the nkeySeed setting'), nkeyAuthenticator(seed)) };
  }
  if (nkeySeedFile !== undefined) {
    return {
      method: `nkey seed file '${nkeySeedFile}'`,
      make: () => {
        const read = () => utf8.encode(readText(nkeySeedFile, 'nkeySeedFile', transport).trim());
        let seed: Uint8Array<ArrayBuffer> = read();
        checkSeed(seed, transport, `nkeySeedFile '${nkeySeedFile}'`);
        return nkeyAuthenticator(() => (seed = rereadOr(read, seed)));
      },
    };
  }
  if (credsFile !== undefined) {
    return {
      method: `creds file '${credsFile}'`,
      make: () => {
        const read = () => utf8.encode(readText(credsFile, 'credsFile', transport));
        let creds: Uint8Array<ArrayBuffer> = read();
        try {
          credsAuthenticator(creds)('');
        } catch {
          throw new TransportError('AuthFailed', transport, `credsFile '${credsFile}' holds no NATS user JWT and nkey seed`);
        }
        return credsAuthenticator(() => (creds = rereadOr(read, creds)));
      },
    };
  }
  return { method: 'no credentials', make: () => undefined };
}

function tlsOf(settings: NatsSettings): TlsOptions | undefined {
  const tls = settings.tls;
  if (tls === undefined) return undefined;
  if (tls === true) return {};
  const options: TlsOptions = {};
  if (tls.caFile !== undefined) options.caFile = tls.caFile;
  if (tls.certFile !== undefined) options.certFile = tls.certFile;
  if (tls.keyFile !== undefined) options.keyFile = tls.keyFile;
  if (tls.handshakeFirst !== undefined) options.handshakeFirst = tls.handshakeFirst;
  return options;
}

/** Reads `file` as text; an `AuthFailed` error naming the setting and the file when it cannot. */
function readText(file: string, setting: string, transport: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = codeOf(error);
    throw new TransportError('AuthFailed', transport, `cannot read ${setting} '${file}'${code === undefined ? '' : ` (${code})`}`);
  }
}

/** Reads again for a reconnect; keeps what was read before when the file is gone meanwhile. */
function rereadOr(read: () => Uint8Array<ArrayBuffer>, previous: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  try {
    return read();
  } catch {
    return previous;
  }
}

function checkSeed(seed: Uint8Array, transport: string, where: string): void {
  try {
    nkeys.fromSeed(seed);
  } catch {
    throw new TransportError('AuthFailed', transport, `${where} holds no valid NATS nkey seed`);
  }
}

function isAuthError(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && AUTH_CODES.has(code);
}
