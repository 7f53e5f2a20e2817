/** Runs the real `prosa` command as a child process (through tsx: no build step). */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = resolve(ROOT, 'src/cli/main.ts');

/** How a child ended and what it printed. */
export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running `prosa` child. */
export interface Running {
  child: ChildProcess;
  /** Resolves once stderr has printed text matching `pattern`. */
  waitForStderr(pattern: RegExp): Promise<void>;
  /** What stderr printed so far. */
  stderrText(): string;
  /** Resolves when the child exits. */
  finished: Promise<Finished>;
}

/** Starts `prosa <args>`; `env` adds to (or, with undefined, removes from) the environment. */
export function start(args: readonly string[], env: Record<string, string | undefined> = {}): Running {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete childEnv[name];
  for (const name of Object.keys(childEnv)) if (name.startsWith('PROSA__') && !(name in env)) delete childEnv[name];
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: childEnv, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  const watchers: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    for (const watcher of [...watchers]) {
      if (watcher.pattern.test(stderr)) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve();
      }
    }
  });
  const finished = new Promise<Finished>((done) => child.on('close', (code, signal) => done({ code, signal, stdout, stderr })));
  return {
    child,
    finished,
    stderrText: () => stderr,
    waitForStderr: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(stderr)) return resolve();
        watchers.push({ pattern, resolve });
        void finished.then(() => reject(new Error(`prosa exited before printing ${pattern}; stderr:\n${stderr}`)));
      }),
  };
}

/** Runs `prosa <args>` to its end. */
export function prosa(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Finished> {
  return start(args, env).finished;
}
