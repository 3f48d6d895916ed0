"""Entry point for `python -m instructor`."""

from instructor.cli import main

if __name__ == "__main__":
    main()
