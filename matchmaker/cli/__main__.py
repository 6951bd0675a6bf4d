"""``python -m matchmaker.cli``: how ``matchmaker run`` starts its parts."""

from matchmaker.cli import main

main()
