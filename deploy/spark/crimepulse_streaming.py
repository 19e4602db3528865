"""CrimePulse on Spark: Structured Streaming from Kafka `crime-incidents` into the Delta tables.

Scaling-out alternative to the TypeScript `process` role for the lake: the same `events`,
`windows_hourly` and `windows_daily` tables, with the schemas, partition columns and upsert keys
read from `lake_schemas.json` (generated from `src/lake/tables.ts` by `npm run deploy:schemas`, so
the two never drift; `test/deploy/spark.test.ts` checks both the file and this loader).

Semantics follow the TypeScript pipeline (src/pipeline, src/store/duckdb-store.ts):
  * messages are the JSON envelopes of `src/core/incident-message.ts`; only `kind == "event"` rows
    carry events (state/reject envelopes are the TS consumer's bookkeeping and are skipped here);
  * events are upserted by `id`; a newer `updated_at` replaces the stored row, an older one is ignored;
  * windows are tumbling LOCAL hours and days in each event's IANA zone (`time_zone`): hourly windows
    only for minute/hour precision, daily windows for minute/hour/day (UK month-only rows get none);
  * after each micro-batch the windows touched by the batch are recomputed from the `events` table
    (so updates and duplicates never double-count), `incident_count` = distinct `incident_key`,
    arrest/domestic counts from `attributes.arrest` / `attributes.domestic`;
  * a window is `closed` when its end is at or before the source's watermark (newest `occurred_at`
    minus the allowed lateness, default 7 days as `CRIMEPULSE_ALLOWED_LATENESS_MS`);
  * each Delta write carries the transaction id `crimepulse-<table>-<worker id>` with the micro-batch
    number as version (Delta's idempotent writes), so a restarted query never applies a batch twice.

Known differences: Spark's `to_utc_timestamp` maps the repeated autumn-DST local hour to a single
UTC hour, where the TypeScript pipeline keeps two windows; monthly windows and anomalies are not
computed here (anomaly scoring stays with the TypeScript models).

NOT RUN in this repository's CI: there is no Spark, Kafka or JVM cluster there. CI only byte-compiles
this file and tests the schema loader below (which needs no pyspark). Targets Spark 3.5 with
Delta Lake 3.2 (`io.delta:delta-spark_2.12:3.2.0`) and the Kafka source
(`org.apache.spark:spark-sql-kafka-0-10_2.12:3.5.1`).

Usage (see deploy/compose.yaml, service `spark`):
  spark-submit --packages io.delta:delta-spark_2.12:3.2.0,org.apache.spark:spark-sql-kafka-0-10_2.12:3.5.1 \
    deploy/spark/crimepulse_streaming.py --brokers kafka:9092 --lake /lake --checkpoints /checkpoints
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any, Dict, List, Tuple

HERE = Path(__file__).resolve().parent
SCHEMAS_FILE = HERE / "lake_schemas.json"
STREAMED_TABLES = ("events", "windows_hourly", "windows_daily")
DELTA_PRIMITIVES = ("string", "long", "integer", "double", "float", "boolean", "timestamp", "date", "binary")


def load_schemas(path: Path = SCHEMAS_FILE) -> Dict[str, Dict[str, Any]]:
    """The table definitions exported from src/lake/tables.ts (name -> schema, partitionColumns, key)."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return doc["tables"]


def columns(table: str, path: Path = SCHEMAS_FILE) -> List[Tuple[str, str, bool]]:
    """(name, delta type, nullable) of each column of a table, in table order."""
    out = []
    for field in load_schemas(path)[table]["schema"]["fields"]:
        t = field["type"]
        if not isinstance(t, str) or t not in DELTA_PRIMITIVES:
            raise ValueError(f"{table}.{field['name']}: unsupported Delta type {t!r}")
        out.append((field["name"], t, bool(field["nullable"])))
    return out


def lake_app_id(table: str, worker_id: str) -> str:
    """Same scheme as lakeAppId() in src/lake/tables.ts."""
    return f"crimepulse-{table}-{worker_id}"


# ---- everything below needs pyspark (imported lazily so the loader above is testable without it) ----


def spark_schema(table: str):
    from pyspark.sql import types as T

    mapping = {
        "string": T.StringType(),
        "long": T.LongType(),
        "integer": T.IntegerType(),
        "double": T.DoubleType(),
        "float": T.FloatType(),
        "boolean": T.BooleanType(),
        "timestamp": T.TimestampType(),
        "date": T.DateType(),
        "binary": T.BinaryType(),
    }
    return T.StructType([T.StructField(n, mapping[t], nullable) for n, t, nullable in columns(table)])


