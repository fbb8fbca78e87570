import sys

from fraud_detection.cli import main

sys.exit(main())
