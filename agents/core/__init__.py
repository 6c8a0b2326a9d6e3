"""The base layer: settings, the language type and value types shared by every layer.

Nothing here imports anything else of Ressenti, so every other package may import it.
"""
