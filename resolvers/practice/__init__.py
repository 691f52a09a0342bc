"""The learning core: error statistics, exercise generation and the exercise lifecycle."""
