/**
 * Masking a whole settings file: the instance sections by the instance schema, and each
 * processor's `settings` by its kind's schema (see `sensitive.ts` for what is a secret).
 */
import type { z } from 'zod';
import type { KindRegistry } from './registry.js';
import { maskSettings, secretsIn } from './sensitive.js';
import { instanceSettingsSchema } from './settings-schema.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The schema of a processor entry's `settings`: its kind's, when the kind is known. */
function kindSchema(entry: unknown, kinds: KindRegistry | undefined): z.ZodType | undefined {
  const kind = isRecord(entry) ? entry['kind'] : undefined;
  return typeof kind === 'string' ? kinds?.get(kind)?.settings : undefined;
}

/**
 * A copy of settings (validated or raw) with every secret masked: the instance's fields
 * by the instance schema, each processor's `settings` by its kind's schema in `kinds`
 * (an unknown kind: by the secret names and URL passwords only). Never throws.
 */
export function maskInstanceSettings(settings: unknown, kinds?: KindRegistry): unknown {
  const masked = maskSettings(settings, instanceSettingsSchema);
  if (!isRecord(settings) || !Array.isArray(settings['processors']) || !isRecord(masked) || !Array.isArray(masked['processors'])) {
    return masked;
  }
  const entries = settings['processors'] as unknown[];
  masked['processors'] = (masked['processors'] as unknown[]).map((entry, index) => {
    const raw = entries[index];
    if (!isRecord(entry) || !isRecord(raw) || !('settings' in raw)) return entry;
    return { ...entry, settings: maskSettings(raw['settings'], kindSchema(raw, kinds)) };
  });
  return masked;
}

/** The secret texts of settings (validated or raw), as {@link maskInstanceSettings} finds them; for `redactSecrets`. */
export function instanceSecrets(settings: unknown, kinds?: KindRegistry): string[] {
  const found = secretsIn(settings, instanceSettingsSchema);
  if (isRecord(settings) && Array.isArray(settings['processors'])) {
    for (const entry of settings['processors'] as unknown[]) {
      if (isRecord(entry)) found.push(...secretsIn(entry['settings'], kindSchema(entry, kinds)));
    }
  }
  return found;
}
