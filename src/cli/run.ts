/**
 * `prosa run [file]`: runs an instance from a settings file (or the embedded default)
 * until `--duration` is over, SIGINT or SIGTERM arrives, or a processor fails for good;
 * then stops it gracefully and prints the summary. With a file, SIGHUP re-applies it
 * (a diff: see `Instance.apply`), and `--watch` re-applies it whenever it changes.
 */
import { buildInstance, type BuildOptions, type Instance } from '../instance/instance.js';
import { messageOf, safeError } from '../tvf/unknown-value.js';
import type { KindRegistry } from '../config/registry.js';
import { liveReload, type LiveReload } from '../instance/live-reload.js';
import { loadSettingsWithPlugins, parseSettings } from '../config/load.js';
import { PluginSet } from '../config/plugins.js';
import { instanceSecrets } from '../config/mask-settings.js';
import { redactSecrets } from '../observability/secrets.js';
import { SettingsError } from '../config/settings-error.js';
import type { InstanceSettings } from '../config/settings-schema.js';
import { LatencyRecorder } from '../observability/latency-recorder.js';
import { defaultKinds } from '../processors/builtins.js';
import { TransportError } from '../transport/errors.js';
import { Observability } from '../observability/observability.js';
import { instanceLogging } from '../observability/logger.js';
import { observabilityOptions, type ObservabilityFlags } from '../observability/run-options.js';
import { DEFAULT_SETTINGS_SOURCE, DEFAULT_SETTINGS_YAML } from './default-settings.js';
import { ExitCode } from './exit-codes.js';
import { commandLogOutput } from './logger.js';
import type { CommandIo } from './io.js';
import { StatusReporter, TtyLine } from './status-line.js';
import { CrashLog, formatSummary, summarize } from './summary.js';
import { TRANSPORT_MAKERS } from './transports.js';
import { startConsole, type ConsoleOptions, type ConsoleServer } from '../console/server.js';

/** Options of {@link runCommand}. */
export interface RunOptions {
  /** Settings file; the embedded default when left out. */
  file?: string;
  /** Seconds to run before stopping; until a signal when left out. */
  durationS?: number;
  /** Print the summary as one JSON object instead of text. */
  json?: boolean;
  /**
   * Show the live status (a line on a TTY, a log line every few seconds elsewhere).
   * @defaultValue true
   */
  status?: boolean;
  /**
   * Time between two status updates, in milliseconds.
   * @defaultValue 1000 on a TTY, 5000 otherwise
   */
  statusIntervalMs?: number;
  /**
   * Metrics endpoint and inspector: `--metrics-port`, `--inspect [port]`,
   * `--inspect-requests`. The settings' `metrics` section serves metrics too.
   */
  observability?: ObservabilityFlags;
  /**
   * `--console [port]`: serve the console (`true`: the settings' port, else 8070; a
   * number: that port). The settings' `console` section serves it too, unless it says
   * `enabled: false`.
   */
  console?: boolean | number;
  /**
   * Re-apply the settings file whenever it changes (SIGHUP re-applies it in any case).
   * Needs `file`.
   * @defaultValue false
   */
  watch?: boolean;
  /**
   * The processor kinds the settings may use.
   * @defaultValue `defaultKinds()`, the built-in kinds
   */
  kinds?: KindRegistry;
}

/** Signals that stop a run gracefully; a second one quits at once. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

// `prosa run` refuses settings (exit 3) at two stages, and only there: they do not load
// (readRunSettings), or they do not build (buildRunInstance). `prosa validate` refuses
// exactly the same (test/property/settings.property.test.ts runs both stages against it).

/**
 * The settings `prosa run` runs: `file` loaded as `loadSettingsWithPlugins` does (YAML,
 * its `plugins` loaded into `plugins`, schema, `PROSA__` overrides from `env`), or the
 * embedded default. Throws a `SettingsError`.
 * @param plugins - where the file's plugins load; a set of its own on `kinds` (left loaded) when left out
 */
export async function readRunSettings(
  file: string | undefined,
  kinds: KindRegistry,
  env: CommandIo['env'],
  plugins: PluginSet | undefined = file === undefined ? undefined : new PluginSet(kinds, file),
): Promise<InstanceSettings> {
  if (file !== undefined && plugins !== undefined) return loadSettingsWithPlugins(file, { kinds, env, plugins });
  return parseSettings(DEFAULT_SETTINGS_YAML, { kinds, env, source: DEFAULT_SETTINGS_SOURCE });
}

/**
 * The instance `prosa run` builds from its settings: `buildInstance` with the command's
 * transports. Nothing runs until `start()`. Throws a `SettingsError`.
 */
export function buildRunInstance(settings: InstanceSettings, kinds: KindRegistry, options: Omit<BuildOptions, 'kinds' | 'transports'>): Instance {
  return buildInstance(settings, { ...options, kinds, transports: TRANSPORT_MAKERS });
}

/**
 * Runs the instance; resolves with the exit code once it has stopped and the summary is
 * printed: 0 on a clean stop, 1 when a processor failed for good (or the metrics or
 * inspector port is taken), 3 for invalid settings. Every timer and signal handler it set is gone when it resolves.
 */
export async function runCommand(options: RunOptions, io: CommandIo): Promise<number> {
  if (options.watch === true && options.file === undefined) {
    io.stderr.write('prosa run: --watch needs a settings file\n');
    return ExitCode.Usage;
  }
  const kinds = options.kinds ?? defaultKinds();
  const plugins = options.file === undefined ? undefined : new PluginSet(kinds, options.file);
  try {
    return await runWith(options, kinds, plugins, io);
  } finally {
    plugins?.close();
  }
}

