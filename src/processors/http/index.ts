/**
 * The HTTP kinds: `http-server` (HTTP requests in, bus requests out) and `http-client`
 * (bus requests in, calls to an upstream out), with their shared body formats.
 */
import type { ProcessorFactory } from '../../config/factory.js';
import { httpClientFactory } from './client/factory.js';
import { httpServerFactory } from './server/factory.js';

export { httpServerFactory } from './server/factory.js';
export { HttpServerAdaptor, isHttpServerReport, type HttpServerReport } from './server/adaptor.js';
export { httpServerSettingsSchema, routeSchema, type HttpServerSettings, type RouteSettings } from './server/settings.js';
export { HTTP_ERROR_STATUS, SERVICE_ERROR_STATUS, type HttpErrorKind } from './server/answers.js';
export { httpClientFactory } from './client/factory.js';
export { HttpClientAdaptor, isHttpClientReport, type HttpClientReport } from './client/adaptor.js';
export { httpClientSettingsSchema, clientServiceSchema, type HttpClientSettings, type ClientServiceSettings } from './client/settings.js';
export { BodyCodec, BodyError, type BodyCodecOptions, type BodyErrorKind } from './body-codec.js';
export { BODY_FORMATS, CONTENT_TYPES, MEDIA_TYPES, formatForAccept, formatOfContentType, type BodyFormat } from './body-format.js';
export { locateJsonFault, type JsonSyntaxFault } from '../../tvf/json-syntax.js';

/** The HTTP kinds' factories, for a kind registry. */
export const HTTP_FACTORIES: readonly ProcessorFactory[] = Object.freeze([httpServerFactory, httpClientFactory]);
