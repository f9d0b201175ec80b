"""Companies, sites, users, memberships, regions and agencies."""
