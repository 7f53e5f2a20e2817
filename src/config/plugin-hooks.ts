/**
 * The module hook that makes a plugin reload re-evaluate the files the plugin imports
 * from its own folder (or package), not only its entry file. A reload imports the entry
 * with a query (`?prosa-reload=<n>&prosa-root=<folder>`); ESM caches modules by URL, so
 * the entry is evaluated anew, and the hook gives every file it imports from inside
 * `<folder>` the same query, and so on down. Files outside the folder (other packages,
 * node built-ins) keep their cached module. The hook also reports each file it resolved
 * for a reload, so a watcher knows which plugin a changed file belongs to.
 *
 * It also resolves `prosa`, imported by a plugin file, to the running prosa itself: a
 * plugin works without prosa installed next to it (the scaffold of `prosa new kind`
 * runs at once) and never meets a second copy of prosa's classes. A module imported
 * without a reload query (a worker thread importing a plugin kind) gets the running
 * prosa when `prosa` cannot be found from it.
 *
 * The hook is plain JavaScript in a `data:` URL: it runs in Node's loader thread, which
 * neither tsx nor the build step has to know about.
 */
import { register } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';

/** The query parameter naming a reload (its number). */
export const RELOAD_PARAM = 'prosa-reload';
/** The query parameter naming the folder a reload covers (an absolute path). */
export const ROOT_PARAM = 'prosa-root';

const HOOKS = `
let port;
let prosa;
export function initialize(data) { port = data.port; prosa = data.prosa; }
export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  const query = parent !== undefined && parent.startsWith('file:') ? new URL(parent).searchParams : undefined;
  const reload = query?.get('${RELOAD_PARAM}') ?? null;
  const root = query?.get('${ROOT_PARAM}') ?? null;
  if (specifier === 'prosa' && reload !== null) return nextResolve(prosa, context);
  let result;
  try {
    result = await nextResolve(specifier, context);
  } catch (error) {
    // A plugin imported without a reload query (by a worker thread) finds prosa too.
    if (specifier === 'prosa' && error?.code === 'ERR_MODULE_NOT_FOUND') return nextResolve(prosa, context);
    throw error;
  }
  if (reload === null || root === null || !result.url.startsWith('file:')) return result;
  const target = new URL(result.url);
  const path = decodeURIComponent(target.pathname);
  if (target.search !== '' || !path.startsWith(root.endsWith('/') ? root : root + '/') || path.slice(root.length).includes('/node_modules/')) return result;
  target.search = new URL(parent).search;
  port.postMessage({ reload, path });
  return { ...result, url: target.href };
}
`;

/** A file a reload loaded: the reload's number and the file's absolute path. */
export interface ReloadedFile {
  readonly reload: string;
  readonly path: string;
}

let installed: { listeners: Set<(file: ReloadedFile) => void> } | undefined;

/**
 * Installs the hook, once per thread (later calls do nothing): the main thread before it
 * imports a plugin, a worker thread before it imports a kind's module. The port it
 * reports on does not keep the process alive.
 */
export function installReloadHook(): { listeners: Set<(file: ReloadedFile) => void> } {
  if (installed === undefined) {
    const { port1, port2 } = new MessageChannel();
    const listeners = new Set<(file: ReloadedFile) => void>();
    port1.on('message', (file: ReloadedFile) => {
      for (const each of listeners) each(file);
    });
    port1.unref();
    // The package entry beside this module's folder: src/index.ts run from source, dist/index.js built.
    const prosa = new URL(`../index${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;
    register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, {
      data: { port: port2, prosa },
      transferList: [port2 as MessagePort],
    });
    installed = { listeners };
  }
  return installed;
}

/** Adds `listener` for the files each reload loads (installing the hook); returns the function that removes it. */
export function onReloadedFile(listener: (file: ReloadedFile) => void): () => void {
  const { listeners } = installReloadHook();
  listeners.add(listener);
  return () => listeners.delete(listener);
}
