"""Message templates: manifests, sandboxed rendering, length checks."""
