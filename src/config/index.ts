/**
 * Config: the settings file (schema, loader, environment overrides, errors, secrets) and
 * processor kinds (factories, their registry, plugins that provide more). Instances are built from settings one
 * layer up, in src/instance.
 */
export {
  defineFactory,
  type ProcessorFactory,
  type FactoryContext,
  type FactoryProduct,
  type ListenAddress,
} from './factory.js';
export { KindRegistry, KindError, type KindErrorKind, type RegisterOptions } from './registry.js';
export {
  SettingsError,
  formatPath,
  type SettingsIssue,
  type SettingsErrorKind,
} from './settings-error.js';
export {
  INSTANCE_SECTIONS,
  instanceSettingsSchema,
  processorEntrySchema,
  restartSchema,
  queueSchema,
  shutdownSchema,
  logSchema,
  LOG_LEVELS,
  NAME_PATTERN,
  type LogLevel,
  type InstanceSettings,
  type InstanceSettingsInput,
  type ProcessorSettings,
} from './settings-schema.js';
export {
  ENV_PREFIX,
  applyEnvOverrides,
  type Environment,
  type AppliedOverride,
  type EnvOverrideResult,
  type SchemaLookup,
} from './env-overrides.js';
export { checkSettings, validateSettings, type ValidateOptions, type SettingsCheck } from './validate.js';
export {
  loadSettings,
  parseSettings,
  checkSettingsText,
  readSettingsFile,
  checkSettingsTextWithPlugins,
  loadSettingsWithPlugins,
  type LoadOptions,
  type PluginLoadOptions,
} from './load.js';
export {
  loadPlugins,
  resolvePlugin,
  pluginFactories,
  PluginSet,
  PluginError,
  type PluginErrorKind,
  type LoadPluginsOptions,
  type LoadedPlugin,
  type LoadedPlugins,
  type PluginChange,
} from './plugins.js';
export { parseSettingsText, type SettingsText } from './settings-text.js';
export { checkSettingsShape, MAX_SETTINGS_DEPTH, MAX_SETTINGS_VALUES, MAX_ALIAS_COUNT } from './settings-shape.js';
export {
  natsSettingsSchema,
  transportSettingsSchema,
  isSubjectPrefix,
  type NatsSettings,
  type NatsSettingsInput,
  type TransportSettings,
} from './transport-settings.js';
export {
  consoleSettingsSchema,
  consoleLimitsSchema,
  DEFAULT_CONSOLE_PORT,
  DEFAULT_CONSOLE_HOST,
  DEFAULT_CONSOLE_LIMITS,
  type ConsoleSettings,
  type ConsoleLimits,
} from './console-settings.js';
export { describeFields, type FieldDoc } from './describe.js';
export {
  isSensitiveSchema,
  isSensitivePath,
  maskSettings,
  secretsIn,
  SECRET_FOUND,
} from './sensitive.js';
export { maskInstanceSettings, instanceSecrets } from './mask-settings.js';
