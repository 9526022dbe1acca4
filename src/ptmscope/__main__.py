"""``python -m ptmscope``."""

from ptmscope.cli import main

raise SystemExit(main())
