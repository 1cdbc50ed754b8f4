"""HTTP endpoints; each reads its resources from request.state."""
