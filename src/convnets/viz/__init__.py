"""Pictures for learners: training curves, confusion matrices, mistakes."""

from convnets import import_tensorflow

import_tensorflow()  # once, quietly, before any module below imports it

from convnets.viz.plots import plot_confusion, plot_history, plot_mistakes, plot_run

__all__ = ["plot_confusion", "plot_history", "plot_mistakes", "plot_run"]
