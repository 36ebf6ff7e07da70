"""Pictures for learners: training curves, confusion matrices, mistakes."""

from convnets.viz.plots import plot_confusion, plot_history, plot_mistakes, plot_run

__all__ = ["plot_confusion", "plot_history", "plot_mistakes", "plot_run"]
