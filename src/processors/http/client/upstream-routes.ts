/**
 * The calls an http-client makes, one per service, resolved once from the settings:
 * method, full path (with `:name` placeholders filled from TVF fields per request), and
 * headers (the client's, the service's, and the content type of the body format).
 */
import type { TvfDict } from '../../../tvf/dict.js';
import type { Tvf } from '../../../tvf/tvf.js';
import { CONTENT_TYPES, MEDIA_TYPES, type BodyFormat } from '../body-format.js';
import { resolveField } from '../settings.js';
import type { HttpClientSettings } from './settings.js';

/** How one service is called upstream. */
export interface UpstreamRoute {
  readonly service: string;
  readonly method: string;
  /** False for GET and HEAD: the record is not sent. */
  readonly sendsBody: boolean;
  /** Every header of the call, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The path (and query) of the call for `tvf`. @throws TvfError when a placeholder's field is missing. */
  path(tvf: Tvf): string;
}

const PLACEHOLDER = /\/:([A-Za-z_][A-Za-z0-9_]*)/g;

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

/** A path function: constant when the path has no placeholder. */
function pathOf(prefix: string, template: string, params: Record<string, string | number>, dict: TvfDict): (tvf: Tvf) => string {
  const statics: string[] = [];
  const ids: number[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    statics.push(template.slice(last, match.index) + '/');
    const id = resolveField(params[match[1]!]!, dict);
    if (id === undefined) throw new TypeError(`params.${match[1]} is not a field name in dict`);
    ids.push(id);
    last = match.index + match[0].length;
  }
  const tail = template.slice(last);
  if (ids.length === 0) {
    const path = prefix + template;
    return () => path;
  }
  statics[0] = prefix + statics[0]!;
  return (tvf) => {
    let path = '';
    for (let i = 0; i < ids.length; i++) path += statics[i]! + encodeURIComponent(tvf.getString(ids[i]!));
    return path + tail;
  };
}

/**
 * Service name -> how it is called.
 * @throws TypeError for a placeholder field name `dict` does not give (the schema reports it first).
 */
export function planUpstreamRoutes(settings: HttpClientSettings, dict: TvfDict): Map<string, UpstreamRoute> {
  const base = new URL(settings.url);
  const prefix = base.pathname.endsWith('/') ? base.pathname.slice(0, -1) : base.pathname;
  const format: BodyFormat = settings.format;
  const routes = new Map<string, UpstreamRoute>();
  for (const service of settings.services) {
    const method = service.method ?? settings.method;
    const sendsBody = method !== 'GET' && method !== 'HEAD';
    const headers = {
      ...lowerCaseKeys(settings.headers),
      ...lowerCaseKeys(service.headers),
      accept: `${MEDIA_TYPES[format]}, ${format === 'json' ? MEDIA_TYPES.tvf : MEDIA_TYPES.json};q=0.5`,
      ...(sendsBody ? { 'content-type': CONTENT_TYPES[format] } : {}),
    };
    routes.set(
      service.name,
      Object.freeze({ service: service.name, method, sendsBody, headers: Object.freeze(headers), path: pathOf(prefix, service.path, service.params, dict) }),
    );
  }
  return routes;
}
