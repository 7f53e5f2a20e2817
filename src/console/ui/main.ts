/**
 * The console page: it loads the processor machine's graph once, then follows the live
 * stream (`/api/v1/stream`, server-sent events): every view is updated from its messages,
 * none polls. Everything it shows comes from the API, which masks secrets; text is set as
 * text (`textContent`), never as HTML.
 *
 * `window.prosaConsole` lets a test (or the curious, from the browser's console) read what
 * is drawn: the graph's nodes and their colors, the highlighted state, the charts' points.
 */
import 'uplot/dist/uPlot.min.css';
import './console.css';
import type { ConsoleEvent, ConsoleSnapshot, InstanceView, ProcessorTransition, ProcessorView, ServicesView } from '../model.js';
import type { FiguresTick } from '../figures.js';
import type { MachineGraph } from '../machines.js';
import { processorColor } from './colors.js';
import { describeEvent, eventMatches, type EventFilter } from './event-filter.js';
import { ALL_SERVICES, FiguresHistory } from './figures-history.js';
import { InstanceGraphView, type GraphNode } from './graph-view.js';
import { openStream, type StreamStatus } from './live-stream.js';
import { MachineView } from './machine-view.js';
import { TimeChart } from './charts-view.js';

/** Events the page keeps (the API keeps its own, bounded, log). */
const MAX_EVENTS = 500;
/** Event rows drawn at once, newest first. */
const MAX_EVENT_ROWS = 200;
/** Transitions of the selected processor kept. */
const MAX_TRANSITIONS = 50;

/** What `window.prosaConsole` gives. */
export interface ConsoleProbe {
  /** Every node of the instance graph with its color. */
  graphNodes(): GraphNode[];
  /** The selected processor and the machine node highlighted for it. */
  machine(): { selected: string | null; current: string | null };
  /** The figures ticks held and the newest one's time. */
  figures(): { ticks: number; lastAt: string | null; lastPerSecond: number | null };
  /** Stream messages received, by type. */
  received: Record<string, number>;
}

declare global {
  interface Window {
    prosaConsole?: ConsoleProbe;
  }
}

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

function cell(row: HTMLTableRowElement, text: string): HTMLTableCellElement {
  const td = row.insertCell();
  td.textContent = text;
  return td;
}

function clock(at: string): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? at : `${date.toLocaleTimeString(undefined, { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

function duration(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${response.statusText}`);
  return (await response.json()) as T;
}

/** The page's state and views. */
class ConsolePage {
  private instance: InstanceView | undefined;
  private instanceSeenAt = 0;
  private processors: ProcessorView[] = [];
  private services: ServicesView = { version: 0, services: [] };
  private events: ConsoleEvent[] = [];
  private readonly history = new FiguresHistory();
  private selected: string | null = null;
  private transitions: ProcessorTransition[] = [];
  private chartService = ALL_SERVICES;
  private filter: EventFilter = { type: '', text: '' };
  private readonly graph: InstanceGraphView;
  private machineView: MachineView | undefined;
  private readonly rps = new TimeChart(element('chart-rps'), 'requests per second, by service', 'req/s');
  private readonly errors = new TimeChart(element('chart-errors'), 'errors per second, by kind', 'errors/s');
  private readonly latency = new TimeChart(element('chart-latency'), 'latency percentiles (timed sample)', 'ms');
  readonly received: Record<string, number> = {};

  constructor() {
    this.graph = new InstanceGraphView(element('instance-graph'), (name) => void this.select(name));
    element<HTMLSelectElement>('event-type').addEventListener('change', (event) => {
      this.filter = { ...this.filter, type: (event.target as HTMLSelectElement).value };
      this.drawEvents();
    });
    element<HTMLInputElement>('event-text').addEventListener('input', (event) => {
      this.filter = { ...this.filter, text: (event.target as HTMLInputElement).value };
      this.drawEvents();
    });
    element<HTMLSelectElement>('chart-service').addEventListener('change', (event) => {
      this.chartService = (event.target as HTMLSelectElement).value;
      this.drawCharts();
    });
    setInterval(() => this.drawUptime(), 1000);
  }

