/** Typed, zod-validated queries used by api, model and chat; pass `store.reader`. */
export { CompStatQuery, CompStatRow, compStat } from './compstat.js';
export { filterParams, Granularity, SeriesFilter } from './filters.js';
export { GridBin, gridHeatmap, HourOfWeekBin, hourOfWeekHeatmap } from './heatmap.js';
export { type EventPage, EventQuery, queryEvents } from './query-events.js';
export { SourceSummary, sourcesSummary } from './sources-summary.js';
export { AreaCount, CategoryShare, categoryMix, topAreas } from './top-areas.js';
export { type HistoryWindowRow, windowHistory } from './window-history.js';
export { windowSeries } from './window-series.js';
