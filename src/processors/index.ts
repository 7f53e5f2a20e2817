/**
 * The built-in kinds `stub` (serves canned replies or echoes) and `inj` (the injector),
 * their factories, settings and reports, and `defaultKinds()`, the registry of every
 * built-in kind (the HTTP kinds included; their own API is `src/processors/http`, the
 * package's `prosa/http` entry).
 */
export { BUILTIN_FACTORIES, defaultKinds } from './builtins.js';
export type { TvfTemplate } from './tvf-template.js';
export { stubFactory } from './stub/factory.js';
export { InjectedError, ScheduledCrash } from './stub/adaptor.js';
export type { StubSettings } from './stub/settings.js';
export { injectorFactory } from './inj/factory.js';
export type { InjectorSettings } from './inj/settings.js';
export { isInjectorReport, type InjectorReport } from './inj/report.js';
