/**
 * Reading and writing HTTP bodies as TVF records, in either {@link BodyFormat}. Reading
 * untrusted bytes throws nothing but a {@link BodyError} that says where and why.
 */
import { TvfDict, type TvfDictDefinition } from '../../tvf/dict.js';
import { TvfError } from '../../tvf/error.js';
import { SimpleStringTvf } from '../../tvf/simple-string-tvf.js';
import { ProsaError } from '../../tvf/prosa-error.js';
import type { Tvf } from '../../tvf/tvf.js';
import type { BodyFormat } from './body-format.js';
import { locateJsonFault } from '../../tvf/json-syntax.js';
import { messageOf } from '../../tvf/unknown-value.js';

/** Why a body could not be read as a record. */
export type BodyErrorKind =
  /** The bytes are not UTF-8, not JSON, not a TVF text, or do not fit the dictionary. */
  'MalformedBody';

/**
 * A body that cannot be read as a record. Never recoverable: the same bytes fail the
 * same way. The message names the format and, for a syntax mistake, the byte offset; it
 * never quotes the body.
 */
export class BodyError extends ProsaError<BodyErrorKind> {
  override readonly name = 'BodyError';
  /** The format the body was read as. */
  readonly format: BodyFormat;
  /** Byte offset in the body where reading failed, when known. */
  readonly offset: number | undefined;

  constructor(format: BodyFormat, message: string, offset: number | undefined, cause?: unknown) {
    super('MalformedBody', message, { recoverable: false, cause });
    this.format = format;
    this.offset = offset;
  }
}

/** Options of a {@link BodyCodec}. */
export interface BodyCodecOptions {
  /**
   * Names of the fields for the JSON form; a field it does not name is keyed by its
   * decimal id.
   * @defaultValue an empty dictionary
   */
  dict?: TvfDict | TvfDictDefinition;
  /**
   * Largest body read, in bytes (the TVF reader's `maxBytes`). Callers bound the bytes
   * they collect themselves; this is the second fence.
   * @defaultValue 1 MiB
   */
  maxBytes?: number;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Reads and writes record bodies in both formats with one dictionary. Stateless once built. */
export class BodyCodec {
  /** The dictionary of the JSON form. */
  readonly dict: TvfDict;
  private readonly tvfLimits: { maxBytes: number };

  /** @throws TvfError `TypeMismatch` for a bad dictionary definition. */
  constructor(options: BodyCodecOptions = {}) {
    const dict = options.dict;
    this.dict = dict instanceof TvfDict ? dict : new TvfDict(dict ?? {});
    this.tvfLimits = { maxBytes: options.maxBytes ?? 1024 * 1024 };
  }

  /**
   * Reads a body as a record. An empty body is an empty record in either format.
   * @throws BodyError for anything else that is not a well-formed record of `format`.
   */
  decode(format: BodyFormat, body: Uint8Array): SimpleStringTvf {
    if (body.length === 0) return new SimpleStringTvf();
    if (format === 'tvf') {
      try {
        return SimpleStringTvf.fromUtf8(body, this.tvfLimits);
      } catch (error) {
        throw asBodyError('tvf', error);
      }
    }
    let text: string;
    try {
      text = STRICT_UTF8.decode(body);
    } catch (cause) {
      throw new BodyError('json', 'JSON body: not valid UTF-8', undefined, cause);
    }
    // Most bodies are one flat object of named strings and numbers: read those straight into a record.
    const flat = this.dict.fromFlatJsonText(text);
    if (flat !== undefined) return flat;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      const fault = locateJsonFault(text);
      const offset = fault === undefined ? undefined : Buffer.byteLength(text.slice(0, fault.index), 'utf8');
      const where = offset === undefined ? '' : ` at byte ${offset}`;
      throw new BodyError('json', `JSON body: ${fault?.reason ?? 'not valid JSON'}${where}`, offset, cause);
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new BodyError('json', `JSON body: a record is a JSON object, not ${Array.isArray(json) ? 'an array' : json === null ? 'null' : `a ${typeof json}`}`, 0);
    }
    try {
      return this.dict.fromJson(json as Record<string, unknown>);
    } catch (error) {
      throw asBodyError('json', error);
    }
  }

  /**
   * Writes a record as a body.
   * @throws TvfError when a field does not hold the type its dictionary entry gives (JSON only).
   */
  encode(format: BodyFormat, tvf: Tvf): string {
    if (format === 'json') return this.dict.toJsonText(tvf);
    return SimpleStringTvf.own(tvf).serialize();
  }
}

function asBodyError(format: BodyFormat, error: unknown): BodyError {
  const label = format === 'tvf' ? 'TVF body' : 'JSON body';
  if (error instanceof TvfError) return new BodyError(format, `${label}: ${error.message}`, error.offset, error);
  return new BodyError(format, `${label}: ${messageOf(error)}`, undefined, error);
}
