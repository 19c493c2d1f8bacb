"""MediaFetcher: a self-hosted media archiver."""

__version__ = "0.1.0"
