/** The NLU on the held-out evaluation set, and entity extraction on hand-picked cases. */
import { describe, expect, it } from 'vitest';
import { extractEntities } from '../../src/chat/entities.js';
import { evaluateChat } from '../../src/chat/evaluate-chat.js';
import { defaultNlu } from '../../src/chat/nlu.js';

describe('evaluateChat (content/eval.json, held out from training.json)', () => {
  const r = evaluateChat({ nlu: defaultNlu() });

  it('has at least 300 labelled utterances over every intent', () => {
    expect(r.items).toBeGreaterThanOrEqual(300);
    expect(Object.keys(r.perIntent).sort()).toEqual([...defaultNlu().classifier.intents].sort());
  });

  it('classifies at least 90% of intents correctly', () => {
    expect(
      r.intentAccuracy,
      JSON.stringify(r.failures.filter((f) => f.kind === 'intent')),
    ).toBeGreaterThanOrEqual(0.9);
    for (const [intent, s] of Object.entries(r.perIntent))
      expect(s.recall, intent).toBeGreaterThanOrEqual(0.6);
  });

  it('extracts entities with F1 ≥ 0.9 and parses ≥ 95% of dates', () => {
    expect(
      r.entities.f1,
      JSON.stringify(r.failures.filter((f) => f.kind === 'entity')),
    ).toBeGreaterThanOrEqual(0.9);
    expect(r.dates.items).toBeGreaterThanOrEqual(80);
    expect(
      r.dates.accuracy,
      JSON.stringify(r.failures.filter((f) => f.kind === 'date')),
    ).toBeGreaterThanOrEqual(0.95);
  });

  it('fails a classifier that only knows one intent (the metric can fail)', () => {
    const bad = evaluateChat({
      nlu: {
        classifier: { intents: ['greet'], rank: () => [{ intent: 'greet', confidence: 1 }] },
        understand: (text) => ({
          text,
          intent: 'greet',
          confidence: 1,
          ranking: [],
          entities: {},
          payload: false,
          delexicalised: text,
        }),
      },
    });
    expect(bad.intentAccuracy).toBeLessThan(0.1);
    expect(bad.entities.f1).toBe(0);
  });
});

describe('extractEntities', () => {
  it.each([
    ['how many break-ins in Chicago', { source: 'chicago', category: 'burglary' }],
    ['car break-ins in LA', { source: 'la', category: 'vehicle-crime' }],
    ['car theft in new york', { source: 'nyc', category: 'vehicle-crime' }],
    ['Muggings in the City of London', { source: 'uk-police', category: 'robbery' }],
    ['burgleries in chicgo', { source: 'chicago', category: 'burglary' }],
    ['VIOLENT CRIME IN BROOKLYN', { source: 'nyc', category: 'violence', area: 'Brooklyn' }],
    ['thefts in precinct 75', { source: 'nyc', category: 'theft', area: 'precinct 75' }],
    ['assaults in Austin', { source: 'chicago', category: 'violence', area: 'Austin' }],
    [
      'anti-social behaviour in City of London 001F',
      { source: 'uk-police', category: 'anti-social-behaviour', area: 'City of London 001F' },
    ],
  ])('%s', (text, want) => {
    const { entities } = extractEntities(text);
    expect({
      source: entities.source,
      category: entities.category,
      ...(entities.area ? { area: entities.area.name } : {}),
    }).toEqual({ ...{ source: undefined, category: undefined }, ...want } as Record<
      string,
      string | undefined
    >);
  });

  it('maps shootings and arrests to their NYC datasets', () => {
    expect(extractEntities('shootings in nyc').entities).toMatchObject({
      source: 'nyc',
      sourceHint: 'nyc-shootings',
    });
    expect(extractEntities('arrests in queens').entities).toMatchObject({
      source: 'nyc',
      sourceHint: 'nyc-arrests',
    });
  });

  it('finds nothing in questions about the project (no fuzzy false friends)', () => {
    for (const t of [
      'how does your detection algorithm work',
      'how do I share what I am looking at',
      'are crime locations precise',
      'where were the drops in crime',
      'can I get data for other cities',
    ]) {
      const { entities } = extractEntities(t);
      expect(entities, t).toEqual({});
    }
  });
});

describe('classifier', () => {
  it('is deterministic and gives the top intent a probability', () => {
    const a = defaultNlu().understand('how many robberies in LA in March 2020?');
    const b = defaultNlu().understand('how many robberies in LA in March 2020?');
    expect(a).toEqual(b);
    expect(a.intent).toBe('count_crimes');
    expect(a.confidence).toBeGreaterThan(0.5);
    expect(a.delexicalised).toBe('how many _crime_ in _city_ in _date_ ?');
  });

  it('reads Rasa-style button payloads without the classifier', () => {
    const u = defaultNlu().understand('/inform{"source":"chicago","category":"burglary"}');
    expect(u).toMatchObject({
      intent: 'inform',
      confidence: 1,
      payload: true,
      entities: { source: 'chicago', category: 'burglary' },
    });
    expect(defaultNlu().understand('/inform{"source":"atlantis"}').payload).toBe(false);
  });
});
