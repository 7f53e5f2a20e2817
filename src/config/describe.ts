/**
 * Schema docs: the fields of a settings schema (path, type, default, constraints, doc),
 * read from its JSON Schema (`z.toJSONSchema`), for `prosa kinds` and docs/settings.md.
 */
import { z } from 'zod';
import { SECRET_MASK } from '../observability/secrets.js';

/** One documented field. */
export interface FieldDoc {
  /** Dotted path; `[]` marks list items (`processors[].name`). */
  readonly path: string;
  /**
   * Type in words: `integer`, `string`, `"a" | "b"`, `list of string`, `mapping`, `any`,
   * or the schema's own `.meta({ title })` when it gives one.
   */
  readonly type: string;
  /** True when the field must be given (it has no default). */
  readonly required: boolean;
  /** The default, as JSON text, when the field has one. */
  readonly default?: string;
  /** Range and format constraints in words (`>= 1`, `<= 2147483647`, `matches ^a$`), `''` if none. */
  readonly constraints: string;
  /** The field's doc string (`.describe()`); `''` when the schema gives none. */
  readonly description: string;
  /**
   * True when the field (or each value of its mapping or list) is marked sensitive
   * (`sensitive()` of `src/config/sensitive.ts`): masked in every output. Its default, if
   * any, is shown masked too.
   */
  readonly sensitive: boolean;
}

/** A JSON Schema node, as far as the docs read it. */
interface JsonSchemaNode {
  title?: string;
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  items?: JsonSchemaNode;
  additionalProperties?: JsonSchemaNode | boolean;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  $ref?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  /** Set by `.meta({ sensitive: true })`. */
  sensitive?: boolean;
}

function refName(ref: string): string {
  return ref.replace(/^#\/\$defs\//, '');
}

function typeOf(node: JsonSchemaNode): string {
  // A schema can name its type for readers with `.meta({ title })` (e.g. `TVF record`).
  if (node.title !== undefined) return node.title;
  if (node.$ref !== undefined) return refName(node.$ref);
  if (node.enum !== undefined) return node.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (node.const !== undefined) return JSON.stringify(node.const);
  const union = node.anyOf ?? node.oneOf;
  if (union !== undefined) return union.map(typeOf).join(' | ');
  const type = Array.isArray(node.type) ? node.type.join(' | ') : node.type;
  switch (type) {
    case undefined:
      return 'any';
    case 'array':
      return node.items === undefined ? 'list' : `list of ${typeOf(node.items)}`;
    case 'object':
      if (node.properties === undefined && typeof node.additionalProperties === 'object') {
        return `mapping of ${typeOf(node.additionalProperties)}`;
      }
      return 'mapping';
    default:
      return type;
  }
}

function constraintsOf(node: JsonSchemaNode): string {
  const parts: string[] = [];
  // zod's integers carry the safe-integer range; it says nothing a reader needs.
  if (node.minimum !== undefined && node.minimum !== Number.MIN_SAFE_INTEGER) parts.push(`>= ${node.minimum}`);
  if (node.exclusiveMinimum !== undefined) parts.push(`> ${node.exclusiveMinimum}`);
  if (node.maximum !== undefined && node.maximum !== Number.MAX_SAFE_INTEGER) parts.push(`<= ${node.maximum}`);
  if (node.exclusiveMaximum !== undefined) parts.push(`< ${node.exclusiveMaximum}`);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (node.minLength !== undefined) parts.push(`at least ${plural(node.minLength, 'character')}`);
  if (node.maxLength !== undefined) parts.push(`at most ${plural(node.maxLength, 'character')}`);
  if (node.minItems !== undefined) parts.push(`at least ${plural(node.minItems, 'item')}`);
  if (node.maxItems !== undefined) parts.push(`at most ${plural(node.maxItems, 'item')}`);
  if (node.pattern !== undefined) parts.push(`matches \`${node.pattern}\``);
  return parts.join(', ');
}

function isSensitiveNode(node: JsonSchemaNode): boolean {
  if (node.sensitive === true) return true;
  const values = typeof node.additionalProperties === 'object' ? node.additionalProperties : node.items;
  return values?.sensitive === true;
}

function walk(node: JsonSchemaNode, prefix: string, out: FieldDoc[]): void {
  const required = new Set(node.required ?? []);
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const doc: { -readonly [K in keyof FieldDoc]: FieldDoc[K] } = {
      path,
      type: typeOf(child),
      required: required.has(name) && child.default === undefined,
      constraints: constraintsOf(child),
      description: child.description ?? '',
      sensitive: isSensitiveNode(child),
    };
    // A default of a sensitive field is shown masked; a mapping whose values are sensitive shows its (empty) default.
    if (child.default !== undefined) doc.default = JSON.stringify(child.sensitive === true ? SECRET_MASK : child.default);
    out.push(doc);
    if (child.properties !== undefined) walk(child, path, out);
    else if (child.items?.properties !== undefined) walk(child.items, `${path}[]`, out);
  }
}

/** The fields of an object schema, depth first, in declaration order. */
export function describeFields(schema: z.ZodType): FieldDoc[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  const out: FieldDoc[] = [];
  walk(json, '', out);
  return out;
}
