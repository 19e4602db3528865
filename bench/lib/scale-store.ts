/**
 * Grows a store made from the real samples to `n` events by bulk SQL: copy r of every event gets
 * `-r{r}` ids and times shifted by 4r whole weeks (local hour and weekday keep), rows inserted in time
 * order (as a replay writes them), then the window tables are recomputed from the events.
 * Returns the seconds it took.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

const WINDOW_AGG = `count(*) AS event_count, count(DISTINCT incident_key) AS incident_count,
  count(*) FILTER (WHERE arrest) AS arrest_count, count(*) FILTER (WHERE domestic) AS domestic_count,
  count(arrest) AS arrest_known, count(domestic) AS domestic_known, 'bench' AS worker_id, 0 AS batch_seq`;

export async function scaleStore(conn: DuckDBConnection, n: number): Promise<number> {
  const seed = Number((await conn.runAndReadAll('SELECT count(*) AS n FROM events')).getRowObjectsJS()[0]?.n);
  const copies = Math.ceil(n / seed);
  const t0 = performance.now();
  await conn.run('CREATE TEMP TABLE seed AS SELECT * FROM events');
  await conn.run('DELETE FROM events');
  // Whole weeks keep local hour and weekday; the seed spans < 4 weeks (Chicago 2015-01-23..02-08, LA 2020).
  await conn.run(`INSERT INTO events
    SELECT id || '-r' || r, source, source_key || '-r' || r, incident_key || '-r' || r,
      occurred_at + to_weeks(CAST(4 * r AS INTEGER)), time_zone, time_precision, time_flags, reported_at, updated_at, ingested_at,
      category, subcategory, source_type, source_code, lat, lon, location_status, area_id, area, attributes, arrest, domestic,
      hour_start + to_weeks(CAST(4 * r AS INTEGER)), day_start + to_weeks(CAST(4 * r AS INTEGER)),
      day_end + to_weeks(CAST(4 * r AS INTEGER)), local_day + to_weeks(CAST(4 * r AS INTEGER)),
      date_trunc('month', occurred_at + to_weeks(CAST(4 * r AS INTEGER))),
      date_trunc('month', occurred_at + to_weeks(CAST(4 * r AS INTEGER))) + INTERVAL 1 MONTH,
      strftime(occurred_at + to_weeks(CAST(4 * r AS INTEGER)), '%Y-%m'), local_hour, local_dow, worker_id, batch_seq
    FROM seed, range(${copies}) t(r)
    ORDER BY occurred_at + to_weeks(CAST(4 * r AS INTEGER))
    LIMIT ${n}`);
  await conn.run('DROP TABLE seed');
  for (const t of ['windows_hourly', 'windows_daily', 'windows_monthly']) await conn.run(`DELETE FROM ${t}`);
  await conn.run(`INSERT INTO windows_hourly SELECT source, area_id, category, hour_start, any_value(hour_start) + INTERVAL 1 HOUR,
    any_value(strftime(hour_start, '%Y-%m-%dT%H')), ${WINDOW_AGG} FROM events WHERE hour_start IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 4`);
  await conn.run(`INSERT INTO windows_daily SELECT source, area_id, category, day_start, max(day_end),
    any_value(CAST(local_day AS VARCHAR)), ${WINDOW_AGG} FROM events WHERE day_start IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 4`);
  await conn.run(`INSERT INTO windows_monthly SELECT source, area_id, category, month_start, max(month_end),
    any_value(local_month), ${WINDOW_AGG} FROM events GROUP BY 1, 2, 3, 4 ORDER BY 4`);
  await conn.run('CHECKPOINT');
  return (performance.now() - t0) / 1000;
}
