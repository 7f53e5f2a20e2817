/**
 * Quieting processors before they stop: each one's `quiesce` (its factory product's: no
 * new traffic, requests in flight settle), waited for at most a grace period. The one
 * quiesce-with-timeout, for a whole instance that stops and for one processor that
 * leaves the settings.
 */
import pTimeout from 'p-timeout';
import type { Logger } from 'pino';
import type { FactoryProduct } from '../config/factory.js';
import { safeError } from '../tvf/unknown-value.js';

/** A processor to quiet: its name, and what its factory built. */
export interface Quietable {
  readonly processor: { readonly name: string };
  readonly product: Pick<FactoryProduct, 'quiesce'>;
}

/**
 * Calls `quiesce` on every processor whose product has one, and waits for them all, at
 * most `graceMs`. Never rejects: a quiesce that throws or rejects is logged (`warn`, with
 * its processor) and counts as done.
 */
export async function quiesceAll(processors: Iterable<Quietable>, graceMs: number, logger: Logger): Promise<void> {
  const quiets: Promise<void>[] = [];
  for (const { processor, product } of processors) {
    if (product.quiesce === undefined) continue;
    const failed = (error: unknown) => logger.warn({ err: safeError(error), proc: processor.name }, 'quiesce failed');
    try {
      quiets.push(Promise.resolve(product.quiesce.call(product)).catch(failed));
    } catch (error) {
      failed(error);
    }
  }
  if (quiets.length > 0) await pTimeout(Promise.all(quiets), { milliseconds: graceMs, fallback: () => undefined });
}
