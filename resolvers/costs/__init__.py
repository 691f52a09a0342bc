"""AI cost monitoring: rollups kept per message, and the admin cost report."""
