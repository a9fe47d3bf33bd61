"""The kernel-state model: dataflow of cells, provenance of names, stale and hidden state."""

from pairbook.state.dataflow import CellFlow, cell_flow

__all__ = ["CellFlow", "cell_flow"]