  /** Loads the machine graph, then follows the stream. */
  async start(): Promise<void> {
    const machine = await getJson<MachineGraph>('/api/v1/machines/processor');
    this.machineView = new MachineView(element('machine-graph'), machine);
    openStream(
      '/api/v1/stream',
      {
        snapshot: (snapshot) => this.count('snapshot') && this.snapshot(snapshot),
        event: (event) => this.count('event') && this.event(event),
        processors: (processors) => this.count('processors') && this.setProcessors(processors),
        services: (services) => this.count('services') && this.setServices(services),
        figures: (tick) => this.count('figures') && this.figures(tick),
      },
      (status) => this.connection(status),
    );
  }

  /** What `window.prosaConsole` reads. */
  probe(): ConsoleProbe {
    return {
      graphNodes: () => this.graph.nodes(),
      machine: () => ({ selected: this.selected, current: this.machineView?.currentState ?? null }),
      figures: () => ({ ticks: this.history.size, lastAt: this.history.last?.at ?? null, lastPerSecond: this.history.last?.totals.perSecond ?? null }),
      received: this.received,
    };
  }

  private count(type: string): true {
    this.received[type] = (this.received[type] ?? 0) + 1;
    return true;
  }

  private snapshot(snapshot: ConsoleSnapshot): void {
    this.instance = snapshot.instance;
    this.instanceSeenAt = performance.now();
    this.processors = snapshot.processors;
    this.services = snapshot.services;
    this.events = snapshot.events.slice(-MAX_EVENTS);
    this.history.reset(snapshot.figures);
    element('instance-name').textContent = snapshot.instance.name;
    this.drawInstanceState(snapshot.instance.state);
    this.drawUptime();
    this.drawGraph();
    this.drawEvents();
    this.drawServiceChoices();
    this.drawCharts();
    if (this.selected === null && this.processors[0] !== undefined) void this.select(this.processors[0].name);
    else if (this.selected !== null) void this.select(this.selected);
  }

  private event(event: ConsoleEvent): void {
    this.events.push(event);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    if (event.type === 'main.state' && event.state !== undefined) this.drawInstanceState(event.state);
    if (event.type === 'processor.state' && event.processor === this.selected && event.state !== undefined) {
      this.pushTransition({ at: event.at, from: event.previous ?? '?', to: event.state, cause: event.cause ?? null });
    }
    this.drawEvents();
  }

  private setProcessors(processors: ProcessorView[]): void {
    this.processors = processors;
    this.drawGraph();
  }

  private setServices(services: ServicesView): void {
    this.services = services;
    this.drawGraph();
  }

  private figures(tick: FiguresTick): void {
    this.history.push(tick);
    element('totals').textContent = `${tick.totals.perSecond.toFixed(0)} req/s · ${tick.inFlight} in flight`;
    this.drawServiceChoices();
    this.drawCharts();
  }

  private async select(name: string): Promise<void> {
    const changed = name !== this.selected;
    this.selected = name;
    this.graph.select(name);
    element('selected-name').textContent = name;
    if (changed) this.transitions = [];
    this.drawProcessorRows();
    this.drawMachine();
    try {
      const detail = await getJson<ProcessorView & { transitions: ProcessorTransition[] }>(`/api/v1/processors/${encodeURIComponent(name)}`);
      if (this.selected !== name) return;
      this.transitions = detail.transitions.slice(-MAX_TRANSITIONS);
    } catch (error) {
      if (this.selected !== name) return;
      this.transitions = [];
      element('selected-name').textContent = `${name} (${error instanceof Error ? error.message : 'unavailable'})`;
    }
    this.drawTransitions();
  }

  private pushTransition(transition: ProcessorTransition): void {
    this.transitions.push(transition);
    if (this.transitions.length > MAX_TRANSITIONS) this.transitions.splice(0, this.transitions.length - MAX_TRANSITIONS);
    this.drawTransitions();
  }

