/**
 * Asking a processor's directive handler for the resolvers of a directive, safely.
 *
 * The handler (`ProcessorSpec.directives`) is user code: its result is checked, and
 * whatever it throws or returns wrongly counts as no resolver (logged), never as an error
 * of the caller.
 */
import type { Logger } from 'pino';
import { messageOf, safeError } from '../tvf/unknown-value.js';
import type { DirectiveHandler, DirectiveShape, ProcessorContext, ResolverShape } from './adaptor.js';

/**
 * The resolvers `handler` gives for `directive`, called with `ctx`. A throw, or a result
 * that is not an array of `{ name, logic }` resolvers, is logged at `warn` on `logger`
 * and counts as none. Never throws.
 */
export function askDirectiveHandler(
  handler: DirectiveHandler,
  directive: DirectiveShape,
  ctx: ProcessorContext,
  logger: Logger,
): readonly ResolverShape[] {
  try {
    return checkedResolvers(handler(directive, ctx));
  } catch (error) {
    logger.warn({ err: safeError(error), directive: directive.kind }, `directive handler failed: ${messageOf(error)}`);
    return [];
  }
}

/**
 * The resolvers a directive handler returned, checked: an array of objects with a string
 * `name` and a `logic`. Anything else throws a `TypeError` that says what was returned.
 */
function checkedResolvers(returned: unknown): readonly ResolverShape[] {
  if (returned === undefined || returned === null) return [];
  if (!Array.isArray(returned)) throw new TypeError(`the directive handler returned ${messageOf(returned)}, not an array of resolvers`);
  const resolvers: ResolverShape[] = [];
  for (const resolver of returned as unknown[]) {
    const shape = resolver as Partial<ResolverShape> | null;
    if (typeof shape !== 'object' || shape === null || typeof shape.name !== 'string' || typeof shape.logic !== 'object' || shape.logic === null) {
      throw new TypeError(`the directive handler returned ${messageOf(resolver)} among its resolvers, not a { name, logic } resolver`);
    }
    resolvers.push({ name: shape.name, logic: shape.logic });
  }
  return resolvers;
}
