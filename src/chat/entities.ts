/**
 * Rule and gazetteer entity extraction: city/source, area and crime category, with synonyms and
 * typo tolerance (one edit for words of 5+ letters, two for 9+). Longest match wins, so "car
 * break-ins" is vehicle crime, not burglary. Each match keeps its character span so the classifier
 * can see the sentence with entities replaced by placeholders (`_city_`, `_area_`, `_crime_`), which
 * lets a few training sentences cover every city and category.
 *
 * Hand-written on purpose: the vocabulary is ours (canonical categories, source ids, area gazetteer)
 * and a generic NER model would neither know it nor be loadable here; edit distance comes from
 * `fastest-levenshtein`.
 */
import { distance } from 'fastest-levenshtein';
import type { Category } from '../core/categories.js';
import areasJson from './content/areas.json' with { type: 'json' };

/** A source family: one source id, or `nyc` for every `nyc-*` source. */
export type SourceFamily = 'chicago' | 'nyc' | 'la' | 'uk-police' | 'socrata-sf';

export interface AreaEntry {
  /** Source family the area belongs to. */
  source: SourceFamily;
  /** Display name, e.g. `Brooklyn`, `Austin`, `City of London 001F`. */
  name: string;
  /** Area ids of the source (`areaId` of events): community area, precinct(s), division, LSOA. */
  ids: string[];
  aliases?: string[];
}

export interface Entities {
  source?: SourceFamily;
  /** Set when the words name one specific dataset (e.g. "shootings" → `nyc-shootings`). */
  sourceHint?: string;
  area?: AreaEntry;
  category?: Category;
}

export interface EntitySpan {
  kind: 'source' | 'area' | 'category' | 'hint';
  value: string;
  start: number;
  end: number;
}

export const AREAS: AreaEntry[] = (areasJson as { areas: AreaEntry[] }).areas;

const SOURCE_SYNONYMS: Record<SourceFamily, string[]> = {
  chicago: ['chicago', 'chi town', 'chitown', 'windy city', 'cpd', 'community area', 'community areas'],
  nyc: ['nyc', 'new york', 'new york city', 'ny', 'nypd', 'big apple'],
  la: ['la', 'l a', 'los angeles', 'lapd', 'los angeles city'],
  'uk-police': [
    'london',
    'city of london',
    'uk',
    'england',
    'britain',
    'united kingdom',
    'police uk',
    'data police uk',
  ],
  'socrata-sf': ['san francisco', 'sf', 'frisco', 'sfpd'],
};

/** Words naming one dataset of a family. */
const SOURCE_HINTS: Record<string, string[]> = {
  'nyc-shootings': ['shooting', 'shootings', 'shooting incidents', 'gunfire'],
  'nyc-arrests': ['arrest', 'arrests'],
  'nyc-complaints': ['complaint', 'complaints'],
};

export const CATEGORY_SYNONYMS: Record<Category, string[]> = {
  violence: [
    'violence',
    'violent',
    'violent crime',
    'violent crimes',
    'violent incidents',
    'assault',
    'assaults',
    'battery',
    'batteries',
    'homicide',
    'homicides',
    'murder',
    'murders',
    'killings',
    'stabbing',
    'stabbings',
    'attacks',
    'fights',
    'violence against the person',
  ],
  'sexual-offences': [
    'sexual offences',
    'sexual offenses',
    'sex offences',
    'sex offenses',
    'sex crimes',
    'sex crime',
    'rape',
    'rapes',
    'sexual assault',
    'sexual assaults',
    'sexual crimes',
  ],
  robbery: ['robbery', 'robberies', 'mugging', 'muggings', 'hold ups', 'holdups', 'stick ups', 'robbed'],
  burglary: [
    'burglary',
    'burglaries',
    'break ins',
    'break in',
    'breakins',
    'breaking and entering',
    'housebreaking',
    'home invasions',
    'burgled',
    'burglars',
  ],
  theft: [
    'theft',
    'thefts',
    'larceny',
    'larcenies',
    'stealing',
    'shoplifting',
    'pickpocketing',
    'pickpockets',
    'bike theft',
    'bicycle theft',
    'petty theft',
  ],
  'vehicle-crime': [
    'vehicle crime',
    'vehicle crimes',
    'car theft',
    'car thefts',
    'stolen cars',
    'stolen car',
    'stolen vehicles',
    'auto theft',
    'auto thefts',
    'motor vehicle theft',
    'vehicle theft',
    'vehicle thefts',
    'car break ins',
    'car crime',
    'cars stolen',
    'theft from vehicles',
  ],
  'criminal-damage': [
    'criminal damage',
    'vandalism',
    'graffiti',
    'property damage',
    'damage',
    'vandalised',
    'vandalized',
  ],
  arson: ['arson', 'arsons', 'fire setting', 'arson attacks'],
  drugs: [
    'drugs',
    'drug',
    'narcotics',
    'drug offences',
    'drug offenses',
    'drug crimes',
    'drug crime',
    'drug possession',
    'possession of drugs',
  ],
  weapons: [
    'weapons',
    'weapon',
    'weapons offences',
    'weapon offences',
    'weapons violations',
    'guns',
    'gun crime',
    'firearms',
    'knife crime',
    'possession of weapons',
  ],
  'public-order': ['public order', 'public order offences', 'disorderly conduct', 'public peace', 'disorder'],
  fraud: ['fraud', 'frauds', 'scams', 'scam', 'deception', 'forgery', 'fraud and deception'],
  'anti-social-behaviour': [
    'anti social behaviour',
    'anti social behavior',
    'antisocial behaviour',
    'antisocial behavior',
    'asb',
    'nuisance',
  ],
  other: ['other crime', 'other crimes', 'other offences'],
};

