"""Plots of evaluation results: Fisher contours, limits, distributions, validation, a summary."""
