"""HTTP/1.1 over non-blocking sockets: framing, limits, time-outs. Knows nothing of Anki or Qt."""
