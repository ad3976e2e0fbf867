"""The bottom layer: settings (and other definitions) every other package may import."""
