/**
 * The `inj` kind (ProSA's injector): a processor that drives a service with requests at
 * a regulated rate and reports the achieved rate and latency percentiles.
 */
import { defineFactory } from '../../config/factory.js';
import { InjectorAdaptor } from './adaptor.js';
import { injectorSettingsSchema } from './settings.js';

/** Factory of the `inj` kind. */
export const injectorFactory = defineFactory({
  kind: 'inj',
  description: 'Sends requests to a service at a regulated rate; reports achieved TPS and latency percentiles.',
  version: '1',
  settings: injectorSettingsSchema,
  create(settings, context) {
    const adaptor = new InjectorAdaptor(settings, { directives: context.directives, logger: context.logger });
    return {
      services: [],
      adaptor,
      report: () => adaptor.report(),
      quiesce: () => adaptor.quiesce(),
    };
  },
});
