/** The Markdown of docs/chat.md, generated from content/faq.json (see generate-chat-docs.ts). */
import { FAQ } from './chat-bot.js';
import { DATA_INTENTS } from './data-answers.js';

const DATA = new Set<string>(DATA_INTENTS);
const SKIP = new Set(['follow_up', 'inform']);

export function chatDocsMarkdown(): string {
  const lines: string[] = [
    '# The CrimePulse chatbot',
    '',
    '<!-- Generated from src/chat/content/faq.json by `npx tsx src/chat/generate-chat-docs.ts`; edit the JSON, not this file. -->',
    '',
    "The chatbot explains the project and answers questions about the data. It speaks Rasa's REST channel:",
    '`POST /webhooks/rest/webhook` with `{"sender": "...", "message": "..."}` returns a JSON array of',
    '`{"recipient_id", "text"}` messages, some with `buttons` (`{title, payload}`: send the payload back as',
    'the next message) or `custom` (e.g. `{"type": "link", "href"}`); `GET /webhooks/rest/` returns',
    '`{"status": "ok"}`. A chat page is served at `/chat` and an embeddable widget at `/chat/widget.js`.',
    'Messages have at most 1,000 characters. `crimepulse chat --api URL` runs the chatbot alone against another',
    "server's API, with the same answers. Intent accuracy, entity F1 and date parsing are measured by",
    '`crimepulse evaluate chat` on a held-out set (`src/chat/content/eval.json`).',
    '',
    '## Questions about the data',
    '',
    'Numbers come from the store (or the API), never from the model. Each answer gives the number, the period',
    'actually used and a dashboard link with the same filter (`/?source=...&area=...&category=...&from=...&to=...`,',
    'ISO dates, `to` exclusive). Relative dates ("last week", "yesterday evening") are read against the',
    'data\'s latest date when the source is a replay or its data is more than 30 days old; "last week" is the',
    'Monday–Sunday week before, "past week" the last 7 days. UK questions are answered for whole months.',
    'Follow-ups keep the context per sender ("and in Brooklyn?", "what about robbery?"). Without a city the',
    'bot asks, with buttons.',
    '',
    '| intent | example |',
    '|---|---|',
  ];
  for (const [intent, f] of Object.entries(FAQ.intents))
    if (DATA.has(intent) || intent === 'follow_up') lines.push(`| ${f.title} | “${f.question}” |`);
  lines.push('', '## Questions about the project', '');
  for (const [intent, f] of Object.entries(FAQ.intents)) {
    if (DATA.has(intent) || SKIP.has(intent)) continue;
    lines.push(`### ${f.title}`, '', `*“${f.question}”*`, '', f.answer, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
