/**
 * `prosa status` and `prosa call`: clients of a running instance's console API
 * (docs/console.md). Each prints its answer as text, or as one JSON object with `--json`;
 * every failure (no console there, a refused call, a service error) is one line naming
 * its kind, never a stack. The token comes from `PROSA_CONSOLE_TOKEN` only: a command
 * line is readable by every user of the machine.
 */
import { DEFAULT_CONSOLE_HOST, DEFAULT_CONSOLE_PORT } from '../config/console-settings.js';
import type { CallReply } from '../console/call.js';
import type { InstanceView, ProcessorView, ServicesView } from '../console/model.js';
import { codeOf, messageOf } from '../tvf/unknown-value.js';
import { ExitCode } from './exit-codes.js';
import type { CommandIo } from './io.js';

/** The console `prosa status` and `prosa call` ask when given no `--url`. */
export const DEFAULT_CONSOLE_URL = `http://${DEFAULT_CONSOLE_HOST}:${DEFAULT_CONSOLE_PORT}`;

/** The environment variable the clients read the console's token from. */
export const CONSOLE_TOKEN_ENV = 'PROSA_CONSOLE_TOKEN';

/** Options of both clients. */
export interface ConsoleClientOptions {
  /** The console's URL. @defaultValue {@link DEFAULT_CONSOLE_URL} */
  url?: string;
  /** Print one JSON object instead of text. */
  json?: boolean;
}

/** A failure of a client, as it is printed: a kind and a message. */
class ClientFailure {
  constructor(
    readonly kind: string,
    readonly message: string,
  ) {}
}

function baseUrl(text: string | undefined): URL {
  const raw = text ?? DEFAULT_CONSOLE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ClientFailure('invalidUrl', `--url takes an http URL such as ${DEFAULT_CONSOLE_URL}, got ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ClientFailure('invalidUrl', `--url takes an http URL such as ${DEFAULT_CONSOLE_URL}, got ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ClientFailure('invalidUrl', `--url takes no user or password (give the token in ${CONSOLE_TOKEN_ENV})`);
  }
  return url;
}

/** Sends one request to the console; resolves with its JSON answer, or throws a {@link ClientFailure}. */
async function ask(io: CommandIo, base: URL, path: string, init: { method?: string; body?: string; contentType?: string } = {}): Promise<unknown> {
  const url = new URL(path, base);
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = io.env[CONSOLE_TOKEN_ENV];
  if (token !== undefined && token !== '') headers['authorization'] = `Bearer ${token}`;
  if (init.contentType !== undefined) headers['content-type'] = init.contentType;
  let response: Response;
  try {
    response = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body, redirect: 'error' });
  } catch (error) {
    const code = codeOf((error as { cause?: unknown })?.cause) ?? codeOf(error);
    const why = code === undefined ? messageOf((error as { cause?: unknown })?.cause ?? error) : code;
    throw new ClientFailure('unreachable', `no console answers at ${base.origin} (${why}): is the instance running with --console (or a console: section)?`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ClientFailure('notAConsole', `${base.origin} answered ${response.status} with something that is not the console's JSON`);
  }
  if (!response.ok) {
    const error = (body as { error?: { kind?: unknown; message?: unknown } } | null)?.error;
    const kind = typeof error?.kind === 'string' ? error.kind : `HTTP ${response.status}`;
    const message = typeof error?.message === 'string' ? error.message : `the console answered ${response.status}`;
    throw new ClientFailure(kind, message);
  }
  return body;
}

/** Prints `failure` as the command's last words and returns the exit code. */
function fail(command: string, failure: ClientFailure, options: ConsoleClientOptions, io: CommandIo): number {
  if (options.json === true) io.stdout.write(`${JSON.stringify({ ok: false, error: { kind: failure.kind, message: failure.message } })}\n`);
  else io.stderr.write(`prosa ${command}: ${failure.kind}: ${failure.message}\n`);
  return failure.kind === 'invalidUrl' ? ExitCode.Usage : ExitCode.Failed;
}

