/**
 * Waiting for a processor to leave the bus: the one "wait until removed", for a
 * `LoadProcessor` that waits for its name to be free (a processor being replaced drains
 * first) and for an apply that waits for the processors it stopped or replaced.
 */
import type { Processor, Prosa } from '../actors/index.js';

/**
 * Calls `onGone` once, when `which` has left the bus, or, without `which`, when no
 * processor named `name` is on it: at once (synchronously) when that is already so, else
 * on the `processor.removed` event that makes it so. Returns the cancel function
 * (idempotent); after it `onGone` is never called.
 */
export function whenRemoved(prosa: Prosa, name: string, onGone: () => void, which?: Processor): () => void {
  const gone = () => (which === undefined ? prosa.get(name) === undefined : prosa.get(name) !== which);
  if (gone()) {
    onGone();
    return () => undefined;
  }
  const check = () => {
    if (!gone()) return;
    off();
    onGone();
  };
  const off = () => prosa.events.off('processor.removed', check);
  prosa.events.on('processor.removed', check);
  return off;
}
