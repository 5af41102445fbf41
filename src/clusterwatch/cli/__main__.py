"""``python -m clusterwatch.cli``: the program."""

from clusterwatch.cli import main

if __name__ == "__main__":
    main()
