"""Per-channel hours watched of a day, by DuckDB, from series data files (`{slot}.json.zst`, each a `SeriesData`
document: `{"series": …, "pull_id": …, "streams": [<Helix stream objects>]}`) with one-minute slots.

Prints the query's wall time in seconds, then the top 10 channels as `user_id,viewer_minutes`. Used by the pipeline
benchmark (jobs/benches/pipeline.rs) to compare with Streamlens on the same data.
"""

import sys
import time

import duckdb


def main() -> None:
    folder = sys.argv[1]
    started = time.perf_counter()
    con = duckdb.connect()
    rows = con.execute(
        f"""
        WITH streams AS (
            SELECT unnest(streams) AS s
            FROM read_json('{folder}/*.json.zst', compression = 'zstd', format = 'auto',
                           maximum_object_size = 1073741824)
        )
        SELECT s.user_id AS channel, sum(s.viewer_count) AS viewer_minutes
        FROM streams
        WHERE s.type = 'live' AND s.viewer_count >= 0 AND s.user_id IS NOT NULL AND s.user_id <> ''
        GROUP BY channel
        ORDER BY viewer_minutes DESC, channel
        """
    ).fetchall()
    elapsed = time.perf_counter() - started
    print(f"{elapsed:.4f}")
    for channel, minutes in rows[:10]:
        print(f"{channel},{minutes}")


if __name__ == "__main__":
    main()
