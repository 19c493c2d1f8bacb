"""The domain and its services. Imports neither Reflex nor Arq, so the app and the worker share it."""
