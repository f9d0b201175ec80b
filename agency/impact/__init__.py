"""Impact of the exchanges an agency facilitates: emission factors and the accounting."""
