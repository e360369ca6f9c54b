"""The HTTP/WebSocket surface: app factory, routers, wire schemas, error mapping."""
