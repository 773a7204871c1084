"""The plugin API: what an industry plugin declares and how the platform finds it.

A plugin is a distribution with an entry point in the `indus` group. Its module implements
hooks from `indus.plugins.hookspecs` with `@hookimpl`, returning the contract objects of
`indus.plugins.contract`. Nothing here imports torch: heads and backbones are dotted paths
that only a worker imports.
"""
