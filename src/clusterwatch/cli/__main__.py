"""``python -m clusterwatch.cli``: the program."""

from clusterwatch.cli import main

main()
