/**
 * Instances in separate processes for the transport tests: each runs
 * `fixtures/instance.ts` under `node --import tsx` and is driven over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BurstSummary, Command, FixtureConfig, Outcome } from '../fixtures/instance.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/instance.ts', import.meta.url));

/** Distributes `Omit` over a union, so each command keeps its own fields. */
type Without<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** An event the instance sent on its own. */
export interface InstanceEvent {
  event: 'ready' | 'link' | 'peer' | 'table';
  [key: string]: unknown;
}

/** One instance process. */
export class InstanceProcess {
  readonly name: string;
  readonly events: InstanceEvent[] = [];
  private readonly child: ChildProcess;
  private readonly answers = new Map<number, (value: unknown) => void>();
  private readonly watchers = new Set<() => void>();
  private nextRef = 1;
  private readonly exited: Promise<number | null>;
  /** The instance id on the wire, once ready. */
  instance: string | undefined;

  constructor(config: FixtureConfig) {
    this.name = config.name;
    this.child = fork(FIXTURE, [JSON.stringify(config)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.on('message', (raw) => {
      const message = raw as { ref?: number; value?: unknown } & Partial<InstanceEvent>;
      if (message.ref !== undefined) {
        const resolve = this.answers.get(message.ref);
        this.answers.delete(message.ref);
        resolve?.(message.value);
        return;
      }
      const event = message as InstanceEvent;
      if (event.event === 'ready') this.instance = event['instance'] as string;
      this.events.push(event);
      for (const watcher of [...this.watchers]) watcher();
    });
  }

  /** True until the process exited. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a command and resolves with its answer (rejects when the process exits first). */
  ask<T>(command: Without<Command, 'ref'>): Promise<T> {
    const ref = this.nextRef++;
    return new Promise<T>((resolve, reject) => {
      this.answers.set(ref, resolve as (value: unknown) => void);
      void this.exited.then(() => {
        if (this.answers.delete(ref)) reject(new Error(`instance ${this.name} exited before answering ${command.op}`));
      });
      this.child.send({ ...command, ref });
    });
  }

  request(service: string, timeoutMs = 2_000): Promise<Outcome> {
    return this.ask<Outcome>({ op: 'request', service, timeoutMs });
  }

  burst(service: string, count: number, concurrency: number, timeoutMs = 5_000, gapMs = 0): Promise<BurstSummary> {
    return this.ask<BurstSummary>({ op: 'burst', service, count, concurrency, timeoutMs, gapMs });
  }

  /** Services as `services({ detail: true })` gives them. */
  services(): Promise<Record<string, { processor: string; remote: boolean; instances?: string[] }[]>> {
    return this.ask({ op: 'services' });
  }

  /** Polls `probe` every 25 ms until `test` holds for its value; rejects after `timeoutMs`. */
  async until<T>(probe: () => Promise<T>, test: (value: T) => boolean, timeoutMs = 5_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (test(value)) return value;
      if (Date.now() > deadline) throw new Error(`${this.name}: ${what} not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Waits for an event matching `test` (one already received counts). */
  waitEvent(test: (event: InstanceEvent) => boolean, timeoutMs = 10_000): Promise<InstanceEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(test);
        if (found === undefined) return false;
        this.watchers.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.watchers.delete(check);
        reject(new Error(`${this.name}: no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.watchers.add(check);
    });
  }

  /** Waits until the instance is up and linked. */
  ready(): Promise<InstanceEvent> {
    return this.waitEvent((event) => event.event === 'ready', 15_000);
  }

  /** Kills the process with `signal` and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.alive) this.child.kill(signal);
    await this.exited;
  }

  /** Stops the instance gracefully and waits for the process to exit. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    await this.ask({ op: 'stop' }).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Every instance a test file started, so teardown can end them all. */
export class Instances {
  private readonly all: InstanceProcess[] = [];

  /** Starts an instance and waits until it is ready. */
  async start(config: FixtureConfig): Promise<InstanceProcess> {
    const instance = new InstanceProcess(config);
    this.all.push(instance);
    await instance.ready();
    return instance;
  }

  /** Stops every instance still running (gracefully, then by force). */
  async stopAll(): Promise<void> {
    await Promise.all(this.all.map((instance) => instance.stop()));
    this.all.length = 0;
  }
}
