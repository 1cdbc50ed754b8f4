"""HTTP endpoints; each reads its resources through `web.state.app_state(request)`."""