def ensure_tables(spark, lake: str) -> None:
    from delta.tables import DeltaTable

    defs = load_schemas()
    for name in STREAMED_TABLES:
        builder = DeltaTable.createIfNotExists(spark).location(f"{lake}/{name}").addColumns(spark_schema(name))
        parts = defs[name]["partitionColumns"]
        if parts:
            builder = builder.partitionedBy(*parts)
        builder.execute()


def event_rows(df):
    """Kafka records -> rows of the `events` table (columns and order as in lake_schemas.json)."""
    from pyspark.sql import functions as F

    parsed = df.select(F.from_json(F.col("value").cast("string"), "kind STRING, event STRING").alias("env"))
    parsed = parsed.where(F.col("env.kind") == "event").select(F.col("env.event").alias("e"))
    j = lambda path: F.get_json_object(F.col("e"), path)  # noqa: E731
    rows = parsed.select(
        j("$.id").alias("id"),
        j("$.source").alias("source"),
        j("$.sourceKey").alias("source_key"),
        j("$.incidentKey").alias("incident_key"),
        F.to_timestamp(j("$.occurredAt")).alias("occurred_at"),
        j("$.timeZone").alias("time_zone"),
        j("$.timePrecision").alias("time_precision"),
        F.coalesce(j("$.timeFlags"), F.lit("[]")).alias("time_flags"),
        F.to_timestamp(j("$.reportedAt")).alias("reported_at"),
        F.to_timestamp(j("$.updatedAt")).alias("updated_at"),
        F.to_timestamp(j("$.ingestedAt")).alias("ingested_at"),
        j("$.category").alias("category"),
        j("$.subcategory").alias("subcategory"),
        j("$.sourceType").alias("source_type"),
        j("$.sourceCode").alias("source_code"),
        j("$.lat").cast("double").alias("lat"),
        j("$.lon").cast("double").alias("lon"),
        j("$.locationStatus").alias("location_status"),
        j("$.areaId").alias("area_id"),
        F.coalesce(j("$.area"), F.lit("{}")).alias("area"),
        F.coalesce(j("$.attributes"), F.lit("{}")).alias("attributes"),
    )
    rows = rows.withColumn("date", F.to_date(F.from_utc_timestamp("occurred_at", F.col("time_zone"))))
    return rows


def _truthy(col):
    from pyspark.sql import functions as F

    s = F.lower(F.trim(col))
    return (
        F.when(s.isin("true", "y", "yes", "1"), F.lit(True))
        .when(s.isin("false", "n", "no", "0"), F.lit(False))
        .otherwise(F.lit(None).cast("boolean"))
    )


def window_rows(events, granularity: str, watermarks, worker_id: str, batch_seq: int):
    """Recomputes the local hour/day windows of `events` (already deduplicated rows of the table)."""
    from pyspark.sql import functions as F

    local = F.from_utc_timestamp("occurred_at", F.col("time_zone"))
    if granularity == "hour":
        precisions = ["minute", "hour"]
        local_start = F.date_trunc("hour", local)
        local_end = local_start + F.expr("INTERVAL 1 HOUR")
        label = F.date_format(local_start, "yyyy-MM-dd'T'HH")
    else:
        precisions = ["minute", "hour", "day"]
        local_start = F.date_trunc("day", local)
        local_end = local_start + F.expr("INTERVAL 1 DAY")
        label = F.date_format(local_start, "yyyy-MM-dd")
    arrest = _truthy(F.get_json_object("attributes", "$.arrest"))
    domestic = _truthy(F.get_json_object("attributes", "$.domestic"))
    w = (
        events.where(F.col("time_precision").isin(*precisions))
        .withColumn("window_start", F.to_utc_timestamp(local_start, F.col("time_zone")))
        .withColumn("window_end", F.to_utc_timestamp(local_end, F.col("time_zone")))
        .withColumn("local_label", label)
        .withColumn("arrest", arrest)
        .withColumn("domestic", domestic)
        .groupBy("source", "area_id", "category", "window_start", "window_end", "local_label")
        .agg(
            F.count("*").alias("event_count"),
            F.countDistinct("incident_key").alias("incident_count"),
            F.count(F.when(F.col("arrest"), True)).alias("arrest_count"),
            F.count(F.when(F.col("domestic"), True)).alias("domestic_count"),
            F.count("arrest").alias("arrest_known"),
            F.count("domestic").alias("domestic_known"),
        )
    )
    w = w.join(watermarks, "source", "left")
    return w.select(
        "source",
        "area_id",
        "category",
        "window_start",
        "window_end",
        "local_label",
        "event_count",
        "incident_count",
        "arrest_count",
        "domestic_count",
        "arrest_known",
        "domestic_known",
        F.coalesce(F.col("window_end") <= F.col("watermark"), F.lit(False)).alias("closed"),
        F.lit(worker_id).alias("worker_id"),
        F.lit(batch_seq).cast("long").alias("batch_seq"),
        F.current_timestamp().alias("updated_at"),
        F.substring("local_label", 1, 7).alias("month"),
    )


