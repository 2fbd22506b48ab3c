"""Background work: the scheduler and outbound delivery."""
