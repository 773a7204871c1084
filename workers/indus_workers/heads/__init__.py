"""Task heads: the layer that adapts a backbone's representation to a task's target."""