/** What `prosa status --json` prints. */
export interface StatusReport {
  instance: Pick<InstanceView, 'name' | 'state' | 'uptimeSeconds' | 'version'>;
  processors: ProcessorView[];
  services: ServicesView['services'];
}

/**
 * `prosa status`: prints the processors and services of a running instance. Resolves 0,
 * or 1 when no console answers (or it refuses), 2 for a bad `--url`.
 */
export async function statusCommand(options: ConsoleClientOptions, io: CommandIo): Promise<number> {
  let report: StatusReport;
  try {
    const base = baseUrl(options.url);
    const [instance, processors, services] = await Promise.all([
      ask(io, base, '/api/v1/instance') as Promise<InstanceView>,
      ask(io, base, '/api/v1/processors') as Promise<ProcessorView[]>,
      ask(io, base, '/api/v1/services') as Promise<ServicesView>,
    ]);
    report = {
      instance: { name: instance.name, state: instance.state, uptimeSeconds: instance.uptimeSeconds, version: instance.version },
      processors,
      services: services.services,
    };
  } catch (error) {
    if (!(error instanceof ClientFailure)) throw error;
    return fail('status', error, options, io);
  }
  io.stdout.write(options.json === true ? `${JSON.stringify(report)}\n` : formatStatus(report));
  return ExitCode.Ok;
}

/** Rows of cells as aligned columns, two spaces apart, each line indented by two. */
function columns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}\n`).join('');
}

/** `prosa status` as text. */
export function formatStatus(report: StatusReport): string {
  const { instance, processors, services } = report;
  let out = `instance ${instance.name}: ${instance.state}, console up ${instance.uptimeSeconds.toFixed(0)} s (prosa ${instance.version})\n`;
  out += `processors (${processors.length})\n`;
  out += columns(
    processors.map((p) => [
      p.name,
      p.kind,
      p.state,
      `restarts ${p.restarts}`,
      `threads ${p.threads}`,
      p.services.length === 0 ? '-' : p.services.join(', '),
      ...(p.lastError === null ? [] : [`last error: ${p.lastError}`]),
    ]),
  );
  out += `services (${services.length})\n`;
  out += columns(
    services.map((s) => [
      s.name,
      s.provided ? 'provided' : 'not provided',
      s.providers.map((p) => (p.remote ? `${p.processor} (remote${p.instances === undefined ? '' : `: ${p.instances.join(', ')}`})` : p.processor)).join(', ') || '-',
    ]),
  );
  return out;
}

/** Options of {@link callCommand}. */
export interface CallCommandOptions extends ConsoleClientOptions {
  /** `--timeout <ms>`: the request's timeout. @defaultValue the instance's `requestTimeoutMs` */
  timeoutMs?: number;
}

/**
 * `prosa call <service> <payload>`: sends one request through the console and prints the
 * (masked) reply: its JSON form, or the whole answer with `--json`. `payload` is a JSON
 * object when it starts with `{`, else a TVF text. Resolves 0 with a reply, 1 when the
 * request ended in an error (its kind is printed) or no console answers, 2 for a bad `--url`.
 */
export async function callCommand(service: string, payload: string, options: CallCommandOptions, io: CommandIo): Promise<number> {
  let reply: CallReply;
  try {
    const base = baseUrl(options.url);
    const json = payload.trimStart().startsWith('{');
    const query = options.timeoutMs === undefined ? '' : `?timeoutMs=${options.timeoutMs}`;
    reply = (await ask(io, base, `/api/v1/call/${encodeURIComponent(service)}${query}`, {
      method: 'POST',
      body: payload,
      contentType: json ? 'application/json' : 'application/x-prosa-tvf',
    })) as CallReply;
  } catch (error) {
    if (!(error instanceof ClientFailure)) throw error;
    return fail('call', error, options, io);
  }
  io.stdout.write(options.json === true ? `${JSON.stringify({ ok: true, ...reply })}\n` : `${JSON.stringify(reply.reply.json)}\n`);
  return ExitCode.Ok;
}
