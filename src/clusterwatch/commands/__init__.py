"""CLI commands: each module here adds its commands to :data:`clusterwatch.cli.options.app`.

Modules are discovered, so an analysis adds its command by adding a module. Each module imports ``app`` and the
shared options from :mod:`clusterwatch.cli.options` and the consoles from :mod:`clusterwatch.cli.console` (never
:mod:`clusterwatch.cli.program`, so there is no import cycle), and decorates functions with ``@app.command()``.
Commands are thin: read the workspace, call the analysis (a pure function), write outputs, print a summary.
"""
