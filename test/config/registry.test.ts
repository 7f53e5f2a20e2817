import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineFactory, KindError, KindRegistry, SettingsError, validateSettings, type ProcessorFactory } from '../../src/config/index.js';
import { defaultKinds } from '../../src/processors/index.js';
import { SimpleStringTvf } from '../../src/tvf/index.js';

const pingFactory = defineFactory({
  kind: 'ping',
  description: 'Answers PING.',
  version: '1',
  settings: z.strictObject({ word: z.string().default('pong').describe('What it answers.') }),
  create: (settings) => ({
    services: ['PING'],
    adaptor: {
      processRequest: () => {
        const reply = new SimpleStringTvf();
        reply.putString(1, settings.word);
        return reply;
      },
    },
  }),
});

describe('KindRegistry', () => {
  it('holds the built-in kinds by default (defaultKinds), each call a fresh registry', () => {
    const kinds = defaultKinds();
    expect(kinds.kinds()).toEqual(['http-client', 'http-server', 'inj', 'stub']);
    kinds.register(pingFactory);
    expect(defaultKinds().has('ping')).toBe(false);
  });

  it('records the module a kind was registered from (what a worker thread imports), and forgets it with the kind', async () => {
    const builtins = defaultKinds();
    const module = builtins.moduleOf('stub');
    expect(module).toMatch(/^file:.*\/processors\/builtins\.(ts|js)$/);
    const mod = (await import(module!)) as { kinds: readonly ProcessorFactory[] };
    expect(mod.kinds.map((factory) => factory.kind)).toContain('stub');
    const kinds = new KindRegistry();
    const dispose = kinds.register(pingFactory, { module: 'file:///plugins/ping.js' });
    expect(kinds.moduleOf('ping')).toBe('file:///plugins/ping.js');
    dispose();
    expect(kinds.moduleOf('ping')).toBeUndefined();
    kinds.register(pingFactory);
    expect(kinds.moduleOf('ping')).toBeUndefined();
    expect(() => new KindRegistry().register(pingFactory, { module: '' })).toThrow(KindError);
    expect(() => new KindRegistry().register(pingFactory, { module: 42 as unknown as string })).toThrow(/module of kind 'ping'/);
  });

  it('lets a user kind be used in settings, and its disposer remove it', () => {
    const kinds = defaultKinds();
    const settings = { name: 'x', processors: [{ name: 'p', kind: 'ping' }] };
    expect(() => validateSettings(settings, { kinds, env: {} })).toThrow(SettingsError);
    const dispose = kinds.register(pingFactory);
    expect(validateSettings(settings, { kinds, env: {} }).processors[0]!.settings).toEqual({ word: 'pong' });
    expect(kinds.kinds()).toEqual(['http-client', 'http-server', 'inj', 'ping', 'stub']);
    dispose();
    dispose();
    expect(kinds.has('ping')).toBe(false);
  });

  it('refuses a second factory of the same kind; a stale disposer does not remove the new one', () => {
    const kinds = new KindRegistry();
    const dispose = kinds.register(pingFactory);
    expect(() => kinds.register({ ...pingFactory })).toThrow(expect.objectContaining({ kind: 'DuplicateKind', processorKind: 'ping' }));
    dispose();
    const replacement: ProcessorFactory = { ...pingFactory, version: '2' };
    kinds.register(replacement);
    dispose();
    expect(kinds.get('ping')).toBe(replacement);
  });

  it('refuses malformed factories', () => {
    const kinds = new KindRegistry();
    expect(() => kinds.register({ ...pingFactory, kind: '' })).toThrow(KindError);
    const noCreate = { ...pingFactory, create: undefined } as unknown as ProcessorFactory;
    expect(() => kinds.register(noCreate)).toThrow(expect.objectContaining({ kind: 'InvalidFactory' }));
  });

  it('says so when no kind is registered at all', () => {
    try {
      validateSettings({ name: 'x', processors: [{ name: 'a', kind: 'stub' }] }, { kinds: new KindRegistry(), env: {} });
      expect.unreachable();
    } catch (error) {
      expect((error as SettingsError).issues[0]!.expected).toBe('a registered kind (none is registered)');
    }
  });

  it('keeps the module each kind was registered from (moduleOf); built-ins name src/processors/builtins', async () => {
    const kinds = defaultKinds();
    const builtins = await import(kinds.moduleOf('stub')!);
    expect(builtins.kinds).toContain(kinds.get('stub'));
    kinds.register(pingFactory, { module: 'file:///plugins/ping.js' });
    expect(kinds.moduleOf('ping')).toBe('file:///plugins/ping.js');
    expect(kinds.moduleOf('nope')).toBeUndefined();
    const bare = new KindRegistry([pingFactory]);
    expect(bare.moduleOf('ping')).toBeUndefined();
    expect(() => new KindRegistry().register(pingFactory, { module: './ping.js' })).toThrow(
      expect.objectContaining({ kind: 'InvalidFactory', message: expect.stringContaining('"./ping.js"') }),
    );
  });

  it('gives a kind the same revision while one factory holds it, a new one once another replaces it', () => {
    const kinds = new KindRegistry();
    expect(kinds.revision('ping')).toBeUndefined();
    let dispose = kinds.register(pingFactory);
    const first = kinds.revision('ping');
    dispose();
    dispose = kinds.register(pingFactory);
    expect(kinds.revision('ping')).toBe(first);
    dispose();
    kinds.register({ ...pingFactory });
    expect(kinds.revision('ping')).not.toBe(first);
  });
});
