"""CLI commands beyond ingest/info: each module here adds its commands to :data:`clusterwatch.cli.app`.

Modules are discovered, so an analysis adds its command by adding a module. Each module imports ``app`` (and the
shared helpers) from :mod:`clusterwatch.cli` and decorates functions with ``@app.command()``. Commands are thin:
read the workspace, call the analysis (a pure function), write outputs, print a summary.
"""
