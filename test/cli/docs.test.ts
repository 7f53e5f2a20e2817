import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS_YAML } from '../../src/cli/default-settings.js';
import { settingsReference } from '../../src/cli/kinds.js';
import { describeFields } from '../../src/config/index.js';
import { BUILTIN_FACTORIES, defaultKinds } from '../../src/processors/index.js';

const docs = (name: string) => readFileSync(resolve(import.meta.dirname, '../../docs', name), 'utf8');

describe('docs', () => {
  it('docs/settings-reference.md is what `npm run docs:settings` generates from the schemas', () => {
    expect(docs('settings-reference.md')).toBe(settingsReference(defaultKinds()));
  });

  it('docs/settings.md names every built-in kind and every one of its fields, and shows the embedded default', () => {
    const text = docs('settings.md');
    for (const factory of BUILTIN_FACTORIES) {
      expect(text).toContain(`\`${factory.kind}\``);
      for (const field of describeFields(factory.settings)) expect(text, `${factory.kind}.${field.path}`).toContain(`\`${field.path}\``);
    }
    expect(text).toContain(DEFAULT_SETTINGS_YAML.trim());
  });

  it('docs/cli.md documents every command, option and exit code', () => {
    const text = docs('cli.md');
    for (const word of ['prosa run', 'prosa validate', 'prosa kinds', '--duration', '--json', '--no-status', '--watch', 'SIGHUP', '--markdown', 'SIGTERM', 'SIGINT', '--plugin', 'prosa new kind', '--dir', '--typescript']) {
      expect(text).toContain(word);
    }
    for (const code of [0, 1, 2, 3, 130]) expect(text).toMatch(new RegExp(`\\| \`${code}\` \\|`));
  });
});
