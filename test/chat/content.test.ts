/** The content files: FAQ answers for every intent, docs generated from them, eval held apart from training. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAQ } from '../../src/chat/chat-bot.js';
import { chatDocsMarkdown } from '../../src/chat/chat-docs.js';
import evalJson from '../../src/chat/content/eval.json' with { type: 'json' };
import { defaultNlu, trainingExamples } from '../../src/chat/nlu.js';

const norm = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

describe('chat content', () => {
  it('has an FAQ entry (title, example, answer) for every trained intent', () => {
    for (const intent of defaultNlu().classifier.intents) {
      expect(FAQ.intents[intent], intent).toBeDefined();
      expect(FAQ.intents[intent]?.answer.length, intent).toBeGreaterThan(20);
    }
  });

  it('docs/chat.md is what src/chat/generate-chat-docs.ts writes from faq.json', () => {
    expect(
      readFileSync('docs/chat.md', 'utf8') === chatDocsMarkdown(),
      'docs/chat.md is stale: run npx tsx src/chat/generate-chat-docs.ts',
    ).toBe(true);
    expect(chatDocsMarkdown()).toContain(FAQ.intents.anomaly_score?.answer);
  });

  it('keeps the evaluation set apart from the training examples', () => {
    const train = new Set(trainingExamples().map((e) => norm(e.text)));
    const overlap = evalJson.items.filter((i) => train.has(norm(i.text))).map((i) => i.text);
    expect(overlap).toEqual([]);
  });

  it('mentions the documented limits in the answers', () => {
    const limits = FAQ.intents.data_limits?.answer ?? '';
    expect(limits).toMatch(/month-only/);
    expect(limits).toMatch(/LA dataset has been frozen since 2024/);
    expect(limits).toMatch(/report late/);
  });
});
