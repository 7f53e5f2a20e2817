/**
 * The bus core's public API: the bus, its processors, adaptors, requests, errors and table.
 */
export {
  createProsa,
  Prosa,
  type ProsaOptions,
  type ProsaEvents,
  type ProsaState,
  type ServicesOptions,
} from './prosa.js';
export type { Processor } from './processor.js';
export type { InspectOption } from './inspect.js';
export { DEFAULT_MAX_IN_FLIGHT, DEFAULT_INIT_TIMEOUT_MS } from './processor-spec.js';
export type {
  Adaptor,
  ProcessorContext,
  ProcessorSpec,
  MaybePromise,
  RequestInfo,
  DirectiveHandler,
  DirectiveShape,
  ResolverShape,
} from './adaptor.js';
export {
  SERVICE_ERROR_KINDS,
  isServiceErrorKind,
  serviceErrorCounts,
  ServiceError,
  ProcessorError,
  BusError,
  type ServiceErrorKind,
  type ProcessorErrorKind,
  type ProcessorErrorOptions,
  type BusErrorKind,
} from './errors.js';
export type { RequestOptions, RequestStats, BusObserver } from './requests.js';
export { MAX_TIMEOUT_MS } from './requests.js';
export type { RequestOutcome, Provider, TableChanged, MailboxEvent } from './msg.js';
export { RequestMsg } from './msg.js';
export type { ServiceTableView, ServiceEntry, ProviderInfo, RoutingPolicy } from './service-table.js';
export type { Transport, TransportHost } from './transport.js';
export {
  MAX_META_ENTRIES,
  MAX_META_KEY_CHARS,
  MAX_META_VALUE_CHARS,
  type RequestMeta,
  type RequestTracing,
  type TracingOption,
  type IncomingContext,
} from './request-context.js';
