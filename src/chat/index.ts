/** Public surface of the chat stage. */
export { type ChatBot, type ChatBotOptions, createChatBot, FAQ } from './chat-bot.js';
export type { AnomalyQuery, AreaTotal, ChatAnomaly, ChatData, ChatSource, CountQuery } from './chat-data.js';
export { chatDocsMarkdown } from './chat-docs.js';
export type { BotMessage, Button, DataRequest } from './data-answers.js';
export { type Period, parsePeriods } from './dates.js';
export { type Entities, extractEntities } from './entities.js';
export {
  type ChatEvaluation,
  type EvaluateChatOptions,
  evaluateChat,
  formatChatEvaluation,
} from './evaluate-chat.js';
export { type FetchLike, type HttpChatDataOptions, httpChatData } from './http-chat-data.js';
export { type IntentClassifier, trainIntentClassifier } from './intent-classifier.js';
export { createNlu, defaultNlu, type Nlu, trainingExamples, type Understanding } from './nlu.js';
export {
  CHAT_BODY_LIMIT,
  type ChatPluginOptions,
  chatPlugin,
  MAX_MESSAGE_CHARS,
  type RestMessage,
  RestRequest,
} from './rest-channel.js';
export { type StandaloneChatOptions, startStandaloneChat } from './standalone.js';
export { type StoreChatDataOptions, storeChatData } from './store-chat-data.js';
