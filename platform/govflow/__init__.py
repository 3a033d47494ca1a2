"""govflow: procedures as data (YAML flows + rule files) served as web forms and a JSON API."""