interface Key {
  kind: EntitySpan['kind'];
  value: string;
  tokens: string[];
  text: string;
}

/** Lower case, curly quotes and dashes folded, every non-alphanumeric a word break. */
export function normaliseText(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’`]/g, '');
}

interface Token {
  text: string;
  start: number;
  end: number;
}

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  const norm = normaliseText(s);
  // Positions are kept against `norm`, which has the same length as the input except for removed
  // apostrophes and accents; map back through an index table.
  const map: number[] = [];
  let folded = '';
  for (let i = 0; i < s.length; i++) {
    const f = normaliseText(s[i] ?? '');
    for (const ch of f) {
      folded += ch;
      map.push(i);
    }
  }
  void norm;
  const re = /[a-z0-9]+/g;
  for (let m = re.exec(folded); m !== null; m = re.exec(folded)) {
    const start = map[m.index] ?? 0;
    const end = (map[m.index + m[0].length - 1] ?? start) + 1;
    out.push({ text: m[0], start, end });
  }
  return out;
}

function keysOf(): Key[] {
  const keys: Key[] = [];
  const add = (kind: Key['kind'], value: string, phrase: string): void => {
    const tokens = tokenize(phrase).map((t) => t.text);
    if (tokens.length > 0) keys.push({ kind, value, tokens, text: tokens.join(' ') });
  };
  for (const [src, syns] of Object.entries(SOURCE_SYNONYMS)) for (const s of syns) add('source', src, s);
  for (const [hint, syns] of Object.entries(SOURCE_HINTS)) for (const s of syns) add('hint', hint, s);
  for (const [cat, syns] of Object.entries(CATEGORY_SYNONYMS)) {
    if (cat !== 'other') add('category', cat, cat.replaceAll('-', ' '));
    for (const s of syns) add('category', cat, s);
  }
  AREAS.forEach((a, i) => {
    add('area', String(i), a.name);
    for (const al of a.aliases ?? []) add('area', String(i), al);
  });
  // Longest phrases first, so "car break ins" beats "break ins" and "city of london 001f" beats "city of london".
  return keys.sort((a, b) => b.tokens.length - a.tokens.length || b.text.length - a.text.length);
}

const KEYS = keysOf();
const KNOWN_WORDS = new Set(KEYS.flatMap((k) => k.tokens));

/** Allowed edits for a word of this many letters: none under 5 (too many false friends). */
function maxEdits(len: number): number {
  return len >= 10 ? 2 : len >= 5 ? 1 : 0;
}

/** Common words that are one edit away from a key but never mean it. */
const STOP = new Set([
  'area',
  'areas',
  'where',
  'there',
  'these',
  'those',
  'month',
  'months',
  'week',
  'which',
  'about',
  'wrong',
  'dates',
  'dated',
  'thanks',
  'great',
  'shoot',
  'drive',
  'other',
  'theme',
  'these',
  'range',
  'rates',
  'times',
  'latest',
  'lasted',
  'change',
  'danger',
]);

function exactAt(key: Key, tokens: Token[], i: number): boolean {
  for (let j = 0; j < key.tokens.length; j++) if (tokens[i + j]?.text !== key.tokens[j]) return false;
  return true;
}

/**
 * Word by word: each word within its own edit budget, same first letter (typos rarely hit it), a
 * known word or stop word never stands in for another, numbers exact ("001a" vs "001b" are different
 * areas), and a phrase of several words needs at least one exact word.
 */
function fuzzyAt(key: Key, tokens: Token[], i: number): boolean {
  let fuzzy = 0;
  const n = key.tokens.length;
  for (let j = 0; j < n; j++) {
    const w = (tokens[i + j] as Token).text;
    const k = key.tokens[j] as string;
    if (w === k) continue;
    if (w[0] !== k[0] || /\d/.test(w) || /\d/.test(k) || STOP.has(w) || KNOWN_WORDS.has(w)) return false;
    const edits = maxEdits(k.length);
    if (edits === 0 || Math.abs(w.length - k.length) > edits || distance(w, k) > edits) return false;
    fuzzy++;
  }
  return fuzzy > 0 && (n === 1 || fuzzy < n);
}

/** Spans found in `text`, non-overlapping, longest and exact first. */
export function findEntitySpans(text: string): EntitySpan[] {
  const tokens = tokenize(text);
  const used = new Array<boolean>(tokens.length).fill(false);
  const spans: EntitySpan[] = [];
  const free = (i: number, n: number): boolean => {
    for (let j = i; j < i + n; j++) if (used[j]) return false;
    return true;
  };
  for (const match of [exactAt, fuzzyAt]) {
    for (const key of KEYS) {
      const n = key.tokens.length;
      for (let i = 0; i + n <= tokens.length; i++) {
        if (!free(i, n) || !match(key, tokens, i)) continue;
        for (let j = i; j < i + n; j++) used[j] = true;
        spans.push({
          kind: key.kind,
          value: key.value,
          start: tokens[i]?.start ?? 0,
          end: tokens[i + n - 1]?.end ?? 0,
        });
      }
    }
  }
  spans.push(...rawAreaSpans(text, spans));
  return spans.sort((a, b) => a.start - b.start);
}

/** "precinct 75", "community area 25", "LSOA E01000001", "division Wilshire" style ids. */
function rawAreaSpans(text: string, taken: EntitySpan[]): EntitySpan[] {
  const out: EntitySpan[] = [];
  const re = /\b(precinct|pct|community area|area|lsoa)\s+#?([a-z]?\d{1,9}[a-z]?)\b/gi;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const start = m.index;
    const end = m.index + m[0].length;
    if (taken.some((s) => s.start < end && start < s.end)) continue;
    const word = (m[1] ?? '').toLowerCase();
    const id = (m[2] ?? '').toUpperCase();
    const source: SourceFamily =
      word === 'lsoa' || id.startsWith('E0')
        ? 'uk-police'
        : word === 'precinct' || word === 'pct'
          ? 'nyc'
          : 'chicago';
    out.push({ kind: 'area', value: `raw:${source}:${id}`, start, end });
  }
  return out;
}

function areaFromValue(value: string): AreaEntry | undefined {
  if (value.startsWith('raw:')) {
    const [, source, id] = value.split(':') as [string, SourceFamily, string];
    const known = AREAS.find((a) => a.source === source && a.ids.length === 1 && a.ids[0] === id);
    return (
      known ?? {
        source,
        name: source === 'nyc' ? `precinct ${id}` : source === 'chicago' ? `community area ${id}` : id,
        ids: [id],
      }
    );
  }
  return AREAS[Number(value)];
}

/** The entities of a message (first of each kind wins) and its spans. */
export function extractEntities(text: string): { entities: Entities; spans: EntitySpan[] } {
  const spans = findEntitySpans(text);
  const entities: Entities = {};
  for (const s of spans) {
    if (s.kind === 'source' && entities.source === undefined) entities.source = s.value as SourceFamily;
    if (s.kind === 'hint' && entities.sourceHint === undefined) entities.sourceHint = s.value;
    if (s.kind === 'category' && entities.category === undefined) entities.category = s.value as Category;
    if (s.kind === 'area' && entities.area === undefined) {
      const area = areaFromValue(s.value);
      if (area) entities.area = area;
    }
  }
  if (entities.area && entities.source === undefined) entities.source = entities.area.source;
  if (entities.sourceHint && entities.source === undefined) entities.source = 'nyc';
  return { entities, spans };
}

const PLACEHOLDER: Record<EntitySpan['kind'], string> = {
  source: ' _city_ ',
  area: ' _area_ ',
  category: ' _crime_ ',
  hint: ' _dataset_ ',
};

/** The text with entity spans (and date spans given) replaced by placeholders, for the classifier. */
export function delexicalise(
  text: string,
  spans: { kind: EntitySpan['kind'] | 'date'; start: number; end: number }[],
): string {
  let out = '';
  let at = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.start < at) continue;
    out += text.slice(at, s.start) + (s.kind === 'date' ? ' _date_ ' : PLACEHOLDER[s.kind]);
    at = s.end;
  }
  return (out + text.slice(at)).replace(/\s+/g, ' ').trim();
}
