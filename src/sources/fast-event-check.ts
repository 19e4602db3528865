/**
 * A cheap, conservative stand-in for `CrimeEvent.safeParse` in the normalisers' hot loop.
 *
 * Why: full zod validation of every row cost about as much as the rest of normalisation together
 * (~10 µs a row), and the events it checks were just built by our own typed code. The contract is still
 * enforced in full where it matters: the pipeline validates every event it takes off the bus (the bus is
 * the boundary: Kafka may carry anything), and here every row that this check cannot vouch for, plus one
 * row in {@link FULL_CHECK_EVERY}, still goes through zod.
 *
 * Soundness: `fastEventCheck` returns true only when the candidate certainly passes `CrimeEvent`
 * unchanged (zod 4 keeps keys whose value is `undefined`, and the normalisers always set `timeFlags`, so
 * zod's output equals the input). The field rules are not copied by hand: they are compiled at load from
 * the schema's own definition (lengths, enums, number bounds, formats, strict keys), so editing a limit in
 * crime-event.ts changes this check too. A schema construct it does not know makes that field
 * "unprovable", which sends every row to zod: slower, never wrong. The one object-level rule (the id
 * refinement) is re-stated here; if the schema's object-level checks change in number, the fast path
 * switches itself off. test/sources/fast-event-check.test.ts checks fast ⇒ zod on real and mutated events.
 */
import type { z } from 'zod';
import { CrimeEvent } from '../core/crime-event.js';

/** One row in this many is validated by zod even when the fast check passes (a tripwire for drift). */
export const FULL_CHECK_EVERY = 1024;

type FieldCheck = (v: unknown) => boolean;

interface CompiledField {
  check: FieldCheck;
  /** `undefined` (or absent) is accepted by zod and kept as is. */
  optional: boolean;
}

// Minimal views of zod 4's schema definitions (the `_zod.def` objects zod documents for library authors).
interface Def {
  type: string;
  innerType?: Schema;
  element?: Schema;
  keyType?: Schema;
  valueType?: Schema;
  entries?: Record<string, string | number>;
  format?: string;
  checks?: Array<{ _zod: { def: CheckDef } }>;
  shape?: Record<string, Schema>;
  catchall?: Schema;
}
interface CheckDef {
  check: string;
  minimum?: number;
  maximum?: number;
  value?: number;
  inclusive?: boolean;
  format?: string;
  pattern?: RegExp;
}
interface Schema {
  _zod: { def: Def };
}

const never: FieldCheck = () => false;

/** Two ASCII digits at `i` as a number, or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * `YYYY-MM-DDTHH:mm:ss.sssZ` with real calendar fields: exactly what `Date#toISOString` gives for years
 * 0–9999, all of which zod's `iso.datetime()` accepts. Character checks, no allocation (this runs three
 * times a row).
 */
function isoInstant(v: unknown): boolean {
  if (typeof v !== 'string' || v.length !== 24) return false;
  if (
    v[4] !== '-' ||
    v[7] !== '-' ||
    v[10] !== 'T' ||
    v[13] !== ':' ||
    v[16] !== ':' ||
    v[19] !== '.' ||
    v[23] !== 'Z'
  )
    return false;
  const hi = two(v, 0);
  const lo = two(v, 2);
  const month = two(v, 5);
  const day = two(v, 8);
  const ms = two(v, 20);
  const ms3 = v.charCodeAt(22) - 48;
  if (hi < 0 || lo < 0 || ms < 0 || ms3 < 0 || ms3 > 9) return false;
  const year = hi * 100 + lo;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  const h = two(v, 11);
  const m = two(v, 14);
  const sec = two(v, 17);
  return h >= 0 && h <= 23 && m >= 0 && m <= 59 && sec >= 0 && sec <= 59;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function compileString(def: Def): FieldCheck {
  if (def.format !== undefined)
    return def.format === 'datetime' && (def.checks ?? []).length === 0 ? isoInstant : never;
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  const patterns: RegExp[] = [];
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === 'min_length' && typeof d.minimum === 'number') min = Math.max(min, d.minimum);
    else if (d.check === 'max_length' && typeof d.maximum === 'number') max = Math.min(max, d.maximum);
    else if (d.check === 'string_format' && d.format === 'regex' && d.pattern instanceof RegExp)
      patterns.push(new RegExp(d.pattern.source, d.pattern.flags.replace(/[gy]/g, '')));
    else return never;
  }
  if (patterns.length === 0) return (v) => typeof v === 'string' && v.length >= min && v.length <= max;
  // Pattern-checked strings (the source id) take few distinct values: remember the ones that passed.
  const good = new Set<string>();
  return (v) => {
    if (typeof v !== 'string' || v.length < min || v.length > max) return false;
    if (good.has(v)) return true;
    if (!patterns.every((p) => p.test(v))) return false;
    if (good.size < 1000) good.add(v);
    return true;
  };
}

