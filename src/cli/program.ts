/**
 * The `prosa` command line: `run`, `validate`, `kinds`, `new kind`, `status`, `call`, parsed with commander (unknown
 * flags and extra arguments are errors), each command's exit code returned (see
 * `exit-codes.ts`).
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { messageOf } from '../tvf/unknown-value.js';
import { defaultKinds } from '../processors/builtins.js';
import { DEFAULT_INSPECTOR_PORT } from '../observability/inspector-defaults.js';
import { parsePort } from '../observability/run-options.js';
import { DEFAULT_CONSOLE_PORT } from '../config/console-settings.js';
import { MAX_TIMEOUT_MS } from '../actors/requests.js';
import { ExitCode } from './exit-codes.js';
import { callCommand, CONSOLE_TOKEN_ENV, DEFAULT_CONSOLE_URL, statusCommand } from './console-client.js';
import { kindsWithPlugins } from './kinds.js';
import { newKindCommand } from './scaffold.js';
import type { CommandIo } from './io.js';
import { runCommand } from './run.js';
import { validateCommand } from './validate.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

function port(flag: string, hint = ''): (text: string) => number {
  return (text) => {
    try {
      return parsePort(flag, text);
    } catch {
      throw new InvalidArgumentError(`expected a port, an integer in 0..65535.${hint}`);
    }
  };
}

function positiveSeconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('expected a number of seconds > 0.');
  return value;
}

function positiveMilliseconds(text: string): number {
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || !(value > 0) || value > MAX_TIMEOUT_MS) throw new InvalidArgumentError('expected a whole number of milliseconds > 0.');
  return value;
}

/** The command-line program; the action's exit code is written to `result.code`. */
export function prosaProgram(io: CommandIo, result: { code: number }): Command {
  const program = new Command('prosa')
    .description('Run a prosa instance (a service bus of XState actors) from a settings file.')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  program
    .command('run')
    .description(
      'Run an instance until --duration is over or SIGINT/SIGTERM arrives, then stop it gracefully and print a summary.\n' +
        'Without a file, runs the embedded default: an injector driving a stub.\n' +
        'With a file, SIGHUP re-applies it as a diff (new processors start, removed ones drain and stop, changed ones\n' +
        'are replaced, the rest keep serving); an invalid file is refused with every issue and the instance runs on.\n' +
        'The file\'s `plugins` list names modules that provide more kinds (docs/plugins.md).',
    )
    .argument('[file]', 'settings file (YAML or JSON)')
    .addOption(new Option('-d, --duration <seconds>', 'stop after this many seconds').argParser(positiveSeconds))
    .option('--json', 'print the summary as one JSON object on stdout')
    .option('--no-status', 'no live status line (nor periodic status log)')
    .addOption(
      new Option('--metrics-port <port>', 'serve /metrics and /health on this port (127.0.0.1 unless metrics.host says otherwise)').argParser(
        port('--metrics-port'),
      ),
    )
    .addOption(
      new Option('--inspect [port]', `watch the lifecycles live in the Stately inspector: serves its page on 127.0.0.1 (port ${DEFAULT_INSPECTOR_PORT} unless given)`).argParser(
        port('--inspect', ' (a settings file goes before --inspect: prosa run file.yaml --inspect)'),
      ),
    )
    .option('--inspect-requests', 'with --inspect, show every request in the inspector too (heavy)')
    .addOption(
      new Option('--console [port]', `serve the live console and its API on 127.0.0.1 (port ${DEFAULT_CONSOLE_PORT} unless given or set in console.port)`).argParser(
        port('--console', ' (a settings file goes before --console: prosa run file.yaml --console)'),
      ),
    )
    .option('-w, --watch', 're-apply the settings file whenever it changes (as SIGHUP does), and reload a plugin whenever one of its files changes')
    .action(
      async (
        file: string | undefined,
        options: {
          duration?: number;
          json?: boolean;
          status: boolean;
          watch?: boolean;
          metricsPort?: number;
          inspect?: number | true;
          inspectRequests?: boolean;
          console?: number | true;
        },
      ) => {
        result.code = await runCommand(
          {
            file,
            durationS: options.duration,
            json: options.json,
            status: options.status,
            watch: options.watch,
            console: options.console,
            observability: { metricsPort: options.metricsPort, inspect: options.inspect, inspectRequests: options.inspectRequests },
          },
          io,
        );
      },
    );

  program
    .command('validate')
    .description('Check a settings file (environment overrides applied) without running it; print every issue.')
    .argument('<file>', 'settings file (YAML or JSON)')
    .option('--json', 'print { file, valid, issues } as one JSON object on stdout')
    .action(async (file: string, options: { json?: boolean }) => {
      result.code = await validateCommand(file, options, io);
    });

  const url = () => new Option('--url <url>', `the console of the running instance`).default(DEFAULT_CONSOLE_URL);
  program
    .command('status')
    .description(`Print the processors and services of a running instance, from its console (prosa run --console).\nA token, when the console asks one, is read from ${CONSOLE_TOKEN_ENV}.`)
    .addOption(url())
    .option('--json', 'print { instance, processors, services } as one JSON object on stdout')
    .action(async (options: { url: string; json?: boolean }) => {
      result.code = await statusCommand(options, io);
    });

  program
    .command('call')
    .description(
      'Send one request to a service of a running instance through its console (needs console.enableCall: true);\n' +
        'print the reply (masked as logs mask it), or the error kind.\n' +
        `A token, when the console asks one, is read from ${CONSOLE_TOKEN_ENV}.`,
    )
    .argument('<service>', 'the service')
    .argument('<payload>', "the request: a JSON object ('{\"1\":\"hello\"}', names from services.<name>.dict) or a TVF text ('1;5;hello;')")
    .addOption(url())
    .addOption(new Option('--timeout <ms>', 'the request timeout, in milliseconds').argParser(positiveMilliseconds))
    .option('--json', 'print { ok, service, elapsedMs, reply: { tvf, json } } (or { ok: false, error }) as one JSON object')
    .action(async (service: string, payload: string, options: { url: string; json?: boolean; timeout?: number }) => {
      result.code = await callCommand(service, payload, { url: options.url, json: options.json, timeoutMs: options.timeout }, io);
    });

  program
    .command('kinds')
    .description('List the processor kinds with their settings, defaults and docs.')
    .addOption(new Option('--json', 'print the kinds as JSON, JSON Schemas included').conflicts('markdown'))
    .option('--markdown', 'print the whole settings reference as Markdown')
    .addOption(
      new Option('--plugin <module>', 'also list the kinds of this plugin (a path from here, or a package name); repeatable')
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .action(async (options: { json?: boolean; markdown?: boolean; plugin?: string[] }) => {
      result.code = await kindsWithPlugins(defaultKinds(), options.plugin ?? [], options, io);
    });

  const scaffold = program.command('new').description('Write the files of something new to start from.');
  scaffold
    .command('kind')
    .description(
      'Write a plugin providing processor kind <name> (settings schema, adaptor, factory), a settings file that runs it\n' +
        'with an injector, and a test; `prosa run <dir>/prosa.yaml` runs it at once (docs/plugins.md).',
    )
    .argument('<name>', 'the kind: lower-case letters, digits and -, starting with a letter')
    .option('--dir <folder>', 'write into this folder (default ./<name>); no file there is overwritten')
    .option('--typescript', 'write TypeScript (.mts): running it needs a TypeScript loader (tsx)')
    .action(async (name: string, options: { dir?: string; typescript?: boolean }) => {
      result.code = await newKindCommand(name, options, io);
    });

  return program;
}

/** Runs the command line `argv` (as `process.argv`); resolves with the exit code. */
export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const result = { code: ExitCode.Ok as number };
  const program = prosaProgram(io, result);
  if (argv.length <= 2) {
    program.outputHelp({ error: true });
    return ExitCode.Usage;
  }
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    // No stack trace reaches a user: the message, and the stack only when asked for.
    const stack = io.env['PROSA_DEBUG'] !== undefined && error instanceof Error ? error.stack : undefined;
    io.stderr.write(`prosa: unexpected error: ${messageOf(error)}\n${stack === undefined ? '' : `${stack}\n`}`);
    return ExitCode.Failed;
  }
  return result.code;
}
