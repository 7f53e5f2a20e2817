/**
 * The payloads the suites send, the same in every suite and every run: a 10-field plain
 * object for the peers that carry objects (Moleculer, the bare XState floor, JSON bodies)
 * and its TVF twin for prosa.
 */
import { SimpleStringTvf, type ProcessorContext, type Prosa, type Tvf } from '../src/index.js';

/** Calls in flight per batch in the "1000 in flight" figures. */
export const IN_FLIGHT = 1_000;

/** The plain-object payload: 10 fields. */
export interface EchoPayload {
  id: number;
  service: string;
  amount: number;
  currency: string;
  merchant: string;
  terminal: string;
  pan: string;
  expiry: string;
  approved: boolean;
  timestamp: number;
}

/** Makes the plain-object payload. */
export function makePayload(): EchoPayload {
  return {
    id: 1,
    service: 'echo',
    amount: 12_345,
    currency: 'EUR',
    merchant: 'M0000001',
    terminal: 'T0001',
    pan: '4970100000000000',
    expiry: '2912',
    approved: true,
    timestamp: 1_700_000_000_000,
  };
}

/** Makes the TVF twin of {@link makePayload}'s object (the boolean as byte 1). */
export function makeRecord(): Tvf {
  const tvf = new SimpleStringTvf();
  tvf.putUnsigned(1, 1);
  tvf.putString(2, 'echo');
  tvf.putUnsigned(3, 12_345);
  tvf.putString(4, 'EUR');
  tvf.putString(5, 'M0000001');
  tvf.putString(6, 'T0001');
  tvf.putString(7, '4970100000000000');
  tvf.putString(8, '2912');
  tvf.putByte(9, 1);
  tvf.putUnsigned(10, 1_700_000_000_000);
  return tvf;
}

/**
 * Adds processor `client` to `bus`: it serves nothing, and its context (given once the bus
 * has started) is what a suite sends requests from, as an adaptor would.
 */
export function addClient(bus: Prosa): () => ProcessorContext {
  let client: ProcessorContext | undefined;
  bus.processor('client', {
    adaptor: {
      init: (ctx) => void (client = ctx),
      processRequest: () => {
        throw new Error('the client serves nothing');
      },
    },
  });
  return () => {
    if (client === undefined) throw new Error('the client has no context before the bus starts');
    return client;
  };
}
