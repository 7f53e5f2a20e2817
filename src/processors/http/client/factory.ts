/**
 * The `http-client` kind: serves its services by calling an upstream HTTP endpoint.
 */
import { defineFactory } from '../../../config/factory.js';
import { HttpClientAdaptor } from './adaptor.js';
import { httpClientSettingsSchema } from './settings.js';

/** Factory of the `http-client` kind. */
export const httpClientFactory = defineFactory({
  kind: 'http-client',
  description: 'HTTP client: serves its services by calling an upstream URL (undici pool), upstream outcomes as bus errors.',
  version: '1',
  settings: httpClientSettingsSchema,
  create(settings) {
    const adaptor = new HttpClientAdaptor(settings);
    return { services: adaptor.services, adaptor, report: () => adaptor.report() };
  },
});
