"""The staff dashboard: composed from the services' statistics, with small counts suppressed."""
