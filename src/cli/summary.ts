/**
 * Run summary: what `prosa run` prints on exit (requests, responses, errors by kind,
 * TPS, latency percentiles, processors), as text or as one JSON object.
 */
import type { ServiceErrorKind } from '../actors/errors.js';
import { redactSecrets } from '../observability/secrets.js';
import { messageOf } from '../tvf/unknown-value.js';
import type { ProcessorState } from '../machines/processor.machine.js';
import type { Instance } from '../instance/instance.js';
import type { LatencyRecorder, LatencySummary } from '../observability/latency-recorder.js';
import { isInjectorReport, type InjectorReport } from '../processors/inj/report.js';
import { isHttpClientReport, type HttpClientReport } from '../processors/http/client/adaptor.js';
import { isHttpServerReport, type HttpServerReport } from '../processors/http/server/adaptor.js';

/** One processor in a summary. */
export interface ProcessorSummary {
  /** Its kind. */
  kind: string;
  /** Its lifecycle state at the end. */
  state: ProcessorState;
  /** Why it ended, when its final state is `failed`: the message of the crash that ended it. */
  error?: string;
  /**
   * Its crashes during the run, when it had any: history, not its final state (a
   * processor that crashed and restarted may have stopped cleanly since).
   */
  crashes?: CrashHistory;
  /** Its kind's report, for kinds that give one (the injector does). */
  report?: object;
}

/** The crashes of one processor during a run. */
export interface CrashHistory {
  /** How many times it crashed. */
  count: number;
  /** Its last crash: when (ISO 8601, UTC) and why. */
  last: { at: string; error: string };
}

/** What `prosa run` prints on exit; `--json` prints exactly this object. */
export interface RunSummary {
  /** Instance name. */
  instance: string;
  /** Why the run stopped: `duration`, `SIGINT`, `SIGTERM` or `processor failed`. */
  stopReason: string;
  /** Seconds from the start of the bus to the end of its stop. */
  durationS: number;
  /** Requests sent on the bus. */
  requests: number;
  /** Requests that got a response. */
  responses: number;
  /** Requests that ended in an error, by kind. */
  errors: Record<ServiceErrorKind, number>;
  /** Sum of `errors`. */
  errorCount: number;
  /** Replies dropped because their request had already settled. */
  late: number;
  /** Responses per second over `durationS`. */
  tps: number;
  /** Latency of the responses on the bus, in milliseconds (log-bucket histogram, within 0.5%). */
  latencyMs: LatencySummary;
  /** Every processor, in settings order. */
  processors: Record<string, ProcessorSummary>;
  /** The exit code of the run. */
  exitCode: number;
}

/**
 * Records the crashes of a bus's processors as they happen (a processor keeps only its
 * last error, not when, nor how many): what the summary shows as each one's history.
 */
export class CrashLog {
  private readonly byName = new Map<string, CrashHistory>();
  private readonly off: () => void;

  /** Starts recording the crashes of `instance`'s processors; {@link CrashLog.close} stops. */
  constructor(instance: Instance, clock: () => Date = () => new Date()) {
    const onState = ({ processor, state }: { processor: { name: string; lastError: unknown }; state: string }) => {
      if (state !== 'crashed') return;
      const last = { at: clock().toISOString(), error: messageOf(processor.lastError) };
      const history = this.byName.get(processor.name);
      if (history === undefined) this.byName.set(processor.name, { count: 1, last });
      else {
        history.count++;
        history.last = last;
      }
    };
    instance.prosa.events.on('processor.state', onState);
    this.off = () => instance.prosa.events.off('processor.state', onState);
  }

  /** The crashes of the processor named `name` so far, if it had any. */
  of(name: string): CrashHistory | undefined {
    const history = this.byName.get(name);
    return history === undefined ? undefined : { count: history.count, last: { ...history.last } };
  }

  /** Stops recording (idempotent). */
  close(): void {
    this.off();
  }
}

