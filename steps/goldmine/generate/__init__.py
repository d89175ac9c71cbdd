"""The generate stage's library: the built-in Pythia 8 + exact-amplitude W h generator,
the MadGraph5_aMC driver, and the Pythia 8 shower that turns either's LHE into HepMC."""
