/**
 * Built-in processors: `stub` (serves canned replies or echoes), `inj` (the injector),
 * `http-server` and `http-client`, their factories, settings schemas and adaptors, and the
 * registry holding them.
 */
export { BUILTIN_FACTORIES, defaultKinds } from './builtins.js';
export { buildTvf, tvfTemplateSchema, type TvfTemplate } from './tvf-template.js';
export { randomSource, type RandomSource } from './random.js';
export { stubFactory } from './stub/factory.js';
export { StubAdaptor, InjectedError } from './stub/adaptor.js';
export { stubSettingsSchema, type StubSettings } from './stub/settings.js';
export { injectorFactory } from './inj/factory.js';
export { InjectorAdaptor, MIN_TICK_MS, type InjectorOptions } from './inj/adaptor.js';
export { injectorSettingsSchema, MAX_INJECTOR_SPEED, type InjectorSettings } from './inj/settings.js';
export { RateRegulator, type RateRegulatorOptions } from './inj/rate-regulator.js';
export { isInjectorReport, type InjectorReport } from './inj/report.js';
export {
  httpServerFactory,
  HttpServerAdaptor,
  isHttpServerReport,
  httpServerSettingsSchema,
  routeSchema,
  HTTP_ERROR_STATUS,
  SERVICE_ERROR_STATUS,
  httpClientFactory,
  HttpClientAdaptor,
  isHttpClientReport,
  httpClientSettingsSchema,
  clientServiceSchema,
  BodyCodec,
  BodyError,
  BODY_FORMATS,
  CONTENT_TYPES,
  MEDIA_TYPES,
  formatForAccept,
  formatOfContentType,
  locateJsonFault,
  HTTP_FACTORIES,
  type HttpServerSettings,
  type HttpServerReport,
  type RouteSettings,
  type HttpErrorKind,
  type HttpClientSettings,
  type HttpClientReport,
  type ClientServiceSettings,
  type BodyCodecOptions,
  type BodyErrorKind,
  type BodyFormat,
  type JsonSyntaxFault,
} from './http/index.js';
