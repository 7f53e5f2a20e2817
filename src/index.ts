/**
 * prosa: the package's one public entry.
 */
export * from './tvf/index.js';
