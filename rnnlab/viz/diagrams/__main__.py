"""``python -m rnnlab.viz.diagrams DIR [--png]``: draw the gallery of every variant into DIR."""

from __future__ import annotations

import argparse

from rnnlab.viz.diagrams.gallery import make_gallery


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m rnnlab.viz.diagrams",
        description="Draw a diagram of every cell variant and layout.",
        epilog="example: python -m rnnlab.viz.diagrams docs/diagrams --png",
    )
    parser.add_argument("directory", help="where to write the files")
    parser.add_argument("--png", action="store_true", help="write PNG files beside the SVGs")
    args = parser.parse_args(argv)
    for path in make_gallery(args.directory, ("svg", "png") if args.png else ("svg",)):
        print(path)


if __name__ == "__main__":
    main()
