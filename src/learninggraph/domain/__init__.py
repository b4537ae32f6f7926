"""Core types shared by every resource: errors, entity declarations, values, principals. No I/O."""
