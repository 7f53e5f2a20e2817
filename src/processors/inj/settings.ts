/**
 * Settings of the `inj` kind (ProSA's injector): the target service, the rate, the
 * concurrency, the timeout and its backoff, and the request template.
 */
import { z } from 'zod';
import { MAX_TIMEOUT_MS } from '../../actors/requests.js';
import { tvfTemplateSchema } from '../tvf-template.js';

/** Highest `maxSpeed` accepted: one million requests per second. */
export const MAX_INJECTOR_SPEED = 1_000_000;

/** Schema of the `inj` kind's settings. */
export const injectorSettingsSchema = z.strictObject({
  service: z.string().min(1).describe('Service the injector sends its requests to.'),
  maxSpeed: z
    .number()
    .positive()
    .max(MAX_INJECTOR_SPEED)
    .default(100)
    .describe('Target rate, in requests per second (transactions per second).'),
  maxConcurrent: z
    .number()
    .int()
    .positive()
    .max(100_000)
    .default(16)
    .describe('Most requests in flight at once; when reached, the injector waits for replies.'),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(MAX_TIMEOUT_MS)
    .default(1_000)
    .describe('Timeout of each request, in milliseconds. A timeout also slows the injector down (see `backoffFactor`).'),
  request: tvfTemplateSchema('Record each request carries (a fresh copy each time).').default({}),
  backoffFactor: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.5)
    .describe('On a timeout the rate is multiplied by this, at most once per `timeoutMs`; it never drops below 1 per second.'),
  rampMs: z
    .number()
    .int()
    .positive()
    .max(MAX_TIMEOUT_MS)
    .default(2_000)
    .describe('After a backoff the rate climbs back linearly; this is the time a climb from 0 to `maxSpeed` takes.'),
  retryDelayMs: z
    .number()
    .int()
    .positive()
    .max(MAX_TIMEOUT_MS)
    .default(100)
    .describe(
      'Pause before sending again after an `unreachable` error from a provider the bus still lists (or after any `unreachable` without a directive registry): the bus cannot tell the injector when that provider is back.',
    ),
});

/** Settings of an injector, defaults filled. */
export type InjectorSettings = z.output<typeof injectorSettingsSchema>;
