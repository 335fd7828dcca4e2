"""The book's sources; `book.lib` holds the helpers that chapters share."""
