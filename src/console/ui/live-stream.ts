/**
 * The page's side of `/api/v1/stream`: an `EventSource` whose messages are parsed and
 * handed, typed, to one handler per message type. The browser reconnects by itself; each
 * new connection starts with a fresh `snapshot`.
 */
import type { ConsoleMessages } from '../model.js';

/** One handler per stream message. */
export type StreamHandlers = { [Type in keyof ConsoleMessages]: (data: ConsoleMessages[Type]) => void };

/** Whether the stream is connected. */
export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

/** Opens the stream at `url`; `status` is told each change of connection. Returns the source (close it to stop). */
export function openStream(url: string, handlers: StreamHandlers, status: (status: StreamStatus) => void): EventSource {
  const source = new EventSource(url);
  status('connecting');
  source.addEventListener('open', () => status('live'));
  source.addEventListener('error', () => status('reconnecting'));
  for (const type of Object.keys(handlers) as (keyof ConsoleMessages)[]) {
    source.addEventListener(type, (message: MessageEvent<string>) => {
      (handlers[type] as (data: unknown) => void)(JSON.parse(message.data));
    });
  }
  return source;
}
