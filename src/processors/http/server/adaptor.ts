/**
 * The http-server's adaptor: each run (each `init`, restarts included) opens a
 * {@link Gateway} on the configured address; `terminate` stops it gracefully. The
 * processor provides no services: it only sends requests to the bus.
 */
import type { AddressInfo } from 'node:net';
import type { Adaptor, ProcessorContext } from '../../../actors/adaptor.js';
import { ServiceError } from '../../../actors/errors.js';
import type { Tvf } from '../../../tvf/tvf.js';
import { BodyCodec } from '../body-codec.js';
import { resolveField } from '../settings.js';
import { Gateway, type GatewayPlan } from './gateway.js';
import { RouteTable } from './routes.js';
import type { HttpServerSettings } from './settings.js';

/** What an http-server reports (`prosa run` shows it in its summary). */
export interface HttpServerReport {
  /** Always `'http-server'`: tells this report from other kinds'. */
  kind: 'http-server';
  /** Where it listens now; undefined when it is not listening. */
  url: string | undefined;
  /** HTTP answers sent since the processor was built, by status class. */
  answers: { '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  /** Exchanges received and not answered yet. */
  inFlight: number;
}

/** True when `value` is an {@link HttpServerReport}. */
export function isHttpServerReport(value: unknown): value is HttpServerReport {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'http-server';
}

/** An http-server's adaptor. One per processor; it survives restarts. */
export class HttpServerAdaptor implements Adaptor {
  private readonly plan: GatewayPlan;
  private gateway: Gateway | undefined;
  private quiesced = false;

  /**
   * Resolves the routes and the dictionary once.
   * @throws Error for settings the schema would have refused (a bad route, an unknown field name).
   */
  constructor(settings: HttpServerSettings) {
    const codec = new BodyCodec({ dict: settings.dict, maxBytes: settings.maxBodyBytes });
    const statusField = settings.statusField === undefined ? undefined : resolveField(settings.statusField, codec.dict);
    if (settings.statusField !== undefined && statusField === undefined) {
      throw new TypeError(`statusField '${String(settings.statusField)}' is not a field name in dict`);
    }
    this.plan = Object.freeze({
      settings,
      routes: new RouteTable(settings.routes, codec.dict),
      codec,
      statusField,
      answers: [0, 0, 0, 0, 0, 0],
    });
  }

  /** Where the current run listens (the port chosen when the settings say 0); undefined when not listening. */
  get address(): AddressInfo | undefined {
    return this.gateway?.address;
  }

  /** HTTP exchanges of the current run received and not answered yet. */
  get exchangesInFlight(): number {
    return this.gateway?.exchangesInFlight ?? 0;
  }

  /**
   * Listens. A port in use is a recoverable crash (the bus retries with backoff); a bad
   * address is fatal. After {@link HttpServerAdaptor.quiesce} it does not listen again.
   */
  async init(ctx: ProcessorContext): Promise<void> {
    if (this.quiesced) return;
    const gateway = new Gateway(this.plan, ctx);
    this.gateway = gateway;
    await gateway.listen();
    ctx.logger.info({ url: this.report().url, routes: this.plan.settings.routes.length }, 'http-server listening');
  }

  /** Never called: an http-server provides no services. */
  processRequest(service: string, _request: Tvf, ctx: ProcessorContext): Tvf {
    throw new ServiceError('unreachable', service, ctx.name, 'an http-server provides no services');
  }

  /** Stops the current run gracefully (see `Gateway.close`), within `shutdownGraceMs`. */
  async terminate(): Promise<void> {
    const gateway = this.gateway;
    this.gateway = undefined;
    await gateway?.close(this.plan.settings.shutdownGraceMs);
  }

  /**
   * Stops taking traffic ahead of the bus's own stop (an instance calls it first): the
   * server closes gracefully as in `terminate`, and does not listen again. Resolves once
   * the exchanges in flight are answered (or `shutdownGraceMs` passed).
   */
  async quiesce(): Promise<void> {
    this.quiesced = true;
    await this.terminate();
  }

  /** The current address and the answers counted so far. */
  report(): HttpServerReport {
    const address = this.address;
    const host = address === undefined ? '' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const answers = this.plan.answers;
    return {
      kind: 'http-server',
      url: address === undefined ? undefined : `http://${host}:${address.port}`,
      answers: { '2xx': answers[2]!, '3xx': answers[3]!, '4xx': answers[4]!, '5xx': answers[5]! },
      inFlight: this.exchangesInFlight,
    };
  }
}