def merge(spark, lake: str, table: str, rows, worker_id: str, version: int, newer_only: bool = False) -> None:
    """Upsert by the table key, as one Delta transaction tagged (appId, version) for idempotence."""
    from delta.tables import DeltaTable

    key = load_schemas()[table]["key"]
    cond = " AND ".join(f"t.{k} = s.{k}" for k in key)
    spark.conf.set("spark.databricks.delta.write.txnAppId", lake_app_id(table, worker_id))
    spark.conf.set("spark.databricks.delta.write.txnVersion", str(version))
    m = DeltaTable.forPath(spark, f"{lake}/{table}").alias("t").merge(rows.alias("s"), cond)
    update_cond = "s.updated_at IS NOT NULL AND (t.updated_at IS NULL OR s.updated_at > t.updated_at)"
    (m.whenMatchedUpdateAll(condition=update_cond) if newer_only else m.whenMatchedUpdateAll()).whenNotMatchedInsertAll().execute()


def process_batch(spark, lake: str, worker_id: str, lateness_ms: int):
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    def run(batch, batch_id: int) -> None:
        if batch.isEmpty():
            return
        version = batch_id + 1  # the TypeScript pipeline numbers batches from 1
        cols = [n for n, _, _ in columns("events")]
        latest = Window.partitionBy("id").orderBy(F.col("updated_at").desc_nulls_last())
        fresh = batch.withColumn("_r", F.row_number().over(latest)).where("_r = 1").select(*cols)
        fresh.persist()
        merge(spark, lake, "events", fresh, worker_id, version, newer_only=True)
        # Windows the batch touched, recomputed from the whole table (events are the truth).
        events = spark.read.format("delta").load(f"{lake}/events")
        touched = fresh.select("source", "area_id", "category", "date").distinct()
        keys = events.join(touched, ["source", "area_id", "category", "date"], "left_semi")
        watermarks = events.groupBy("source").agg(
            (F.max("occurred_at") - F.expr(f"INTERVAL {lateness_ms // 1000} SECONDS")).alias("watermark")
        )
        for granularity, table in (("hour", "windows_hourly"), ("day", "windows_daily")):
            merge(spark, lake, table, window_rows(keys, granularity, watermarks, worker_id, version), worker_id, version)
        fresh.unpersist()

    return run


def main(argv: List[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--brokers", default=os.environ.get("CRIMEPULSE_KAFKA_BROKERS", "kafka:9092"))
    p.add_argument("--topic", default="crime-incidents")
    p.add_argument("--lake", default=os.environ.get("CRIMEPULSE_SPARK_LAKE", "/lake"))
    p.add_argument("--checkpoints", default=os.environ.get("CRIMEPULSE_SPARK_CHECKPOINTS", "/checkpoints"))
    p.add_argument("--worker-id", default=os.environ.get("CRIMEPULSE_SPARK_WORKER_ID", "spark"))
    p.add_argument("--lateness-ms", type=int, default=int(os.environ.get("CRIMEPULSE_ALLOWED_LATENESS_MS", 7 * 24 * 3600 * 1000)))
    p.add_argument("--trigger", default="30 seconds")
    args = p.parse_args(argv)

    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.appName("crimepulse-streaming")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    ensure_tables(spark, args.lake)
    source = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", args.brokers)
        .option("subscribe", args.topic)
        .option("startingOffsets", "earliest")
        .option("failOnDataLoss", "false")
        .load()
    )
    query = (
        event_rows(source)
        .writeStream.foreachBatch(process_batch(spark, args.lake, args.worker_id, args.lateness_ms))
        .option("checkpointLocation", args.checkpoints)
        .trigger(processingTime=args.trigger)
        .start()
    )
    query.awaitTermination()


if __name__ == "__main__":
    main()
