/**
 * What the metrics endpoint and the inspector server check of a request before they
 * answer it: that its `Host` is their own address (a DNS-rebinding page, served from
 * `evil.example` that resolves to 127.0.0.1, sends `Host: evil.example:9464`), that a
 * browser's `Origin` is their own page, and a bearer token compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

/** Options of {@link allowedAuthorities}. */
export interface HostRuleOptions {
  /**
   * More names the server answers to (a DNS name, a proxy's), each `name` (with the port
   * it listens on) or `name:port`. Matched without case.
   * @defaultValue none
   */
  allowedHosts?: readonly string[];
}

/**
 * True when `host` (as given to `listen`, or as a settings `host` says) is a loopback
 * address: `localhost`, `::1` (with or without brackets) or `127.x.y.z`. Only this machine
 * reaches a server listening there.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.trim().replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** `host` as written in a Host header: brackets around an IPv6 address, lower case. */
function hostForm(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare.includes(':') ? `[${bare}]` : bare;
}

/**
 * The `Host` values a server listening on `host`:`port` answers to: that address; for a
 * loopback bind also `localhost`, `127.0.0.1` and `[::1]`; for a wildcard bind (`0.0.0.0`,
 * `::`) the loopback names, this machine's host name and every address of its
 * interfaces; and `allowedHosts`. Each with `:port`, and without it when the port is 80.
 */
export function allowedAuthorities(host: string, port: number, options: HostRuleOptions = {}): ReadonlySet<string> {
  const names = new Set<string>([hostForm(host)]);
  if (isLoopbackHost(host) || isWildcard(host)) for (const name of ['localhost', '127.0.0.1', '[::1]']) names.add(name);
  if (isWildcard(host)) {
    names.add(hostname().toLowerCase());
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) names.add(hostForm(address.address));
    }
  }
  const out = new Set<string>();
  const add = (name: string) => {
    out.add(`${name}:${port}`);
    if (port === 80) out.add(name);
  };
  for (const name of names) add(name);
  for (const extra of options.allowedHosts ?? []) {
    const text = extra.trim().toLowerCase();
    if (/^(\[[^\]]+\]|[^:[\]]+):\d+$/.test(text)) out.add(text);
    else add(hostForm(text));
  }
  return out;
}

/** True when the request's `Host` header is one of `allowed` (see {@link allowedAuthorities}). */
export function hostAllowed(request: IncomingMessage, allowed: ReadonlySet<string>): boolean {
  const host = request.headers.host;
  return typeof host === 'string' && allowed.has(host.trim().toLowerCase());
}

/**
 * True when the request has no `Origin` (a tool, not a browser page) or its origin is one
 * of this server's own pages (`http://` and an allowed authority).
 */
export function originAllowed(request: IncomingMessage, allowed: ReadonlySet<string>): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const match = /^http:\/\/([^/]+)$/i.exec(origin.trim());
  return match !== null && allowed.has(match[1]!.toLowerCase());
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * True when the request carries `Authorization: Bearer <token>`. The comparison takes the
 * same time whatever the token given (both sides are hashed to equal lengths first).
 */
export function bearerMatches(request: IncomingMessage, token: string): boolean {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return false;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return secretMatches(match === null ? '' : match[1]!, token) && match !== null;
}

/**
 * True when `given` equals `secret`, compared in a time that does not depend on where
 * they differ nor on their lengths (both are hashed to equal lengths first).
 */
export function secretMatches(given: string, secret: string): boolean {
  return timingSafeEqual(digest(given), digest(secret));
}

/** True when the request carries an `Authorization` header at all. */
export function hasAuthorization(request: IncomingMessage): boolean {
  return request.headers.authorization !== undefined;
}
