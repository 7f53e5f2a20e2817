/**
 * Setup file (vitest.config.ts): a test file whose event loop stops turning ends within
 * {@link STALL_MS}, saying which test ran and where its JavaScript was, instead of holding
 * the whole run until CI's own limit. A synchronous loop or a microtask loop that never
 * yields cannot be cut short by a test timeout: vitest's timers run on the same loop. A
 * worker thread, which has its own, watches a beat the test file's loop keeps; when the
 * beat stops it prints where the thread is and kills the process, which vitest reports as
 * a failed file.
 */
import { Worker } from 'node:worker_threads';
import { beforeEach, expect } from 'vitest';

/**
 * How long the loop may stand still: far above any synchronous stretch a test has
 * (PROSA_TEST_STALL_MS sets it, for the watchdog's own test).
 */
const STALL_MS = Number(process.env['PROSA_TEST_STALL_MS'] ?? 60_000);
/** How often the loop beats. */
const BEAT_MS = 500;
/** Bytes of the current test's name kept for the worker. */
const NAME_BYTES = 1024;

/**
 * The worker: a loop of its own that notices when the beat stops, then pauses the test
 * file's thread through the inspector (its messages are served at the next interrupt
 * check, which a running loop reaches) to print where it was, and kills the process.
 */
const WATCHER = `
const { workerData } = require('node:worker_threads');
const { Session } = require('node:inspector');
const { writeSync } = require('node:fs');
const { beat, name, stallMs } = workerData;
let last = Atomics.load(beat, 0);
let still = 0;
function where(session, done) {
  const urls = new Map();
  session.on('Debugger.scriptParsed', ({ params }) => urls.set(params.scriptId, params.url));
  let tries = 0;
  session.on('Debugger.paused', ({ params }) => {
    const frames = params.callFrames.slice(0, 20).map((frame) => ({ ...frame, url: urls.get(frame.location.scriptId) || frame.url || '?' }));
    // A microtask loop may be caught between two jobs, in Node's own code: step into the next.
    if (!frames.some((frame) => frame.url.startsWith('file:')) && ++tries < 10) {
      session.post('Debugger.stepInto');
      return;
    }
    done(frames.map((frame) => '    at ' + (frame.functionName || '<anonymous>') + ' (' + frame.url + ':'
      + (frame.location.lineNumber + 1) + ':' + ((frame.location.columnNumber ?? 0) + 1) + ')').join('\\n'));
  });
  session.post('Debugger.enable', () => session.post('Debugger.pause'));
}
const timer = setInterval(() => {
  const now = Atomics.load(beat, 0);
  if (now !== last) { last = now; still = 0; return; }
  still += 1000;
  if (still < stallMs) return;
  clearInterval(timer);
  const test = Buffer.from(name.buffer, 0, Atomics.load(beat, 1)).toString('utf8');
  const end = (stack) => {
    writeSync(2, '\\n[watchdog] the event loop of pid ' + process.pid + ' stood still for ' + (stallMs / 1000) + ' s in the test "'
      + test + '"; the process ends. It was at:\\n' + stack + '\\n');
    process.kill(process.pid, 'SIGKILL');
  };
  setTimeout(() => end('    (the inspector did not answer)'), 3000);
  const session = new Session();
  session.connectToMainThread();
  where(session, end);
}, 1000);
`;

const INSTALLED = Symbol.for('prosa.test.watchdog');
const state = globalThis as { [INSTALLED]?: { beat: Int32Array; name: Uint8Array } };

if (state[INSTALLED] === undefined) {
  const beat = new Int32Array(new SharedArrayBuffer(8));
  const name = new Uint8Array(new SharedArrayBuffer(NAME_BYTES));
  state[INSTALLED] = { beat, name };
  setInterval(() => Atomics.add(beat, 0, 1), BEAT_MS).unref();
  new Worker(WATCHER, { eval: true, workerData: { beat, name, stallMs: STALL_MS } }).unref();
}

beforeEach(() => {
  const { beat, name } = state[INSTALLED]!;
  const { written } = new TextEncoder().encodeInto(expect.getState().currentTestName ?? '', name);
  Atomics.store(beat, 1, written);
});
