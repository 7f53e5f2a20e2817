/**
 * Main (ProSA's `main`): the actor that runs a bus's lifecycle over its processors.
 *
 * It runs `src/machines/main.machine.ts`: it starts the processors, counts the live ones
 * and those whose first start has not settled, coordinates the shutdown, and stops by
 * force the processors that outlive the stop timeout. It does not write the service table
 * (processors and transports write it through its one writer, `service-table.ts`).
 */
import type { Logger } from 'pino';
import { createActor, waitFor, type Actor } from 'xstate';
import { mainMachine, mainState, type MainPorts, type MainState } from '../machines/main.machine.js';
import { FINAL_PROCESSOR_STATES, type ProcessorState } from '../machines/processor.machine.js';
import type { InspectOption } from './inspect.js';
import type { ProcessorRuntime } from './processor-runtime.js';

/** The states that settle a processor's first start: it serves, it crashed (and may restart), or it ended. */
const SETTLED: ReadonlySet<ProcessorState> = new Set(['serving', 'crashed', ...FINAL_PROCESSOR_STATES]);

/** What Main needs of its bus. */
export interface MainHost {
  /** Instance name. */
  readonly name: string;
  readonly logger: Logger;
  readonly inspect: InspectOption | undefined;
  /** Longest wait for processors to stop once stopping began. */
  readonly stopTimeoutMs: number;
  /** The bus's processors, by name. */
  readonly processors: ReadonlyMap<string, ProcessorRuntime>;
  /** Releases what the bus holds (timers) once Main stopped. */
  release(): void;
  /** Told of each change of Main's state. */
  changed(state: MainState): void;
}

/** The Main actor of one bus, created and started by `prosa.start()`. */
export class Main {
  private readonly host: MainHost;
  private readonly actor: Actor<typeof mainMachine>;
  /** Processors whose first start has settled (told to the machine once each). */
  private readonly settled = new WeakSet<ProcessorRuntime>();

  /** Creates and starts Main: it starts every processor on the bus now. */
  constructor(host: MainHost) {
    this.host = host;
    this.actor = createActor(mainMachine, {
      id: `main:${host.name}`,
      systemId: 'main',
      inspect: host.inspect,
      input: {
        name: host.name,
        stopTimeoutMs: host.stopTimeoutMs,
        processors: host.processors.size,
        ports: this.ports(),
      },
    });
    let last: MainState | undefined;
    this.actor.subscribe((snapshot) => {
      const state = mainState(snapshot.value);
      if (state === last) return;
      last = state;
      host.changed(state);
    });
    this.actor.start();
  }

  /** Main's lifecycle state. */
  get state(): MainState {
    return mainState(this.actor.getSnapshot().value);
  }

  /** Resolves once Main has left `starting`: true when it runs, false when it is stopping or stopped. */
  async started(): Promise<boolean> {
    const snapshot = await waitFor(this.actor, (s) => mainState(s.value) !== 'starting');
    return mainState(snapshot.value) === 'running';
  }

  /** A processor was added to the bus after Main started: Main counts and starts it. */
  added(runtime: ProcessorRuntime): void {
    this.actor.send({ type: 'proc.added', processor: runtime.processor });
  }

  /** A processor changed state: tells the machine of its first settled start and of its end. */
  processorChanged(runtime: ProcessorRuntime, state: ProcessorState): void {
    if (SETTLED.has(state) && !this.settled.has(runtime)) {
      this.settled.add(runtime);
      this.actor.send({ type: 'proc.settled', processor: runtime.processor });
    }
    if (FINAL_PROCESSOR_STATES.has(state)) this.actor.send({ type: 'proc.ended', processor: runtime.processor });
  }

  /** Asks Main to stop (unless it has) and resolves once it stopped. */
  async stop(reason: string): Promise<void> {
    if (this.actor.getSnapshot().status !== 'done') this.actor.send({ type: 'main.stopRequested', reason });
    await waitFor(this.actor, (s) => s.status === 'done');
  }

  private ports(): MainPorts {
    const processors = this.host.processors;
    return {
      startProcessors: () => {
        for (const runtime of processors.values()) runtime.start();
      },
      startProcessor: (name) => processors.get(name)?.start(),
      stopProcessors: (reason) => {
        for (const runtime of processors.values()) runtime.stop(reason);
      },
      release: () => {
        for (const runtime of processors.values()) {
          if (runtime.actor.getSnapshot().status === 'done') continue;
          // Only processors that outlived the stop timeout get here.
          const state = runtime.state;
          runtime.forceStop();
          this.host.logger.warn({ proc: runtime.processor, state }, 'processor did not stop in time; stopped by force');
        }
        this.host.release();
      },
    };
  }
}
