/**
 * Settings of the `stub` kind: the services it serves, what it replies, how slowly, how
 * often it fails, and whether it crashes on a schedule.
 */
import { z } from 'zod';
import { tvfTemplateSchema } from '../tvf-template.js';

/** Longest simulated latency: one minute. */
export const MAX_STUB_LATENCY_MS = 60_000;

/** Schema of the `stub` kind's settings. */
export const stubSettingsSchema = z.strictObject({
  services: z
    .array(z.string().min(1))
    .min(1)
    .describe('Services the stub serves (it registers each in the service table).'),
  reply: tvfTemplateSchema(
    'Record every reply carries (a fresh copy each time); leave it out to echo each request back as its reply.',
  ).optional(),
  latencyMs: z
    .number()
    .nonnegative()
    .max(MAX_STUB_LATENCY_MS)
    .default(0)
    .describe('Fixed delay before each reply, in milliseconds; 0 replies at once.'),
  jitterMs: z
    .number()
    .nonnegative()
    .max(MAX_STUB_LATENCY_MS)
    .default(0)
    .describe('Random extra delay added to `latencyMs`, uniform in [0, jitterMs).'),
  errorRate: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe('Fraction of requests answered with an error (the caller sees a `protocol` error), drawn at random per request.'),
  crashEveryMs: z
    .number()
    .nonnegative()
    .max(24 * 3_600_000)
    .default(0)
    .describe(
      'Crash (recoverable) this long after each start: the processor leaves the table, restarts with its backoff and crashes again as long after; to watch a crash and restart live (the console) or test callers. 0 never crashes.',
    ),
  seed: z
    .number()
    .int()
    .optional()
    .describe('Seed of the random draws (jitter, errors): the same seed gives the same sequence. Random when left out.'),
});

/** Settings of a stub, defaults filled. */
export type StubSettings = z.output<typeof stubSettingsSchema>;
