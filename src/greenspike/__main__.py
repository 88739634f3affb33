"""`python -m greenspike` runs the command line."""

from greenspike.cli import main

main()
