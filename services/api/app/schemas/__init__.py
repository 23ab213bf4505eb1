"""Request and response bodies. Inputs forbid unknown fields."""
