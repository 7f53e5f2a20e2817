/**
 * The inspector's defaults, apart from its server and link so that reading them (the CLI's
 * `--inspect` flag, the settings) loads no WebSocket library.
 */

/** Default port of the inspector server (`@statelyai/inspect/server`'s). */
export const DEFAULT_INSPECTOR_PORT = 8080;
/** The Stately inspector the page embeds. */
export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';
/** Default size limit of one inspection message, in bytes (1 MiB). */
export const DEFAULT_INSPECTOR_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Default size limit of the replay buffer as a whole, in bytes (32 MiB). */
export const DEFAULT_INSPECTOR_MAX_REPLAY_BYTES = 32 * 1024 * 1024;
