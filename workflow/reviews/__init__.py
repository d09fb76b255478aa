"""KPI reviews: the obligations a case gets when it goes live, and their submission."""
