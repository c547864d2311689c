"""The marketplace's commands, grouped by what they act on; ``Marketplace`` mixes them in."""
