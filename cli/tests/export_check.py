"""What an analyst computes from `wavestack export` with DuckDB and pyarrow
alone: per viewer, messages and points; how many rows and distinct events
the Parquet files hold; and the files' schema as pyarrow reads it.
Usage: export_check.py <export dir>; prints JSON."""
import glob
import json
import sys

import duckdb
import pyarrow.parquet as pq

out = sys.argv[1]
files = f"{out}/parquet/chat/*/*.parquet"
con = duckdb.connect()
con.execute(f"CREATE VIEW chat AS SELECT * FROM read_parquet('{files}', hive_partitioning = true)")
viewers = con.execute("""
    SELECT split_part(aggregate_id, '/', 2) AS platform,
           split_part(aggregate_id, '/', 3) AS channel,
           split_part(aggregate_id, '/', 4) AS user_id,
           count(*) FILTER (WHERE event_type = 'ChatMessageReceived') AS messages,
           coalesce(arg_max(balance, sequence) FILTER (WHERE balance IS NOT NULL), 0) AS points
      FROM chat GROUP BY ALL ORDER BY ALL""").fetchall()
rows, distinct, dates = con.execute(
    "SELECT count(*), count(DISTINCT event_id), count(DISTINCT date) FROM chat").fetchone()
schema = pq.read_schema(sorted(glob.glob(files))[0])
print(json.dumps({
    "viewers": [list(v) for v in viewers],
    "rows": rows,
    "distinct_events": distinct,
    "dates": dates,
    "files": len(glob.glob(files)),
    "schema": {field.name: str(field.type) for field in schema},
}))
