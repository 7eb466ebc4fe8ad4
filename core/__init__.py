"""The kernel: organisation, people, accounts, access, audit, text and time, documents. Imports no feature package."""
