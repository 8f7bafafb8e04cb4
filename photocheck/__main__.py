"""``python -m photocheck`` runs the command line."""

from .cli import main

main()
