/**
 * The event log as the page lists it: one line of text per event, and the filter (by
 * type, and by words that must all appear in the line). Pure: no DOM.
 */
import type { ConsoleEvent } from '../model.js';

/** What the event list shows: every event, or one type; and words to look for. */
export interface EventFilter {
  /** An event `type`, or `''` for every type. */
  type: string;
  /** Words separated by spaces, each of which must appear (any case) in the event's processor or text. */
  text: string;
}

/** The text of an event after its time and type: what changed and why. */
export function describeEvent(event: ConsoleEvent): string {
  switch (event.type) {
    case 'processor.state':
      return `${event.processor ?? '?'}: ${event.previous ?? '?'} → ${event.state ?? '?'}${event.cause === undefined ? '' : ` (${event.cause})`}`;
    case 'processor.removed':
      return `${event.processor ?? '?'} removed (${event.state ?? '?'})`;
    case 'main.state':
      return `instance ${event.state ?? '?'}`;
    case 'settings.applied': {
      const changes = event.changes;
      if (changes === undefined) return 'settings applied';
      const parts: string[] = [];
      for (const key of ['started', 'stopped', 'replaced', 'restartNeeded'] as const) {
        if (changes[key].length > 0) parts.push(`${key}: ${changes[key].join(', ')}`);
      }
      if (changes.failed.length > 0) parts.push(`failed: ${changes.failed.map((failure) => `${failure.processor} (${failure.error})`).join(', ')}`);
      return parts.length === 0 ? 'settings applied: no change' : `settings applied: ${parts.join('; ')}`;
    }
    case 'settings.refused':
      return `settings refused${event.cause === undefined ? '' : `: ${event.cause}`}`;
  }
}

/** True when `event` passes `filter`. */
export function eventMatches(event: ConsoleEvent, filter: EventFilter): boolean {
  if (filter.type !== '' && event.type !== filter.type) return false;
  const words = filter.text.toLowerCase().split(/\s+/).filter((word) => word.length > 0);
  if (words.length === 0) return true;
  const haystack = `${event.type} ${describeEvent(event)}`.toLowerCase();
  return words.every((word) => haystack.includes(word));
}
