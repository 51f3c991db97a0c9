"""Delivery: the outbox worker, the alert it renders, digests and bursts."""
