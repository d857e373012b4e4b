"""`python -m music_tools` and the `music-tools` entry point.

Loading the command line takes a moment (the readers, rich, the duplicate finder; longer
on a busy machine). A Ctrl-C or SIGTERM then must still be one line and exit status 130,
so `run` first catches both, before it imports anything that takes time, with a handler
that says so and leaves at once (nothing has started that would need stopping). Once the
command line is loaded, Ctrl-C raises KeyboardInterrupt again, which the command line turns
into one line after stopping what it started. Once the command is done, the first handler
is back for Python's shutdown (its exit handlers); only in its very last steps, after it has
restored the default handlers, would a SIGTERM end the process with no line (status 143).
"""

import os


def run() -> None:
    try:
        import signal  # loads enum when nothing has yet: a Ctrl-C may come meanwhile

        for stop in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop, _leave)
    except KeyboardInterrupt:
        _leave()
    from .cli import main

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)  # as the command line's own handler does
    try:
        main()
    except KeyboardInterrupt:  # before the command line's own handling began
        _leave()
    finally:  # the command is done: while Python shuts down, a stop is still one line
        for stop in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop, _leave)


def _leave(*_: object) -> None:
    os.write(2, b"music-tools: error: interrupted\n")
    os._exit(130)


def _raise_interrupt(*_: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    run()
