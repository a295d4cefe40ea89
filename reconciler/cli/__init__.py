"""Command-line interface (click): parse options, call the service layer, render. No logic lives here."""
