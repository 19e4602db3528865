/**
 * Writes docs/chat.md from the chat's content files (faq.json answers, intents and example
 * questions), so the docs and the bot say the same thing: `npx tsx src/chat/generate-chat-docs.ts`.
 */
import { writeFileSync } from 'node:fs';
import { chatDocsMarkdown } from './chat-docs.js';

writeFileSync('docs/chat.md', chatDocsMarkdown());
