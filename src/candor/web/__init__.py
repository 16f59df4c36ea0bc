"""The web application: JSON API, pages and the public site."""
