/**
 * Settings text: parses a settings file (YAML 1.2; JSON is YAML) with the `yaml` package
 * and keeps the document, so every later issue can point at the line and column of the
 * field at fault. Hostile text gets issues, never a thrown error: nesting deeper than
 * {@link MAX_SETTINGS_DEPTH} is refused while the text is read (before the recursive
 * parts of the `yaml` package see it), alias expansions are bounded
 * ({@link MAX_ALIAS_COUNT}), and a mapping key that is itself a mapping or list is refused.
 */
import {
  CST,
  Composer,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  Parser,
  visit,
  YAMLParseError,
  type Document,
  type Node,
} from 'yaml';
import { formatPath, settingsIssue, type SettingsIssue } from './settings-error.js';
import { briefPath, MAX_ALIAS_COUNT, MAX_SETTINGS_DEPTH } from './settings-shape.js';
import { messageOf } from '../tvf/unknown-value.js';

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

type CstCollection = CST.BlockMap | CST.BlockSequence | CST.FlowCollection;

function isCstCollection(token: CST.Token): token is CstCollection {
  return token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection';
}

/** The path of the node being read, from the parser's stack of open collections. */
function pathOf(stack: readonly CST.Token[]): (string | number)[] {
  const path: (string | number)[] = [];
  for (const token of stack) {
    if (!isCstCollection(token)) continue;
    const index = token.items.length - 1;
    const item = token.items[index];
    const isMapping = token.type === 'block-map' || (token.type === 'flow-collection' && token.start.source === '{');
    if (!isMapping) path.push(Math.max(0, index));
    else if (item?.key !== undefined && item.key !== null) {
      const key = CST.resolveAsScalar(item.key);
      path.push(key === null ? '?' : key.value);
    }
  }
  return path;
}

/**
 * Reads the text into CST tokens, stopping with an issue as soon as mappings and lists
 * nest deeper than {@link MAX_SETTINGS_DEPTH}. The parser keeps its own stack (it does
 * not recurse), so any depth is safe to read this far.
 */
function readTokens(
  text: string,
  lineCounter: LineCounter,
  position: (offset: number) => { line: number; column: number },
): { tokens: CST.Token[] } | { issue: SettingsIssue } {
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  const tokens: CST.Token[] = [];
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    // The stack holds the open collections (and a few other tokens): most lexemes stop here.
    if (parser.stack.length <= MAX_SETTINGS_DEPTH) continue;
    let depth = 0;
    for (const token of parser.stack) if (isCstCollection(token)) depth++;
    if (depth > MAX_SETTINGS_DEPTH) {
      const path = pathOf(parser.stack);
      return {
        issue: settingsIssue(
          formatPath(path),
          `mappings and lists nested at most ${MAX_SETTINGS_DEPTH} deep`,
          'one nested deeper',
          position(parser.offset),
          briefPath(path),
        ),
      };
    }
  }
  for (const token of parser.end()) tokens.push(token);
  return { tokens };
}

/** Composes the CST tokens into one document, as `yaml`'s `parseDocument` does. */
function compose(tokens: readonly CST.Token[], length: number): Document {
  // `logLevel: 'error'`: the package would print its warnings on the console.
  const composer = new Composer({ uniqueKeys: true, logLevel: 'error' });
  let doc: Document | undefined;
  for (const next of composer.compose(tokens, true, length)) {
    if (doc === undefined) doc = next;
    else {
      doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'the file holds more than one YAML document'));
      break;
    }
  }
  return doc!;
}

/** Issues for mapping keys that are mappings or lists (a JavaScript object cannot hold them). */
function collectionKeyIssues(doc: Document, position: (offset: number) => { line: number; column: number }): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  visit(doc, {
    Pair: (_key, pair) => {
      if (!isCollection(pair.key)) return;
      const at = (pair.key as Node).range?.[0];
      issues.push(settingsIssue('', 'mapping keys that are plain values (a name or a number)', 'a key that is a mapping or a list', at === undefined ? {} : position(at), 'syntax'));
    },
  });
  return issues;
}

/** Parses `text`; never throws. */
export function parseSettingsText(text: string): SettingsText {
  const lineCounter = new LineCounter();
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const read = readTokens(text, lineCounter, position);
  if ('issue' in read) return { value: undefined, issues: [read.issue], locate: () => undefined };
  const doc = compose(read.tokens, text.length);
  const locate = (path: readonly PropertyKey[]) => locateIn(doc, path, position);
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error) => {
      const detail = error.message.replace(/ at line \d+, column \d+.*$/s, '');
      return settingsIssue('', 'valid YAML (or JSON)', `a syntax error: ${detail}`, position(error.pos[0]), 'syntax');
    });
    return { value: undefined, issues, locate };
  }
  const keyIssues = collectionKeyIssues(doc, position);
  if (keyIssues.length > 0) return { value: undefined, issues: keyIssues, locate };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // The `yaml` package throws a ReferenceError for an alias bomb or an alias before its anchor.
    const detail = messageOf(error);
    const found = /Excessive alias count/.test(detail)
      ? `aliases that expand past ${MAX_ALIAS_COUNT} copies (a "billion laughs" file)`
      : `a syntax error: ${detail}`;
    return { value: undefined, issues: [settingsIssue('', 'valid YAML (or JSON)', found, {}, 'syntax')], locate };
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
