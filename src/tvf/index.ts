/**
 * The TVF layer's public API: the `Tvf` record interface, its reference implementation
 * `SimpleStringTvf` (ProSA's text form), errors, read limits, masking and dictionaries.
 */
export { hasKinds, type Tvf, type TvfFieldKind, type TvfWithKinds } from './tvf.js';
export { isTvf } from './is-tvf.js';
export { TvfError, type TvfErrorKind, type TvfErrorPlace } from './error.js';
export { ProsaError, type ProsaErrorOptions } from './prosa-error.js';
export { SimpleStringTvf } from './simple-string-tvf.js';
export { DEFAULT_TVF_READ_LIMITS, type TvfReadLimits, type TvfReadOptions } from './read-limits.js';
export { describeTvf } from './describe.js';
export { maskTvf, TvfFilter, type TvfFilterOptions, type TvfMaskRules } from './filter.js';
export {
  TvfDict,
  type TvfDictDefinition,
  type TvfDictEntry,
  type TvfDictField,
  type TvfJsonObject,
  type TvfJsonValue,
  type TvfValueType,
} from './dict.js';
