"""Detector simulation: real Delphes, goldmine's built-in fast simulation, parton smearing."""
