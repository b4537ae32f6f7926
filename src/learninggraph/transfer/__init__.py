"""Moving a database's records in and out: the export file format, the exporter and the importer."""
