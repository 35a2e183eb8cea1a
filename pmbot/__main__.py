import sys

from pmbot.cli import main

sys.exit(main())
