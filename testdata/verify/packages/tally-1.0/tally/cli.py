"""The tally console script: counts the words of its arguments."""
import sys

from greet import hello

from tally import __version__, count


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--version"]:
        print("tally", __version__)
        return 0
    print(hello("tally") + ":", ", ".join("%s=%d" % kv for kv in count(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
