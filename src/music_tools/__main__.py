"""`python -m music_tools` and the `music-tools` entry point. Loading the command line
takes a moment (the readers, rich, the duplicate finder): a Ctrl-C then is one line too."""

import sys


def run() -> None:
    try:
        from .cli import main
    except KeyboardInterrupt:
        sys.stderr.write("music-tools: error: interrupted\n")
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
