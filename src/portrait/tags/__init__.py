"""The tag engine: declarative tag definitions compiled to SQL and built as of a date."""