  private connection(status: StreamStatus): void {
    const badge = element('connection');
    badge.dataset['status'] = status;
    badge.textContent = status;
  }

  private drawInstanceState(state: string): void {
    if (this.instance !== undefined) this.instance = { ...this.instance, state: state as InstanceView['state'] };
    element('instance-state').textContent = state;
  }

  private drawUptime(): void {
    if (this.instance === undefined) return;
    element('uptime').textContent = `up ${duration(this.instance.uptimeSeconds + (performance.now() - this.instanceSeenAt) / 1000)}`;
  }

  private drawGraph(): void {
    this.graph.update(this.instance?.name ?? 'instance', this.processors, this.services);
    if (this.selected !== null) this.graph.select(this.selected);
    this.drawProcessorRows();
    this.drawMachine();
  }

  private drawMachine(): void {
    const processor = this.processors.find((candidate) => candidate.name === this.selected);
    this.machineView?.highlight(processor?.stateId ?? null);
  }

  private drawProcessorRows(): void {
    const body = element<HTMLTableElement>('processors').tBodies[0]!;
    body.replaceChildren();
    for (const processor of this.processors) {
      const row = body.insertRow();
      const color = processorColor(processor);
      row.dataset['name'] = processor.name;
      row.dataset['state'] = processor.state;
      row.dataset['color'] = color;
      row.setAttribute('aria-selected', String(processor.name === this.selected));
      const name = cell(row, '');
      const dot = document.createElement('span');
      dot.className = 'dot';
      dot.dataset['color'] = color;
      name.append(dot, processor.name);
      cell(row, processor.kind);
      cell(row, processor.state);
      cell(row, String(processor.restarts));
      cell(row, String(processor.crashes));
      cell(row, String(processor.threads));
      cell(row, String(processor.inFlight));
      cell(row, processor.lastError ?? '');
      row.addEventListener('click', () => void this.select(processor.name));
    }
  }

  private drawTransitions(): void {
    const list = element('transitions');
    list.replaceChildren();
    for (const transition of [...this.transitions].reverse()) {
      const item = document.createElement('li');
      const time = document.createElement('time');
      time.dateTime = transition.at;
      time.textContent = clock(transition.at);
      item.append(time, ` ${transition.from} → ${transition.to}`);
      if (transition.cause !== null) {
        const cause = document.createElement('span');
        cause.className = 'cause';
        cause.textContent = ` ${transition.cause}`;
        item.append(cause);
      }
      list.append(item);
    }
  }

  private drawEvents(): void {
    const body = element<HTMLTableElement>('events').tBodies[0]!;
    body.replaceChildren();
    let shown = 0;
    for (let i = this.events.length - 1; i >= 0 && shown < MAX_EVENT_ROWS; i--) {
      const event = this.events[i]!;
      if (!eventMatches(event, this.filter)) continue;
      const row = body.insertRow();
      row.dataset['type'] = event.type;
      cell(row, clock(event.at));
      cell(row, event.type);
      cell(row, describeEvent(event));
      shown++;
    }
  }

  private drawServiceChoices(): void {
    const select = element<HTMLSelectElement>('chart-service');
    const services = this.history.services();
    const wanted = [ALL_SERVICES, ...services];
    const present = [...select.options].map((option) => option.value);
    if (present.join('\u0000') === wanted.join('\u0000')) return;
    select.replaceChildren(...wanted.map((value) => new Option(value === ALL_SERVICES ? 'every service' : value, value, false, value === this.chartService)));
  }

  private drawCharts(): void {
    this.rps.update(this.history.requestRates());
    this.errors.update(this.history.errorRates(this.chartService));
    const latencyOf = this.chartService !== ALL_SERVICES ? this.chartService : (this.history.services()[0] ?? ALL_SERVICES);
    this.latency.update(this.history.latency(latencyOf));
  }
}

const page = new ConsolePage();
window.prosaConsole = page.probe();
page.start().catch((error: unknown) => {
  element('connection').textContent = `error: ${error instanceof Error ? error.message : String(error)}`;
  element('connection').dataset['status'] = 'reconnecting';
});
