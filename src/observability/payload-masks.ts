/**
 * Payload masks: the sensitive fields of every service, prepared once (at configure time)
 * as TVF filters, and the masked, readable form of a record that logs carry.
 */
import { describeTvf } from '../tvf/describe.js';
import { TvfFilter, type TvfMaskRules } from '../tvf/filter.js';
import type { Tvf } from '../tvf/tvf.js';
import { isEmptyRules, maskRulesOf, mergeMaskRules, type SensitiveFields } from './sensitive-fields.js';

/** A record masked for a log: its readable text, with sensitive fields filled or removed. */
export class MaskedPayload {
  /** `{1: 42, 2: "****"}`: see `describeTvf`. */
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  /** Logs show the text. */
  toJSON(): string {
    return this.text;
  }

  toString(): string {
    return this.text;
  }
}

/** Options of {@link PayloadMasks}. */
export interface PayloadMaskOptions {
  /**
   * Character that replaces each character of a masked string field.
   * @defaultValue `'*'`
   */
  fill?: string;
}

/** The text of a record that could not be read for a log: nothing of it is shown. */
const UNREADABLE = new MaskedPayload('<unreadable record>');

/**
 * The sensitive fields of each service, as prepared filters. A record of a declared
 * service is masked with exactly its fields (none for a service declared with an empty
 * list); a record of an undeclared service, or one logged without saying its service, is
 * masked with every declared field of every service (when in doubt, mask).
 */
export class PayloadMasks {
  /** Declared services; `null` for one declared with no sensitive field. */
  private readonly byService = new Map<string, TvfFilter | null>();
  private readonly anyService: TvfFilter | null;

  /**
   * @param services service name -> its sensitive fields.
   * @throws TvfError `TypeMismatch` for a field id that is not a non-negative integer.
   */
  constructor(services: Readonly<Record<string, SensitiveFields | undefined>> = {}, options: PayloadMaskOptions = {}) {
    let all: TvfMaskRules = {};
    for (const [service, fields] of Object.entries(services)) {
      if (fields === undefined || fields.length === 0) {
        this.byService.set(service, null);
        continue;
      }
      const rules = maskRulesOf(fields);
      this.byService.set(service, new TvfFilter(rules, options));
      all = mergeMaskRules(all, rules);
    }
    this.anyService = isEmptyRules(all) ? null : new TvfFilter(all, options);
  }

  /** Services declared, with or without sensitive fields. */
  services(): string[] {
    return [...this.byService.keys()];
  }

  /** True when some service declares a sensitive field. */
  get masksAnything(): boolean {
    return this.anyService !== null;
  }

  /**
   * The masked, readable form of `tvf` as a record of `service` (or of no known service
   * when `service` is undefined). Copies the record; `tvf` is not changed. Never throws:
   * a record that cannot be read shows as `<unreadable record>`.
   */
  mask(service: string | undefined, tvf: Tvf): MaskedPayload {
    try {
      return new MaskedPayload(describeTvf(this.record(service, tvf)));
    } catch {
      return UNREADABLE;
    }
  }

  /**
   * A masked copy of `tvf` as a record of `service`, by the same rules as {@link mask}:
   * for output that shows a record as a record (the console's replies), not as log text.
   * `tvf` itself when nothing is to be masked.
   * @throws TvfError `TypeMismatch` when `tvf` is not a usable record.
   */
  record<T extends Tvf>(service: string | undefined, tvf: T): T {
    const filter = service !== undefined && this.byService.has(service) ? this.byService.get(service)! : this.anyService;
    return filter === null ? tvf : filter.filter(tvf);
  }
}

/**
 * The masks of a settings file's `services` section: each service's `sensitive` fields.
 * @throws TvfError `TypeMismatch` for a field id that is not a non-negative integer.
 */
export function payloadMasksOf(
  services: Readonly<Record<string, { readonly sensitive?: SensitiveFields }>> | undefined,
  options?: PayloadMaskOptions,
): PayloadMasks {
  const fields: Record<string, SensitiveFields> = {};
  for (const [service, settings] of Object.entries(services ?? {})) fields[service] = settings.sensitive ?? [];
  return new PayloadMasks(fields, options);
}
