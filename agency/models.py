"""What an agency records about its region: decisions on (offer, want) pairs and more."""
