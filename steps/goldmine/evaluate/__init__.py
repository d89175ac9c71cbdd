"""Evaluation: Fisher information, asymptotic limits in every mode, and the inputs of the plots."""
