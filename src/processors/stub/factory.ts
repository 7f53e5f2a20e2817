/**
 * The `stub` kind: a processor that serves its configured services with a canned reply
 * or an echo, optional latency and an optional error rate: a stand-in for a real
 * backend in tests and demos.
 */
import { defineFactory } from '../../config/factory.js';
import { StubAdaptor } from './adaptor.js';
import { stubSettingsSchema } from './settings.js';

/** Factory of the `stub` kind. */
export const stubFactory = defineFactory({
  kind: 'stub',
  description: 'Serves its services with a fixed reply or an echo, with optional latency and error rate.',
  version: '1',
  settings: stubSettingsSchema,
  create(settings) {
    return { services: settings.services, adaptor: new StubAdaptor(settings) };
  },
});
