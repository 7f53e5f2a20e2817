/**
 * Settings text: parses a settings file (YAML 1.2; JSON is YAML) with the `yaml` package
 * and keeps the document, so every later issue can point at the line and column of the
 * field at fault.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { settingsIssue, type SettingsIssue } from './settings-error.js';
import { messageOf } from '../tvf/unknown-value.js';

/** Most alias expansions in one file (the `yaml` default guards against "billion laughs"). */
const MAX_ALIAS_COUNT = 100;

/** A parsed settings text. */
export interface SettingsText {
  /** The plain value of the document (mappings as objects); undefined when there are syntax issues. */
  readonly value: unknown;
  /** Syntax issues, each with its line and column; empty when the text parsed. */
  readonly issues: SettingsIssue[];
  /** Line and column of the field at `path`, or of its nearest parent the file holds. */
  locate(path: readonly PropertyKey[]): { line: number; column: number } | undefined;
}

function keyText(node: unknown): string | undefined {
  if (isScalar(node)) return String(node.value);
  return undefined;
}

/** Parses `text`; never throws. */
export function parseSettingsText(text: string): SettingsText {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const locate = (path: readonly PropertyKey[]) => locateIn(doc, path, position);
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error) => {
      const detail = error.message.replace(/ at line \d+, column \d+.*$/s, '');
      return settingsIssue('', 'valid YAML (or JSON)', `a syntax error: ${detail}`, position(error.pos[0]), 'syntax');
    });
    return { value: undefined, issues, locate };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const detail = messageOf(error);
    return { value: undefined, issues: [settingsIssue('', 'valid YAML (or JSON)', detail, {}, 'syntax')], locate };
  }
  return { value, issues: [], locate };
}

function locateIn(
  doc: Document,
  path: readonly PropertyKey[],
  position: (offset: number) => { line: number; column: number },
): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let at: number | undefined = (node as Node | null)?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (pair === undefined) break;
      // Point at the key: `maxSpeed: fast` is reported where `maxSpeed` starts.
      at = (pair.key as Node | null)?.range?.[0] ?? at;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      at = (item as Node | null)?.range?.[0] ?? at;
      node = item;
    } else {
      break;
    }
  }
  return at === undefined ? undefined : position(at);
}
