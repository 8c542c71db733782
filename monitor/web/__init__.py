"""The web app (`newsmon web`): pages, an Atom feed and a JSON API over the database."""