/** {@link runCommand} once the plugin set is made (it closes it). */
async function runWith(options: RunOptions, kinds: KindRegistry, plugins: PluginSet | undefined, io: CommandIo): Promise<number> {
  let settings: InstanceSettings;
  try {
    settings = await readRunSettings(options.file, kinds, io.env, plugins);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return ExitCode.InvalidSettings;
  }

  const tty = options.status !== false && io.stderr.isTTY === true ? new TtyLine(io.stderr) : undefined;
  const { masks, logger } = instanceLogging(settings, commandLogOutput(io.stderr, tty));
  const latency = new LatencyRecorder();
  let observability: Observability;
  try {
    observability = await Observability.start({ ...observabilityOptions(settings, options.observability), logger, masks });
  } catch (error) {
    io.stderr.write(`prosa: cannot start the inspector: ${messageOf(error)}\n`);
    return ExitCode.Failed;
  }
  let instance: Instance;
  try {
    instance = buildRunInstance(settings, kinds, {
      logger,
      inspect: observability.inspect,
      maskPayload: observability.maskPayload,
      tracing: observability.tracing?.option,
      observer: {
        requestSettled: (_service, outcome, elapsedMs) => {
          if (outcome === 'response') latency.record(elapsedMs);
        },
      },
    });
  } catch (error) {
    await observability.close();
    if (!(error instanceof SettingsError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return ExitCode.InvalidSettings;
  }
  try {
    await observability.attach(instance.prosa);
  } catch (error) {
    await instance.stop('error');
    await observability.close();
    io.stderr.write(`prosa: cannot serve metrics: ${messageOf(error)}\n`);
    return ExitCode.Failed;
  }

  const consoleOptions = consoleOptionsOf(settings, options.console);
  let served: ConsoleServer | undefined;
  if (consoleOptions !== undefined) {
    try {
      served = await startConsole(instance, { ...consoleOptions, logger, env: io.env });
    } catch (error) {
      await instance.stop('error');
      await observability.close();
      io.stderr.write(`prosa: cannot start the console: ${messageOf(error)}\n`);
      return ExitCode.Failed;
    }
  }

  // Everything below is undone in `finally`: the process must be able to exit.
  let durationTimer: ReturnType<typeof setTimeout> | undefined;
  let stopRequested: ((reason: string) => void) | undefined;
  const stopReason = new Promise<string>((resolve) => (stopRequested = resolve));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      io.stderr.write(`\n${signal} again: quitting without waiting for the stop\n`);
      process.exit(ExitCode.Interrupted);
    }
    stopping = true;
    stopRequested!(signal);
  };
  const onProcessorState = ({ state }: { state: string }) => {
    if (state === 'failed') stopRequested!('processor failed');
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  instance.prosa.events.on('processor.state', onProcessorState);
  const crashes = new CrashLog(instance);
  const status =
    options.status === false ? undefined : new StatusReporter(instance, { tty, logger, intervalMs: options.statusIntervalMs });

  const startedAt = performance.now();
  let reload: LiveReload | undefined;
  try {
    if (options.durationS !== undefined) {
      durationTimer = setTimeout(() => stopRequested!('duration'), options.durationS * 1_000);
    }
    try {
      await instance.start();
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      // A client's error may quote what it was given (a server URL with its password).
      io.stderr.write(`prosa: ${redactSecrets(error.message, instanceSecrets(settings, kinds))}\n`);
      return ExitCode.Failed;
    }
    if (options.file !== undefined && plugins !== undefined) {
      // SIGHUP re-applies the file on demand; --watch on every change, of the file or of
      // a plugin's files (then only the processors of that plugin's kinds are replaced).
      // Each apply is logged.
      // The plugins are watched before liveReload says the file is: once that line is out,
      // an edit of a plugin's file is seen too.
      const load = (path: string) => loadSettingsWithPlugins(path, { kinds, env: io.env, plugins, source: path });
      if (options.watch === true) {
        plugins.watch(
          (changed) => {
            logger.info({ plugins: changed }, `plugin changed: ${changed.join(', ')}; reloading its kinds`);
            void reload?.reload('plugin');
          },
          { onError: (error) => logger.warn({ err: safeError(error) }, 'watching plugins failed') },
        );
      }
      reload = liveReload(instance, { file: options.file, kinds, env: io.env, logger, watch: options.watch === true, load });
    }
    status?.start();
    const reason = await stopReason;
    stopping = true;
    reload?.close();
    status?.stop();
    logger.info({ reason }, 'stopping');
    await instance.stop(reason);
    const failed = [...instance.processors.values()].some((entry) => entry.processor.state === 'failed');
    const exitCode = failed ? ExitCode.Failed : ExitCode.Ok;
    const summary = summarize({ instance, latency, elapsedMs: performance.now() - startedAt, stopReason: reason, exitCode, crashes, secrets: instanceSecrets(settings, kinds) });
    io.stdout.write(options.json === true ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
    return exitCode;
  } finally {
    reload?.close();
    clearTimeout(durationTimer);
    status?.stop();
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    instance.prosa.events.off('processor.state', onProcessorState);
    crashes.close();
    await instance.stop('error');
    await served?.close();
    await observability.close();
  }
}

/**
 * The console `prosa run` serves: the settings' `console` section (unless `enabled:
 * false`), with `--console [port]` turning it on and its port winning; none without either.
 */
export function consoleOptionsOf(settings: InstanceSettings, flag: boolean | number | undefined): ConsoleOptions | undefined {
  const section = settings.console;
  const asked = flag !== undefined && flag !== false;
  if (!asked && (section === undefined || !section.enabled)) return undefined;
  const { enabled: _enabled, ...rest } = section ?? {};
  return typeof flag === 'number' ? { ...rest, port: flag } : rest;
}

