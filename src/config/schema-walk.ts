/**
 * Schema walk: finds the zod schema of a field by its path, through defaults, optionals,
 * lists and records. Used to name the known fields of a mapping in errors and to resolve
 * environment overrides of fields the file does not set.
 */
import { z } from 'zod';

/** Most wrappers peeled off one schema (guards against a lazy schema that returns itself). */
const MAX_UNWRAP = 32;

/**
 * The schema one wrapper down (default, optional, nullable, readonly, catch, prefault,
 * non-optional, pipe input, lazy), or undefined when `schema` wraps nothing.
 */
export function peelSchema(schema: z.ZodType): z.ZodType | undefined {
  if (
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodNullable ||
    schema instanceof z.ZodReadonly ||
    schema instanceof z.ZodCatch ||
    schema instanceof z.ZodPrefault ||
    schema instanceof z.ZodNonOptional ||
    schema instanceof z.ZodLazy
  ) {
    return schema.unwrap() as z.ZodType;
  }
  if (schema instanceof z.ZodPipe) return schema.in as z.ZodType;
  return undefined;
}

/** The schema under its wrappers: default, optional, nullable, readonly, catch, prefault, pipe input, lazy. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (let i = 0; i < MAX_UNWRAP; i++) {
    const inner = peelSchema(current);
    if (inner === undefined) return current;
    current = inner;
  }
  return current;
}

/** `schema` and each schema it wraps, outermost first (at most {@link MAX_UNWRAP} + 1). */
export function schemaLayers(schema: z.ZodType): z.ZodType[] {
  const layers = [schema];
  for (let i = 0; i < MAX_UNWRAP; i++) {
    const inner = peelSchema(layers[layers.length - 1]!);
    if (inner === undefined) break;
    layers.push(inner);
  }
  return layers;
}

/** The schema of the child `segment` of a value of `schema`, if the schema says. */
export function childSchema(schema: z.ZodType, segment: string | number): z.ZodType | undefined {
  const inner = unwrapSchema(schema);
  if (inner instanceof z.ZodObject) {
    const shape = inner.shape as Record<string, z.ZodType>;
    if (typeof segment === 'string' && Object.hasOwn(shape, segment)) return shape[segment];
    const rest = inner.def.catchall;
    return rest instanceof z.ZodNever || rest === undefined ? undefined : (rest as z.ZodType);
  }
  if (inner instanceof z.ZodArray) return typeof segment === 'number' ? (inner.element as z.ZodType) : undefined;
  if (inner instanceof z.ZodRecord) return inner.valueType as z.ZodType;
  return undefined;
}

/** The schema at `path` under `schema`, or undefined where the schema does not say. */
export function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const segment of path) {
    if (current === undefined || typeof segment === 'symbol') return undefined;
    current = childSchema(current, segment);
  }
  return current;
}

/** The field names of an object schema (in declaration order), or undefined for another schema. */
export function objectKeys(schema: z.ZodType): string[] | undefined {
  const inner = unwrapSchema(schema);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape as Record<string, z.ZodType>) : undefined;
}

/** What kind of value the schema takes: used to create a missing mapping or list for an override. */
export function containerKind(schema: z.ZodType): 'mapping' | 'list' | undefined {
  const inner = unwrapSchema(schema);
  if (inner instanceof z.ZodObject || inner instanceof z.ZodRecord) return 'mapping';
  if (inner instanceof z.ZodArray) return 'list';
  return undefined;
}
