/**
 * `LookupService` never hands out a provider that left the table: over any sequence of
 * remote providers added and removed (several per service, in any order, the same one
 * under two services), local providers crashing and coming back, and time passing, the
 * values of each lookup are exactly the providers of its service that are in the table
 * and accept requests, at every moment: after each step, inside every change of its
 * service in the table (a watcher that runs after the lookup's), and at each value
 * handed to a subscriber.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDirectives, LookupService, ProcessorError, type DirectiveReference, type ProcessorContext, type Prosa, type ServiceProvider } from '../../src/index.js';
import { sleep, testBus } from '../support/bus.js';
import { EchoRemote, HandTransport } from '../support/remote.js';

const SERVICES = ['S', 'T'] as const;
type Service = (typeof SERVICES)[number];
/** Local processors and what they serve. */
const LOCALS: Record<string, readonly Service[]> = { 'l-0': ['S'], 'l-1': ['S', 'T'] };
const REMOTES = 4;

interface World {
  bus: Prosa;
  transport: HandTransport;
  remotes: EchoRemote[];
  contexts: Map<string, ProcessorContext>;
  lookups: Map<Service, DirectiveReference<ServiceProvider>>;
  /** Every disagreement seen between a lookup and the table, as a message. */
  problems: string[];
}

/** What the lookup of `service` should hold: the accepting providers of the table, sorted. */
function expected(world: World, service: Service): string[] {
  const providers = world.bus.serviceTable.lookup(service)?.providers ?? [];
  return providers
    .filter((provider) => provider.accepting)
    .map((provider) => provider.processor)
    .sort();
}

function actual(world: World, service: Service): string[] {
  return world.lookups
    .get(service)!
    .values.map((value) => value.processor)
    .sort();
}

function check(world: World, where: string, services: readonly Service[] = SERVICES): void {
  for (const service of services) {
    const want = expected(world, service);
    const got = actual(world, service);
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      world.problems.push(`${where}: ${service} holds [${got.join(', ')}], the table has [${want.join(', ')}]`);
    }
  }
}

type Command = fc.AsyncCommand<object, World>;

/** A transport adds (or removes) remote provider `far-<index>` of `service`. */
class ChangeRemote implements Command {
  constructor(
    readonly add: boolean,
    readonly service: Service,
    readonly index: number,
  ) {}
  check = () => true;
  async run(_model: object, world: World): Promise<void> {
    const host = world.transport.host!;
    const remote = world.remotes[this.index]!;
    if (this.add) host.addRemote(this.service, remote);
    else host.removeRemote(this.service, remote);
    check(world, this.toString());
  }
  toString = () => `${this.add ? 'add' : 'remove'}Remote(${this.service}, far-${this.index})`;
}

class CrashLocal implements Command {
  constructor(readonly name: string) {}
  check = () => true;
  async run(_model: object, world: World): Promise<void> {
    world.contexts.get(this.name)?.fail(new ProcessorError('crashed on purpose', { recoverable: true }));
    check(world, this.toString());
  }
  toString = () => `crash(${this.name})`;
}

class Pass implements Command {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(_model: object, world: World): Promise<void> {
    await sleep(this.ms);
    check(world, this.toString());
  }
  toString = () => `pass(${this.ms} ms)`;
}

const commands = [
  fc.tuple(fc.boolean(), fc.constantFrom(...SERVICES), fc.nat(REMOTES - 1)).map(([add, service, index]) => new ChangeRemote(add, service, index)),
  fc.constantFrom(...Object.keys(LOCALS)).map((name) => new CrashLocal(name)),
  fc.constantFrom(0, 1, 8).map((ms) => new Pass(ms)),
];

async function world(): Promise<World> {
  const bus = testBus();
  const transport = new HandTransport();
  bus.attachTransport(transport);
  const contexts = new Map<string, ProcessorContext>();
  for (const [name, services] of Object.entries(LOCALS)) {
    bus.processor(name, {
      services,
      restart: { delayMs: 2, maxDelayMs: 4, maxRestarts: 1_000, windowMs: 60_000 },
      adaptor: { init: (ctx) => void contexts.set(name, ctx), processRequest: (_service, request) => request },
    });
  }
  const directives = createDirectives(bus);
  const lookups = new Map(SERVICES.map((service) => [service, directives.add(LookupService({ service }))] as const));
  const w: World = {
    bus,
    transport,
    remotes: Array.from({ length: REMOTES }, (_, i) => new EchoRemote(`far-${i}`)),
    contexts,
    lookups,
    problems: [],
  };
  for (const service of SERVICES) {
    // Registered after the lookup's own watcher: sees the table right after the lookup did.
    bus.serviceTable.watch(service, () => check(w, `inside a change of ${service}`, [service]));
    lookups.get(service)!.subscribe({
      added: (entry) => {
        if (!expected(w, service).includes(entry.value.processor)) {
          w.problems.push(`handed out ${entry.value.processor} for ${service}, which the table does not list as accepting`);
        }
      },
    });
  }
  await bus.start();
  return w;
}

describe('property: LookupService follows the table at every moment', () => {
  it('holds exactly the accepting providers of its service, whatever joins, leaves or crashes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (cmds) => {
        const w = await world();
        try {
          await fc.asyncModelRun(() => ({ model: {}, real: w }), cmds);
          await sleep(10);
          check(w, 'at the end');
          expect(w.problems).toEqual([]);
        } finally {
          await w.bus.stop();
        }
      }),
      { numRuns: Number(process.env.PROSA_PROPERTY_RUNS ?? 60) },
    );
  });
});
