/** Canonical category ids and labels, kept in step with src/core/categories.ts (a test checks). */
export const CATEGORIES: Record<string, string> = {
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
