import { describe, expect, it } from 'vitest';
import { describeFields, instanceSettingsSchema } from '../../src/config/index.js';
import { BUILTIN_FACTORIES } from '../../src/processors/index.js';

describe('settings schemas are documented', () => {
  const schemas = [
    ['the instance', instanceSettingsSchema] as const,
    ...BUILTIN_FACTORIES.map((factory) => [`kind ${factory.kind}`, factory.settings] as const),
  ];

  it.each(schemas)('every field of %s has a doc string', (_name, schema) => {
    const fields = describeFields(schema);
    expect(fields.length).toBeGreaterThan(2);
    const undocumented = fields.filter((field) => field.description.trim() === '').map((field) => field.path);
    expect(undocumented).toEqual([]);
  });

  it('every built-in kind has a description and a version', () => {
    for (const factory of BUILTIN_FACTORIES) {
      expect(factory.description.length).toBeGreaterThan(10);
      expect(factory.version).toMatch(/^\d+/);
    }
  });

  it('lists defaults and required fields', () => {
    const fields = Object.fromEntries(describeFields(instanceSettingsSchema).map((field) => [field.path, field]));
    expect(fields['name']).toMatchObject({ required: true });
    expect(fields['shutdown.graceMs']).toMatchObject({ required: false, default: '5000', type: 'integer' });
    expect(fields['processors[].restart.delayMs']).toMatchObject({ default: '100' });
  });
});
