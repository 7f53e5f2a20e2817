/**
 * The directive layer's public API: directives and their kinds, resolvers, references,
 * the per-bus registry, and the built-in `LookupService`. It knows nothing of settings:
 * the directives that build processors from settings (`LoadProcessor`, `ApplySettings`)
 * live with the instance (src/instance).
 */
export {
  defineDirective,
  describeDirective,
  type Directive,
  type DirectiveDefinition,
  type DirectiveKind,
  type DirectiveOf,
  type ValueOf,
  type directiveValue,
} from './directive.js';
export { DirectiveError, type DirectiveErrorKind, type DirectiveErrorOptions } from './errors.js';
export {
  resolver,
  callbackResolver,
  promiseResolver,
  type Resolver,
  type ResolverHandle,
  type ValueOptions,
} from './resolver.js';
export type { ResolverStatus } from './resolver-run.js';
export {
  DirectiveReference,
  type DirectiveValue,
  type DirectiveListener,
  type ResolverFailure,
  type ResolverInfo,
  type WaitOptions,
  type Collected,
} from './reference.js';
export {
  Directives,
  createDirectives,
  directivesOf,
  type DirectivesOptions,
  type BusDirectiveHandler,
  type DirectiveInfo,
} from './directives.js';
export { LookupService, lookupServiceHandler, type LookupServiceParams, type ServiceProvider } from './lookup-service.js';
export { systemClock, type Clock } from './clock.js';
export { stableKey } from './stable-key.js';
