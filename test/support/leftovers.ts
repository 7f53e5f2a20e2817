/**
 * Global setup (vitest.config.ts): every process the tests start, however far down and
 * whether or not it left vitest's process group (Chromium does), carries a mark in its
 * environment; when the run ends, any that is still alive is named on stderr and killed.
 * A test's stray child (a nats-server, a prosa instance, a browser) can then neither hold
 * the runner's output open after the run nor outlive it. Linux only (/proc); elsewhere
 * nothing is marked or killed.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/** The variable that marks a run's processes. */
export const RUN_MARK = 'PROSA_TEST_RUN';

/** The state letter and parent of `pid`, from /proc (undefined when it is gone). */
export function processStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    // "pid (comm) state ppid ...", where comm may hold spaces and parentheses
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const [state = '', ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/**
 * The processes whose environment holds `mark`, with their command lines: not this one, nor
 * (unless `withWorkers`) its own children, vitest's workers and esbuild: what the tests started.
 */
export function markedProcesses(mark: string, withWorkers = false): { pid: number; command: string }[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const needle = `${RUN_MARK}=${mark}\0`;
  const found: { pid: number; command: string }[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle)) continue;
      if (!withWorkers && processStat(pid)?.ppid === process.pid) continue;
      found.push({ pid, command: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch {
      // gone already, or not ours to read
    }
  }
  return found;
}

/**
 * Kills the processes that carry the run's `mark`, naming each on stderr; with `withWorkers`,
 * vitest's own workers too (for a run that ends before its workers do).
 */
export function endLeftovers(mark = process.env[RUN_MARK], withWorkers = false): void {
  if (mark === undefined) return;
  for (const { pid, command } of markedProcesses(mark, withWorkers)) {
    process.stderr.write(`[leftovers] a process the tests started was still running at the end; killed: ${pid} ${command.slice(0, 200)}\n`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // it ended meanwhile
    }
  }
}

/**
 * Marks the run's processes (with PROSA_TEST_RUN_MARK when set, for the guard's own test);
 * returns the teardown that ends those left.
 */
export default function setup(): () => void {
  const mark = process.env['PROSA_TEST_RUN_MARK'] ?? randomUUID();
  process.env[RUN_MARK] = mark;
  return () => endLeftovers(mark);
}
