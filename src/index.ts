/**
 * prosa: a service bus of XState v5 actors. This is the package's one public entry.
 */
export * from './tvf/index.js';
export * from './machines/index.js';
export * from './actors/index.js';
export * from './observability/index.js';
export * from './directives/index.js';
export * from './config/index.js';
export * from './instance/index.js';
export * from './processors/index.js';
export * from './transport/index.js';
/**
 * zod, the schema library of every kind's `settings`: a plugin writes its schema with
 * this `z` (`import { defineFactory, z } from 'prosa'`), so it needs no zod of its own.
 */
export { z } from 'zod';
