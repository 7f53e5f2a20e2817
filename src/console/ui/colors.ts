/**
 * The console's colors, as ProSA's node graph colors an instance: a processor green while
 * serving, orange once it has restarted, red while crashed, restarting or failed, grey
 * when stopped or passing between states; a service green while provided, grey when not.
 */
import type { ProcessorView, ServiceView } from '../model.js';

/** The color of a node of the instance graph. */
export type NodeColor = 'green' | 'orange' | 'red' | 'grey';

/** The CSS value of each {@link NodeColor} (the page's stylesheet uses the same). */
export const COLOR_VALUES: Readonly<Record<NodeColor, string>> = Object.freeze({
  green: '#2ea043',
  orange: '#e3861f',
  red: '#d73a49',
  grey: '#8b949e',
});

/** The color of a processor, from its state and restart count. */
export function processorColor(processor: Pick<ProcessorView, 'state' | 'restarts'>): NodeColor {
  switch (processor.state) {
    case 'serving':
      return processor.restarts > 0 ? 'orange' : 'green';
    case 'crashed':
    case 'restarting':
    case 'failed':
      return 'red';
    default:
      return 'grey';
  }
}

/** The color of a service: green while a provider (local or remote) is in the table. */
export function serviceColor(service: Pick<ServiceView, 'provided'>): NodeColor {
  return service.provided ? 'green' : 'grey';
}
