"""Trial results -> the report's tables, findings and figures, with Parquet of every trial."""
