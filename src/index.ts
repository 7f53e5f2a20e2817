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
export * from './console/index.js';
