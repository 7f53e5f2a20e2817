/**
 * The probe a client runs in `init`: is the upstream there? A TCP connection, or, when a
 * path is given, an HTTP `HEAD` whose any answer counts as up.
 */
import { connect } from 'node:net';
import type { Pool } from 'undici';
import { describeFailure } from './call-failure.js';

/** Where and how to probe. */
export interface ProbeTarget {
  /** Host name or address (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  /** Path for an HTTP `HEAD` probe; a TCP probe when undefined. */
  readonly path: string | undefined;
  readonly timeoutMs: number;
}

/** Resolves when the upstream is reachable; rejects with an `Error` saying why not. */
export async function probeUpstream(target: ProbeTarget, pool: Pool): Promise<void> {
  if (target.path !== undefined) {
    try {
      const response = await pool.request({ method: 'HEAD', path: target.path, signal: AbortSignal.timeout(target.timeoutMs) });
      await response.body.dump();
    } catch (error) {
      throw new Error(`HEAD ${target.path} failed: ${describeFailure(error)}`, { cause: error });
    }
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP connection within ${target.timeoutMs} ms`));
    }, target.timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`TCP connection failed: ${describeFailure(error)}`, { cause: error }));
    });
  });
}
