"""Finance exports (CSV/XLSX) read from the published snapshot, never from the live warehouse."""
