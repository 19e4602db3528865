import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UK_CRIME_TYPES, ukCrimeType } from '../../../src/core/taxonomy/index.js';

describe('UK taxonomy', () => {
  it('maps every category the API lists (recorded crime-categories.json), by slug and by name', () => {
    const cats = JSON.parse(readFileSync('samples/uk/api_json/crime-categories.json', 'utf8')) as {
      url: string;
      name: string;
    }[];
    const real = cats.filter((c) => c.url !== 'all-crime');
    expect(real).toHaveLength(14);
    for (const c of real) {
      const bySlug = ukCrimeType(c.url);
      expect(bySlug, c.url).toBeDefined();
      expect(ukCrimeType(c.name)).toBe(bySlug);
    }
  });

  it('maps the slugs and labels named in the brief, case-insensitively', () => {
    expect(ukCrimeType('violence-and-sexual-offences')?.category).toBe('violence');
    expect(ukCrimeType('VIOLENCE AND SEXUAL OFFENCES')?.slug).toBe('violent-crime');
    expect(ukCrimeType('shoplifting')).toMatchObject({ category: 'theft', subcategory: 'shoplifting' });
    expect(ukCrimeType('possession-of-weapons')?.category).toBe('weapons');
    expect(ukCrimeType('criminal-damage-arson')?.category).toBe('criminal-damage');
    expect(ukCrimeType('all-crime')).toBeUndefined();
    expect(ukCrimeType('nonsense')).toBeUndefined();
  });

  it('slugs and labels are unique', () => {
    expect(new Set(UK_CRIME_TYPES.map((t) => t.slug)).size).toBe(UK_CRIME_TYPES.length);
    expect(new Set(UK_CRIME_TYPES.map((t) => t.label.toLowerCase())).size).toBe(UK_CRIME_TYPES.length);
  });
});
