"""invoices."""
