"""``python main.py [PATH] [--demo] [--screenshot OUT.png [--window START,END]]``: the viewer (same as ``anyecg-viewer``)."""
import sys

from app.main import main

if __name__ == "__main__":
    sys.exit(main())
