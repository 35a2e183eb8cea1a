"""pmbot: blameless postmortems that finish, inside GitHub."""

__version__ = "0.1.0"
