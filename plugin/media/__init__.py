"""Shared media helpers: storing files in the media folder, their names, large uploads, URL downloads."""
