"""The parity pipeline's stages: one module per DVC stage, plus the shared pieces they use."""
