/**
 * The canonical crime taxonomy shared by every source. Portal codes map onto these in
 * `src/core/taxonomy/<source>.ts`; anything unmapped becomes `other` and is counted.
 */
import { z } from 'zod';

export const CATEGORIES = [
  'violence',
  'sexual-offences',
  'robbery',
  'burglary',
  'theft',
  'vehicle-crime',
  'criminal-damage',
  'arson',
  'drugs',
  'weapons',
  'public-order',
  'fraud',
  'anti-social-behaviour',
  'other',
] as const;

export const Category = z.enum(CATEGORIES).describe('Canonical crime category (see docs/taxonomy.md).');
export type Category = z.infer<typeof Category>;

/** Human labels for the dashboard and chat. */
export const CATEGORY_LABELS: Record<Category, string> = {
  violence: 'Violence against the person',
  'sexual-offences': 'Sexual offences',
  robbery: 'Robbery',
  burglary: 'Burglary',
  theft: 'Theft',
  'vehicle-crime': 'Vehicle crime',
  'criminal-damage': 'Criminal damage',
  arson: 'Arson',
  drugs: 'Drugs',
  weapons: 'Weapons',
  'public-order': 'Public order',
  fraud: 'Fraud and deception',
  'anti-social-behaviour': 'Anti-social behaviour',
  other: 'Other',
};
