/**
 * `POST /api/v1/call/<service>`: one request to a service of the instance, its body read
 * as a TVF text or a JSON object (named by `services.<service>.dict`), its reply shown
 * masked by `services.<service>.sensitive` in both forms. A reply is never shown unmasked,
 * and the request's own payload is never echoed.
 */
import { ServiceError } from '../actors/errors.js';
import { MAX_TIMEOUT_MS } from '../actors/requests.js';
import type { Instance } from '../instance/instance.js';
import type { InstanceSettings } from '../config/settings-schema.js';
import { payloadMasksOf, type PayloadMasks } from '../observability/payload-masks.js';
import { BodyCodec, BodyError } from '../processors/http/body-codec.js';
import { formatOfContentType, type BodyFormat } from '../processors/http/body-format.js';
import type { TvfJsonObject } from '../tvf/dict.js';
import { TvfError } from '../tvf/error.js';
import { messageOf } from '../tvf/unknown-value.js';
import { ApiError } from './errors.js';

/** The answer to a call that got a reply. */
export interface CallReply {
  service: string;
  /** Milliseconds from send to reply, as the console measured. */
  elapsedMs: number;
  /** The reply, masked: its TVF text and its JSON form (named by the service's `dict`). */
  reply: { tvf: string; json: TvfJsonObject };
}

/** Reads `body` as the request record, as `contentType` says: JSON, or a TVF text (`application/x-prosa-tvf`, `text/plain`, or none). */
function formatOf(contentType: string | undefined): BodyFormat {
  const bare = contentType?.split(';', 1)[0]!.trim().toLowerCase();
  if (bare === undefined || bare === '' || bare === 'text/plain') return 'tvf';
  const format = formatOfContentType(contentType);
  if (format === undefined || format === null) {
    throw new ApiError(415, 'unsupportedMediaType', `a call's body is application/json or application/x-prosa-tvf (or text/plain), not ${JSON.stringify(bare)}`);
  }
  return format;
}

/**
 * Parses `?timeoutMs=`: a positive integer of milliseconds, at most the bus's limit.
 * @throws ApiError 400 `badRequest` naming the value.
 */
export function parseTimeout(text: string | null): number | undefined {
  if (text === null) return undefined;
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || !(value > 0) || value > MAX_TIMEOUT_MS) {
    throw new ApiError(400, 'badRequest', `timeoutMs is a number of milliseconds in 1..${MAX_TIMEOUT_MS}, got ${JSON.stringify(text.slice(0, 40))}`);
  }
  return value;
}

/** The codecs and masks of the settings applied now, made again only when they change. */
export class Caller {
  private settings: InstanceSettings | undefined;
  private masks: PayloadMasks | undefined;
  private readonly codecs = new Map<string, BodyCodec>();

  constructor(
    private readonly instance: Instance,
    private readonly redact: (text: string) => string,
    private readonly maxBodyBytes: number,
  ) {}

  /**
   * Sends `body` to `service`; resolves with the masked reply.
   * @throws ApiError 400 for a body that is not a record, 415 for another media type, and
   *   502/504 with the service error's kind when the request ended in an error.
   */
  async call(service: string, body: Uint8Array, contentType: string | undefined, timeoutMs: number | undefined): Promise<CallReply> {
    const format = formatOf(contentType);
    const codec = this.codec(service);
    let payload;
    try {
      payload = codec.decode(format, body);
    } catch (error) {
      if (error instanceof BodyError) throw new ApiError(400, 'malformedBody', error.message);
      throw error;
    }
    const started = performance.now();
    let reply;
    try {
      reply = await this.instance.prosa.request(service, payload, timeoutMs === undefined ? undefined : { timeoutMs });
    } catch (error) {
      if (error instanceof ServiceError) {
        throw new ApiError(error.kind === 'timeout' ? 504 : 502, error.kind, this.redact(error.message));
      }
      throw new ApiError(400, 'badRequest', this.redact(messageOf(error)));
    }
    const elapsedMs = performance.now() - started;
    try {
      const masked = this.masks!.record(service, reply);
      return { service, elapsedMs, reply: { tvf: codec.encode('tvf', masked), json: codec.dict.toJson(masked) } };
    } catch (error) {
      if (!(error instanceof TvfError)) throw error;
      throw new ApiError(502, 'protocol', `the reply of ${JSON.stringify(service)} is not a readable record: ${this.redact(error.message)}`);
    }
  }

  private codec(service: string): BodyCodec {
    const settings = this.instance.settings;
    if (settings !== this.settings) {
      this.settings = settings;
      this.masks = payloadMasksOf(settings.services);
      this.codecs.clear();
    }
    let codec = this.codecs.get(service);
    if (codec === undefined) {
      codec = new BodyCodec({ dict: settings.services[service]?.dict ?? {}, maxBytes: this.maxBodyBytes });
      // Only services of the settings get a codec of their own: made-up names share none and are not kept.
      if (settings.services[service] !== undefined) this.codecs.set(service, codec);
    }
    return codec;
  }
}
