"""Dashboard support: the record version the dashboard's cache and ETag hang on."""
