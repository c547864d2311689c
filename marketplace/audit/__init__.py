"""Auditors' tools: verify the ledger, receipts, time travel and export (DESIGN.md §3.2)."""
