/**
 * prosa: a service bus of XState v5 actors. This is the package's root entry (`prosa`):
 * the bus, TVF records, errors, settings and processor kinds, directives and instances.
 * It loads no optional integration: the HTTP kinds' API, the NATS transport,
 * observability, the inspector and the machines are entries of their own (`prosa/http`,
 * `prosa/nats`, `prosa/observability`, `prosa/inspector`, `prosa/machines`: see
 * `exports` in package.json and docs/architecture.md, "Entries").
 */
export * from './tvf/index.js';
export * from './actors/index.js';
export * from './directives/index.js';
export * from './config/index.js';
export * from './threads/index.js';
export * from './instance/index.js';
export * from './processors/index.js';
// What the bus's own types name, from the layers whose entries are elsewhere.
export type { ProcessorState, MainState, RestartPolicy, Crash } from './machines/index.js';
export { sensitive, SECRET_MASK } from './observability/secrets.js';
export type { LogFormat } from './observability/logger.js';
/**
 * zod, the schema library of every kind's `settings`: a plugin writes its schema with
 * this `z` (`import { defineFactory, z } from 'prosa'`), so it needs no zod of its own.
 */
export { z } from 'zod';
