"""Reference data and uploads: the sample data set, CSV validation, loading into the database."""
