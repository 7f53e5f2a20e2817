/**
 * The embedded default settings `prosa run` uses when given no file: an injector driving
 * a stub, so that a newcomer sees traffic at once. Kept as YAML text so that it reads
 * exactly like a settings file (docs/settings.md shows it).
 */

/** Source name of the embedded default in messages. */
export const DEFAULT_SETTINGS_SOURCE = 'embedded default settings';

/** The embedded default, as a settings file. */
export const DEFAULT_SETTINGS_YAML = `# prosa's embedded default: an injector driving a stub.
name: prosa-demo
shutdown: { graceMs: 2000, terminateTimeoutMs: 1000 }
log: { level: info }
processors:
  - name: stub-1
    kind: stub
    settings:
      services: [ECHO]
      latencyMs: 1      # a little simulated work, so latencies are worth a look
      jitterMs: 2
  - name: inj-1
    kind: inj
    settings:
      service: ECHO
      maxSpeed: 1000
      maxConcurrent: 16
      timeoutMs: 1000
      request: { 1: "hello, prosa", 2: 42 }
`;
