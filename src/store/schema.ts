/**
 * Versioned migrations of the store, applied in order at open inside one transaction each and
 * recorded in `schema_migrations`. Never edit a shipped migration: add the next one.
 *
 * Conventions: every TIMESTAMP column is a UTC instant (no zone); `*_start`/`*_end` of daily and
 * monthly windows follow the source's local calendar (so a DST day spans 23 or 25 hours);
 * `batch_seq` names the pipeline batch that last wrote a row, so a sink can be replayed from the store.
 */

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

const windowTable = (name: string, localLabel: string): string => `
CREATE TABLE ${name} (
  source VARCHAR NOT NULL,
  area_id VARCHAR NOT NULL,
  category VARCHAR NOT NULL,
  window_start TIMESTAMP NOT NULL,
  window_end TIMESTAMP NOT NULL,
  local_label VARCHAR NOT NULL, -- ${localLabel}
  event_count BIGINT NOT NULL,
  incident_count BIGINT NOT NULL,
  arrest_count BIGINT NOT NULL,
  domestic_count BIGINT NOT NULL,
  arrest_known BIGINT NOT NULL,
  domestic_known BIGINT NOT NULL,
  worker_id VARCHAR NOT NULL,
  batch_seq BIGINT NOT NULL,
  PRIMARY KEY (source, area_id, category, window_start)
)`;

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    statements: [
      `CREATE TABLE events (
        id VARCHAR PRIMARY KEY,
        source VARCHAR NOT NULL,
        source_key VARCHAR NOT NULL,
        incident_key VARCHAR NOT NULL,
        occurred_at TIMESTAMP NOT NULL,
        time_zone VARCHAR NOT NULL,
        time_precision VARCHAR NOT NULL,
        time_flags JSON NOT NULL,
        reported_at TIMESTAMP,
        updated_at TIMESTAMP,
        ingested_at TIMESTAMP NOT NULL,
        category VARCHAR NOT NULL,
        subcategory VARCHAR,
        source_type VARCHAR NOT NULL,
        source_code VARCHAR,
        lat DOUBLE,
        lon DOUBLE,
        location_status VARCHAR NOT NULL,
        area_id VARCHAR NOT NULL,
        area JSON NOT NULL,
        attributes JSON NOT NULL,
        arrest BOOLEAN,
        domestic BOOLEAN,
        hour_start TIMESTAMP,
        day_start TIMESTAMP,
        day_end TIMESTAMP,
        local_day DATE,
        month_start TIMESTAMP NOT NULL,
        month_end TIMESTAMP NOT NULL,
        local_month VARCHAR NOT NULL,
        local_hour TINYINT,
        local_dow TINYINT,
        worker_id VARCHAR NOT NULL,
        batch_seq BIGINT NOT NULL
      )`,
      windowTable('windows_hourly', 'local YYYY-MM-DDTHH'),
      windowTable('windows_daily', 'local YYYY-MM-DD'),
      windowTable('windows_monthly', 'local YYYY-MM'),
      `CREATE TABLE anomalies (
        id VARCHAR PRIMARY KEY,
        granularity VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        area_id VARCHAR NOT NULL,
        category VARCHAR NOT NULL,
        window_start TIMESTAMP NOT NULL,
        window_end TIMESTAMP NOT NULL,
        observed DOUBLE NOT NULL,
        expected DOUBLE NOT NULL,
        lower DOUBLE NOT NULL,
        upper DOUBLE NOT NULL,
        p_value DOUBLE NOT NULL,
        q_value DOUBLE,
        severity VARCHAR NOT NULL,
        contributors JSON,
        model_version VARCHAR NOT NULL,
        detected_at TIMESTAMP NOT NULL,
        worker_id VARCHAR NOT NULL,
        batch_seq BIGINT NOT NULL
      )`,
      `CREATE TABLE late_events (
        id VARCHAR PRIMARY KEY,
        source VARCHAR NOT NULL,
        occurred_at TIMESTAMP NOT NULL,
        watermark TIMESTAMP NOT NULL,
        lateness_ms BIGINT NOT NULL,
        event JSON NOT NULL,
        received_at TIMESTAMP NOT NULL,
        batch_seq BIGINT NOT NULL
      )`,
      `CREATE TABLE dead_letters (
        source VARCHAR NOT NULL,
        payload_hash VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        payload JSON,
        topic VARCHAR,
        "partition" INTEGER,
        "offset" VARCHAR,
        received_at TIMESTAMP NOT NULL,
        batch_seq BIGINT NOT NULL,
        PRIMARY KEY (source, payload_hash)
      )`,
      `CREATE TABLE source_cursors (
        source VARCHAR NOT NULL,
        stream VARCHAR NOT NULL,
        cursor JSON NOT NULL,
        record_count BIGINT NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (source, stream)
      )`,
      `CREATE TABLE bus_offsets (
        "group" VARCHAR NOT NULL,
        topic VARCHAR NOT NULL,
        "partition" INTEGER NOT NULL,
        next_offset VARCHAR NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY ("group", topic, "partition")
      )`,
      `CREATE TABLE watermarks (
        source VARCHAR PRIMARY KEY,
        max_occurred_at TIMESTAMP NOT NULL,
        watermark TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
      )`,
      `CREATE TABLE pipeline_batches (
        worker_id VARCHAR NOT NULL,
        seq BIGINT NOT NULL,
        committed_at TIMESTAMP NOT NULL,
        events_applied BIGINT NOT NULL,
        windows_changed BIGINT NOT NULL,
        anomalies BIGINT NOT NULL,
        PRIMARY KEY (worker_id, seq)
      )`,
      `CREATE TABLE lake_commits (
        table_name VARCHAR NOT NULL,
        worker_id VARCHAR NOT NULL,
        version BIGINT NOT NULL,
        committed_at TIMESTAMP NOT NULL,
        PRIMARY KEY (table_name, worker_id)
      )`,
      // Sliding views: relative to each source's newest event, never wall-clock (replays are old).
      `CREATE VIEW sliding_24h AS
        SELECT e.source, e.area_id, e.category, count(*) AS event_count, count(DISTINCT e.incident_key) AS incident_count,
               max(w.max_occurred_at) AS as_of
        FROM events e JOIN watermarks w USING (source)
        WHERE e.time_precision IN ('minute', 'hour') AND e.occurred_at > w.max_occurred_at - INTERVAL 24 HOUR
        GROUP BY ALL`,
      `CREATE VIEW sliding_7d AS
        SELECT e.source, e.area_id, e.category, count(*) AS event_count, count(DISTINCT e.incident_key) AS incident_count,
               max(w.max_occurred_at) AS as_of
        FROM events e JOIN watermarks w USING (source)
        WHERE e.time_precision IN ('minute', 'hour', 'day') AND e.occurred_at > w.max_occurred_at - INTERVAL 7 DAY
        GROUP BY ALL`,
      // Per-window statistics: category share inside (source, area, window), arrest/domestic shares,
      // and a rolling mean/variance over the previous windows that counts missing windows as zeros
      // (RANGE frames over time, sums divided by the fixed number of windows in the frame).
      ...(
        [
          ['window_stats_hourly', 'windows_hourly', 'INTERVAL 23 HOUR', 24],
          ['window_stats_daily', 'windows_daily', 'INTERVAL 27 DAY', 28],
          ['window_stats_monthly', 'windows_monthly', 'INTERVAL 11 MONTH', 12],
        ] as const
      ).map(
        ([view, table, range, n]) => `CREATE VIEW ${view} AS
        SELECT w.*,
          w.event_count / sum(w.event_count) OVER (PARTITION BY w.source, w.area_id, w.window_start) AS category_share,
          CASE WHEN w.arrest_known > 0 THEN w.arrest_count / w.arrest_known END AS arrest_share,
          CASE WHEN w.domestic_known > 0 THEN w.domestic_count / w.domestic_known END AS domestic_share,
          sum(w.event_count) OVER r / ${n} AS rolling_mean,
          greatest(sum(w.event_count * w.event_count) OVER r / ${n} - pow(sum(w.event_count) OVER r / ${n}, 2), 0) * ${n} / ${n - 1} AS rolling_var
        FROM ${table} w
        WINDOW r AS (PARTITION BY w.source, w.area_id, w.category ORDER BY w.window_start RANGE BETWEEN ${range} PRECEDING AND CURRENT ROW)`,
      ),
      // Per-series statistics over the whole history, missing windows counted as zeros: n is the
      // number of windows spanned from the series' first to its last non-empty window.
      `CREATE VIEW series_stats AS
        WITH s AS (
          SELECT 'hour' AS granularity, source, area_id, category, window_start, event_count, arrest_count, domestic_count, arrest_known, domestic_known,
                 date_diff('hour', min(window_start) OVER ph, max(window_start) OVER ph) + 1 AS span
          FROM windows_hourly WINDOW ph AS (PARTITION BY source, area_id, category)
          UNION ALL
          SELECT 'day', source, area_id, category, window_start, event_count, arrest_count, domestic_count, arrest_known, domestic_known,
                 date_diff('day', min(CAST(local_label AS DATE)) OVER pd, max(CAST(local_label AS DATE)) OVER pd) + 1
          FROM windows_daily WINDOW pd AS (PARTITION BY source, area_id, category)
          UNION ALL
          SELECT 'month', source, area_id, category, window_start, event_count, arrest_count, domestic_count, arrest_known, domestic_known,
                 date_diff('month', min(CAST(local_label || '-01' AS DATE)) OVER pm, max(CAST(local_label || '-01' AS DATE)) OVER pm) + 1
          FROM windows_monthly WINDOW pm AS (PARTITION BY source, area_id, category)
        ), agg AS (
          SELECT granularity, source, area_id, category, any_value(span) AS windows, count(*) AS nonempty_windows,
                 sum(event_count) AS total, sum(event_count * event_count) AS sumsq,
                 sum(arrest_count) AS arrests, sum(arrest_known) AS arrest_known,
                 sum(domestic_count) AS domestic, sum(domestic_known) AS domestic_known,
                 min(window_start) AS first_window, max(window_start) AS last_window
          FROM s GROUP BY ALL
        )
        SELECT granularity, source, area_id, category, windows, nonempty_windows, total, first_window, last_window,
               total / windows AS mean,
               CASE WHEN windows > 1 THEN greatest(sumsq / windows - pow(total / windows, 2), 0) * windows / (windows - 1) END AS variance,
               total / sum(total) OVER (PARTITION BY granularity, source, area_id) AS category_share,
               CASE WHEN arrest_known > 0 THEN arrests / arrest_known END AS arrest_share,
               CASE WHEN domestic_known > 0 THEN domestic / domestic_known END AS domestic_share
        FROM agg`,
      // Time-of-day and day-of-week profiles in the source's local time (only events precise enough).
      `CREATE VIEW profile_hour_of_day AS
        SELECT source, area_id, category, local_hour, count(*) AS event_count
        FROM events WHERE local_hour IS NOT NULL GROUP BY ALL`,
      `CREATE VIEW profile_day_of_week AS
        SELECT source, area_id, category, local_dow, count(*) AS event_count
        FROM events WHERE local_dow IS NOT NULL GROUP BY ALL`,
    ],
  },
];
