/**
 * Reads a zod object schema as documentation rows: key path, a short type, default and the
 * `.describe()` text. Shared by the generators of docs/configuration.md and docs/sources.md.
 *
 * Hand-written because `z.toJSONSchema` drops what the docs need most: defaults that sit on a
 * transformed schema (`replaySpeed`, ISO durations) and descriptions set on the inner schema of a
 * `.default()`/`.optional()`. It reads zod 4's public `_zod.def` only.
 */
import type { z } from 'zod';

export interface FieldDoc {
  /** Dotted key path, e.g. `fields.occurred.datetime`. */
  path: string;
  type: string;
  required: boolean;
  /** The default as JSON text, if any. */
  default?: string;
  description: string;
}

// biome-ignore lint/suspicious/noExplicitAny: zod's internal def is untyped at this level.
type AnyDef = any;

const defOf = (s: z.ZodType): AnyDef => (s as unknown as { _zod: { def: AnyDef } })._zod.def;

/** The first description from the outside in (`.describe()` may sit on a wrapper or the inner schema). */
export function descriptionOf(s: z.ZodType): string {
  let cur: z.ZodType | undefined = s;
  while (cur) {
    if (cur.description) return cur.description;
    const d = defOf(cur);
    cur = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
  }
  return '';
}

/** A short human type: `string`, `number`, `auto \| live`, `string[]`, ... */
export function typeOf(s: z.ZodType): string {
  const d = defOf(s);
  switch (d.type) {
    case 'default':
    case 'optional':
    case 'nullable':
    case 'readonly':
      return typeOf(d.innerType);
    case 'pipe':
      return d.in && defOf(d.in).type !== 'transform' ? typeOf(d.in) : typeOf(d.out);
    case 'union':
      return [...new Set((d.options as z.ZodType[]).map(typeOf))].join(' \\| ');
    case 'enum':
      // Long enums (e.g. the canonical categories) would swamp a table cell; the description names them.
      if (Object.keys(d.entries).length > 8) return 'enum';
      return Object.values(d.entries as Record<string, string>)
        .map((v) => `\`${v}\``)
        .join(' \\| ');
    case 'literal':
      return (d.values as unknown[]).map((v) => `\`${String(v)}\``).join(' \\| ');
    case 'array':
      return `${typeOf(d.element)}[]`;
    case 'record':
      return `map of ${typeOf(d.valueType)}`;
    case 'object':
      return 'object';
    case 'string': {
      const formats = [d.format, ...(d.checks ?? []).map((c: AnyDef) => c._zod?.def?.format)];
      return formats.includes('url') ? 'URL' : 'string';
    }
    case 'number': {
      const int = (d.checks ?? []).some((c: AnyDef) => c._zod?.def?.format === 'safeint');
      return int ? 'integer' : 'number';
    }
    default:
      return String(d.type);
  }
}

function defaultOf(s: z.ZodType): unknown {
  let cur: z.ZodType | undefined = s;
  while (cur) {
    const d = defOf(cur);
    if (d.type === 'default') return typeof d.defaultValue === 'function' ? d.defaultValue() : d.defaultValue;
    cur = d.type === 'optional' || d.type === 'nullable' ? d.innerType : undefined;
  }
  return undefined;
}

function isOptional(s: z.ZodType): boolean {
  const t = defOf(s).type;
  return t === 'optional' || t === 'default';
}

/** The object shape behind wrappers, or undefined when `s` is not an object. */
function objectShape(s: z.ZodType): Record<string, z.ZodType> | undefined {
  let cur: z.ZodType | undefined = s;
  while (cur) {
    const d = defOf(cur);
    if (d.type === 'object') return d.shape as Record<string, z.ZodType>;
    cur = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
  }
  return undefined;
}

/**
 * One row per key; nested objects (and each option of a union of objects) are expanded under their
 * parent's path. `formatDefault` turns a default into text (e.g. milliseconds as ISO durations).
 */
export function fieldDocs(
  schema: z.ZodType,
  options: { prefix?: string; formatDefault?: (path: string, v: unknown) => string } = {},
): FieldDoc[] {
  const shape = objectShape(schema);
  if (!shape) return [];
  const rows: FieldDoc[] = [];
  for (const [key, field] of Object.entries(shape)) {
    const path = options.prefix ? `${options.prefix}.${key}` : key;
    const dv = defaultOf(field);
    rows.push({
      path,
      type: typeOf(field),
      required: !isOptional(field),
      ...(dv === undefined
        ? {}
        : { default: options.formatDefault?.(path, dv) ?? `\`${JSON.stringify(dv)}\`` }),
      description: descriptionOf(field),
    });
    const inner = objectShape(field);
    if (inner) rows.push(...fieldDocs(field, { ...options, prefix: path }));
    else {
      // A union of objects (e.g. `occurred`: one datetime column, or a date + time pair).
      const d = defOf(field);
      const union = d.type === 'union' ? d : d.innerType ? defOf(d.innerType) : undefined;
      if (union?.type === 'union') {
        const forms = (union.options as z.ZodType[]).filter((o) => objectShape(o));
        forms.forEach((opt, i) => {
          for (const r of fieldDocs(opt, { ...options, prefix: path }))
            rows.push({ ...r, description: `(form ${i + 1} of ${forms.length}) ${r.description}` });
        });
      }
    }
  }
  return rows;
}

/** A Markdown table cell: pipes escaped, newlines flattened. */
export const cell = (s: string): string => s.replace(/(?<!\\)\|/g, '\\|').replaceAll('\n', ' ');
