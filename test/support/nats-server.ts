/**
 * A real `nats-server` for tests and benchmarks: started on a free loopback port, waited
 * for until it accepts connections, stopped (and restartable on the same port).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** Where `nats-server` is: on PATH, or where the Debian package puts it. Undefined when absent. */
export function findNatsServer(): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A free TCP port on 127.0.0.1 (free when asked; taken again right after by the caller). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A running `nats-server`. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGKILL when `hard`, else SIGTERM) and waits for it to exit. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
}

/**
 * Starts `nats-server -a 127.0.0.1 -p <free port>` (with `-c <configFile>` when given: its
 * accounts, authorization, TLS; the address and port flags win over its `listen`) and
 * resolves once it accepts connections (within `timeoutMs`). Throws when `nats-server` is
 * not installed.
 */
export async function startNatsServer(timeoutMs = 10_000, configFile?: string): Promise<NatsServer> {
  const binary = findNatsServer();
  if (binary === undefined) throw new Error('nats-server is not installed (run scripts/ensure-nats-server.sh)');
  const port = await freePort();
  const args = [...(configFile === undefined ? [] : ['-c', configFile]), '-a', '127.0.0.1', '-p', String(port)];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 10_000) stderr += chunk.toString();
    });
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    while (!(await accepts(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`nats-server on port ${port} did not start: ${stderr.trim()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    start,
    async stop(hard = false) {
      const proc = child;
      if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
}
