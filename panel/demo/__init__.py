"""The demo municipality: synthetic data modelled on the source documents."""
