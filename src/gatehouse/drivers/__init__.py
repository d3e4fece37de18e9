"""Device protocol drivers: one package per protocol; each protocol/ package is pure Python."""
