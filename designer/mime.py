"""MIME types the designer drags and copies."""

BLOCK_MIME = "application/x-rnn-designer-block"  # payload: the block kind, UTF-8
NODES_MIME = "application/x-rnn-designer-nodes"  # payload: {"nodes": [...], "edges": [...]} as JSON
