/**
 * The `http-server` kind: an HTTP front door to the bus. Each route turns an HTTP
 * request into a request for a service, and the outcome into an HTTP answer.
 */
import { defineFactory } from '../../../config/factory.js';
import { HttpServerAdaptor } from './adaptor.js';
import { httpServerSettingsSchema } from './settings.js';

/** Factory of the `http-server` kind. */
export const httpServerFactory = defineFactory({
  kind: 'http-server',
  description: 'HTTP server: routes method + path to a service, JSON or TVF bodies, outcomes as status codes.',
  version: '1',
  settings: httpServerSettingsSchema,
  listens: (settings) => [{ host: settings.listen.host, port: settings.listen.port, path: ['listen', 'port'] }],
  create(settings) {
    const adaptor = new HttpServerAdaptor(settings);
    return { services: [], adaptor, report: () => adaptor.report(), quiesce: () => adaptor.quiesce() };
  },
});