/** Gathers the summary of a stopped run. */
export function summarize(input: {
  instance: Instance;
  latency: LatencyRecorder;
  elapsedMs: number;
  stopReason: string;
  exitCode: number;
  /** The crashes recorded during the run; without it the summary shows none. */
  crashes?: CrashLog;
  /** Secret texts of the settings (`instanceSecrets`), left out of the errors shown. */
  secrets?: readonly string[];
}): RunSummary {
  const secrets = input.secrets ?? [];
  const { instance } = input;
  const stats = instance.prosa.stats();
  const reports = instance.reports();
  const processors: Record<string, ProcessorSummary> = {};
  for (const [name, entry] of instance.processors) {
    const summary: ProcessorSummary = { kind: entry.settings.kind, state: entry.processor.state };
    if (entry.processor.state === 'failed' && entry.processor.lastError !== undefined) {
      summary.error = redactSecrets(messageOf(entry.processor.lastError), secrets);
    }
    const crashes = input.crashes?.of(name);
    if (crashes !== undefined) summary.crashes = { ...crashes, last: { ...crashes.last, error: redactSecrets(crashes.last.error, secrets) } };
    if (reports[name] !== undefined) summary.report = reports[name];
    processors[name] = summary;
  }
  const durationS = input.elapsedMs / 1_000;
  return {
    instance: instance.settings.name,
    stopReason: input.stopReason,
    durationS,
    requests: stats.requests,
    responses: stats.responses,
    errors: stats.errors,
    errorCount: Object.values(stats.errors).reduce((sum, n) => sum + n, 0),
    late: stats.late,
    tps: durationS > 0 ? stats.responses / durationS : 0,
    latencyMs: input.latency.summary(),
    processors,
    exitCode: input.exitCode,
  };
}

/** A latency in ms with 3 significant digits. */
function ms(value: number): string {
  return `${value >= 100 ? Math.round(value) : Number(value.toPrecision(3))} ms`;
}

function rate(value: number): string {
  return value.toFixed(1);
}

function latencyLine(latency: LatencySummary): string {
  if (latency.count === 0) return 'none recorded';
  return `p50 ${ms(latency.p50)}   p90 ${ms(latency.p90)}   p99 ${ms(latency.p99)}   max ${ms(latency.max)}`;
}

function errorsLine(errors: Record<string, number>, total: number): string {
  const kinds = Object.entries(errors)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  return `${total} (${kinds})`;
}

function injectorLine(name: string, report: InjectorReport): string {
  const errors = Object.values(report.errors).reduce((sum, n) => sum + n, 0);
  return (
    `  ${name} -> ${report.service}: sent ${report.sent} at ${rate(report.sendRate)}/s (maxSpeed ${report.maxSpeed}), ` +
    `${rate(report.tps)} tps, errors ${errors}, latency ${latencyLine(report.latencyMs)}`
  );
}

function httpServerLine(name: string, report: HttpServerReport): string {
  const { answers } = report;
  return `  ${name}: answered 2xx ${answers['2xx']}, 3xx ${answers['3xx']}, 4xx ${answers['4xx']}, 5xx ${answers['5xx']}`;
}

function httpClientLine(name: string, report: HttpClientReport): string {
  const { outcomes } = report;
  return (
    `  ${name} -> ${report.upstream}: ${report.requests} requests (response ${outcomes.response}, ` +
    `protocol ${outcomes.protocol}, unreachable ${outcomes.unreachable}, timeout ${outcomes.timeout})`
  );
}

/** The summary as text, a few lines. */
export function formatSummary(summary: RunSummary): string {
  const lines = [
    `${summary.instance}: stopped after ${summary.durationS.toFixed(1)} s (${summary.stopReason})`,
    `  requests    ${summary.requests}   responses ${summary.responses}   late ${summary.late}`,
    `  errors      ${errorsLine(summary.errors, summary.errorCount)}`,
    `  throughput  ${rate(summary.tps)} responses/s`,
    `  latency     ${latencyLine(summary.latencyMs)}`,
    `  processors  ${Object.entries(summary.processors)
      .map(([name, p]) => `${name} (${p.kind}) ${p.state}${p.error === undefined ? '' : `: ${p.error}`}`)
      .join('; ')}`,
  ];
  for (const [name, processor] of Object.entries(summary.processors)) {
    const crashes = processor.crashes;
    if (crashes === undefined) continue;
    const times = crashes.count === 1 ? '1 time' : `${crashes.count} times`;
    lines.push(`  crashes     ${name}: ${times}, last at ${crashes.last.at}: ${crashes.last.error}`);
  }
  for (const [name, processor] of Object.entries(summary.processors)) {
    if (isInjectorReport(processor.report)) lines.push(injectorLine(name, processor.report));
    else if (isHttpServerReport(processor.report)) lines.push(httpServerLine(name, processor.report));
    else if (isHttpClientReport(processor.report)) lines.push(httpClientLine(name, processor.report));
  }
  return lines.join('\n');
}
