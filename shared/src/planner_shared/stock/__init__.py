"""The season's stock and money: the ledger, its inputs, its money figures and its alerts."""
