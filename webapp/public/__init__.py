"""The public site: catalogue, tour pages and their page cache, health check."""
