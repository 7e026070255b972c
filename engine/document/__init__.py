"""The design document: blocks and wires, the block catalog, the cell registry, the file format
and its migrations, the JSON Schema and the templates. Torch-free: the window checks on every edit."""
