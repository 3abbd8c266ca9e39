"""Cards actions (spec §B)."""

from __future__ import annotations
