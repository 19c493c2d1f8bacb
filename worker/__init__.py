"""The download worker: Arq functions, the pipeline and its engines. Never renders UI."""
