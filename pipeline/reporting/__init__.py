"""What people read: the markdown and console reports and the forecast charts."""