function compileNumber(def: Def): FieldCheck {
  const lower: Array<[number, boolean]> = [];
  const upper: Array<[number, boolean]> = [];
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === 'greater_than' && typeof d.value === 'number')
      lower.push([d.value, d.inclusive === true]);
    else if (d.check === 'less_than' && typeof d.value === 'number')
      upper.push([d.value, d.inclusive === true]);
    else return never;
  }
  return (v) =>
    typeof v === 'number' &&
    Number.isFinite(v) &&
    lower.every(([b, inc]) => (inc ? v >= b : v > b)) &&
    upper.every(([b, inc]) => (inc ? v <= b : v < b));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function compile(schema: Schema): FieldCheck {
  const def = schema._zod.def;
  switch (def.type) {
    case 'string':
      return compileString(def);
    case 'number':
      return compileNumber(def);
    case 'enum': {
      if ((def.checks ?? []).length > 0) return never;
      const allowed = new Set(Object.values(def.entries ?? {}));
      return (v) => (typeof v === 'string' || typeof v === 'number') && allowed.has(v);
    }
    case 'array': {
      if ((def.checks ?? []).length > 0 || !def.element) return never;
      const el = compile(def.element);
      return (v) => Array.isArray(v) && v.every(el);
    }
    case 'unknown':
      return () => true;
    case 'record': {
      if ((def.checks ?? []).length > 0 || !def.keyType || !def.valueType) return never;
      const keyDef = def.keyType._zod.def;
      if (keyDef.type !== 'string' || keyDef.format !== undefined || (keyDef.checks ?? []).length > 0)
        return never;
      const value = compile(def.valueType);
      return (v) => {
        if (!isPlainObject(v)) return false;
        for (const k in v) if (!value(v[k])) return false;
        return true;
      };
    }
    default:
      return never;
  }
}

function compileShape(schema: Schema): Map<string, CompiledField> | undefined {
  const def = schema._zod.def;
  // Exactly the schema this module was written for: a strict object with one refinement (the id rule).
  if (
    def.type !== 'object' ||
    !def.shape ||
    def.catchall?._zod.def.type !== 'never' ||
    (def.checks ?? []).length !== 1
  )
    return undefined;
  const fields = new Map<string, CompiledField>();
  for (const [key, field] of Object.entries(def.shape)) {
    let inner = field;
    let optional = false;
    // `optional` keeps an explicit undefined; `default` would replace it, so a default field must be present.
    while (inner._zod.def.type === 'optional' || inner._zod.def.type === 'default') {
      if (inner._zod.def.type === 'optional') optional = true;
      inner = inner._zod.def.innerType as Schema;
    }
    fields.set(key, { check: compile(inner), optional });
  }
  return fields;
}

const FIELDS = compileShape(CrimeEvent as unknown as Schema);
const REQUIRED = FIELDS ? [...FIELDS].filter(([, f]) => !f.optional).map(([k]) => k) : [];

/** True only if `candidate` certainly passes `CrimeEvent` and zod would return it unchanged. */
export function fastEventCheck(candidate: Record<string, unknown>): candidate is z.infer<typeof CrimeEvent> {
  if (!FIELDS) return false;
  for (const key in candidate) {
    const f = FIELDS.get(key);
    if (f === undefined) return false; // strict: unknown key
    const v = candidate[key];
    if (v === undefined ? !f.optional : !f.check(v)) return false;
  }
  for (const key of REQUIRED) if (!(key in candidate)) return false;
  // The schema's refinement: id = `<source>:<sourceKey>`.
  const { id, source, sourceKey } = candidate as { id: string; source: string; sourceKey: string };
  return id.length === source.length + 1 + sourceKey.length && id === `${source}:${sourceKey}`;
}

let sinceFull = 0;

/** Whether this row should also be validated by zod (one in {@link FULL_CHECK_EVERY}). */
export function fullCheckDue(): boolean {
  if (++sinceFull < FULL_CHECK_EVERY) return false;
  sinceFull = 0;
  return true;
}
