/**
 * data.police.uk crime types → canonical categories. The API speaks in slugs (`violent-crime`), the
 * monthly street CSVs in labels (`Violence and sexual offences`); both map here, and the slug is the
 * canonical `sourceCode` for either. UK publishes violence and sexual offences as one category, so
 * they go to `violence` (with the UK slug as subcategory) rather than being split by guesswork;
 * `criminal-damage-arson` likewise stays whole under `criminal-damage`.
 */
import type { TaxonomyMapping } from './mapping.js';

export interface UkCrimeType extends TaxonomyMapping {
  /** The API slug, e.g. `violent-crime`. */
  readonly slug: string;
  /** The CSV `Crime type` label, e.g. `Violence and sexual offences`. */
  readonly label: string;
}

/** Every crime type data.police.uk has published (current, plus the pre-2013 names still in old months). */
export const UK_CRIME_TYPES: readonly UkCrimeType[] = [
  {
    slug: 'anti-social-behaviour',
    label: 'Anti-social behaviour',
    category: 'anti-social-behaviour',
    subcategory: 'anti-social-behaviour',
  },
  { slug: 'bicycle-theft', label: 'Bicycle theft', category: 'theft', subcategory: 'bicycle-theft' },
  { slug: 'burglary', label: 'Burglary', category: 'burglary', subcategory: 'burglary' },
  {
    slug: 'criminal-damage-arson',
    label: 'Criminal damage and arson',
    category: 'criminal-damage',
    subcategory: 'criminal-damage-and-arson',
  },
  { slug: 'drugs', label: 'Drugs', category: 'drugs', subcategory: 'drugs' },
  { slug: 'other-theft', label: 'Other theft', category: 'theft', subcategory: 'other-theft' },
  {
    slug: 'possession-of-weapons',
    label: 'Possession of weapons',
    category: 'weapons',
    subcategory: 'possession-of-weapons',
  },
  { slug: 'public-order', label: 'Public order', category: 'public-order', subcategory: 'public-order' },
  { slug: 'robbery', label: 'Robbery', category: 'robbery', subcategory: 'robbery' },
  { slug: 'shoplifting', label: 'Shoplifting', category: 'theft', subcategory: 'shoplifting' },
  {
    slug: 'theft-from-the-person',
    label: 'Theft from the person',
    category: 'theft',
    subcategory: 'theft-from-the-person',
  },
  { slug: 'vehicle-crime', label: 'Vehicle crime', category: 'vehicle-crime', subcategory: 'vehicle-crime' },
  // The API slug kept its 2011 name when the category was renamed in 2013.
  {
    slug: 'violent-crime',
    label: 'Violence and sexual offences',
    category: 'violence',
    subcategory: 'violence-and-sexual-offences',
  },
  { slug: 'other-crime', label: 'Other crime', category: 'other', subcategory: 'other-crime' },
  // Names used before May 2013; old months still carry them.
  {
    slug: 'public-disorder-weapons',
    label: 'Public disorder and weapons',
    category: 'public-order',
    subcategory: 'public-disorder-and-weapons',
  },
];

// Aliases seen in the wild: the label-as-slug form and the pre-2013 label of `violent-crime`.
const ALIASES: Record<string, string> = {
  'violence-and-sexual-offences': 'violent-crime',
  'violent crime': 'violent-crime',
  'criminal damage & arson': 'criminal-damage-arson',
};

const BY_KEY = new Map<string, UkCrimeType>();
for (const t of UK_CRIME_TYPES) {
  BY_KEY.set(t.slug, t);
  BY_KEY.set(t.label.toLowerCase(), t);
}
for (const [alias, slug] of Object.entries(ALIASES)) {
  const t = BY_KEY.get(slug);
  if (t) BY_KEY.set(alias, t);
}

/** The UK crime type for an API slug or CSV label (case-insensitive), or undefined when unknown. */
export function ukCrimeType(slugOrLabel: string): UkCrimeType | undefined {
  return BY_KEY.get(slugOrLabel.trim().toLowerCase());
}
