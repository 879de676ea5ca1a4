"""Tests for the training container: client, trainer, simulator (stdlib unittest)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CONTAINERS = os.path.dirname(HERE)
REPO = os.path.dirname(CONTAINERS)
for _p in (os.path.join(CONTAINERS, "client"), os.path.join(CONTAINERS, "training")):
    if _p not in sys.path:
        sys.path.insert(0, _p)
