/** Count models of CrimePulse: seasonal negative-binomial baselines per series (see docs/model.md). */
export * from './design.js';
export * from './glm.js';
export * from './holidays.js';
export * from './scorer.js';
export * from './series-model.js';
export * from './stats.js';
