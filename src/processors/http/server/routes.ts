/**
 * The route table of an http-server: method + path -> service, through find-my-way (the
 * router Fastify uses: a radix tree with parameters, wildcards and safe URL decoding),
 * and the copy of a request's path parameters, query and headers into TVF fields.
 */
import type { IncomingHttpHeaders } from 'node:http';
import FindMyWay from 'find-my-way';
import type { RequestOptions } from '../../../actors/requests.js';
import type { TvfDict } from '../../../tvf/dict.js';
import type { Tvf } from '../../../tvf/tvf.js';
import { resolveField, type FieldRef } from '../settings.js';
import { messageOf } from '../../../tvf/unknown-value.js';

/** What a route table needs of a route's settings. */
export interface RouteDefinition {
  method: string;
  path: string;
  service: string;
  timeoutMs?: number | undefined;
  params: Record<string, FieldRef>;
  query: Record<string, FieldRef>;
  headers: Record<string, FieldRef>;
}

/** One value of the request copied into one field. */
export interface FieldCopy {
  /** Parameter or header name (headers in lower case). */
  readonly name: string;
  /** The TVF field id that receives it. */
  readonly id: number;
}

/** A route, resolved: what the server does for a request that matches it. */
export interface ServerRoute {
  readonly method: string;
  readonly path: string;
  readonly service: string;
  /** Options of the bus request (its `timeoutMs`), made once. */
  readonly requestOptions: RequestOptions | undefined;
  readonly params: readonly FieldCopy[];
  readonly query: readonly FieldCopy[];
  readonly headers: readonly FieldCopy[];
  /** True when any of `params`, `query`, `headers` is non-empty. */
  readonly copiesFields: boolean;
}

/** A request that matched a route: find-my-way's own result, not copied. */
export interface RouteHit {
  readonly store: ServerRoute;
  readonly params: { [name: string]: string | undefined };
  readonly searchParams: { [name: string]: string | string[] | undefined };
}

/** Why a request matched no route. */
export type RouteMiss =
  /** No route has that path. */
  | { kind: 'notFound' }
  /** Routes have that path, with other methods (listed, for `Allow`). */
  | { kind: 'methodNotAllowed'; allow: string[] }
  /** The URL cannot be decoded (a bad percent escape). */
  | { kind: 'badUrl' };

type Router = FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;

const ignore = (): void => {};

function newRouter(): Router {
  return FindMyWay({
    ignoreTrailingSlash: false,
    caseSensitive: true,
    maxParamLength: 500,
    // A bad URL matches a route whose store says so, so find() tells it from a 404.
    onBadUrl: ignore,
  });
}

function copies(map: Record<string, FieldRef>, dict: TvfDict, lowerCase: boolean): FieldCopy[] {
  return Object.entries(map).map(([name, ref]) => {
    const id = resolveField(ref, dict);
    if (id === undefined) throw new TypeError(`'${String(ref)}' is not a field name in dict`);
    return { name: lowerCase ? name.toLowerCase() : name, id };
  });
}

/** One problem of a route list: where (under `routes`), what was expected, what was found. */
export interface RouteProblem {
  readonly path: (string | number)[];
  readonly expected: string;
  readonly found: string;
}

/**
 * Problems of a list of routes: a method + path given twice, a path find-my-way refuses,
 * a `params` entry the path does not declare. Empty when the routes can make a table.
 */
export function routeTableProblems(routes: readonly Pick<RouteDefinition, 'method' | 'path' | 'params'>[]): RouteProblem[] {
  const problems: RouteProblem[] = [];
  const router = newRouter();
  const seen = new Map<string, number>();
  routes.forEach((route, index) => {
    const key = `${route.method} ${route.path}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push({ path: [index, 'path'], expected: 'a method + path no other route has', found: `${key}, already routes[${earlier}]` });
      return;
    }
    seen.set(key, index);
    try {
      router.on(route.method as FindMyWay.HTTPMethod, route.path, ignore);
    } catch (error) {
      const why = messageOf(error);
      problems.push({ path: [index, 'path'], expected: 'a path the router accepts', found: `${JSON.stringify(route.path)} (${why})` });
      return;
    }
    const declared = router.findRoute(route.method as FindMyWay.HTTPMethod, route.path)?.params ?? [];
    for (const name of Object.keys(route.params)) {
      if (!declared.includes(name)) {
        problems.push({
          path: [index, 'params', name],
          expected: `a parameter of path ${route.path} (${declared.length === 0 ? 'it has none' : declared.join(', ')})`,
          found: JSON.stringify(name),
        });
      }
    }
  });
  return problems;
}

/** Method + path -> route. Immutable once built. */
export class RouteTable {
  private readonly router = newRouter();
  private readonly methods: string[];

  /**
   * @throws Error when the routes cannot make a table (see {@link routeTableProblems};
   *   the settings schema reports those first) or name a field `dict` does not give.
   */
  constructor(routes: readonly RouteDefinition[], dict: TvfDict) {
    const methods = new Set<string>();
    for (const definition of routes) {
      const params = copies(definition.params, dict, false);
      const query = copies(definition.query, dict, false);
      const headers = copies(definition.headers, dict, true);
      const route: ServerRoute = Object.freeze({
        method: definition.method,
        path: definition.path,
        service: definition.service,
        requestOptions: definition.timeoutMs === undefined ? undefined : Object.freeze({ timeoutMs: definition.timeoutMs }),
        params,
        query,
        headers,
        copiesFields: params.length + query.length + headers.length > 0,
      });
      this.router.on(definition.method as FindMyWay.HTTPMethod, definition.path, ignore, route);
      methods.add(definition.method);
    }
    this.methods = [...methods];
  }

  /**
   * The route `method` + `url` (path and query) matches, with its parameters; `null`
   * when none does (ask {@link RouteTable.miss} why).
   */
  find(method: string, url: string): RouteHit | null {
    const hit = this.router.find(method as FindMyWay.HTTPMethod, url) as RouteHit | null;
    return hit === null || (hit.store as unknown) === null ? null : hit;
  }

  /** Why `method` + `url` matched nothing. Off the hot path: it tries every other method. */
  miss(method: string, url: string): RouteMiss {
    const own = this.router.find(method as FindMyWay.HTTPMethod, url);
    if (own !== null && own.store === null) return { kind: 'badUrl' };
    const allow: string[] = [];
    for (const other of this.methods) {
      if (other === method) continue;
      const hit = this.router.find(other as FindMyWay.HTTPMethod, url);
      if (hit === null) continue;
      if (hit.store === null) return { kind: 'badUrl' };
      allow.push(other);
    }
    return allow.length === 0 ? { kind: 'notFound' } : { kind: 'methodNotAllowed', allow };
  }
}

function text(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Copies the path parameters, query parameters and headers the route names into `tvf`
 * as strings, over any field the body set. Absent ones are left out.
 * @throws TvfError `ConversionError` for a value that is not well-formed Unicode.
 */
export function copyRequestFields(tvf: Tvf, hit: RouteHit, headers: IncomingHttpHeaders): void {
  const route = hit.store;
  for (const { name, id } of route.params) {
    const value = hit.params[name];
    if (value !== undefined) tvf.putString(id, value);
  }
  for (const { name, id } of route.query) {
    const value = text(hit.searchParams[name]);
    if (value !== undefined) tvf.putString(id, value);
  }
  for (const { name, id } of route.headers) {
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    if (value !== undefined) tvf.putString(id, value);
  }
}
