"""The API envelope: origin, Host, key and permission decisions, the action registry,
dispatch and version shaping, where each request runs, and the API log."""
